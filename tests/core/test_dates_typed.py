"""Dates as people type them, and one way to show them per language (issue 18).

Residents and staff may type 12月14日, 12/14, １２月１４日, 令和8年12月14日, R8.12.14, 2026年12月14日,
2026-12-14 (what a date picker posts), 2026/12/14 or 元年; a month and day alone take their year
from the field's rule (docs/forms.md). Dates are shown 令和8年（2026年）12月14日 in Japanese and
14 December 2026 in English, in pages, mail and PDFs, and every shown form reads back.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from tests.procedures.helpers import make_procedure
from yakusho.core.jcal import EARLIEST, LATEST, JapaneseDateError, format_date, parse_japanese_date
from yakusho.core.models import Role
from yakusho.procedures import formrender
from yakusho.procedures.catalogue.services import add_form_definition
from yakusho.procedures.counter import services as counter
from yakusho.procedures.counter.pdf import PaperEntry, render_paper_forms
from yakusho.procedures.formengine import load_definition
from yakusho.procedures.formengine.dates import today_in_japan
from yakusho.procedures.models import Submission

TODAY = date(2026, 12, 7)  # a Monday; 14 December 2026 is a Monday too
NEXT_WEEK = TODAY + timedelta(days=7)


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "12月14日",
        "12/14",
        "１２月１４日",
        "１２／１４",
        "令和8年12月14日",
        "令和８年１２月１４日",
        "R8.12.14",
        "r8/12/14",
        "2026年12月14日",
        "2026-12-14",
        "2026/12/14",
        "２０２６ー１２ー１４",  # a long-vowel mark typed for a hyphen
        "2026 12 14",
        "20261214",
        "令和8年（2026年）12月14日",
        "令和8年（2026年）12月14日（月）",
        "令和8年12月14日（2026年）",
        "14 December 2026",
        "Monday 14 December 2026",
        "December 14, 2026",
        "14 Dec",
    ],
)
def test_every_way_of_writing_a_day_is_read(text: str) -> None:
    assert parse_japanese_date(text, today=TODAY, earliest=NEXT_WEEK) == date(2026, 12, 14)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("R元.5.1", date(2019, 5, 1)),
    ],
)
def test_the_first_year_of_an_era_is_gannen(text: str, day: date) -> None:
    assert parse_japanese_date(text) == day


@pytest.mark.parametrize(
    ("text", "bounds", "expected"),
    [
        # a date to come (収集希望日: from a week ahead): the first such day on or after the bound
        ("12月14日", {"earliest": NEXT_WEEK}, date(2026, 12, 14)),
        ("12月15日", {"earliest": NEXT_WEEK}, date(2026, 12, 15)),
        ("1月5日", {"earliest": NEXT_WEEK}, date(2027, 1, 5)),
        ("2月29日", {"earliest": TODAY}, date(2028, 2, 29)),
        # 12月10日 is before the first day; next year's is past the last: the one meant is too early
        ("12月10日", {"earliest": NEXT_WEEK, "latest": TODAY + timedelta(days=60)}, date(2026, 12, 10)),
        # a date gone by (生年月日, 転入日: up to today): the last such day on or before the bound
        ("12月14日", {"latest": TODAY}, date(2025, 12, 14)),
        ("12月7日", {"latest": TODAY}, date(2026, 12, 7)),
        ("2月29日", {"latest": TODAY}, date(2024, 2, 29)),
        # neither: the nearest such day (here between the bounds)
        ("6月7日", {}, date(2027, 6, 7)),  # 182 days ahead, 183 back
        ("6月8日", {}, date(2026, 6, 8)),  # 182 days back, 183 ahead
        ("1月10日", {}, date(2027, 1, 10)),
        (
            "12月1日",
            {"earliest": TODAY - timedelta(days=180), "latest": TODAY + timedelta(days=30)},
            date(2026, 12, 1),
        ),
    ],
)
def test_a_month_and_day_take_their_year_from_the_fields_rule(
    text: str, bounds: dict[str, date], expected: date
) -> None:
    assert parse_japanese_date(text, today=TODAY, **bounds) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2月30日", "「2月30日」は存在しない日付です。"),
        ("４月３１日", "「４月３１日」は存在しない日付です。"),
        ("13/1", "「13/1」は存在しない日付です。"),
        ("令和8年（2025年）12月14日", "和暦と西暦が一致しません"),
        ("令和8年12月14日（火）", "令和8年（2026年）12月14日は月曜日です"),
        ("12月", "を日付として読み取れません（例：12月14日、"),
        ("あした", "を日付として読み取れません"),
    ],
)
def test_what_is_no_day_is_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(JapaneseDateError) as info:
        parse_japanese_date(text, today=TODAY)
    assert message in str(info.value)


days = st.dates(min_value=EARLIEST, max_value=LATEST)
todays = st.dates(min_value=date(1900, 1, 1), max_value=date(2150, 12, 31))
month_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31)).map(
    lambda d: (d.month, d.day)
)


def _on(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


@given(days, st.sampled_from(["ja", "en"]), st.booleans())
def test_every_date_shown_reads_back(day: date, language: str, weekday: bool) -> None:
    shown = format_date(day, language=language, weekday=weekday)
    assert parse_japanese_date(shown) == day


@given(todays, st.integers(min_value=0, max_value=400), month_days)
def test_a_date_to_come_is_the_first_on_or_after_the_bound(
    today: date, offset: int, month_day: tuple[int, int]
) -> None:
    earliest = today + timedelta(days=offset)
    got = parse_japanese_date("{}月{}日".format(*month_day), today=today, earliest=earliest)
    assert (got.month, got.day) == month_day and got >= earliest
    earlier = [_on(y, *month_day) for y in range(earliest.year, got.year)]
    assert not [d for d in earlier if d is not None and d >= earliest]


@given(todays, st.integers(min_value=0, max_value=400), month_days)
def test_a_date_gone_by_is_the_last_on_or_before_the_bound(
    today: date, offset: int, month_day: tuple[int, int]
) -> None:
    latest = today - timedelta(days=offset)
    got = parse_japanese_date("{}/{}".format(*month_day), today=today, latest=latest)
    assert (got.month, got.day) == month_day and got <= latest
    later = [_on(y, *month_day) for y in range(got.year + 1, latest.year + 1)]
    assert not [d for d in later if d is not None and d <= latest]


@given(todays, month_days)
def test_without_a_rule_the_nearest_such_day_is_taken(today: date, month_day: tuple[int, int]) -> None:
    got = parse_japanese_date("{}月{}日".format(*month_day), today=today)
    assert (got.month, got.day) == month_day
    if month_day != (2, 29):
        assert abs((got - today).days) <= 183


# --- showing --------------------------------------------------------------------------------------


def render(source: str, **context: Any) -> str:
    return Template(source).render(Context(context))


def test_dates_are_shown_one_way_per_language() -> None:
    day = date(2026, 12, 14)
    moment = datetime(2026, 12, 14, 0, 5, tzinfo=UTC)  # 09:05 in Japan
    with translation.override("ja"):
        assert render("{{ d|date_text }}", d=day) == "令和8年（2026年）12月14日"
        assert render('{{ d|date_text:"weekday" }}', d=day) == "令和8年（2026年）12月14日（月）"
        assert render('{{ d|date_text:"short,weekday" }}', d=day) == "12月14日（月）"
        assert render('{{ d|date_text:"month" }}', d=day) == "令和8年（2026年）12月"
        assert render('{{ d|date_text:"time" }}', d=moment) == "令和8年（2026年）12月14日 09:05"
        assert render("{{ d|date_text }}", d="1948-05-10") == "昭和23年（1948年）5月10日"  # a card's ISO
        assert render("{{ d|wareki }}", d=day) == "令和8年12月14日"  # the plan's pages keep their form
    with translation.override("en"):
        assert render("{{ d|date_text }}", d=day) == "14 December 2026"
        assert render('{{ d|date_text:"weekday" }}', d=day) == "Monday 14 December 2026"
        assert render('{{ d|date_text:"short,weekday" }}', d=day) == "Monday 14 Dec"
        assert render('{{ d|date_text:"month" }}', d=day) == "December 2026"
        assert render('{{ d|date_text:"time" }}', d=moment) == "14 December 2026, 09:05"
        assert render("{{ d|wareki }}", d=day) == "14 December 2026"
    assert render("[{{ d|date_text }}]", d=None) == "[]"
    assert render("{{ d|date_text }}", d="不明") == "不明"  # no date: shown as it is, never an error
    assert format_date(date(1872, 12, 31), language="ja") == "1872年12月31日"  # before 和暦 dates


# --- the form engine, the pages and the counter ------------------------------------------------------

FORM = {
    "key": "dates",
    "version": 1,
    "title": "日付の申込",
    "privacy_notice": "入力された個人情報は、この手続にのみ使います。",
    "pages": [
        {
            "key": "when",
            "title": "日付",
            "fields": [
                {
                    "key": "collection",
                    "type": "date",
                    "label": "収集希望日",
                    "required": True,
                    "min": "today+7d",
                    "max": "today+60d",
                },
                {"key": "moved_on", "type": "date", "label": "転入日", "required": True, "max": "today"},
            ],
        }
    ],
}


def test_the_engine_applies_the_rule_and_names_the_field() -> None:
    definition = load_definition(FORM)
    result = definition.validate({"collection": "１２月１４日", "moved_on": "12/14"}, today=TODAY)
    assert result.errors == {}
    assert result.cleaned == {"collection": "2026-12-14", "moved_on": "2025-12-14"}
    bad = definition.validate({"collection": "2月30日", "moved_on": "12月10日"}, today=TODAY)
    assert bad.errors == {"collection": ["「収集希望日」：「2月30日」は存在しない日付です。"]}
    assert bad.cleaned["collection"] is None  # nothing of a refused date is kept
    early = definition.validate({"collection": "12月10日", "moved_on": "12月1日"}, today=TODAY)
    assert early.errors == {
        "collection": ["「収集希望日」は令和8年（2026年）12月14日以降の日付を入力してください。"]
    }


def test_a_date_to_come_gets_the_date_picker_and_other_dates_a_text_box() -> None:
    definition = load_definition(FORM)
    today = today_in_japan()
    moved = date(2020, 4, 1).isoformat()
    blocks = formrender.page_blocks(definition, 0, {}, {"moved_on": [moved]}, {}, {})
    collection, moved_on = (b.inputs[0] for b in blocks)
    assert collection.picker is not None and moved_on.picker is None
    assert (collection.picker.min, collection.picker.max) == (
        (today + timedelta(days=7)).isoformat(),
        (today + timedelta(days=60)).isoformat(),
    )
    assert collection.help.endswith("までの日を選んでください。")
    assert moved_on.value == "令和2年（2020年）4月1日"  # a fact given as ISO is shown as people read it
    html = Template(
        '{% for block in blocks %}{% include "procedures/apply/block.html" %}{% endfor %}'
    ).render(Context({"blocks": blocks}))
    picker = re.search(r'<input type="date" name="collection"[^>]*>', html)
    assert (
        picker
        and f'min="{collection.picker.min}"' in picker[0]
        and f'max="{collection.picker.max}"' in picker[0]
    )
    assert re.search(r'<input type="text" name="moved_on"[^>]*value="令和2年（2020年）4月1日"', html)


@pytest.fixture
def town(db) -> dict[str, Any]:
    town = MunicipalityFactory(slug="dates-town", name="日付町")
    department = DepartmentFactory(municipality=town, name="住民課")
    procedure = make_procedure(
        town, department, "dates", "日付の申込", channels=(("yakusho", "available"), ("counter", "available"))
    )
    add_form_definition(procedure, FORM)
    resident = make_procedure(town, department, "card", "住民の届出", events=("moving-in",))
    add_form_definition(
        resident,
        {
            **FORM,
            "key": "card",
            "pages": [
                {
                    "key": "who",
                    "title": "届出人",
                    "fields": [{"key": "applicant", "type": "resident", "label": "届出人", "required": True}],
                }
            ],
        },
    )
    return {"town": town, "procedure": procedure, "resident": resident}


def _last_on_or_before(today: date, month: int, day: int) -> date:
    this_year = date(today.year, month, day)
    return this_year if this_year <= today else date(today.year - 1, month, day)


def test_a_resident_types_a_month_and_day_and_reads_the_date_back_in_their_language(
    town: dict[str, Any], client: Client
) -> None:
    slug = town["town"].slug
    page = reverse("submissions:page", args=[slug, "dates", 1])
    assert client.post(reverse("procedures:apply", args=[slug, "dates"]), {"agree": "yes"}).status_code == 302
    form = client.get(page).content.decode()
    common = {k: re.search(rf'name="{k}" value="([^"]*)"', form)[1] for k in ("_token", "_version")}  # type: ignore[index]
    assert re.search(r'<input type="date" name="collection"', form)
    assert re.search(r'<input type="text" name="moved_on"', form)

    refused = client.post(page, {**common, "collection": "", "moved_on": "2月30日"})
    assert refused.status_code == 200
    assert "「転入日」：「2月30日」は存在しない日付です。" in refused.content.decode()
    assert not Submission.objects.exists()

    today = today_in_japan()
    chosen = today + timedelta(days=10)
    response = client.post(page, {**common, "collection": chosen.isoformat(), "moved_on": "１２月１４日"})
    assert response.status_code == 302
    check = reverse("submissions:check", args=[slug, "dates"])
    moved = _last_on_or_before(today, 12, 14)
    japanese = client.get(check).content.decode()
    assert format_date(chosen, language="ja") in japanese and format_date(moved, language="ja") in japanese
    english = client.get(check, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"{moved.day} December {moved.year}" in english and "令和" not in english


def test_the_counter_shows_the_cards_birth_date_as_people_read_it(
    town: dict[str, Any], client: Client
) -> None:
    staff = MembershipFactory(municipality=town["town"], role=Role.COUNTER)
    visit = counter.start_visit(town["town"], staff.user)
    card = {
        "name": "試験 花子",
        "name_kana": "シケン ハナコ",
        "address": "東京都千代田区霞が関1-1",
        "sex": "女",
    }
    counter.identify(visit, "manual", {**card, "birth_date": "S23.5.10"})
    counter.set_procedures(visit, [town["resident"].pk], life_event="moving-in")
    item = visit.items.get()
    login_verified(client, staff.user)
    slug = town["town"].slug
    shown = client.get(reverse("counter:item", args=[slug, visit.code, item.pk])).content.decode()
    assert 'value="昭和23年（1948年）5月10日"' in shown and "1948-05-10" not in shown
    summary = client.get(reverse("counter:visit", args=[slug, visit.code])).content.decode()
    assert "昭和23年（1948年）5月10日" in summary and "1948-05-10" not in summary


@pytest.mark.pdf
def test_a_pdf_is_a_japanese_document_whoever_prints_it(town: dict[str, Any], tmp_path: Path) -> None:
    entry = PaperEntry(
        procedure=town["procedure"],
        definition=load_definition(FORM),
        cleaned={"collection": "2026-12-14", "moved_on": "2025-12-14"},
        code="ABCD-EFGH",
        submitted_at=datetime(2026, 12, 7, 1, 30, tzinfo=UTC),
    )
    with translation.override("en"):
        pdf = render_paper_forms(town["town"], [entry])
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", "-layout", str(path), "-"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    for expected in [
        "令和8年（2026年）12月7日 10:30（窓口）",
        "令和8年（2026年）12月14日",
        "令和7年（2025年）12月14日",
    ]:
        assert expected in text
    assert "December" not in text
