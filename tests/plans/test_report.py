"""The progress report (進捗状況報告書): its figures against counts made from the test's own rows,
publication only once finalised, the demo notice, PDF and Excel read back, constant queries, and
tenancy."""

from __future__ import annotations

import io
import subprocess
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import DepartmentFactory, MunicipalityFactory
from yakusho.core.models import Role
from yakusho.core.pagecache import data_versions
from yakusho.plans.models import (
    Kpi,
    KpiActual,
    KpiTarget,
    Node,
    NodeDepartment,
    NodeReview,
    Plan,
    PlanEdition,
    ReviewCycle,
    ReviewGrade,
)
from yakusho.plans.report import build as report
from yakusho.plans.review.services import open_cycle

pytestmark = pytest.mark.django_db

YEAR = 2024
#: node key → (status, grade) of the node's review that counts: its lead 課's (or its only one).
NODES = {
    "p1": ("in_progress", "B"),
    "p1-a": ("done", "A"),
    "p1-b": ("in_progress", "C"),
    "p2": ("delayed", "C"),
    "p2-a": ("not_started", None),
    "p2-b": ("in_progress", "B"),
}
#: KPI name → (baseline 2023, final target 2026, actual 2024 or None, expected word).
#: The straight path from 10 to 20 over 2023–2026 expects 13.3 in 2024.
KPIS = {
    "オンライン申請数": (Decimal(10), Decimal(20), Decimal(20), "達成"),
    "電子申請の利用者数": (Decimal(10), Decimal(20), Decimal(14), "順調"),
    "研修の受講者数": (Decimal(10), Decimal(20), Decimal(12), "遅れ"),
    "キャッシュレス決済の件数": (Decimal(10), Decimal(20), None, "データなし"),
}


@pytest.fixture
def town():
    return MunicipalityFactory(slug="report-town", name="報告町")


def _make_plan(town, *, published: bool = True) -> tuple[PlanEdition, dict[str, Node]]:
    """Two policies with two measures each; p1-a has two 課 (the second is the lead), p2-b none."""
    lead_dept = DepartmentFactory(municipality=town, name="企画課", order=1)
    other_dept = DepartmentFactory(municipality=town, name="総務課", order=0)
    plan = Plan.objects.create(municipality=town, key="dx", published=published)
    edition = PlanEdition.objects.create(
        municipality=town,
        plan=plan,
        number="1",
        title="報告町DX推進計画",
        kind="計画",
        first_year=2024,
        last_year=2026,
        level_labels=["基本方針", "取組"],
        digest="x",
    )
    plan.current_edition = edition
    plan.save()
    nodes: dict[str, Node] = {}
    for order, key in enumerate(NODES):
        parent = nodes.get(key.split("-")[0]) if "-" in key else None
        nodes[key] = Node.objects.create(
            municipality=town,
            edition=edition,
            parent=parent,
            key=key,
            depth=2 if parent else 1,
            level=2 if parent else 1,
            code=key.upper(),
            title=f"項目{key}の取組",
            order=order,
        )
    for key, node in nodes.items():
        if key == "p2-b":
            continue
        NodeDepartment.objects.create(municipality=town, node=node, department=other_dept, order=0)
        if key == "p1-a":
            NodeDepartment.objects.create(
                municipality=town, node=node, department=lead_dept, lead=True, order=1
            )
    for order, (name, (baseline, final, _actual, _word)) in enumerate(KPIS.items()):
        kpi = Kpi.objects.create(
            municipality=town,
            edition=edition,
            node=nodes["p1-a"] if order < 2 else nodes["p2-b"],
            key=f"k{order}",
            name=name,
            unit="件",
            direction=Kpi.Direction.INCREASE,
            accumulation=Kpi.Accumulation.POINT_IN_TIME,
            baseline_fiscal_year=2023,
            baseline_value=baseline,
            baseline_text=f"{baseline}件",
            has_baseline=True,
            order=order,
        )
        KpiTarget.objects.create(
            municipality=town, kpi=kpi, fiscal_year=2026, value=final, text=f"{final}件", final=True
        )
    Kpi.objects.create(
        municipality=town,
        edition=edition,
        node=nodes["p2"],
        key="q",
        name="職員の意識の変化",
        direction=Kpi.Direction.QUALITATIVE,
        accumulation=Kpi.Accumulation.POINT_IN_TIME,
        order=9,
    )
    return edition, nodes


def _fill(cycle: ReviewCycle) -> None:
    """Statuses and grades as NODES says for the review that counts; the other 課 of p1-a gets
    a different status and grade, which the node's figures must not take."""
    grades = {g.code: g for g in ReviewGrade.objects.filter(municipality=cycle.municipality)}
    for r in cycle.node_reviews.select_related("node", "department"):
        status, grade = NODES[r.node.key]
        if r.node.key == "p1-a" and not r.lead:
            status, grade = "stopped", "D"
        r.status, r.grade = status, grades[grade] if grade else None
        r.progress = 50
        r.achievements = f"{r.node.title}の実績（{r.department.name if r.department else '事務局'}）"
        r.save()
    for kpi in Kpi.objects.filter(edition=cycle.edition):
        if kpi.name in KPIS and KPIS[kpi.name][2] is not None:
            KpiActual.objects.create(
                municipality=cycle.municipality,
                kpi=kpi,
                fiscal_year=YEAR,
                value=KPIS[kpi.name][2],
                text=f"{KPIS[kpi.name][2]}件",
                source=KpiActual.Source.REVIEW,
            )


@pytest.fixture
def cycle(town) -> ReviewCycle:
    edition, _nodes = _make_plan(town)
    made = open_cycle(edition, YEAR, date(2025, 5, 30))
    _fill(made)
    return made


def _finalise(cycle: ReviewCycle) -> None:
    NodeReview.objects.filter(cycle=cycle).update(state=NodeReview.State.FINALISED)
    ReviewCycle.objects.filter(pk=cycle.pk).update(state=ReviewCycle.State.FINALISED)
    cycle.refresh_from_db()


def _public_url(cycle: ReviewCycle, fmt: str | None = None) -> str:
    args = [cycle.municipality.slug, cycle.edition.plan.key, cycle.fiscal_year]
    return reverse("plans:report_download", args=[*args, fmt]) if fmt else reverse("plans:report", args=args)


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    command = ["pdftotext", "-layout", str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


# --- the figures ----------------------------------------------------------------------------


def test_figures_equal_counts_made_from_the_rows(cycle: ReviewCycle) -> None:
    built = report.build(cycle)
    statuses = Counter(status for status, _grade in NODES.values())
    grades = Counter(grade or "" for _status, grade in NODES.values())
    assert {c.key: c.count for c in built.status_counts} == {
        s.value: statuses[s.value] for s in NodeReview.Progress
    }
    assert {c.key: c.count for c in built.grade_counts} == {g: grades[g] for g in ("A", "B", "C", "D", "")}
    assert sum(c.count for c in built.status_counts) == built.node_total == len(NODES)

    words = Counter(word for *_values, word in KPIS.values()) + Counter(["定性（評価で判断）"])
    assert {c.label: c.count for c in built.kpi_counts if c.count} == dict(words)
    on_track = words["達成"] + words["順調"]
    judged = on_track + words["遅れ"]
    assert (built.kpi_on_track, built.kpi_judged) == (on_track, judged) == (2, 3)
    assert built.on_track_percent == round(100 * on_track / judged) == 67


def test_nodes_in_tree_order_with_each_departments_review_lead_first(cycle: ReviewCycle) -> None:
    built = report.build(cycle)
    assert [n.key for n in built.nodes] == list(NODES)
    assert [n.level_label for n in built.nodes[:2]] == ["基本方針", "取組"]
    shared = next(n for n in built.nodes if n.key == "p1-a")
    assert shared.departments == ["企画課", "総務課"]  # the lead first, though 総務課 comes first in order
    assert [(r.status, r.grade) for r in shared.reviews] == [("done", "A"), ("stopped", "D")]
    assert (shared.status, shared.grade) == ("done", "A")
    alone = next(n for n in built.nodes if n.key == "p2-b")
    assert alone.departments == ["（課の指定なし）"]


def test_kpi_table_has_baseline_targets_actual_achievement_and_grade(cycle: ReviewCycle) -> None:
    rows = {k.name: k for k in report.build(cycle).kpis}
    row = rows["電子申請の利用者数"]
    assert (row.baseline, row.final_target, row.actual) == ("10件", "20件（令和8年度）", "14件（進捗評価）")
    assert (row.actual_figure, row.actual_source, row.actual_value) == ("14件", "進捗評価", Decimal(14))
    # the straight path (13.3…), when no target is stated for the year: counts are whole numbers
    assert row.target == "13件（目安）"
    assert row.achievement.label == "順調" and row.grade == "A"  # the grade of its node, p1-a
    assert rows["キャッシュレス決済の件数"].actual == "" and rows["キャッシュレス決済の件数"].grade == "B"
    assert (
        rows["職員の意識の変化"].achievement.label == "定性（評価で判断）"
        and rows["職員の意識の変化"].grade == "C"
    )


# --- publication ----------------------------------------------------------------------------


def test_an_open_cycle_is_not_public_and_a_finalised_one_is(cycle: ReviewCycle, client: Client) -> None:
    url = _public_url(cycle)
    response = client.get(url)
    assert response.status_code == 404 and "まだ公表されていません" in response.content.decode()
    for fmt in ("pdf", "xlsx"):
        assert client.get(_public_url(cycle, fmt)).status_code == 404
    listing = reverse("plans:reports", args=[cycle.municipality.slug, "dx"])
    assert url not in client.get(listing).content.decode()

    _finalise(cycle)
    caches["pages"].clear()
    page = client.get(url).content.decode()
    assert "報告町DX推進計画 令和6年度 進捗状況報告書" in page and "未確定" not in page
    assert '<th scope="row">実施中</th><td>3</td>' in page  # the chart's table: p1, p1-b, p2-b
    assert "<svg" in page and 'role="img"' in page
    assert client.get(_public_url(cycle, "xlsx")).status_code == 200
    assert url in client.get(listing).content.decode()
    overview = client.get(reverse("plans:overview", args=[cycle.municipality.slug, "dx"])).content.decode()
    assert listing in overview


def test_missing_year_and_unpublished_plan_are_helpful_404s(cycle: ReviewCycle, client: Client) -> None:
    _finalise(cycle)
    response = client.get(reverse("plans:report", args=[cycle.municipality.slug, "dx", 2025]))
    assert response.status_code == 404 and "進捗評価が行われていません" in response.content.decode()
    Plan.objects.filter(pk=cycle.edition.plan_id).update(published=False)
    caches["pages"].clear()
    assert client.get(_public_url(cycle)).status_code == 404


def test_staff_page_marks_an_open_cycle_as_not_final(cycle: ReviewCycle, client: Client, signed_in) -> None:
    signed_in(cycle.municipality, Role.COUNTER)
    page = client.get(reverse("reviews:report", args=[cycle.municipality.slug, cycle.pk])).content.decode()
    assert "未確定" in page and "この評価はまだ確定していません" in page
    assert "項目p1-aの取組" in page and "オンライン申請数" in page
    assert reverse("reviews:report_download", args=[cycle.municipality.slug, cycle.pk, "pdf"]) in page
    cycle_page = client.get(
        reverse("reviews:cycle", args=[cycle.municipality.slug, cycle.pk])
    ).content.decode()
    assert reverse("reviews:report", args=[cycle.municipality.slug, cycle.pk]) in cycle_page


def test_demo_cycles_carry_the_banner_on_every_page(cycle: ReviewCycle, client: Client, signed_in) -> None:
    signed_in(cycle.municipality, Role.COUNTER)
    staff_url = reverse("reviews:report", args=[cycle.municipality.slug, cycle.pk])
    assert str(report.DEMO_BANNER) not in client.get(staff_url).content.decode()
    ReviewCycle.objects.filter(pk=cycle.pk).update(demo=True)
    _finalise(cycle)
    assert str(report.DEMO_BANNER) in client.get(staff_url).content.decode()
    caches["pages"].clear()
    assert str(report.DEMO_BANNER) in Client().get(_public_url(cycle)).content.decode()


def test_another_municipalitys_staff_cannot_read_it(cycle: ReviewCycle, client: Client, signed_in) -> None:
    elsewhere = MunicipalityFactory(slug="elsewhere")
    signed_in(elsewhere, Role.ADMIN)
    town = cycle.municipality.slug
    assert client.get(reverse("reviews:report", args=[town, cycle.pk])).status_code == 403
    assert client.get(reverse("reviews:report", args=["elsewhere", cycle.pk])).status_code == 404
    download = reverse("reviews:report_download", args=["elsewhere", cycle.pk, "xlsx"])
    assert client.get(download).status_code == 404
    assert client.get(_public_url(cycle)).status_code == 404  # and not public while open


# --- files ----------------------------------------------------------------------------------


@pytest.mark.pdf
def test_pdf_has_node_titles_and_kpi_names_as_text(
    cycle: ReviewCycle, client: Client, tmp_path: Path, signed_in
) -> None:
    ReviewCycle.objects.filter(pk=cycle.pk).update(demo=True)
    signed_in(cycle.municipality, Role.COUNTER)
    response = client.get(reverse("reviews:report_download", args=[cycle.municipality.slug, cycle.pk, "pdf"]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].endswith('-draft.pdf"')
    text = _pdf_text(response.content, tmp_path)
    assert "進捗状況報告書" in text and "未確定" in text
    assert "デモデータ" in text and "団体が公表したものではありません" in text
    for key in NODES:
        assert f"項目{key}の取組" in text
    for name in [*KPIS, "職員の意識の変化"]:
        assert name in text
    assert "67%" in text and "企画課" in text


@pytest.mark.pdf
def test_public_pdf_of_a_finalised_cycle(cycle: ReviewCycle, client: Client, tmp_path: Path) -> None:
    _finalise(cycle)
    response = client.get(_public_url(cycle, "pdf"))
    assert response.status_code == 200
    text = _pdf_text(response.content, tmp_path)
    assert "項目p2-bの取組" in text and "未確定" not in text and "デモデータ" not in text


@pytest.mark.excel
def test_workbook_reads_back_with_the_same_figures(cycle: ReviewCycle, client: Client) -> None:
    ReviewCycle.objects.filter(pk=cycle.pk).update(demo=True)
    _finalise(cycle)
    response = client.get(_public_url(cycle, "xlsx"))
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["概要", "項目別評価", "KPI"]
    for ws in wb:
        assert ws["A1"].value == "報告町DX推進計画 令和6年度 進捗状況報告書"
        assert str(report.DEMO_BANNER) in ws["A2"].value
    overview = {row[0]: row[1] for row in wb["概要"].iter_rows(values_only=True) if row and row[0]}
    statuses = Counter(status for status, _grade in NODES.values())
    for progress in NodeReview.Progress:
        assert overview[progress.label] == statuses[progress.value]
    assert overview["B（目標どおり）"] == 2 and overview["未評価"] == 1
    assert overview["達成"] == 1 and overview["定性（評価で判断）"] == 1

    nodes = list(wb["項目別評価"].iter_rows(min_row=3, values_only=True))
    assert nodes[0][:4] == ("番号", "階層", "名称", "担当課")
    shared = [r for r in nodes[1:] if r[0] == "P1-A"]
    assert [(r[3], r[4] or "", r[5], r[7]) for r in shared] == [
        ("企画課", "○", "完了", "A"),
        ("総務課", "", "中止", "D"),
    ]
    assert len(nodes) - 1 == NodeReview.objects.filter(cycle=cycle).count()

    sheet = wb["KPI"]
    header = [c.value for c in sheet[3]]
    kpis = {
        r[header.index("KPI")]: dict(zip(header, r, strict=True))
        for r in sheet.iter_rows(min_row=4, values_only=True)
    }
    assert set(kpis) == {*KPIS, "職員の意識の変化"}
    row = kpis["研修の受講者数"]
    # numbers as numbers, the unit apart, the figure as printed and its source beside them
    assert (row["現状値"], row["目標値（当年度）"], row["最終目標"], row["実績値（当年度）"]) == (
        10,
        13,
        20,
        12,
    )
    assert (row["単位"], row["実績値（当年度・表記）"], row["実績値の出典"]) == ("件", "12件", "進捗評価")
    assert (row["目標値（当年度・表記）"], row["最終目標（表記）"]) == ("13件（目安）", "20件（令和8年度）")
    assert (row["達成状況"], row["評価"]) == ("遅れ", "B")


# --- queries --------------------------------------------------------------------------------


def _synthetic_cycle(edition: PlanEdition) -> ReviewCycle:
    town = edition.municipality
    cycle = open_cycle(edition, edition.first_year, date(2027, 5, 31))
    grades = list(ReviewGrade.objects.filter(municipality=town))
    for i, r in enumerate(cycle.node_reviews.all()):
        r.status = NodeReview.Progress.values[i % len(NodeReview.Progress.values)]
        r.grade = grades[i % len(grades)]
        r.save(update_fields=["status", "grade"])
    return cycle


def test_query_count_does_not_grow_with_the_plan(town, client: Client, synthetic_plan, signed_in) -> None:
    for name in ("企画課", "総務課", "税務課"):
        DepartmentFactory(municipality=town, name=name)
    small = _synthetic_cycle(synthetic_plan(town, "small", nodes=10, kpis=10))
    big = _synthetic_cycle(synthetic_plan(town, "big", nodes=300, kpis=400))
    assert big.node_reviews.count() > 10 * small.node_reviews.count()
    signed_in(town, Role.COUNTER)
    counts = []
    for cycle in (small, big):
        url = reverse("reviews:report", args=[town.slug, cycle.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts

    public = []
    data_versions(town.slug)  # the first cached page of a test sets its data versions: not measured
    for cycle in (small, big):
        _finalise(cycle)
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(_public_url(cycle)).status_code == 200
        public.append(len(queries))
    assert public[0] == public[1], public


def test_a_corrected_review_shows_its_amendment_in_the_report(cycle: ReviewCycle, client: Client) -> None:
    """A correction after finalisation is shown as 「訂正」 with its reason, not silently."""
    from yakusho.plans.models import NodeReview, ReviewAmendment

    review = NodeReview.objects.filter(cycle=cycle).order_by("pk").first()
    assert review is not None
    ReviewAmendment.objects.create(
        municipality_id=review.municipality_id,
        review=review,
        reason="集計の誤りを直した",
        changes={"進捗率（%）": ["50", "80"]},
    )
    built = report.build(cycle)
    notes = [a for n in built.nodes for r in n.reviews for a in r.amendments]
    assert len(notes) == 1 and "集計の誤りを直した" in notes[0] and "50→80" in notes[0]
    _finalise(cycle)
    page = client.get(_public_url(cycle)).content.decode()
    assert "集計の誤りを直した" in page and "訂正" in page
