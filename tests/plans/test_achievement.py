"""Progress toward a KPI's target and whether it is on track (docs/plan-file-format.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yakusho.plans.achievement import Status, evaluate
from yakusho.plans.models import Kpi

pytestmark = pytest.mark.django_db


def kpi_with(
    plan_from, *, direction: str = "increase", baseline: int | None = 100, targets=(), actuals=(), **extra
):
    """One KPI in a plan of 2024–2029 (baseline in 2023); ``targets`` are (year, value) or
    (year, value, final), ``extra`` are more KPI keys (``accumulation``, ``interval_years``)."""
    data = {
        "format": "yakusho-plan/1",
        "municipality": "063240",
        "key": "a",
        "title": "計画",
        "kind": "計画",
        "first_year": 2024,
        "last_year": 2029,
        "edition": {"number": "1"},
        "level_labels": ["施策"],
        "nodes": [{"key": "n", "title": "施策"}],
        "kpis": [
            {
                "key": "k",
                "node": "n",
                "name": "件数",
                "unit": "件",
                "direction": direction,
                **(
                    {"baseline": {"fiscal_year": 2023, "value": baseline, "text": f"{baseline}件"}}
                    if baseline is not None
                    else {}
                ),
                "targets": [
                    {
                        **({"fiscal_year": t[0]} if t[0] is not None else {}),
                        "value": t[1],
                        "text": f"{t[1]}件",
                        **({"final": True} if t[2:] and t[2] else {}),
                    }
                    for t in targets
                ],
                "actuals": [{"fiscal_year": y, "value": v, "text": f"{v}件"} for y, v in actuals],
                **extra,
            }
        ],
    }
    plan_from(data)
    return Kpi.objects.prefetch_related("targets", "actuals").select_related("edition").get(key="k")


def test_straight_path_to_the_final_target(demo, plan_from) -> None:
    # 100 in R5 → 700 in R11: the path is +100 a year; R7 (2025) expects 300.
    kpi = kpi_with(plan_from, targets=[(2029, 700)], actuals=[(2025, 320)])
    result = evaluate(kpi)
    assert result.expected == Decimal(300) and result.status == Status.ON_TRACK
    assert result.progress == Decimal("0.367") and result.percent == 37 and result.label == "順調"


def test_behind_the_stated_target_of_the_year(demo, plan_from) -> None:
    kpi = kpi_with(plan_from, targets=[(2025, 400), (2029, 700)], actuals=[(2025, 320)])
    result = evaluate(kpi, 2025)
    assert result.expected == Decimal(400) and result.status == Status.BEHIND and result.label == "遅れ"


def test_achieved_and_decrease(demo, plan_from) -> None:
    kpi = kpi_with(plan_from, direction="decrease", baseline=90, targets=[(2029, 45)], actuals=[(2026, 40)])
    result = evaluate(kpi)
    assert result.status == Status.ACHIEVED and result.progress == Decimal("1.111")


def test_no_data_and_qualitative(demo, plan_from) -> None:
    assert evaluate(kpi_with(plan_from, targets=[(2029, 700)])).status == Status.NO_DATA
    Kpi.objects.all().delete()
    qualitative = Kpi(direction="qualitative")
    assert evaluate(qualitative).status == Status.QUALITATIVE


def test_source_plan_kpi(demo_with_plans) -> None:
    """美郷町 1-1: オンライン手続数 60件 (R6 target), actual 63件 in R6 → on track."""
    kpi = (
        Kpi.objects.filter(
            edition__plan__municipality__slug="misato", targets__fiscal_year=2024, actuals__isnull=False
        )
        .prefetch_related("targets", "actuals")
        .select_related("edition")
        .filter(name__contains="オンライン")
        .first()
    )
    assert kpi is not None
    result = evaluate(kpi, 2024)
    assert result.actual == Decimal(63) and result.expected == Decimal(60)
    assert result.status == Status.ON_TRACK and result.progress is None  # the sheet gives no baseline


def test_light_statuses_agree_with_evaluate(demo_with_plans) -> None:
    from yakusho.plans.achievement import statuses
    from yakusho.plans.models import PlanEdition

    for edition in PlanEdition.objects.filter(kpis__isnull=False).distinct():
        kpis = (
            Kpi.objects.filter(edition=edition)
            .prefetch_related("targets", "actuals")
            .select_related("edition")
        )
        assert statuses(edition.pk) == {k.pk: evaluate(k).status for k in kpis}
