"""The accumulation kind decides what is judged (docs/plan-file-format.md, "Achievement"): the
year's own actual, the sum of the yearly actuals, the latest of an N-year window. Every case is
judged three ways — ``evaluate`` on the KPI, ``statuses`` (an edition's latest) and the
dashboards' ``kpi_states`` (a review year) — which must agree."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.test import Client

from tests.plans.test_achievement import kpi_with
from yakusho.plans.achievement import Achievement, Status, evaluate, statuses, window
from yakusho.plans.charts import chart
from yakusho.plans.dashboard.cycle import kpi_states
from yakusho.plans.models import Kpi

pytestmark = pytest.mark.django_db


def at(kpi: Kpi, year: int) -> Achievement:
    """``evaluate`` at a fiscal year, checked against the dashboards' bulk judgement."""
    result = evaluate(kpi, year)
    edition = kpi.edition
    states = {s.id: s.status for s in kpi_states({edition.pk: (year, edition.first_year, edition.last_year)})}
    assert states[kpi.pk] == result.status, (year, states[kpi.pk], result)
    return result


def latest(kpi: Kpi) -> Achievement:
    """``evaluate`` at the latest actual, checked against ``statuses``."""
    result = evaluate(kpi)
    assert statuses(kpi.edition_id)[kpi.pk] == result.status
    return result


# --- cumulative: the sum of the yearly actuals -----------------------------------------------


def test_cumulative_yearly_actuals_are_summed_against_the_running_total_target(demo, plan_from) -> None:
    """累計200件: 120 in R6 and 110 in R7 make 230 — reached, not 110 short of 200 (遅れ)."""
    kpi = kpi_with(
        plan_from,
        baseline=None,
        accumulation="cumulative",
        targets=[(2029, 200, True)],
        actuals=[(2022, 999), (2024, 120), (2025, 110)],  # R4 precedes the plan: not in its total
    )
    result = latest(kpi)
    assert result.status == Status.ACHIEVED and result.label == "達成"
    assert result.year == 2025 and result.actual == Decimal(110) and result.judged_value == Decimal(230)
    assert result.progress == Decimal("1.150") and result.percent == 115  # from 0, even without a baseline
    assert result.kind_label == "累計（各年度の実績の合計）" and result.cumulative
    assert at(kpi, 2025).status == Status.ACHIEVED
    first = at(kpi, 2024)  # 120 against the path from 0 (R5) to 200 (R11): 33.3 in R6
    assert first.status == Status.ON_TRACK and first.judged_value == Decimal(120)
    assert first.expected is not None and first.expected.quantize(Decimal("0.1")) == Decimal("33.3")
    assert at(kpi, 2026).status == Status.NO_DATA  # no actual reported for R8: no running total for it


def test_cumulative_stated_target_of_the_year_is_a_running_total(demo, plan_from) -> None:
    kpi = kpi_with(
        plan_from,
        baseline=0,
        accumulation="cumulative",
        targets=[(2025, 200), (2029, 500, True)],
        actuals=[(2024, 120), (2025, 110)],
    )
    result = at(kpi, 2025)
    assert result.status == Status.ON_TRACK and result.label == "順調"
    assert result.expected == Decimal(200) and result.judged_value == Decimal(230)
    assert latest(kpi).status == Status.ON_TRACK


def test_cumulative_under_a_ceiling_is_met_only_at_the_end(demo, plan_from) -> None:
    """A running total only grows: at most 10 over the plan is not achieved while years remain."""
    kpi = kpi_with(
        plan_from,
        direction="decrease",
        baseline=None,
        accumulation="cumulative",
        targets=[(2029, 10, True)],
        actuals=[(2024, 1), (2025, 2), (2029, 5)],
    )
    assert at(kpi, 2025).status == Status.ON_TRACK  # 3 within the path's 3.33
    assert at(kpi, 2029).status == Status.ACHIEVED  # 8 at the end
    assert latest(kpi).judged_value == Decimal(8)


# --- per_year, running_total, point_in_time: the year's own figure ----------------------------


def test_per_year_is_the_years_own_actual(demo, plan_from) -> None:
    kpi = kpi_with(
        plan_from,
        accumulation="per_year",
        targets=[(2025, 150), (2029, 300, True)],
        actuals=[(2024, 200), (2025, 120)],
    )
    result = at(kpi, 2025)
    assert result.status == Status.BEHIND and result.judged_value == Decimal(120)  # not 320
    assert result.kind_label == "年度ごとの値"
    assert latest(kpi).status == Status.BEHIND
    assert at(kpi, 2024).status == Status.ON_TRACK  # 200 against the path's 133.3


def test_running_total_is_the_latest_reported_total(demo, plan_from) -> None:
    kpi = kpi_with(
        plan_from,
        baseline=50,
        accumulation="running_total",
        targets=[(2029, 200, True)],
        actuals=[(2024, 120), (2025, 130)],
    )
    result = latest(kpi)  # 130 against the path's 100 in R7; summed (250) it would be 達成
    assert result.status == Status.ON_TRACK and result.judged_value == Decimal(130)
    assert result.progress == Decimal("0.533") and result.kind_label == "累計（報告された累計値）"
    assert at(kpi, 2025).status == Status.ON_TRACK


def test_point_in_time_is_the_level(demo, plan_from) -> None:
    kpi = kpi_with(
        plan_from,
        baseline=40,
        accumulation="point_in_time",
        targets=[(2029, 70, True)],
        actuals=[(2024, 45), (2025, 44)],
    )
    result = latest(kpi)  # 44 against the path's 50 in R7; summed (89) it would be 達成
    assert result.status == Status.BEHIND and result.judged_value == Decimal(44)
    assert result.kind_label == "時点の値（最新の値）"
    assert at(kpi, 2025).status == Status.BEHIND


# --- every_n_years: the latest actual of the window --------------------------------------------


def test_windows_run_from_the_plans_first_year() -> None:
    assert window(2024, 3, 2024) == window(2024, 3, 2026) == (2024, 2026)
    assert window(2024, 3, 2027) == (2027, 2029)
    assert window(2024, 3, 2023) == (2021, 2023)


def test_every_n_years_is_judged_within_its_window(demo, plan_from) -> None:
    """A survey every 3 years (R6–R8, R9–R11): 57 in R7 against the path's 55 at the window's end."""
    kpi = kpi_with(
        plan_from,
        baseline=50,
        accumulation="every_n_years",
        interval_years=3,
        targets=[(2029, 60, True)],
        actuals=[(2025, 57)],
    )
    not_yet = at(kpi, 2024)  # the window has two more years: not behind
    assert not_yet.status == Status.NO_DATA and not_yet.window == (2024, 2026)
    done = at(kpi, 2025)
    assert (
        done.status == Status.ON_TRACK and done.expected == Decimal(55) and done.judged_value == Decimal(57)
    )
    carried = at(kpi, 2026)  # no survey in R8: R7's stands for the window
    assert carried.status == Status.ON_TRACK and carried.actual is None
    assert carried.judged_value == Decimal(57) and carried.judged_year == 2025
    assert carried.kind_label == "3年ごとの値"
    assert at(kpi, 2027).status == Status.NO_DATA  # a new window, with time left
    assert at(kpi, 2028).status == Status.NO_DATA
    closed = at(kpi, 2029)  # the second window ends without a survey
    assert closed.status == Status.BEHIND and closed.window == (2027, 2029) and closed.judged_value is None
    assert latest(kpi).status == Status.ON_TRACK


def test_every_n_years_is_held_to_a_target_stated_in_its_window(demo, plan_from) -> None:
    """A target stated for R7 still applies in R8 (and the dashboards read it, though it precedes
    their review year and the KPI has a final target)."""
    kpi = kpi_with(
        plan_from,
        baseline=50,
        accumulation="every_n_years",
        interval_years=3,
        targets=[(2025, 58), (2029, 60, True)],
        actuals=[(2025, 57)],
    )
    result = at(kpi, 2026)
    assert result.status == Status.BEHIND and result.expected == Decimal(58)
    assert latest(kpi).status == Status.BEHIND


# --- without a baseline, the final target can still be reached ----------------------------------


@pytest.mark.parametrize(
    ("direction", "targets", "actual", "status"),
    [
        ("increase", [(2025, 50), (2029, 100, True)], 120, Status.ACHIEVED),  # was 順調
        ("increase", [(2029, 100, True)], 100, Status.ACHIEVED),  # was データなし
        ("increase", [(2025, 50), (2029, 100, True)], 60, Status.ON_TRACK),
        ("increase", [(2029, 100, True)], 60, Status.NO_DATA),  # no path without a baseline
        ("decrease", [(2025, 15), (2029, 10, True)], 8, Status.ACHIEVED),  # was 順調
        ("decrease", [(2029, 10, True)], 10, Status.ACHIEVED),  # was データなし
        ("decrease", [(2025, 15), (2029, 10, True)], 12, Status.ON_TRACK),
        ("decrease", [(2025, 15), (2029, 10, True)], 16, Status.BEHIND),
    ],
)
def test_no_baseline_reaching_the_final_target_is_achieved(
    demo, plan_from, direction, targets, actual, status
) -> None:
    kpi = kpi_with(plan_from, direction=direction, baseline=None, targets=targets, actuals=[(2025, actual)])
    result = at(kpi, 2025)
    assert result.status == status and result.progress is None
    assert latest(kpi).status == status


def test_keep_at_the_baseline_level_counts_the_right_side_as_full_progress(demo, plan_from) -> None:
    kpi = kpi_with(
        plan_from, direction="keep", baseline=100, targets=[(2029, 100, True)], actuals=[(2025, 101)]
    )
    result = latest(kpi)
    assert result.status == Status.ACHIEVED and result.progress == Decimal(1)


# --- every path gives the same answer -----------------------------------------------------------


def test_random_kpis_of_every_kind_are_judged_alike_everywhere(demo, plan_from) -> None:
    rng = random.Random(16)
    kpis = []
    for i in range(70):
        kind = rng.choice(["per_year", "cumulative", "running_total", "point_in_time", "every_n_years"])
        direction = rng.choice(["increase", "decrease", "keep"])
        baseline = rng.choice([None, 0, 50, 100])
        years = sorted(rng.sample(range(2024, 2030), rng.randrange(0, 4)))
        targets = [{"fiscal_year": y, "value": rng.choice([40, 80, 120, 200]), "text": "目標"} for y in years]
        if targets and rng.random() < 0.5:
            targets[-1]["final"] = True
        elif rng.random() < 0.3:
            targets.append({"value": rng.choice([80, 300]), "text": "最終目標", "final": True})
        kpis.append(
            {
                "key": f"k{i}",
                "node": "n",
                "name": f"指標{i}",
                "unit": "件",
                "direction": direction,
                "accumulation": kind,
                **({"interval_years": rng.choice([2, 3])} if kind == "every_n_years" else {}),
                **(
                    {"baseline": {"fiscal_year": 2023, "value": baseline, "text": "現状"}}
                    if baseline is not None
                    else {}
                ),
                "targets": targets,
                "actuals": [
                    {"fiscal_year": y, "value": rng.randrange(0, 160), "text": "実績"}
                    for y in sorted(rng.sample(range(2023, 2030), rng.randrange(0, 5)))
                ],
            }
        )
    edition = plan_from(
        {
            "format": "yakusho-plan/1",
            "municipality": "063240",
            "key": "random",
            "title": "計画",
            "kind": "計画",
            "first_year": 2024,
            "last_year": 2029,
            "edition": {"number": "1"},
            "level_labels": ["施策"],
            "nodes": [{"key": "n", "title": "施策"}],
            "kpis": kpis,
        }
    ).edition
    made = list(
        Kpi.objects.filter(edition=edition).prefetch_related("targets", "actuals").select_related("edition")
    )
    assert statuses(edition.pk) == {k.pk: evaluate(k).status for k in made}
    seen = set()
    for year in range(2024, 2030):
        states = {s.id: s.status for s in kpi_states({edition.pk: (year, 2024, 2029)})}
        judged = {k.pk: evaluate(k, year) for k in made}
        assert states == {pk: a.status for pk, a in judged.items()}, year
        seen |= {(k.accumulation, judged[k.pk].status) for k in made}
    # every kind meets every word, so the comparison means something
    assert {kind for kind, _status in seen} == set(Kpi.Accumulation.values)
    assert {status for _kind, status in seen} == {
        Status.ACHIEVED,
        Status.ON_TRACK,
        Status.BEHIND,
        Status.NO_DATA,
    }
    assert ("every_n_years", Status.BEHIND) in seen and ("cumulative", Status.ACHIEVED) in seen


# --- the API and the charts ---------------------------------------------------------------------


def test_api_gives_the_kind_and_the_figure_judged(demo, plan_from, client: Client) -> None:
    kpi_with(
        plan_from,
        baseline=None,
        accumulation="cumulative",
        targets=[(2029, 200, True)],
        actuals=[(2024, 120), (2025, 110)],
    )
    (out,) = client.get("/api/v1/plans/oe/a/kpis").json()
    assert out["accumulation"] == "cumulative" and out["accumulation_label"] == "累計（各年度の実績の合計）"
    assert out["interval_years"] is None and out["status"] == "achieved"
    assert out["judged_fiscal_year"] == 2025 and Decimal(out["judged_value"]) == 230


def test_api_gives_the_interval(demo, plan_from, client: Client) -> None:
    kpi_with(
        plan_from,
        accumulation="every_n_years",
        interval_years=3,
        targets=[(2029, 700, True)],
        actuals=[(2025, 320)],
    )
    (out,) = client.get("/api/v1/plans/oe/a/kpis").json()
    assert out["accumulation"] == "every_n_years" and out["interval_years"] == 3
    assert out["accumulation_label"] == "3年ごとの値" and Decimal(out["judged_value"]) == 320


def test_cumulative_chart_draws_the_running_total(demo, plan_from) -> None:
    kpi = kpi_with(
        plan_from,
        baseline=30,  # a yearly figure before the plan: the running total still starts at 0
        accumulation="cumulative",
        targets=[(2025, 200), (2029, 600, True)],
        actuals=[(2024, 120), (2025, 110), (2027, 100)],
    )
    c = chart(kpi)
    assert c is not None and c.cumulative
    rows = {r.year: r for r in c.rows}
    assert rows[2023].path == 0 and rows[2029].path == 600
    assert [(y, rows[y].actual, rows[y].total) for y in (2024, 2025, 2026, 2027)] == [
        (2024, Decimal(120), Decimal(120)),
        (2025, Decimal(110), Decimal(230)),
        (2026, None, None),
        (2027, Decimal(100), Decimal(330)),
    ]
    assert rows[2025].target == 200
    # the line goes through the running totals: y grows with them, the top one is the highest
    ys = [float(p.split(",")[1]) for p in c.actual_points.split()]
    assert len(ys) == 3 and ys[0] > ys[1] > ys[2]
    assert [label for _x, _y, label in c.actual_dots][1] == "令和7年度 累計 230（この年度 110）"
    assert (
        "累計" in c.description
        and "累計（各年度の実績の合計）" in c.description
        and kpi.name in c.description
    )
    assert c.kind_label == "累計（各年度の実績の合計）"


def test_other_charts_draw_the_actuals_and_name_their_kind(demo, plan_from) -> None:
    kpi = kpi_with(
        plan_from,
        accumulation="running_total",
        targets=[(2029, 600, True)],
        actuals=[(2024, 120), (2025, 230)],
    )
    c = chart(kpi)
    assert c is not None and not c.cumulative
    assert [r.total for r in c.rows] == [None] * len(c.rows)
    assert [label for _x, _y, label in c.actual_dots] == ["令和6年度 120", "令和7年度 230"]
    assert c.rows[0].path == 100  # from the baseline
    assert "累計（報告された累計値）" in c.description
