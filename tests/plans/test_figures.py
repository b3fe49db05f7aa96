"""Every figure with its source, demo figures marked, and figures written for people (issue 16).

The demo walk reads every plan page that shows a KPI's actual — the KPI list, node, department,
overview, report and compare pages, the CSV and Excel exports and the API — and finds each actual
with its source (計画書, 進捗評価, 計測値, デモ) and "as of" right beside it.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from yakusho.core.jcal import format_fiscal_year, format_wareki_date
from yakusho.core.models import Department, Municipality, Role
from yakusho.plans import figures
from yakusho.plans.achievement import Achievement, Status
from yakusho.plans.demo.reviews import DEMO_NOTE, fixture_files, load_demo_reviews
from yakusho.plans.models import Kpi, KpiActual, NodeDepartment, Observation, Plan, PlanEdition, ReviewCycle
from yakusho.plans.report import build as report
from yakusho.plans.review.actuals import confirm_metric, record_actual
from yakusho.plans.review.services import open_cycle

pytestmark = pytest.mark.django_db


# --- the one helper -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "computed", "expected"),
    [
        (Decimal("63.000000"), "件", False, "63件"),
        (Decimal("4900.000000"), "人", False, "4,900人"),
        (Decimal("100.000000"), "件", False, "100件"),  # not 1E+2
        (Decimal("3.700000"), "%", False, "3.7%"),
        (Decimal("89.970000"), "%", False, "89.97%"),  # a stored figure keeps its digits
        (Decimal("13.333333"), "件", True, "13件"),  # a computed 目安 in counts: whole
        (Decimal("1233.5"), "人", True, "1,234人"),
        (Decimal("45.2666"), "%", True, "45.3%"),  # in shares: one decimal
        (Decimal("45.0000"), "%", True, "45%"),
        (Decimal("2.25"), "km2", True, "2.3km2"),
        (None, "件", False, "—"),
    ],
)
def test_numbers_are_written_as_their_unit_needs(
    value: Decimal | None, unit: str, computed: bool, expected: str
) -> None:
    assert figures.format_figure(value, unit, computed=computed) == expected


def test_excel_numbers_are_plain_decimals() -> None:
    assert str(figures.excel_number(Decimal("100.000000"))) == "100"
    assert str(figures.excel_number(Decimal("0.500000"))) == "0.5"
    assert str(figures.excel_number(Decimal("13.333333"), "件", computed=True)) == "13"
    assert figures.excel_number(None) is None


def _achievement(status: Status, progress: str | None, actual: str | None = "5") -> Achievement:
    return Achievement(
        status,
        Decimal(progress) if progress is not None else None,
        2025,
        Decimal(actual) if actual is not None else None,
        None,
    )


def test_progress_is_never_negative_and_an_unjudged_figure_is_not_no_data() -> None:
    behind = _achievement(Status.BEHIND, "-0.5")
    assert (
        figures.progress_text(behind, Kpi.Direction.INCREASE)
        == "現状値を下回っています（目標から遠ざかっています）"
    )
    assert (
        figures.progress_text(behind, Kpi.Direction.DECREASE)
        == "現状値を上回っています（目標から遠ざかっています）"
    )
    assert figures.shown_percent(behind) == 0 and figures.clamped(behind).percent == 0
    assert figures.progress_text(_achievement(Status.ON_TRACK, "0.456")) == "46%"
    assert figures.progress_text(_achievement(Status.NO_DATA, None)) == ""
    # 3.7 with nothing to hold it to is judged by nobody, but it is data
    assert figures.status_text(_achievement(Status.NO_DATA, None, "3.7")).startswith("判定できません")
    assert figures.status_text(_achievement(Status.NO_DATA, None, None)) == "データなし"


def test_an_actual_carries_its_source_and_as_of() -> None:
    review = KpiActual(fiscal_year=2024, value=Decimal("120.000000"), source="review", date=date(2025, 5, 31))
    assert figures.actual_text(review, "件") == "120件（進捗評価・令和7年5月31日時点）"
    printed = KpiActual(fiscal_year=2024, value=Decimal("63"), text="63件", source="plan")
    assert figures.actual_with_year(printed, "件") == "令和6年度：63件（計画書）"
    demo = KpiActual(fiscal_year=2025, value=Decimal("3.7"), source="demo", date=date(2026, 5, 29))
    assert figures.actual_text(demo, "%") == "3.7%（デモ・令和8年5月29日時点）"
    observed = Observation(
        value=Decimal("14.400000"), unit="%", as_of=date(2025, 7, 1), as_of_precision="month"
    )
    assert figures.observation_text(observed) == "14.4%（計画書・令和7年7月時点）"


# --- the demo walk --------------------------------------------------------------------------------


def unescaped(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def plan_kpis(edition: PlanEdition) -> list[Kpi]:
    return list(
        Kpi.objects.filter(edition=edition)
        .select_related("node", "edition")
        .prefetch_related(Prefetch("actuals", queryset=KpiActual.objects.order_by("fiscal_year")))
        .order_by("order")
    )


def listed(kpis: list[Kpi]) -> list[Kpi]:
    """The KPIs a flat list shows: a reprint (再掲) whose original is in the list is folded into it."""
    ids = {k.pk for k in kpis}
    return [k for k in kpis if k.reprint_of_id not in ids]


def shown(actual: KpiActual, kpi: Kpi) -> str:
    """How a page writes an actual in a list: 「令和6年度：63件（計画書）」."""
    return figures.actual_with_year(actual, kpi.unit)


class Walk:
    """The public pages of every published demo plan that show actuals, read once."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.pages: dict[str, str] = {}  # url → unescaped page
        self.demo_seen = 0

    def get(self, url: str) -> str:
        if url not in self.pages:
            self.pages[url] = unescaped(self.client.get(url))
        return self.pages[url]

    def plan(self, plan: Plan) -> None:
        edition = plan.current_edition
        assert edition is not None
        slug, key = plan.municipality.slug, plan.key
        kpis = plan_kpis(edition)
        flat = listed(kpis)

        # the KPI list, every page of it: each KPI once, each actual with its source
        pages = Paginator(flat, 50).num_pages
        listing = "".join(
            self.get(reverse("plans:kpis", args=[slug, key]) + f"?page={n}") for n in range(1, pages + 1)
        )
        rows = re.findall(r'<tr>\s*<td><a href="[^"]*">([^<]*)</a>', listing)
        assert Counter(rows) == Counter(k.name for k in flat), slug
        for k in flat:
            for a in k.actuals.all():
                assert shown(a, k) in listing, (slug, k.key, a.fiscal_year)
                if a.source == KpiActual.Source.DEMO:
                    assert "（デモ・" in shown(a, k)  # marked right where the figure is
                    self.demo_seen += 1

        # node pages: the table, and the chart's table for numeric actuals
        for node_key in {k.node.key for k in kpis}:
            page = self.get(reverse("plans:node", args=[slug, key, node_key]))
            for k in (k for k in kpis if k.node.key == node_key):
                for a in k.actuals.all():
                    assert shown(a, k) in page, (slug, node_key, k.key)
                    if a.value is not None and k.direction != Kpi.Direction.QUALITATIVE:
                        assert f"<td>{figures.actual_text(a, k.unit)}</td>" in page  # the chart's table

        # department pages
        links = NodeDepartment.objects.filter(node__edition=edition).values_list("department_id", "node_id")
        by_department: dict[int, set[int]] = {}
        for department_id, node_id in links:
            by_department.setdefault(department_id, set()).add(node_id)
        for department_id, node_ids in by_department.items():
            theirs = listed([k for k in kpis if k.node_id in node_ids])
            if not any(k.actuals.all() for k in theirs):
                continue
            page = self.get(reverse("plans:department", args=[slug, key, department_id]))
            for k in theirs:
                for a in k.actuals.all():
                    assert shown(a, k) in page, (slug, department_id, k.key)

        # the overview says where the figures behind the statuses come from, デモ included
        overview = self.get(reverse("plans:overview", args=[slug, key]))
        latest = [
            max(
                (a for a in k.actuals.all() if a.value is not None), key=lambda a: a.fiscal_year, default=None
            )
            for k in flat
        ]
        sources = Counter(a.source for a in latest if a is not None)
        for source, count in sources.items():
            assert f"{KpiActual.Source(source).label} {count}件" in overview, (slug, source)
        if sources[KpiActual.Source.DEMO]:
            assert "デモ用に作った実績値（デモ）による判定" in overview

        # the reports of finalised reviews
        for cycle in ReviewCycle.objects.filter(edition__plan=plan, state=ReviewCycle.State.FINALISED):
            page = self.get(reverse("plans:report", args=[slug, key, cycle.fiscal_year]))
            cycle_kpis = listed(plan_kpis(cycle.edition))
            for k in cycle_kpis:
                for a in k.actuals.all():
                    if a.fiscal_year == cycle.fiscal_year:
                        text = figures.actual_text(a, k.unit)  # then what was judged, if it differs
                        assert f"<td>{text}" in page or f'<td class="figure-demo">{text}' in page, (
                            slug,
                            cycle.fiscal_year,
                            k.key,
                        )

        # the CSV: every actual with its source, and the latest one's source and "as of" in columns
        response = self.client.get(reverse("plans:export", args=[slug, key, "csv"]))
        table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        header = table[0]
        by_name = {(r[header.index("番号")], r[header.index("KPI")]): r for r in table[1:]}
        for k in kpis:
            row = by_name[(k.node.code, k.name)]
            actuals = list(k.actuals.all())
            assert row[header.index("実績値（出典・時点）")] == " / ".join(shown(a, k) for a in actuals)
            if actuals:
                assert row[header.index("最新の実績値の出典")] == figures.source_label(actuals[-1])
                as_of = actuals[-1].date
                assert row[header.index("最新の実績値の時点")] == (as_of.isoformat() if as_of else "")

        # the API: source, its label and "as of" with every actual
        answer = self.client.get(f"/api/v1/plans/{slug}/{key}/kpis").json()
        api = {item["key"]: item["actuals"] for item in answer}
        for k in kpis:
            assert [(a["fiscal_year"], a["source"], a["source_label"], a["as_of"]) for a in api[k.key]] == [
                (
                    a.fiscal_year,
                    a.source,
                    figures.source_label(a),
                    a.date.isoformat() if a.date else None,
                )
                for a in k.actuals.all()
            ]


@pytest.fixture
def walk(demo_with_reviews: None, client: Client) -> Walk:
    walk = Walk(client)
    for plan in Plan.objects.filter(published=True, current_edition__isnull=False).select_related(
        "municipality", "current_edition"
    ):
        walk.plan(plan)
    return walk


def test_every_actual_on_every_plan_page_shows_its_source(walk: Walk) -> None:
    assert walk.demo_seen > 50  # the demo's invented actuals were among them, each marked デモ
    misato = walk.get(reverse("plans:node", args=["misato", "misato-dx-action-plan", "g1-1"]))
    assert "令和6年度：63件（計画書）" in misato  # printed in the plan
    due = ReviewCycle.objects.get(municipality__slug="misato", fiscal_year=2025).due_date
    as_of = min(due, timezone.localdate())
    assert f"令和7年度：83件（デモ・{format_wareki_date(as_of)}時点）" in misato  # invented


def test_compare_page_shows_each_latest_actual_with_its_source(demo_with_reviews, client: Client) -> None:
    page = unescaped(client.get(reverse("plans:compare")))
    editions = [p.current_edition for p in Plan.objects.filter(published=True, current_edition__isnull=False)]
    checked = 0
    for edition in editions:
        assert edition is not None
        for k in listed([k for k in plan_kpis(edition) if k.indicator_id]):
            actuals = list(k.actuals.all())
            if actuals:
                a = actuals[-1]
                assert (
                    f"{format_fiscal_year(a.fiscal_year, short=True)} {figures.actual_text(a, k.unit)}"
                    in page
                )
                checked += 1
    assert checked > 5 and "（デモ・" in page
    # the reprint (再掲) of 大江町's 証明書発行部数 has the same indicator: listed once
    assert page.count("<strong>窓口申請システムでの証明書発行部数</strong>") == 1


FORBIDDEN = {
    "stored decimals": re.compile(r"\d\.0{6}"),
    "an escaped <br>": re.compile(r"&lt;br\s*/?&gt;", re.IGNORECASE),
    "None": re.compile(r"\bNone\b"),
    "a negative percent": re.compile(r"(?<![\d)）\w])[-−]\d+(?:\.\d+)?\s*[%％]"),
}


def assert_for_people(url: str, raw: str) -> None:
    text = re.sub(r"<[^>]+>", " ", html.unescape(raw))
    for what, pattern in FORBIDDEN.items():
        where = raw if what == "an escaped <br>" else text
        assert not pattern.search(where), f"{what} on {url}: {pattern.search(where)}"


def test_demo_pages_write_figures_for_people(walk: Walk, client: Client) -> None:
    for url in [*walk.pages, reverse("plans:compare")]:
        assert_for_people(url, client.get(url).content.decode())
    # a <br> that a plan's table writes is a line break, not text
    overview = client.get(reverse("plans:overview", args=["oe", "oe-dx"])).content.decode()
    assert "1 行政手続きのオンライン化<br>2 書かない窓口の推進" in overview
    # the demo's 3.7 % Web予約率 of 美郷町 has nothing to be held to: it is not 「データなし」
    report_page = walk.get(reverse("plans:report", args=["misato", "misato-dx-action-plan", 2024]))
    cell = re.search(r"3\.7%（デモ[^<]*</td><td><span[^>]*>([^<]*)</span>", report_page)
    assert cell and cell.group(1).startswith("判定できません")
    # a KPI behind its baseline says so instead of a negative percent (大江町 タブレット普及率)
    kpis = walk.get(reverse("plans:kpis", args=["oe", "oe-dx"]))
    assert "現状値を下回っています" in kpis


def test_csv_writes_numbers_without_stored_zeros(demo_with_reviews, client: Client) -> None:
    for plan in Plan.objects.filter(published=True).select_related("municipality"):
        response = client.get(reverse("plans:export", args=[plan.municipality.slug, plan.key, "csv"]))
        text = response.content.decode("utf-8-sig")
        assert not FORBIDDEN["stored decimals"].search(text) and "None" not in text
        assert not FORBIDDEN["an escaped <br>"].search(text) and "<br" not in text
        rows = list(csv.reader(io.StringIO(text)))
        percent = rows[0].index("進捗率(%)")
        assert all(not r[percent] or int(r[percent]) >= 0 for r in rows[1:])


def test_report_yearly_guides_are_rounded_as_the_unit_needs(demo_with_reviews) -> None:
    guides = 0
    for cycle in ReviewCycle.objects.select_related("edition", "municipality"):
        for k in report.build(cycle).kpis:
            if k.target.endswith("（目安）"):
                number = k.target.removesuffix("（目安）").removesuffix(k.unit).replace(",", "")
                places = len(number.partition(".")[2])
                assert places <= figures.places_for(k.unit), (k.name, k.target)
                guides += 1
    assert guides > 10


@pytest.mark.excel
def test_excel_has_numbers_as_numbers_a_frozen_header_and_filters(demo_with_reviews, client: Client) -> None:
    for plan in Plan.objects.filter(published=True).select_related("municipality", "current_edition"):
        response = client.get(reverse("plans:export", args=[plan.municipality.slug, plan.key, "xlsx"]))
        wb = load_workbook(io.BytesIO(response.content))
        assert wb.sheetnames == ["施策体系", "工程表", "KPI", "実績値"]
        for ws in wb:
            header_row = 2 if ws.title == "施策体系" else 1
            assert ws.freeze_panes == f"A{header_row + 1}", ws.title
            assert ws.auto_filter.ref and ws.auto_filter.ref.startswith(f"A{header_row}:"), ws.title
            for row in ws.iter_rows(values_only=True):
                for value in row:
                    assert value != "None" and not (isinstance(value, str) and "<br" in value)
        sheet = wb["KPI"]
        header = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            values = dict(zip(header, row, strict=True))
            for name in ("現状値", "最終目標値", "最新の実績値", "進捗率(%)"):
                cell = values[name]
                assert cell.value is None or isinstance(cell.value, int | float), (name, cell.value)
            assert values["進捗率(%)"].value is None or values["進捗率(%)"].value >= 0
            assert isinstance(values["単位"].value, str | None)
        edition = plan.current_edition
        assert edition is not None
        kpis = {(k.node.code, k.name): k for k in plan_kpis(edition)}
        actuals = wb["実績値"]
        header = [c.value for c in actuals[1]]
        rows = [dict(zip(header, r, strict=True)) for r in actuals.iter_rows(min_row=2, values_only=True)]
        assert len(rows) == sum(len(k.actuals.all()) for k in kpis.values())
        for r in rows:
            k = kpis[(r["番号"], r["KPI"])]
            a = next(a for a in k.actuals.all() if a.fiscal_year == r["年度"])
            assert r["出典"] == figures.source_label(a)
            assert r["時点"] == (datetime.combine(a.date, datetime.min.time()) if a.date else None)
            assert r["実績値"] == (float(a.value) if a.value is not None else None)
            assert (r["単位"] or "") == k.unit
        shares = [c for c in actuals["F"][1:] if c.value is not None and actuals.cell(c.row, 7).value == "%"]
        assert all(c.number_format == "#,##0.0##" for c in shares)


@pytest.mark.excel
def test_report_workbook_has_a_frozen_header_filters_and_sources(demo_with_reviews, client: Client) -> None:
    cycle = ReviewCycle.objects.get(municipality__slug="misato", fiscal_year=2024)
    plan = cycle.edition.plan
    response = client.get(reverse("plans:report_download", args=["misato", plan.key, 2024, "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content))["KPI"]
    assert sheet.freeze_panes == "A4" and sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A3:")
    header = [c.value for c in sheet[3]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert any((r["実績値（当年度・表記）"], r["実績値の出典"]) == ("63件", "計画書") for r in rows)
    assert any(r["実績値の出典"] == "デモ" and r["実績値の時点"] is not None for r in rows)


# --- the KPI page says how figures add up --------------------------------------------------------


def small_plan(plan_from: Any, **kpi: Any) -> PlanEdition:
    return plan_from(
        {
            "format": "yakusho-plan/1",
            "municipality": "063240",
            "key": "figures-test",
            "title": "数値の試験計画",
            "kind": "計画",
            "first_year": 2024,
            "last_year": 2029,
            "edition": {"number": "1"},
            "level_labels": ["施策"],
            "nodes": [
                {"key": "a", "title": "窓口のデジタル化", "departments": [{"name": "総務課", "lead": True}]}
            ],
            "kpis": [
                {
                    "key": "survey",
                    "node": "a",
                    "name": "満足度調査の満足度",
                    "unit": "%",
                    "direction": "increase",
                    "accumulation": "every_n_years",
                    "interval_years": 3,
                    "baseline": {"fiscal_year": 2023, "value": 40, "text": "40%"},
                    "targets": [{"fiscal_year": 2029, "value": 60, "text": "60%"}],
                    "actuals": [{"fiscal_year": 2024, "value": 45.5, "date": "2024-12-01"}],
                    **kpi,
                }
            ],
        }
    ).edition


def test_kpi_page_says_the_accumulation_kind_in_words(demo, plan_from, client: Client) -> None:
    small_plan(plan_from)
    for name in ("kpis", "node"):
        args = ["oe", "figures-test", "a"] if name == "node" else ["oe", "figures-test"]
        page = unescaped(client.get(reverse(f"plans:{name}", args=args)))
        assert "集計：3年ごとの値" in page
        assert "令和6年度：45.5%（計画書・令和6年12月1日時点）" in page


# --- where actuals are recorded: source and "as of" ------------------------------------------------


def test_recorded_actuals_carry_their_as_of(demo, plan_from, staff_of) -> None:
    edition = small_plan(plan_from, accumulation="per_year", interval_years=None, unit="件")
    kpi = Kpi.objects.get(edition=edition, key="survey")
    staff = staff_of("oe", Role.SECRETARIAT)
    today = timezone.localdate()
    past = open_cycle(edition, 2024, date(2025, 5, 31))
    late = record_actual(kpi, past, staff, value=Decimal(20))
    assert (late.source, late.date) == (KpiActual.Source.REVIEW, min(date(2025, 5, 31), today))
    given = record_actual(kpi, past, staff, value=Decimal(21), on=date(2025, 3, 31))
    assert given.date == date(2025, 3, 31)
    ahead = open_cycle(edition, 2026, today.replace(year=today.year + 1))
    assert record_actual(kpi, ahead, staff, value=Decimal(22)).date == today  # the day recorded

    from yakusho.metrics.registry import Period, isolated_registry

    Kpi.objects.filter(pk=kpi.pk).update(metric="test.figures")
    kpi.refresh_from_db()
    with isolated_registry() as registry:

        @registry.provider("test.figures", label_ja="件数", label_en="Count", unit="件")
        def count(municipality: object, period: object) -> int:
            return 7

        measured = confirm_metric(kpi, past, staff)
    assert measured.source == KpiActual.Source.METRIC
    assert measured.date == min(Period.fiscal_year(2024).end, today)


def test_demo_actuals_are_stored_as_demo_with_their_as_of(demo_with_reviews) -> None:
    cycles = ReviewCycle.objects.select_related("edition")
    assert cycles.count() == len(fixture_files())
    for cycle in cycles:
        made_up = KpiActual.objects.filter(
            kpi__edition=cycle.edition, fiscal_year=cycle.fiscal_year, note=DEMO_NOTE
        )
        assert all(
            (a.source, a.date) == (KpiActual.Source.DEMO, min(cycle.due_date, timezone.localdate()))
            for a in made_up
        )
    assert KpiActual.objects.filter(source=KpiActual.Source.DEMO).count() > 50
    # 美郷町's printed 令和6年度 actuals stay the plan's
    misato = Municipality.objects.get(slug="misato")
    printed = KpiActual.objects.get(
        kpi__edition__plan__municipality=misato, kpi__key="kpi-online-procedures", fiscal_year=2024
    )
    assert printed.source == KpiActual.Source.PLAN
    # a demo loaded before actuals had sources: loading again marks its invented actuals
    KpiActual.objects.filter(source=KpiActual.Source.DEMO).update(source=KpiActual.Source.REVIEW, date=None)
    assert load_demo_reviews() == 0
    assert not KpiActual.objects.filter(note=DEMO_NOTE).exclude(source=KpiActual.Source.DEMO).exists()
    assert not KpiActual.objects.filter(source=KpiActual.Source.DEMO, date__isnull=True).exists()


def test_department_page_lists_each_kpi_once(demo_with_reviews, client: Client) -> None:
    oe = Municipality.objects.get(slug="oe")
    for department in Department.objects.for_municipality(oe):
        page = unescaped(client.get(reverse("plans:department", args=["oe", "oe-dx", department.pk])))
        rows = re.findall(r'<tr>\s*<td><a href="([^"]*)">([^<]*)</a>', page)
        assert len(rows) == len(set(rows)), department.name
        assert Counter(name for _link, name in rows)["窓口申請システムでの証明書発行部数"] <= 1


def test_staff_review_pages_write_figures_for_people(demo_with_reviews, signed_in) -> None:
    """The staff's report (also of an open review) and a node review with recorded actuals."""
    client = signed_in("oe", Role.SECRETARIAT)
    for cycle in ReviewCycle.objects.filter(municipality__slug="oe"):
        url = reverse("reviews:report", args=["oe", cycle.pk])
        page = client.get(url).content.decode()
        assert_for_people(url, page)
        assert "（デモ・" in page
        kpi = Kpi.objects.filter(edition=cycle.edition, actuals__fiscal_year=cycle.fiscal_year).first()
        assert kpi is not None
        review = cycle.node_reviews.filter(node=kpi.node).first()
        assert review is not None
        url = reverse("reviews:node", args=["oe", cycle.pk, review.pk])
        page = client.get(url).content.decode()
        assert_for_people(url, page)
        assert "記録済み：" in page and "（デモ・" in page
