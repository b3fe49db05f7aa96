"""What a KPI is judged on, shown where its figures are: the running total of a cumulative KPI
(累計) beside the year's actual, the window of an every_n_years KPI in words and the year of a
carried-over actual, on the KPI list, the node page and in the Excel/CSV export; the plan's own
levels in the workbook; the node page's schedule with its sources when the plan prints two."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.plans.test_achievement import kpi_with
from yakusho.plans import figures
from yakusho.plans.achievement import evaluate
from yakusho.plans.models import Kpi, KpiActual

pytestmark = pytest.mark.django_db


def cumulative(plan_from) -> Kpi:
    """累計200件 by R11: 120 in R6 and 110 in R7 make 230."""
    return kpi_with(
        plan_from,
        baseline=None,
        accumulation="cumulative",
        targets=[(2029, 200, True)],
        actuals=[(2024, 120), (2025, 110)],
    )


def every_three_years(plan_from, actuals=((2025, 320),)) -> Kpi:
    return kpi_with(
        plan_from,
        accumulation="every_n_years",
        interval_years=3,
        targets=[(2029, 700, True)],
        actuals=actuals,
    )


def csv_rows(client: Client, key: str = "a") -> list[dict[str, str]]:
    response = client.get(reverse("plans:export", args=["oe", key, "csv"]))
    assert response.status_code == 200
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [dict(zip(header, r, strict=True)) for r in rows]


# --- the words --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "words"),
    [
        (2024, 2026, "令和6〜8年度"),
        (2019, 2021, "令和元〜3年度"),
        (2018, 2020, "平成30年度〜令和2年度"),
        (2024, 2024, "令和6年度"),
    ],
)
def test_years_are_written_short(first: int, last: int, words: str) -> None:
    assert figures.years_text(first, last) == words


def test_a_running_total_is_said_to_be_one(demo, plan_from) -> None:
    total = evaluate(cumulative(plan_from))
    assert figures.judged_kind(total, 2024) == "累計（令和6〜7年度の合計）"
    assert figures.window_text(total) == ""


def test_a_window_is_said_with_the_year_of_a_carried_over_actual(demo, plan_from) -> None:
    kpi = every_three_years(plan_from)
    window = evaluate(kpi)
    assert figures.window_text(window) == "令和6〜8年度に1回"
    assert figures.judged_kind(window, 2024) == "令和6〜8年度に1回"
    carried = evaluate(kpi, 2026)  # R8 is judged on R7's actual, the latest of its window
    assert (carried.year, carried.judged_year) == (2026, 2025)
    assert figures.judged_kind(carried, 2024) == "令和7年度の値・令和6〜8年度に1回"


# --- the pages --------------------------------------------------------------------------------------


def test_kpi_list_shows_the_running_total_beside_the_years_actual(demo, plan_from, client: Client) -> None:
    cumulative(plan_from)
    for url in (reverse("plans:kpis", args=["oe", "a"]), reverse("plans:node", args=["oe", "a", "n"])):
        page = client.get(url).content.decode()
        beside = re.search(
            r"令和7年度：110件（[^<]*） <span class=\"kpi-judged\">累計 230件</span></li>", page
        )
        assert beside, url
        assert page.count('<span class="kpi-judged">') == 1, url  # not beside 令和6年度
        assert "kpi-window" not in page


def test_every_n_years_kpi_says_its_window(demo, plan_from, client: Client) -> None:
    every_three_years(plan_from)
    for url in (reverse("plans:kpis", args=["oe", "a"]), reverse("plans:node", args=["oe", "a", "n"])):
        page = client.get(url).content.decode()
        assert '<span class="help kpi-window">令和6〜8年度に1回</span>' in page, url
        assert "kpi-judged" not in page  # the year's own actual is judged: nothing more to say


def test_a_carried_over_actual_says_its_year(demo, plan_from) -> None:
    """In R8 the window R6–R8 is judged on R7's actual: the table says so."""
    kpi = every_three_years(plan_from)
    achievement = evaluate(kpi, 2026)
    html = render_to_string(
        "plans/kpi_table.html",
        {
            "rows": [{"kpi": kpi, "achievement": achievement, "window": figures.window_text(achievement)}],
            "municipality": kpi.edition.plan.municipality,
            "plan": kpi.edition.plan,
        },
    )
    assert "令和7年度の値（320件）で判定" in html and "令和6〜8年度に1回" in html
    assert "で判定" not in render_to_string(
        "plans/kpi_table.html",
        {
            "rows": [{"kpi": kpi, "achievement": evaluate(kpi), "window": ""}],
            "municipality": kpi.edition.plan.municipality,
            "plan": kpi.edition.plan,
        },
    )


SOURCE_HEADER = '<th scope="col">出典</th>'


def test_node_schedule_names_its_source_when_the_plan_prints_two(demo_with_plans, client: Client) -> None:
    """美郷町 prints a ロードマップ and a 施策シート per measure, and they disagree: each row says which."""
    page = client.get(
        reverse("plans:node", args=["misato", "misato-dx-action-plan", "g1-1"])
    ).content.decode()
    assert SOURCE_HEADER in page
    assert "<td>ロードマップ</td>" in page and "<td>施策シート</td>" in page
    oe = client.get(reverse("plans:node", args=["oe", "oe-dx", "g1-f1-m1"])).content.decode()
    assert "工程表" in oe and SOURCE_HEADER not in oe  # one schedule: nothing to tell apart


# --- the exports ------------------------------------------------------------------------------------


def test_csv_gives_the_kind_and_the_running_total(demo, plan_from, client: Client) -> None:
    cumulative(plan_from)
    (row,) = csv_rows(client)
    assert row["集計"] == "累計（各年度の実績の合計）"
    assert (row["最新の実績値"], row["最新の実績値の年度"]) == ("110", "2025")
    assert (row["判定した値"], row["判定した値の内容"]) == ("230", "累計（令和6〜7年度の合計）")
    assert row["判定した値の年度"] == ""  # the latest actual's year: not said twice
    assert row["進み具合"] == "達成"


def test_csv_gives_the_year_of_a_judged_figure_that_is_not_the_latest_actual(
    demo, plan_from, client: Client
) -> None:
    kpi = every_three_years(plan_from, actuals=[(2024, 320)])
    KpiActual.objects.create(kpi=kpi, municipality=kpi.municipality, fiscal_year=2025, text="集計中")
    (row,) = csv_rows(client)
    assert row["集計"] == "3年ごとの値" and row["最新の実績値の年度"] == "2025"
    assert (row["判定した値"], row["判定した値の内容"]) == ("320", "令和6〜8年度に1回")
    assert row["判定した値の年度"] == "2024"


@pytest.mark.excel
def test_workbook_has_the_judged_figure_as_a_number(demo, plan_from, client: Client) -> None:
    cumulative(plan_from)
    response = client.get(reverse("plans:export", args=["oe", "a", "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content))["KPI"]
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    assert cells["判定した値"].value == 230 and cells["判定した値"].number_format == "#,##0"
    assert cells["判定した値の内容"].value == "累計（令和6〜7年度の合計）"
    assert cells["判定した値の年度"].value is None
    assert cells["集計"].value == "累計（各年度の実績の合計）"


@pytest.mark.excel
def test_workbook_names_each_node_by_its_own_level(demo_with_plans, client: Client) -> None:
    """村上市: 重点項目 3, 区分 6, 取組事項 24 — two 取組事項 sit at depth 2 under 重点項目1."""
    response = client.get(reverse("plans:export", args=["murakami", "murakami-dx", "xlsx"]))
    tree = load_workbook(io.BytesIO(response.content))["施策体系"]
    levels = [row[0] for row in tree.iter_rows(min_row=3, values_only=True)]
    assert (levels.count("重点項目"), levels.count("区分"), levels.count("取組事項")) == (3, 6, 24)
