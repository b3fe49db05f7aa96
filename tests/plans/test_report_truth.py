"""The report and the plan PDF tell the same truth as the plan pages (issue 16): KPIs judged by their
accumulation kind (a cumulative KPI's running total labelled 累計 and its 目安 a running total, an
every_n_years KPI's window in words and 遅れ once it closed without an actual), the status in words
(a figure nothing can be held to is not データなし), progress never below 0 %, every actual with its
source and "as of", the report Excel's figures as numbers with the unit apart, and each node named
by its own level (``Node.level``), not by its depth.
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from yakusho.core.models import Role
from yakusho.plans import pdf as plan_pdf
from yakusho.plans.achievement import Status
from yakusho.plans.exports import kpis_of
from yakusho.plans.models import KpiActual, PlanEdition, ReviewCycle
from yakusho.plans.report import build as report
from yakusho.plans.report.exports import KPI_HEADER, _pdf_html
from yakusho.plans.review.services import open_cycle

pytestmark = pytest.mark.django_db

YEAR = 2026  # the review's year: the window 令和6〜8年度 of the every_n_years KPIs closes in it
NEGATIVE_PERCENT = re.compile(r"(?<![\d)）\w])[-−]\d+(?:\.\d+)?\s*[%％]")


def _kpi(key: str, name: str, unit: str, **fields: Any) -> dict[str, Any]:
    return {"key": key, "node": "g1-a", "name": name, "unit": unit, "direction": "increase", **fields}


PLAN: dict[str, Any] = {
    "format": "yakusho-plan/1",
    "municipality": "063240",
    "key": "truth-test",
    "title": "真実の試験計画",
    "kind": "計画",
    "first_year": 2024,
    "last_year": 2029,
    "edition": {"number": "1"},
    "level_labels": ["重点項目", "取組の柱", "取組事項"],
    "nodes": [
        {"key": "g1", "code": "1", "title": "行政のデジタル化", "departments": [{"name": "総務課"}]},
        # a 取組事項 straight under its 重点項目 (村上市): second in the tree, but a 取組事項
        {
            "key": "g1-a",
            "parent": "g1",
            "code": "1-①",
            "title": "窓口の手続のオンライン化",
            "level": "取組事項",
            "departments": [{"name": "総務課"}],
        },
    ],
    "kpis": [
        _kpi(
            "cum",
            "オンライン申請の累計件数",
            "件",
            accumulation="cumulative",
            targets=[{"fiscal_year": 2029, "value": 300, "text": "累計300件", "final": True}],
            actuals=[
                {"fiscal_year": 2024, "value": 120, "text": "120件"},
                {"fiscal_year": 2025, "value": 110},  # a number only: written with its unit
                {"fiscal_year": 2026, "value": 30, "text": "30件"},
            ],
        ),
        _kpi(
            "survey",
            "手続の満足度",
            "%",
            accumulation="every_n_years",
            interval_years=3,
            baseline={"fiscal_year": 2023, "value": 40, "text": "40%"},
            targets=[{"fiscal_year": 2029, "value": 60, "text": "60%"}],
            actuals=[{"fiscal_year": 2024, "value": 45.5, "date": "2024-12-01"}],
        ),
        _kpi(
            "missed",
            "職員アンケートの回答率",
            "%",
            accumulation="every_n_years",
            interval_years=3,
            baseline={"fiscal_year": 2023, "value": 50, "text": "50%"},
            targets=[{"fiscal_year": 2029, "value": 80, "text": "80%"}],
        ),
        _kpi(
            "share",
            "Web予約率",
            "%",
            actuals=[{"fiscal_year": 2026, "value": 3.7, "date": "2027-03-31"}],
        ),
        _kpi(
            "away",
            "タブレットの普及率",
            "%",
            baseline={"fiscal_year": 2023, "value": 50, "text": "50%"},
            targets=[{"fiscal_year": 2029, "value": 80, "text": "80%"}],
            actuals=[{"fiscal_year": 2026, "value": 40, "text": "40%"}],
        ),
    ],
}


@pytest.fixture
def edition(demo: None, plan_from: Any) -> PlanEdition:
    made: PlanEdition = plan_from(PLAN).edition
    # the 3.7 % is the demo's, as 美郷町's Web予約率: stored as デモ with its "as of"
    KpiActual.objects.filter(kpi__edition=made, kpi__key="share").update(source=KpiActual.Source.DEMO)
    return made


@pytest.fixture
def cycle(edition: PlanEdition) -> ReviewCycle:
    return open_cycle(edition, YEAR, date(2027, 5, 31))


def entries(cycle: ReviewCycle) -> dict[str, report.KpiEntry]:
    return {k.name: k for k in report.build(cycle).kpis}


# --- what the report says --------------------------------------------------------------------


def test_nodes_are_named_by_their_own_level_not_their_depth(cycle: ReviewCycle) -> None:
    nodes = {n.key: n for n in report.build(cycle).nodes}
    assert (nodes["g1"].level_label, nodes["g1"].depth) == ("重点項目", 1)
    assert (nodes["g1-a"].level_label, nodes["g1-a"].depth) == ("取組事項", 2)  # not 取組の柱


def test_a_cumulative_kpi_shows_its_running_total_and_a_running_total_guide(cycle: ReviewCycle) -> None:
    k = entries(cycle)["オンライン申請の累計件数"]
    assert k.cumulative and k.kind_label == "累計（各年度の実績の合計）"
    assert k.actual == "30件（計画書）"  # the year's own actual, with its source
    assert k.judged_text == "累計 260件（令和6〜8年度の合計）"
    assert (k.judged_value, k.achievement.status) == (Decimal(260), Status.ON_TRACK)
    # no target stated for 令和8年度: the path from 0 (令和5年度) to 300 (令和11年度), a running total
    assert (k.target, k.target_value, k.target_guide) == ("150件（累計の目安）", Decimal(150), True)
    assert k.status_text == "順調" and k.progress_text == "87%"


def test_an_every_n_years_kpi_shows_its_window_and_the_figure_judged(cycle: ReviewCycle) -> None:
    k = entries(cycle)["手続の満足度"]
    assert k.window_text == "令和6〜8年度に1回" and k.kind_label == "3年ごとの値"
    assert k.actual == ""  # nothing reported for 令和8年度 itself …
    # … the window's latest actual is judged, shown with its year, source and "as of"
    assert k.judged_text == "令和6年度の値で判定：45.5%（計画書・令和6年12月1日時点）"
    assert (k.judged_value, k.judged_year) == (Decimal("45.5"), 2024)
    assert k.status_text == "遅れ" and k.progress_text == "28%"  # 50 expected at the window's end


def test_a_window_closed_without_an_actual_is_behind_not_no_data(cycle: ReviewCycle) -> None:
    k = entries(cycle)["職員アンケートの回答率"]
    assert k.achievement.status == Status.BEHIND and k.status_text == "遅れ"
    assert k.window_text == "令和6〜8年度に1回" and k.judged_text == "" and k.progress_text == ""
    before = open_cycle(cycle.edition, 2025, date(2026, 5, 31))  # the window still open: no data
    assert entries(before)["職員アンケートの回答率"].status_text == "データなし"


def test_an_unjudged_figure_is_not_no_data_and_progress_is_never_negative(cycle: ReviewCycle) -> None:
    rows = entries(cycle)
    share = rows["Web予約率"]
    assert share.actual.startswith("3.7%（デモ・令和9年3月31日時点") and share.demo_actual
    assert share.status_text.startswith("判定できません") and share.achievement.label == "データなし"
    away = rows["タブレットの普及率"]
    assert away.behind_baseline and away.achievement.percent == 0
    assert away.progress_text == "現状値を下回っています（目標から遠ざかっています）"


def test_the_report_pdfs_html_says_it_as_the_page(cycle: ReviewCycle) -> None:
    html = _pdf_html(report.build(cycle))
    text = re.sub(r"<[^>]+>", " ", html)
    assert "重点項目 1 行政のデジタル化" in text and "取組事項 1-① 窓口の手続のオンライン化" in text
    assert "累計 260件（令和6〜8年度の合計）" in text and "150件（累計の目安）" in text
    assert "集計：3年ごとの値（令和6〜8年度に1回）" in text
    assert "令和6年度の値で判定：45.5%（計画書・令和6年12月1日時点）" in text
    row = re.search(r"Web予約率.*?</tr>", html, re.DOTALL)
    assert row and "判定できません" in row.group(0) and "データなし" not in row.group(0)
    assert "現状値を下回っています（目標から遠ざかっています）" in text
    assert not NEGATIVE_PERCENT.search(text)


# --- the files -------------------------------------------------------------------------------


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    command = ["pdftotext", str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


@pytest.mark.pdf
def test_report_pdf_prints_the_status_words_the_running_total_and_the_window(
    cycle: ReviewCycle, client: Client, tmp_path: Path, signed_in: Any
) -> None:
    signed_in(cycle.municipality, Role.COUNTER)
    url = reverse("reviews:report_download", args=[cycle.municipality.slug, cycle.pk, "pdf"])
    response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = _pdf_text(response.content, tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert "判定できません" in flat and "累計260件" in flat and "累計の目安" in flat
    assert "令和6〜8年度に1回" in flat and "取組事項1-①" in flat
    assert "現状値を下回っています" in flat and not NEGATIVE_PERCENT.search(text)


@pytest.mark.excel
def test_report_workbook_has_numbers_units_texts_and_the_figure_judged(
    cycle: ReviewCycle, client: Client, signed_in: Any
) -> None:
    signed_in(cycle.municipality, Role.COUNTER)
    url = reverse("reviews:report_download", args=[cycle.municipality.slug, cycle.pk, "xlsx"])
    sheet = load_workbook(io.BytesIO(client.get(url).content))["KPI"]
    header = [c.value for c in sheet[3]]
    assert header == KPI_HEADER and sheet.freeze_panes == "A4"
    cells = {
        r[header.index("KPI")].value: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=4)
    }
    rows = {name: {h: c.value for h, c in row.items()} for name, row in cells.items()}

    cum = rows["オンライン申請の累計件数"]
    assert (cum["単位"], cum["実績値（当年度）"], cum["実績値（当年度・表記）"]) == ("件", 30, "30件")
    assert (cum["判定した値"], cum["判定した値の内容"]) == (260, "累計（令和6〜8年度の合計）")
    assert cum["判定した値の年度"] is None  # the report's year
    assert (cum["目標値（当年度）"], cum["目標値（当年度・表記）"]) == (150, "150件（累計の目安）")
    assert (cum["最終目標"], cum["最終目標（表記）"]) == (300, "累計300件（令和11年度）")
    assert (
        cum["集計"] == "累計（各年度の実績の合計）" and cum["達成状況"] == "順調" and cum["進捗率(%)"] == 87
    )
    assert cells["オンライン申請の累計件数"]["判定した値"].number_format == "#,##0"

    survey = rows["手続の満足度"]
    assert (survey["現状値"], survey["現状値（表記）"], survey["単位"]) == (40, "40%", "%")
    assert survey["実績値（当年度）"] is None and survey["判定した値"] == 45.5
    assert (survey["判定した値の内容"], survey["判定した値の年度"]) == (
        "令和6年度の値・令和6〜8年度に1回",
        2024,
    )
    assert survey["計測の周期"] == "令和6〜8年度に1回" and survey["達成状況"] == "遅れ"
    assert cells["手続の満足度"]["判定した値"].number_format == "#,##0.0##"

    share = rows["Web予約率"]
    assert (share["実績値（当年度）"], share["実績値の出典"]) == (3.7, "デモ")
    assert share["実績値の時点"].date() == date(2027, 3, 31)
    assert share["達成状況"].startswith("判定できません")

    away = rows["タブレットの普及率"]
    assert away["進捗率(%)"] == 0 and "現状値を下回っています" in away["達成状況"]
    assert rows["職員アンケートの回答率"]["達成状況"] == "遅れ"
    for row in rows.values():
        for name in ("現状値", "目標値（当年度）", "最終目標", "実績値（当年度）", "判定した値", "進捗率(%)"):
            assert row[name] is None or isinstance(row[name], int | float), (name, row[name])


# --- the plan PDF ----------------------------------------------------------------------------


def test_plan_pdf_kpi_cells_say_what_the_plan_pages_say(edition: PlanEdition) -> None:
    cells = {k.key: plan_pdf.kpi_cells(k) for k in kpis_of(edition)}
    name, baseline, targets, actuals, status = cells["cum"]
    assert "集計：累計（各年度の実績の合計）" in name and targets == "令和11年度：累計300件"
    assert actuals.splitlines() == [
        "令和6年度：120件（計画書）",
        "令和7年度：110件（計画書）",  # a number only, written with its unit (not blank)
        "令和8年度：30件（計画書）",
        "累計 260件（令和6〜8年度の合計）",
    ]
    assert status == "順調 87%" and baseline == "—"
    assert "集計：3年ごとの値（令和6〜8年度に1回）" in cells["survey"][0]
    assert cells["share"][3] == "令和8年度：3.7%（デモ・令和9年3月31日時点）"
    assert cells["share"][4].startswith("判定できません")
    assert cells["away"][4] == "遅れ 現状値を下回っています（目標から遠ざかっています）"


@pytest.mark.pdf
def test_plan_pdf_names_levels_and_writes_actuals_with_their_sources(
    edition: PlanEdition, client: Client, tmp_path: Path
) -> None:
    edition.plan.published = True
    edition.plan.save()
    response = client.get(reverse("plans:export", args=[edition.municipality.slug, edition.plan.key, "pdf"]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = _pdf_text(response.content, tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert "取組事項1-①窓口の手続のオンライン化" in flat and "取組の柱" not in flat
    assert "令和7年度：110件（計画書）" in flat and "（デモ・令和9年3月31日時点）" in flat
    assert "判定できません" in flat and "累計260件" in flat
    assert "現状値を下回っています" in flat and not NEGATIVE_PERCENT.search(text)
