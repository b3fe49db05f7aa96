"""The report's grade summary and external evaluation (issue 17): counts and percentages per grade
over the items actually graded — what an item is follows ``PlanEdition.graded`` — with the base in
words and the ungraded items apart; the cycle's period label; external evaluation shown apart from
the reviews in the HTML, the Excel workbook and the PDF; queries that do not grow with the plan."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests.factories import DepartmentFactory
from tests.plans.test_report import YEAR, _fill, _finalise, _make_plan, _pdf_text, _public_url
from yakusho.core.models import Role
from yakusho.plans.models import (
    ExternalEvaluation,
    GradedItem,
    Kpi,
    KpiGrade,
    NodeReview,
    PlanEdition,
    ReviewCycle,
    ReviewGrade,
    ReviewPeriod,
)
from yakusho.plans.report import build as report
from yakusho.plans.report.exports import EXTERNAL_HEADER, PERCENT_FORMAT
from yakusho.plans.report.grades import split_percent
from yakusho.plans.review.services import open_cycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    from tests.factories import MunicipalityFactory

    return MunicipalityFactory(slug="grade-town", name="評価町")


def _cycle(town, graded: str = GradedItem.DEPARTMENT, period: str = ReviewPeriod.YEAR) -> ReviewCycle:
    edition, _nodes = _make_plan(town)
    PlanEdition.objects.filter(pk=edition.pk).update(graded=graded, review_period=period)
    edition.refresh_from_db()
    made = open_cycle(edition, YEAR, date(2025, 5, 30))
    _fill(made)
    return ReviewCycle.objects.select_related("edition__plan", "municipality").get(pk=made.pk)


def _grades(town) -> dict[str, ReviewGrade]:
    return {g.code: g for g in ReviewGrade.objects.filter(municipality=town)}


def _shares(built: report.Report) -> dict[str, tuple[int, Decimal | None]]:
    return {s.key: (s.count, s.percent) for s in built.grade_summary.shares}


def _section(page: str, start: str, end: str = "</section>") -> str:
    """The part of the page from ``start`` to the next ``end``."""
    at = page.index(start)
    return page[at : page.index(end, at)]


# --- percentages that add up ----------------------------------------------------------------


@given(st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=8))
def test_split_percent_adds_up_to_100_and_stays_within_a_tenth(counts: list[int]) -> None:
    shares = split_percent(counts)
    if sum(counts) == 0:
        assert shares == [None] * len(counts)
        return
    assert sum(s for s in shares if s is not None) == Decimal("100.0")
    for count, share in zip(counts, shares, strict=True):
        assert share is not None and share == share.quantize(Decimal("0.1"))
        assert abs(share - Decimal(100 * count) / sum(counts)) < Decimal("0.1")
        if count == 0:
            assert share == 0  # a level nobody got is never rounded up


def test_thirds_are_one_decimal_each_and_sum_to_100() -> None:
    assert split_percent([1, 1, 1]) == [Decimal("33.4"), Decimal("33.3"), Decimal("33.3")]
    assert split_percent([1, 0, 1]) == [Decimal("50.0"), Decimal("0.0"), Decimal("50.0")]


# --- what an item is, by PlanEdition.graded ----------------------------------------------------


def test_department_kind_counts_each_departments_graded_review(town) -> None:
    cycle = _cycle(town, GradedItem.DEPARTMENT)
    built = report.build(cycle)
    rows = list(NodeReview.objects.filter(cycle=cycle).select_related("grade"))
    graded = Counter(r.grade.code for r in rows if r.grade)
    summary = built.grade_summary
    assert (summary.total, summary.graded, summary.ungraded) == (
        len(rows),
        sum(graded.values()),
        sum(1 for r in rows if r.grade is None),
    )
    assert summary.ungraded == 1 and summary.graded == 6  # p1-a counts both of its 課
    assert {k: n for k, (n, _p) in _shares(built).items()} == {c: graded[c] for c in "ABCD"}
    assert _shares(built) == {
        "A": (1, Decimal("16.7")),
        "B": (2, Decimal("33.3")),
        "C": (2, Decimal("33.3")),
        "D": (1, Decimal("16.7")),
    }
    assert summary.base_text == "評価した取組 6件（担当課ごとの評価 7件のうち6件）に対する割合"
    assert "未評価の1件は、割合に含めていません" in summary.ungraded_text
    # the chart stays one grade per item (the lead 課's), as the item table shows
    assert {c.key: c.count for c in built.grade_counts}["D"] == 0


def test_node_kind_takes_the_lead_grade_else_the_first_graded(town) -> None:
    cycle = _cycle(town, GradedItem.NODE)
    # p1-a's lead 課 has not graded; its other 課 gave D: the item's grade is D
    NodeReview.objects.filter(cycle=cycle, node__key="p1-a", lead=True).update(grade=None)
    built = report.build(cycle)
    nodes = {n.key: n for n in built.nodes}
    assert nodes["p1-a"].grade == "D" and nodes["p1"].grade == "B"
    summary = built.grade_summary
    assert (summary.total, summary.graded, summary.ungraded) == (6, 5, 1)  # p2-a has no grade
    assert _shares(built) == {
        "A": (0, Decimal("0.0")),
        "B": (2, Decimal("40.0")),
        "C": (2, Decimal("40.0")),
        "D": (1, Decimal("20.0")),
    }
    assert summary.base_text == "評価した取組 5件（取組 6件のうち5件）に対する割合"
    assert "主担当課" in summary.rule_text
    assert {c.key: c.count for c in built.grade_counts} == {"A": 0, "B": 2, "C": 2, "D": 1, "": 1}


def test_kpi_kind_counts_the_kpi_grades_of_the_cycle(town) -> None:
    cycle = _cycle(town, GradedItem.KPI)
    grades = _grades(town)
    kpis = list(Kpi.objects.filter(edition=cycle.edition).order_by("order"))
    given_grades = {
        kpis[0].pk: grades["A"],
        kpis[1].pk: grades["A"],
        kpis[2].pk: grades["C"],
        kpis[3].pk: None,
    }
    for kpi_id, grade in given_grades.items():
        KpiGrade.objects.create(municipality=town, cycle=cycle, kpi_id=kpi_id, grade=grade)
    built = report.build(cycle)
    summary = built.grade_summary
    assert (summary.total, summary.graded, summary.ungraded) == (len(kpis), 3, len(kpis) - 3)
    assert _shares(built) == {
        "A": (2, Decimal("66.7")),
        "B": (0, Decimal("0.0")),
        "C": (1, Decimal("33.3")),
        "D": (0, Decimal("0.0")),
    }
    assert summary.base_text == "評価したKPI 3件（KPI 5件のうち3件）に対する割合"
    by_name = {k.name: k.grade for k in built.kpis}
    assert by_name[kpis[0].name] == "A" and by_name[kpis[2].name] == "C" and by_name[kpis[3].name] == ""
    assert built.grade_chart_title == "評価別のKPI数"
    assert {c.key: c.count for c in built.grade_counts} == {"A": 2, "B": 0, "C": 1, "D": 0, "": 2}


def test_nothing_graded_says_so_instead_of_zero_percent(town, client: Client, signed_in) -> None:
    cycle = _cycle(town)
    NodeReview.objects.filter(cycle=cycle).update(grade=None)
    built = report.build(cycle)
    assert built.grade_summary.graded == 0
    assert all(s.percent is None and s.percent_text == "—" for s in built.grade_summary.shares)
    signed_in(town, Role.HQ)
    page = client.get(reverse("reviews:report", args=[town.slug, cycle.pk])).content.decode()
    grades = _section(page, 'id="grades-h"')
    assert "まだ評価が入っていません（担当課ごとの評価 7件すべてが未評価）" in grades
    assert "%" not in grades


def test_the_page_shows_counts_percentages_and_the_base(town, client: Client, signed_in) -> None:
    cycle = _cycle(town)
    signed_in(town, Role.DEPARTMENT)
    page = client.get(reverse("reviews:report", args=[town.slug, cycle.pk])).content.decode()
    grades = _section(page, 'id="grades-h"')
    assert "評価した取組 6件（担当課ごとの評価 7件のうち6件）に対する割合" in grades
    assert re.search(r"A（目標より進んでいる）.*?<td>1件</td><td>16.7%</td>", grades, re.S)
    assert "未評価：1件" in grades and "None" not in page


# --- the period label ----------------------------------------------------------------------


def test_a_half_year_cycle_is_named_by_its_period(town, client: Client, signed_in) -> None:
    cycle = _cycle(town, period=ReviewPeriod.HALF)
    assert cycle.period == 1
    built = report.build(cycle)
    assert built.period_label == "令和6年度 上半期"
    assert built.title == "報告町DX推進計画 令和6年度 上半期 進捗状況報告書"
    assert built.fiscal_year_label == "令和6年度 上半期（2024年度）"
    signed_in(town, Role.SECRETARIAT)
    page = client.get(reverse("reviews:report", args=[town.slug, cycle.pk])).content.decode()
    assert "令和6年度 上半期の進捗評価" in page and "令和6年度 上半期（2024年度）" in page
    response = client.get(reverse("reviews:report_download", args=[town.slug, cycle.pk, "xlsx"]))
    assert response["Content-Disposition"].endswith('dx-2024-p1-report-draft.xlsx"')
    wb = load_workbook(io.BytesIO(response.content))
    assert wb["概要"]["A1"].value == "報告町DX推進計画 令和6年度 上半期 進捗状況報告書"


def test_a_yearly_cycle_keeps_its_title(town) -> None:
    built = report.build(_cycle(town))
    assert built.title == "報告町DX推進計画 令和6年度 進捗状況報告書"
    assert built.fiscal_year_label == "令和6年度（2024年度）"


# --- external evaluation ------------------------------------------------------------------------

BODY = "評価町DX推進外部評価委員会"
NODE_TEXT = "窓口の電子化は利用者の声を聞いて進めること"
WHOLE_TEXT = "計画全体として順調に進んでいる"


def _external(cycle: ReviewCycle) -> None:
    node = cycle.edition.nodes.get(key="p1")
    ExternalEvaluation.objects.create(
        municipality=cycle.municipality,
        cycle=cycle,
        node=node,
        body=BODY,
        date=date(2025, 8, 20),
        text=NODE_TEXT,
    )
    ExternalEvaluation.objects.create(
        municipality=cycle.municipality,
        cycle=cycle,
        node=None,
        body="有識者会議",
        date=date(2025, 9, 1),
        text=WHOLE_TEXT,
    )


def test_external_comments_stand_beside_their_item_and_apart(town, client: Client, signed_in) -> None:
    cycle = _cycle(town)
    _external(cycle)
    built = report.build(cycle)
    nodes = {n.key: n for n in built.nodes}
    assert [e.text for e in nodes["p1"].external] == [NODE_TEXT]
    assert all(not n.external for key, n in nodes.items() if key != "p1")
    assert [(e.body, e.date_text, e.text) for e in built.external] == [
        ("有識者会議", "令和7年9月1日", WHOLE_TEXT)
    ]
    # not mixed into any 課's review
    assert all(
        NODE_TEXT not in (r.achievements + r.issues + r.next_steps) for n in built.nodes for r in n.reviews
    )

    signed_in(town, Role.HQ)
    page = client.get(reverse("reviews:report", args=[town.slug, cycle.pk])).content.decode()
    article = _section(page, 'id="node-1"', "</article>")
    assert "外部評価（有識者会議等の意見）" in article and NODE_TEXT in article
    assert f"{BODY}（令和7年8月20日）" in article
    whole = _section(page, 'id="external-h"')
    assert WHOLE_TEXT in whole and "有識者会議（令和7年9月1日）" in whole and NODE_TEXT not in whole
    assert page.count(NODE_TEXT) == 1


@pytest.mark.excel
def test_workbook_has_shares_as_percentages_and_an_external_sheet(town, client: Client) -> None:
    cycle = _cycle(town)
    _external(cycle)
    _finalise(cycle)
    wb = load_workbook(io.BytesIO(client.get(_public_url(cycle, "xlsx")).content))
    assert wb.sheetnames == ["概要", "項目別評価", "KPI", "外部評価"]
    overview = list(wb["概要"].iter_rows())
    start = next(
        i for i, row in enumerate(overview) if row[0].value == "評価の内訳（評価した件数に対する割合）"
    )
    assert overview[start + 1][0].value.startswith("評価した取組 6件（担当課ごとの評価 7件のうち6件）")
    shares = {row[0].value: row for row in overview[start + 2 : start + 6]}
    a = shares["A（目標より進んでいる）"]
    assert a[1].value == 1 and isinstance(a[1].value, int)
    assert abs(a[2].value - 0.167) < 1e-9 and a[2].number_format == PERCENT_FORMAT
    assert sum(row[2].value for row in shares.values()) == pytest.approx(1.0)
    total = overview[start + 6]
    assert (total[0].value, total[1].value, total[2].value) == ("計（割合の母数）", 6, 1)
    ungraded = overview[start + 7]
    assert (ungraded[0].value, ungraded[1].value, ungraded[2].value) == ("未評価（割合に含めない）", 1, None)

    sheet = wb["外部評価"]
    assert [c.value for c in sheet[3]] == EXTERNAL_HEADER
    rows = [dict(zip(EXTERNAL_HEADER, r, strict=True)) for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert [(r["対象"], r["会議・委員会"], r["意見"]) for r in rows] == [
        ("計画全体", "有識者会議", WHOLE_TEXT),
        ("項目", BODY, NODE_TEXT),
    ]
    assert rows[1]["番号"] == "P1" and rows[1]["日付"].date() == date(2025, 8, 20)


@pytest.mark.excel
def test_workbook_without_external_evaluation_keeps_three_sheets(town, client: Client) -> None:
    cycle = _cycle(town)
    _finalise(cycle)
    wb = load_workbook(io.BytesIO(client.get(_public_url(cycle, "xlsx")).content))
    assert wb.sheetnames == ["概要", "項目別評価", "KPI"]


@pytest.mark.excel
def test_external_text_that_starts_a_formula_is_neutralised(town, client: Client) -> None:
    cycle = _cycle(town)
    ExternalEvaluation.objects.create(
        municipality=town, cycle=cycle, body="=HYPERLINK(1)", date=date(2025, 8, 20), text="+1"
    )
    _finalise(cycle)
    wb = load_workbook(io.BytesIO(client.get(_public_url(cycle, "xlsx")).content))
    row = [c.value for c in wb["外部評価"][4]]
    assert row[3] == "'=HYPERLINK(1)" and row[5] == "'+1"


@pytest.mark.pdf
def test_pdf_prints_shares_base_and_external_evaluation(town, client: Client, tmp_path: Path) -> None:
    cycle = _cycle(town)
    _external(cycle)
    _finalise(cycle)
    text = _pdf_text(client.get(_public_url(cycle, "pdf")).content, tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert "評価した取組6件（担当課ごとの評価7件のうち6件）に対する割合" in flat
    assert "1件（16.7%）" in flat and "2件（33.3%）" in flat
    assert "未評価1件（割合に含めていません）" in flat
    assert "外部評価（計画全体への意見）" in flat and "有識者会議（令和7年9月1日）" in flat
    assert re.sub(r"\s+", "", WHOLE_TEXT) in flat and re.sub(r"\s+", "", NODE_TEXT) in flat
    assert f"外部評価{BODY}（令和7年8月20日）" in flat


# --- queries ----------------------------------------------------------------------------------


def test_building_takes_the_same_queries_with_kpi_grades_and_external_evaluation(
    town, synthetic_plan
) -> None:
    for name in ("企画課", "総務課", "税務課"):
        DepartmentFactory(municipality=town, name=name)
    counts = []
    for key, size in (("small", 6), ("big", 60)):
        edition = synthetic_plan(town, key, nodes=size, kpis=size)
        PlanEdition.objects.filter(pk=edition.pk).update(graded=GradedItem.KPI)
        edition.refresh_from_db()
        cycle = open_cycle(edition, edition.first_year, date(2025, 5, 31))
        grades = list(ReviewGrade.objects.filter(scale_id=edition.grading_scale_id))
        for i, kpi in enumerate(Kpi.objects.filter(edition=edition)):
            KpiGrade.objects.create(municipality=town, cycle=cycle, kpi=kpi, grade=grades[i % len(grades)])
        for node in edition.nodes.all():
            ExternalEvaluation.objects.create(
                municipality=town, cycle=cycle, node=node, body="委員会", date=date(2025, 8, 1), text="意見"
            )
        cycle = ReviewCycle.objects.select_related("edition__plan", "municipality").get(pk=cycle.pk)
        with CaptureQueriesContext(connection) as queries:
            built = report.build(cycle)
        assert (
            built.grade_summary.graded == Kpi.objects.filter(edition=edition, reprint_of__isnull=True).count()
        )
        assert sum(len(n.external) for n in built.nodes) + len(built.external) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
