"""Exports safe to open (issue 15): text that a spreadsheet would read as a formula is neutralised
in every CSV and Excel export, numbers and dates stay numbers and dates.

The helper (``core.spreadsheets``) on its own, then every export downloaded through its real view
by staff allowed to, with the payloads in text residents or staff write: a booking's name and note,
a plan's titles and KPI texts (from a plan file), a yearly review's texts. The submissions inbox's
exports (form answers) are in tests/procedures/test_inbox_exports_safe.py.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from openpyxl import Workbook

from tests.bookings.helpers import contact, make_resource, next_weekday, slot_at
from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.spreadsheet_checks import (
    PAYLOADS,
    assert_text_cell,
    checked_workbook,
    read_csv,
    read_xlsx,
    safe,
)
from yakusho.bookings import services
from yakusho.core.csvutil import csv_response
from yakusho.core.models import Role
from yakusho.core.spreadsheets import SafeWorkbook, csv_row, neutralise, workbook_bytes

SRC = Path(__file__).resolve().parents[1] / "src" / "yakusho"

# --- the helper -----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_starting_a_formula_gets_a_quote(payload: str) -> None:
    assert neutralise(payload) == safe(payload)


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_every_prefix_alone_and_followed(prefix: str) -> None:
    assert neutralise(prefix) == "'" + prefix
    assert neutralise(prefix + "cmd|' /C calc'!A0") == "'" + prefix + "cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    "text", ["", "plain", "予約 太郎", "090-1234-5678", "a=1", " =1", "'=already", "＝全角", "#N/A", "\n=1"]
)
def test_other_text_is_unchanged(text: str) -> None:
    assert neutralise(text) == text


@pytest.mark.parametrize(
    "value",
    [
        0,
        -5,
        3,
        -1.5,
        float("-inf"),
        Decimal("-12.30"),
        True,
        None,
        date(2025, 4, 1),
        datetime(2025, 4, 1, 9, 30),
        time(9, 30),
        timedelta(hours=-1),
    ],
)
def test_numbers_dates_and_none_keep_their_type(value: Any) -> None:
    result = neutralise(value)
    assert result is value or (result == value and type(result) is type(value))


def test_other_objects_become_text_neutralised() -> None:
    assert neutralise(lazy(lambda: "=1+1", str)()) == "'=1+1"
    assert neutralise(lazy(lambda: "総務課", str)()) == "総務課"


def test_csv_row_empties_none_and_keeps_numbers() -> None:
    assert csv_row(["=1", None, -5, Decimal("1.5"), "x"]) == ["'=1", "", -5, Decimal("1.5"), "x"]


def test_csv_response_neutralises_header_and_rows() -> None:
    response = csv_response("x.csv", ["番号", "-見出し"], [[p, -5] for p in PAYLOADS])
    rows = read_csv(response)
    assert rows[0] == ["番号", "'-見出し"]
    assert rows[1:] == [[safe(p), "-5"] for p in PAYLOADS]


@pytest.mark.excel
def test_workbook_bytes_stores_text_as_text_and_numbers_as_numbers() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(PAYLOADS)
    sheet.append([-5, Decimal("-1.5"), 2.5, date(2025, 4, 1), None, "#N/A"])
    sheet["A3"] = "=1+1"  # set by coordinate, after the rows: saved as text too
    read = checked_workbook(workbook_bytes(book)).active
    assert read is not None
    for cell, payload in zip(read[1], PAYLOADS, strict=True):
        assert_text_cell(cell, payload)
    numbers = [c.value for c in read[2]]
    assert numbers[:3] == [-5, -1.5, 2.5] and [c.data_type for c in read[2][:3]] == ["n", "n", "n"]
    assert read["D2"].is_date and read["D2"].value == datetime(2025, 4, 1)
    assert read["F2"].value == "#N/A" and read["F2"].data_type == "s"
    assert read["A3"].value == "'=1+1" and read["A3"].data_type == "s"


def test_every_spreadsheet_goes_through_the_helper() -> None:
    """A module that builds a workbook saves it through ``core.spreadsheets``; CSV is written only
    by ``core.csvutil``. A new export that bypasses them fails here."""
    for path in SRC.rglob("*.py"):
        text = path.read_text("utf-8")
        name = path.relative_to(SRC).as_posix()
        if name in ("core/spreadsheets.py", "core/csvutil.py"):
            continue
        if re.search(r"\bWorkbook\(", text):
            raise AssertionError(f"{name}: build exports with core.spreadsheets.SafeWorkbook")
        if "SafeWorkbook(" in text:
            assert "workbook_bytes(" in text or "xlsx_response(" in text, name
            assert ".save(" not in text, name
        assert not re.search(r"csv\.(writer|DictWriter)\(", text), name


# --- bookings (bookings.exports) --------------------------------------------------------------


@pytest.fixture
def booked(db: None, signed_in: Any) -> tuple[str, dict[str, str]]:
    """One booking per payload, as name and note, entered by counter staff; returns the export's
    base URL and booking code → payload. The client is signed in as counter staff."""
    resource = make_resource(capacity=len(PAYLOADS) + 1)
    day = next_weekday(timezone.localdate())
    slot = slot_at(resource, day)
    signed_in(resource.municipality, Role.COUNTER)
    codes = {}
    for n, payload in enumerate(PAYLOADS, start=1):
        booking = services.book(slot.pk, contact(n, name=payload, note=payload))
        codes[booking.display_code] = payload
    return reverse(
        "bookings_staff:export", args=[resource.municipality.slug, "FMT"]
    ) + f"?from={day}&to={day}", codes


def test_booking_csv_neutralises_names_and_notes(client: Client, booked) -> None:
    url, codes = booked
    rows = read_csv(client.get(url.replace("FMT", "csv")))
    header, body = rows[0], rows[1:]
    name, note, day = header.index("氏名"), header.index("連絡事項"), header.index("日付")
    assert len(body) == len(PAYLOADS)
    for row in body:
        payload = codes[row[0]]
        assert row[name] == safe(payload) and row[note] == safe(payload)
        assert date.fromisoformat(row[day])  # the date is left as it was


@pytest.mark.excel
def test_booking_excel_neutralises_names_and_notes(client: Client, booked) -> None:
    url, codes = booked
    sheet = read_xlsx(client.get(url.replace("FMT", "xlsx"))).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    name, note = header.index("氏名"), header.index("連絡事項")
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == len(PAYLOADS)
    for row in rows:
        payload = codes[row[0].value]
        assert_text_cell(row[name], payload)
        assert_text_cell(row[note], payload)


# --- plans: the edition's Excel and KPI CSV (plans.exports) ------------------------------------


@pytest.fixture
def payload_plan(plan_from: Any) -> Any:
    """A plan file whose title, node titles and KPI texts are the payloads; one KPI with figures
    (so its 進捗率 is a number). Returns the imported edition."""
    municipality = MunicipalityFactory(slug="safe-town", name="安全町")
    DepartmentFactory(municipality=municipality, name="総務課")
    data = {
        "format": "yakusho-plan/1",
        "municipality": municipality.code,
        "key": "safe",
        "title": PAYLOADS[0],
        "kind": "計画",
        "first_year": 2024,
        "last_year": 2026,
        "edition": {"number": "1"},
        "level_labels": ["施策"],
        "nodes": [
            {"key": f"n{i}", "title": p, "departments": [{"name": "総務課", "lead": True}]}
            for i, p in enumerate(PAYLOADS)
        ],
        "kpis": [
            {
                "key": f"k{i}",
                "node": f"n{i}",
                "name": p,
                "unit": "件",
                "direction": "increase",
                "baseline": {"fiscal_year": 2023, "value": 10, "text": p},
                "targets": [{"fiscal_year": 2026, "value": 40, "text": "40件"}],
                "actuals": [{"fiscal_year": 2024, "value": 25, "text": "25件"}],
            }
            for i, p in enumerate(PAYLOADS)
        ],
    }
    return plan_from(data).edition


def _plan_url(edition: Any, fmt: str) -> str:
    return reverse("plans:export", args=[edition.municipality.slug, edition.plan.key, fmt])


def test_plan_kpi_csv_neutralises_titles_and_kpi_texts(payload_plan, signed_in) -> None:
    client = signed_in(payload_plan.municipality, Role.DEPARTMENT)
    rows = read_csv(client.get(_plan_url(payload_plan, "csv")))
    header, body = rows[0], rows[1:]
    assert len(body) == len(PAYLOADS)
    percent = header.index("進捗率(%)")
    texts = [header.index(name) for name in ("項目", "KPI", "現状値（原文）")]
    for row, payload in zip(body, PAYLOADS, strict=True):
        assert [row[i] for i in texts] == [safe(payload)] * 3
        assert float(row[percent]) > 0  # a number


@pytest.mark.excel
def test_plan_excel_neutralises_titles_and_kpi_texts(payload_plan, signed_in) -> None:
    client = signed_in(payload_plan.municipality, Role.DEPARTMENT)
    book = read_xlsx(client.get(_plan_url(payload_plan, "xlsx")))
    tree, road, kpi = book["施策体系"], book["工程表"], book["KPI"]
    assert_text_cell(tree["A1"], PAYLOADS[0])  # the plan's title
    for i, payload in enumerate(PAYLOADS):
        assert_text_cell(tree.cell(row=3 + i, column=3), payload)
        assert_text_cell(road.cell(row=2 + i, column=2), payload)
        header = [c.value for c in kpi[1]]
        for name in ("項目", "KPI", "現状値（原文）"):
            assert_text_cell(kpi.cell(row=2 + i, column=header.index(name) + 1), payload)
        percent = kpi.cell(row=2 + i, column=header.index("進捗率(%)") + 1)
        assert isinstance(percent.value, int | float) and percent.data_type == "n"


# --- plans: the progress report's Excel (plans.report.exports) ----------------------------------


@pytest.mark.excel
def test_report_excel_neutralises_titles_and_review_texts(payload_plan, signed_in, staff_of) -> None:
    from yakusho.plans.review.services import open_cycle, update_review

    cycle = open_cycle(payload_plan, 2024, date(2025, 5, 30))
    writer = staff_of(payload_plan.municipality, Role.DEPARTMENT, ["総務課"])
    reviews = {r.node.title: r for r in cycle.node_reviews.select_related("node")}
    for payload in PAYLOADS:
        update_review(
            reviews[payload],
            writer,
            status="in_progress",
            progress=60,
            achievements=payload,
            issues=payload,
            next_steps=payload,
        )
    client = signed_in(payload_plan.municipality, Role.COUNTER)
    url = reverse("reviews:report_download", args=[payload_plan.municipality.slug, cycle.pk, "xlsx"])
    book = read_xlsx(client.get(url))
    for sheet in book.worksheets:
        assert (sheet["A1"].value or "").startswith("'" + PAYLOADS[0])  # the title, from the plan's
    nodes = book["項目別評価"]
    header = [c.value for c in nodes[3]]
    title, progress = header.index("名称"), header.index("進捗率(%)")
    texts = [header.index(h) for h in ("実績", "課題", "今後の方向性")]
    rows = list(nodes.iter_rows(min_row=4))
    assert len(rows) == len(PAYLOADS)
    for row, payload in zip(rows, PAYLOADS, strict=True):
        assert_text_cell(row[title], payload)
        for column in texts:
            assert_text_cell(row[column], payload)
        assert (row[progress].value, row[progress].data_type) == (60, "n")
    kpi = book["KPI"]
    header = [c.value for c in kpi[3]]
    columns = [header.index(h) for h in ("項目", "KPI", "現状値（表記）")]
    rows = list(kpi.iter_rows(min_row=4))
    assert len(rows) == len(PAYLOADS)
    for row, payload in zip(rows, PAYLOADS, strict=True):
        for column in columns:
            assert_text_cell(row[column], payload)
        percent = row[header.index("進捗率(%)")]
        assert isinstance(percent.value, int | float) and percent.data_type == "n"
    overview = book["概要"]
    counts = [c for c in overview["B"] if c.row > 3 and isinstance(c.value, int)]
    assert counts and all(c.data_type == "n" for c in counts)


@pytest.mark.excel
def test_control_characters_a_resident_pasted_do_not_break_the_excel_file() -> None:
    """openpyxl refuses control characters outright; the export drops them and keeps the rest."""
    book = SafeWorkbook()
    sheet = book.active
    sheet.append(["a\x01b\x1fc", "=x\x02", 5])
    sheet["A2"] = "\x0bnote"
    sheet.cell(row=3, column=1, value="-\x00z")
    read = checked_workbook(workbook_bytes(book)).active
    assert [read["A1"].value, read["B1"].value, read["C1"].value] == ["abc", "'=x", 5]
    assert read["A2"].value == "note"
    assert read["A3"].value == "'-z"
