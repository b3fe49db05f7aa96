"""The staff analysis of the query log: the figures of a small hand-made log, the page for each
role, bad ranges, the Excel export, the metrics and the demo query log."""

from __future__ import annotations

import io
import re
from dataclasses import astuple
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Closure, Department, Municipality, Role
from yakusho.faq.analysis import Analysis, analyse, out_of_hours, parse_ref
from yakusho.faq.demo.queries import PERSONAL, demo_texts, load_demo_queries
from yakusho.faq.masking import mask
from yakusho.faq.models import Entry, Query
from yakusho.faq.staff_analysis import read_range
from yakusho.metrics.registry import Period, registry

START, END = date(2025, 11, 3), date(2025, 11, 23)  # 3 weeks from 文化の日 (a Monday holiday)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def log(
    town: Municipality,
    when: datetime,
    text: str,
    *,
    entry: Entry | None = None,
    channel: str = "chat",
    helpful: bool | None = None,
    is_demo: bool = False,
) -> Query:
    return Query.objects.create(
        municipality=town,
        asked_at=when,
        text=text,
        channel=channel,
        answered=entry is not None,
        entry_ref=f"e{entry.pk}" if entry else "",
        entry_question=entry.question if entry else "",
        category=entry.category if entry else "",
        subcategory=entry.subcategory if entry else "",
        department=entry.department if entry else None,
        score=1.0 if entry else 0.0,
        out_of_hours=out_of_hours(town, when),
        helpful=helpful,
        is_demo=is_demo,
    )


@pytest.fixture
def logged(town_faq: Municipality) -> Municipality:
    """Seven questions in the range (one week without any), two after it, one of another town."""
    juminhyo = Entry.objects.get(municipality=town_faq, key="juminhyo")
    sodai = Entry.objects.get(municipality=town_faq, key="sodai")
    log(town_faq, at(date(2025, 11, 3), 10), "住民票 どこ", entry=juminhyo)  # holiday
    log(town_faq, at(date(2025, 11, 4), 10), "住民票がほしい", entry=juminhyo, channel="page", helpful=True)
    log(town_faq, at(date(2025, 11, 4), 18, 30), "大きいごみ", entry=sodai, helpful=False)  # after 17:15
    log(town_faq, at(date(2025, 11, 8), 11), "町営プールの営業時間")  # a Saturday
    log(town_faq, at(date(2025, 11, 18), 9), "町営プールの営業時間", channel="page")
    log(town_faq, at(date(2025, 11, 18), 9, 30), "じゅうみんひょう", entry=juminhyo, channel="page")
    log(town_faq, at(date(2025, 11, 19), 14), "熊が出た")
    # outside the range: the substitute holiday after it, and the last day of the fiscal year
    log(town_faq, at(date(2025, 11, 24), 10), "住民票", entry=juminhyo)
    log(town_faq, at(date(2026, 3, 31), 10), "住民票 代理", entry=juminhyo, helpful=True)
    log(town_faq, at(date(2026, 4, 1), 10), "住民票 新年度", entry=juminhyo)  # next fiscal year
    other = MunicipalityFactory(slug="faqelse")
    log(other, at(date(2025, 11, 4), 10), "よその町の質問")
    return town_faq


# --- out of hours ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when, closed",
    [
        (at(date(2025, 11, 4), 10), False),  # a Tuesday in office hours
        (at(date(2025, 11, 4), 8, 30), False),  # opening time is open
        (at(date(2025, 11, 4), 8, 29), True),
        (at(date(2025, 11, 4), 17, 15), True),  # closing time is closed
        (at(date(2025, 11, 4), 18, 30), True),
        (at(date(2025, 11, 8), 11), True),  # Saturday
        (at(date(2025, 11, 3), 10), True),  # 文化の日
        (at(date(2025, 12, 29), 10), True),  # 年末年始 (a Monday)
        (at(date(2025, 11, 5), 10), True),  # the town's own closure, below
    ],
)
def test_out_of_hours_follows_the_office_hours_and_calendar(
    town: Municipality, when: datetime, closed: bool
) -> None:
    Closure.objects.create(municipality=town, date=date(2025, 11, 5), reason="庁舎の点検")
    assert out_of_hours(town, when, BusinessCalendar(town)) is closed


# --- the figures -----------------------------------------------------------------------------------


def rows(groups: list[Any]) -> list[tuple[str, int]]:
    return [(g.label, g.counts.questions) for g in groups]


def test_figures_of_a_small_log(logged: Municipality, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(9):
        result = analyse(logged, START, END)
    t = result.totals
    assert (t.questions, t.answered, t.out_of_hours, t.helpful, t.not_helpful) == (7, 4, 3, 1, 1)
    assert str(t.answered_share) == "57.1%（7件中4件）"
    assert str(t.out_of_hours_share) == "42.9%（7件中3件）"
    assert str(t.helpful_share) == "50.0%（2件中1件）"
    assert result.demo == 0
    weeks = [(w.start, w.end, w.counts.questions, w.counts.out_of_hours, w.partial) for w in result.weeks]
    assert weeks == [
        (date(2025, 11, 3), date(2025, 11, 9), 4, 3, False),
        (date(2025, 11, 10), date(2025, 11, 16), 0, 0, False),  # the empty week is there
        (date(2025, 11, 17), date(2025, 11, 23), 3, 0, False),
    ]
    assert rows(result.categories) == [("分類なし", 3), ("住民票・印鑑・戸籍", 3), ("ごみ", 1)]
    assert rows(result.departments) == [("町民課", 3), ("担当課なし", 3), ("環境課", 1)]
    assert rows(result.channels) == [("チャット", 4), ("FAQページ", 3)]
    assert [(u.text, u.count, u.out_of_hours) for u in result.unanswered] == [
        ("町営プールの営業時間", 2, 1),
        ("熊が出た", 1, 0),
    ]
    assert [(r.text, r.entry_question, r.category, r.count) for r in result.low_rated] == [
        ("大きいごみ", "粗大ごみはどうやって出しますか？", "ごみ", 1)
    ]
    topics = [
        (r.entry_question, r.department, r.counts.questions, r.counts.helpful, r.counts.not_helpful)
        for r in result.topics
    ]
    assert topics == [
        ("住民票の写しはどこで取れますか？", "町民課", 3, 1, 0),
        ("粗大ごみはどうやって出しますか？", "環境課", 1, 0, 1),
    ]
    assert result.topics[0].entry_kind == "entry"
    assert result.topics[0].entry_pk == Entry.objects.get(municipality=logged, key="juminhyo").pk


def test_a_range_within_weeks_marks_the_partial_ones_and_an_empty_range_is_zero(
    logged: Municipality,
) -> None:
    result = analyse(logged, date(2025, 11, 4), date(2025, 11, 18))
    assert [(w.start, w.counts.questions, w.partial) for w in result.weeks] == [
        (date(2025, 11, 3), 3, True),  # from the Tuesday: the holiday's question is outside
        (date(2025, 11, 10), 0, False),
        (date(2025, 11, 17), 2, True),
    ]
    empty = analyse(logged, date(2024, 1, 1), date(2024, 1, 14))
    assert empty.totals.questions == 0 and [w.counts.questions for w in empty.weeks] == [0, 0]
    assert str(empty.totals.answered_share) == "—（0件中0件）"


def test_weeks_across_the_new_year_name_the_year(logged: Municipality) -> None:
    weeks = analyse(logged, date(2025, 12, 22), date(2026, 1, 4)).weeks
    assert [w.label for w in weeks] == ["2025年12月22日〜12月28日", "2025年12月29日〜1月4日"]
    assert analyse(logged, START, END).weeks[0].label == "11月3日〜11月9日"


@pytest.mark.parametrize(
    "ref, parts", [("e12", ("entry", 12)), ("s3", ("shared", 3)), ("x1", None), ("e", None)]
)
def test_entry_references(ref: str, parts: tuple[str, int] | None) -> None:
    assert parse_ref(ref) == parts
    assert parse_ref("e²") is None


# --- the range ------------------------------------------------------------------------------------


def test_the_default_range_is_twelve_weeks_from_a_monday() -> None:
    choice = read_range({}, date(2026, 3, 4))  # a Wednesday
    assert (choice.start, choice.end, choice.errors) == (date(2025, 12, 15), date(2026, 3, 4), {})
    assert choice.start.weekday() == 0


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"from": "2025-13-01"}, "from", "2026-04-01 の形"),
        ({"from": "きのう"}, "from", "2026-04-01 の形"),
        ({"to": "1800-01-01"}, "to", "1873年から2199年"),
        ({"from": "2025-11-20", "to": "2025-11-01"}, "to", "始まりの日と同じか後の日"),
        ({"from": "2020-01-01", "to": "2025-01-01"}, "to", "3年以内"),
        ({"from": "9" * 10_000}, "from", "2026-04-01 の形"),
    ],
)
def test_bad_ranges_are_refused_with_a_message(params: dict[str, str], field: str, message: str) -> None:
    choice = read_range(params, date(2026, 3, 4))
    assert message in choice.errors[field]


# --- the page ------------------------------------------------------------------------------------


def url(town: Municipality, name: str = "analysis") -> str:
    return reverse(f"faq_staff:{name}", args=[town.slug])


def staff(town: Municipality, client: Client, role: str, department: str | None = None) -> Client:
    membership = MembershipFactory(municipality=town, role=role)
    if department:
        membership.departments.add(Department.objects.get(municipality=town, name=department))
    login_verified(client, membership.user)
    return client


RANGE = {"from": START.isoformat(), "to": END.isoformat()}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SECRETARIAT, Role.COUNTER, Role.HQ])
def test_every_role_reads_the_analysis(logged: Municipality, client: Client, role: str) -> None:
    page = staff(logged, client, role).get(url(logged), RANGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "FAQ・チャットの質問記録（個人情報は伏せて保存）" in text
    assert "57.1%（7件中4件）" in text and "町営プールの営業時間" in text


def test_a_department_member_sees_every_department(logged: Municipality, client: Client) -> None:
    page = staff(logged, client, Role.DEPARTMENT, department="環境課").get(url(logged), RANGE)
    text = page.content.decode()
    assert page.status_code == 200
    assert "町民課" in text and "環境課" in text and "住民票の写しはどこで取れますか？" in text
    assert 'aria-current="page"' in text  # the FAQ section's own navigation
    assert "令和7年（2025年）11月3日〜令和7年（2025年）11月23日" in text
    assert "デモデータを含みます" not in text


def test_anonymous_is_sent_to_sign_in_and_another_town_is_refused(
    logged: Municipality, client: Client
) -> None:
    response = client.get(url(logged))
    assert response.status_code == 302 and "login" in response["Location"]
    other = MunicipalityFactory(slug="faqelse")
    staff(other, client, Role.ADMIN)
    assert client.get(url(logged), RANGE).status_code == 403
    assert client.get(url(logged, "analysis_export"), RANGE).status_code == 403
    assert client.get(reverse("faq_staff:analysis", args=["no-such-town"])).status_code == 404


def test_demo_rows_are_announced(logged: Municipality, client: Client) -> None:
    log(logged, at(date(2025, 11, 20), 10), "デモの質問", is_demo=True)
    text = staff(logged, client, Role.COUNTER).get(url(logged), RANGE).content.decode()
    assert "デモデータを含みます" in text and "この期間の質問8件のうち1件" in text


@pytest.mark.parametrize(
    "params, label",
    [
        ({"from": "2025-02-30"}, "始まりの日"),
        ({"from": "2025-11-20", "to": "2025-11-01"}, "終わりの日"),
        ({"to": "x" * 5000}, "終わりの日"),
    ],
)
def test_a_bad_range_shows_the_form_with_the_error_and_keeps_what_was_typed(
    logged: Municipality, client: Client, params: dict[str, str], label: str
) -> None:
    staff(logged, client, Role.COUNTER)
    page = client.get(url(logged), params)
    text = page.content.decode()
    assert page.status_code == 400
    assert "入力内容に誤りがあります（1件）" in text and 'aria-invalid="true"' in text
    assert f"{label}：" in text  # the summary says which field
    for name, typed in params.items():
        assert f'name="{name}" value="{typed[:40]}"' in text
    assert 'type="text" id="range-' in text  # a date field would not show what was typed
    assert "町営プールの営業時間" not in text  # no figures for a range that was not understood
    export = client.get(url(logged, "analysis_export"), params)
    assert export.status_code == 400 and "入力内容に誤りがあります" in export.content.decode()


def test_an_empty_range_says_so(logged: Municipality, client: Client) -> None:
    text = (
        staff(logged, client, Role.COUNTER)
        .get(url(logged), {"from": "2024-01-01", "to": "2024-01-31"})
        .content.decode()
    )
    assert "この期間の質問の記録はありません。" in text and "<svg" not in text


def test_the_page_uses_few_queries_however_long_the_log(
    logged: Municipality, client: Client, django_assert_max_num_queries: Any
) -> None:
    staff(logged, client, Role.COUNTER)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url(logged), RANGE).status_code == 200
    juminhyo = Entry.objects.get(municipality=logged, key="juminhyo")
    Query.objects.bulk_create(
        Query(
            municipality=logged,
            asked_at=at(date(2025, 11, 10 + i % 7), 8 + i % 12),
            text=f"質問 {i % 40}",
            channel="chat",
            answered=i % 3 != 0,
            entry_ref=f"e{juminhyo.pk}" if i % 3 else "",
            category="住民票・印鑑・戸籍" if i % 3 else "",
            out_of_hours=i % 4 == 0,
            helpful=None if i % 5 else i % 2 == 0,
        )
        for i in range(600)
    )
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url(logged), RANGE)
    assert "607件" in page.content.decode()
    assert len(small.captured_queries) <= 20


def test_the_chart_is_drawn_on_the_server_with_its_table(logged: Municipality, client: Client) -> None:
    text = staff(logged, client, Role.COUNTER).get(url(logged), RANGE).content.decode()
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert 'role="img"' in svg and svg.count("<rect") == 2 + 1  # 2 weeks with questions, 1 out of hours
    assert "11月3日〜11月9日：4件（うち開庁時間外3件）" in svg
    assert "http" not in svg.replace("http://www.w3.org", "")  # nothing fetched from elsewhere


# --- the Excel export ---------------------------------------------------------------------------


@pytest.mark.excel
def test_the_export_has_a_sheet_per_table_with_dates_numbers_and_no_formulas(
    logged: Municipality, client: Client
) -> None:
    from openpyxl import load_workbook

    log(logged, at(date(2025, 11, 20), 20), '=HYPERLINK("http://evil.example","x")')
    staff(logged, client, Role.DEPARTMENT, department="環境課")
    response = client.get(url(logged, "analysis_export"), RANGE)
    assert response.status_code == 200
    disposition = unquote(response["Content-Disposition"])
    assert "FAQ分析_問答町_2025-11-03_2025-11-23.xlsx" in disposition
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "概要",
        "週別",
        "分類別",
        "担当課別",
        "経路別",
        "回答できなかった質問",
        "解決しなかった質問",
        "問い合わせの多い業務",
    ]
    summary = book["概要"]
    assert summary["A1"].value == "FAQ・チャットの質問記録（個人情報は伏せて保存）"
    assert summary["B2"].value == "問答町"
    assert summary["B3"].value == datetime(2025, 11, 3) and summary["B4"].value == datetime(2025, 11, 23)
    values = {row[0]: row[1:] for row in summary.iter_rows(min_row=8, values_only=True)}
    assert values["質問数"][0] == 8
    assert values["回答できた"][:3] == (4, pytest.approx(0.5), 8)
    assert summary["C9"].number_format == "0.0%"
    weeks = list(book["週別"].iter_rows(min_row=2, values_only=True))
    assert [(w[0], w[2]) for w in weeks] == [
        (datetime(2025, 11, 3), 4),
        (datetime(2025, 11, 10), 0),
        (datetime(2025, 11, 17), 4),
    ]
    unanswered = book["回答できなかった質問"]
    texts = [row[0] for row in unanswered.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://evil.example","x")' in texts
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
    last = next(r for r in unanswered.iter_rows(min_row=2, values_only=True) if r[0] == "熊が出た")
    assert last[1] == 1 and last[3] == datetime(2025, 11, 19, 14)
    topics = list(book["問い合わせの多い業務"].iter_rows(min_row=2, values_only=True))
    assert topics[0][:6] == (
        1,
        "住民票の写しはどこで取れますか？",
        "住民票・印鑑・戸籍",
        "住民票",
        "町民課",
        3,
    )


# --- metrics ------------------------------------------------------------------------------------


def test_metrics_of_a_fiscal_year(logged: Municipality) -> None:
    year = Period.fiscal_year(2025)

    def measure(key: str, period: Period = year) -> Any:
        return registry.measure(key, logged, period).value

    # the seven of November, the substitute holiday, 31 March; 1 April is the next fiscal year
    assert measure("faq.questions") == 9
    assert measure("faq.answered_share") == Decimal("66.7")  # 6 of 9
    assert measure("faq.out_of_hours_share") == Decimal("44.4")  # 4 of 9
    assert measure("faq.helpful_share") == Decimal("66.7")  # 2 of 3 rated
    assert measure("faq.questions", Period.fiscal_year(2026)) == 1
    assert measure("faq.questions", Period.fiscal_year(2024)) == 0
    assert measure("faq.answered_share", Period.fiscal_year(2024)) is None
    assert measure("faq.helpful_share", Period.fiscal_year(2026)) is None
    # measured every round of refresh-figures, not marked stale by each question (a write per turn)
    assert registry.get("faq.questions").depends_on == ()
    assert registry.get("faq.out_of_hours_share").unit == "%"


# --- the demo query log -------------------------------------------------------------------------

TODAY = date(2026, 3, 2)


def figures(analysis: Analysis) -> tuple[Any, ...]:
    return (
        astuple(analysis.totals),
        [(w.start, astuple(w.counts)) for w in analysis.weeks],
        rows(analysis.categories),
        rows(analysis.channels),
        [(u.text, u.count) for u in analysis.unanswered],
        [(r.entry_ref, r.counts.questions) for r in analysis.topics],
    )


def test_the_demo_query_log(demo_with_plans: None) -> None:
    towns = list(Municipality.objects.filter(slug__in=["oe", "misato"]).order_by("slug"))
    assert len(towns) == 2
    Query.objects.filter(municipality__in=towns).delete()
    # a day that already has a question is left alone
    oe = next(t for t in towns if t.slug == "oe")
    Query.objects.create(
        municipality=oe,
        asked_at=at(date(2026, 2, 24), 10),
        text="本物の質問",
        channel="chat",
        answered=False,
        out_of_hours=False,
    )
    added = load_demo_queries(TODAY)
    assert load_demo_queries(TODAY) == 0  # a second load adds nothing
    assert Query.objects.filter(municipality__in=towns).count() == added + 1
    assert Query.objects.filter(municipality=oe, asked_at__date=date(2026, 2, 24)).count() == 1
    start, end = date(2025, 9, 1), date(2026, 3, 1)
    first = {t.slug: figures(analyse(t, start, end)) for t in towns}
    for town in towns:
        result = analyse(town, start, end)
        t = result.totals
        assert result.demo == t.questions - (1 if town == oe else 0)
        weekly = sorted(w.counts.questions for w in result.weeks)
        assert 25 <= weekly[len(weekly) // 2] <= 60, weekly  # the median week
        assert Decimal("20") <= t.out_of_hours_share.percent <= Decimal("40")  # type: ignore[operator]
        assert Decimal("10") <= t.rated_share.percent <= Decimal("30")  # type: ignore[operator]
        assert t.helpful > t.not_helpful > 0
        assert t.answered > t.unanswered > 0
        assert result.topics and result.unanswered
    logged = Query.objects.filter(municipality__in=towns, is_demo=True)
    texts = set(logged.values_list("text", flat=True))
    assert texts <= {mask(t) for t in [*demo_texts("oe"), *demo_texts("misato")]}
    phone_or_mail = re.compile(r"\d{2,4}-\d{2,4}-\d{3,4}|\d{10,}|[\w.+-]+@[\w-]+\.|私は")
    assert not [t for t in texts if PERSONAL.search(t) or phone_or_mail.search(t)]
    # the stored out-of-hours flag follows the office's calendar
    sample = logged.filter(municipality=oe).order_by("asked_at")[:200]
    calendar = BusinessCalendar(oe)
    assert all(q.out_of_hours == out_of_hours(oe, q.asked_at, calendar) for q in sample)
    # the same `today` gives the same log
    Query.objects.filter(municipality__in=towns, is_demo=True).delete()
    assert load_demo_queries(TODAY) == added
    assert {t.slug: figures(analyse(t, start, end)) for t in towns} == first
