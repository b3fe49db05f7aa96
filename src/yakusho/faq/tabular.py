"""A municipality's own FAQ entries (``faq.Entry``, not its consortia's shared ones) as CSV and
Excel: export, and an all-or-nothing import (docs/faq.md, "Import and export columns").

The columns are :data:`COLUMNS`. Every cell of an export is neutralised (``core.spreadsheets``): a
text starting with ``=``, ``+``, ``-`` or ``@`` (an answer that is a Markdown list, ``- …``) gets a
``'`` in front, which the import takes off again, so that an exported file reads back unchanged.

The import reads UTF-8 (with or without a byte-order mark) and Shift_JIS (cp932, as Excel in Japan
saves "CSV (コンマ区切り)") and .xlsx; checks every row like the entry form does (the rules are
``faq.staff_forms``') and lists every error with its row as the spreadsheet shows it (the header is
row 1) and its column; and writes nothing unless every row is right. A row whose key exists updates
that entry (its version raised when its text changed), a new key — or none — creates one; entries
the file does not name are left alone; a row that changes nothing writes nothing.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font

from yakusho.bookings.models import Resource
from yakusho.core.csvutil import csv_response
from yakusho.core.models import Department, Municipality
from yakusho.core.spreadsheets import (
    RowError,
    SafeWorkbook,
    TabularInvalid,
    UnreadableWorkbook,
    checked_rows,
    imported_cell,
    xlsx_response,
    xlsx_rows,
)
from yakusho.core.validators import normalize_text
from yakusho.faq.files import ImportResult
from yakusho.faq.models import Entry, Visibility
from yakusho.faq.staff_forms import (
    MAX_ANSWER,
    MAX_LINKS,
    MAX_NAME,
    MAX_QUESTION,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS,
    categories_of,
    category_problem,
    derive_key,
    key_problem,
    period_problem,
    phrasing_lines,
    phrasings_problem,
    save_entry,
    tidy,
    too_long,
)
from yakusho.procedures.models import Procedure

KEY = "キー"
CATEGORY = "分類"
SUBCATEGORY = "小分類"
QUESTION = "質問"
PHRASINGS = "ほかの聞き方"
ANSWER = "回答"
DEPARTMENT = "担当課"
PROCEDURES = "関連する手続"
RESOURCES = "関連する予約"
VISIBILITY = "公開範囲"
VALID_FROM = "掲載開始日"
VALID_TO = "掲載終了日"
REVIEWED = "最終確認日"
COLUMNS = (
    KEY,
    CATEGORY,
    SUBCATEGORY,
    QUESTION,
    PHRASINGS,
    ANSWER,
    DEPARTMENT,
    PROCEDURES,
    RESOURCES,
    VISIBILITY,
    VALID_FROM,
    VALID_TO,
    REVIEWED,
)
DATE_COLUMNS = (VALID_FROM, VALID_TO, REVIEWED)
WIDTHS = (18, 18, 14, 40, 30, 60, 14, 22, 18, 10, 12, 12, 12)

VISIBILITY_LABELS = {Visibility.PUBLIC.value: "公開", Visibility.STAFF.value: "職員のみ"}
VISIBILITY_WORDS = {
    "公開": Visibility.PUBLIC.value,
    "public": Visibility.PUBLIC.value,
    "職員のみ": Visibility.STAFF.value,
    "staff": Visibility.STAFF.value,
}
#: keys in a cell: commas (半角・全角), 読点, spaces or line breaks between them
LINK_SEPARATORS = re.compile(r"[,、，\s]+")
#: a date as written in a cell: 2026-04-01, or 2026/4/1 as Excel saves a date in a CSV
DATE_TEXT = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
#: how many columns of a sheet's first row are read (the 13 columns and a few unknown ones to name)
MAX_COLUMNS = 40


# --- export ------------------------------------------------------------------------------------------


def entries_of(municipality: Municipality) -> QuerySet[Entry]:
    return (
        Entry.objects.for_municipality(municipality)
        .select_related("department")
        .prefetch_related("procedures", "resources")
        .order_by("pk")
    )


def export_rows(municipality: Municipality) -> list[list[Any]]:
    """One row per entry, in :data:`COLUMNS` order; dates as dates (the CSV writes them ISO)."""
    rows: list[list[Any]] = []
    for e in entries_of(municipality):
        rows.append(
            [
                e.key,
                e.category,
                e.subcategory,
                e.question,
                "\n".join(e.phrasing_list()),
                e.answer,
                e.department.name if e.department else "",
                ", ".join(sorted(p.key for p in e.procedures.all())),
                ", ".join(sorted(r.key for r in e.resources.all())),
                VISIBILITY_LABELS.get(e.visibility, e.visibility),
                e.valid_from,
                e.valid_to,
                e.reviewed_on,
            ]
        )
    return rows


def _filename(municipality: Municipality, ext: str) -> str:
    return f"よくある質問_{municipality.name}_{timezone.localdate().isoformat()}.{ext}"


def csv_export(municipality: Municipality) -> HttpResponse:
    rows = [[v.isoformat() if isinstance(v, date) else v for v in row] for row in export_rows(municipality)]
    return csv_response(_filename(municipality, "csv"), COLUMNS, rows)


def excel_export(municipality: Municipality) -> HttpResponse:
    workbook = SafeWorkbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "よくある質問"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    top = Alignment(wrap_text=True, vertical="top")
    for row in export_rows(municipality):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.alignment = top
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "B2"
    for column, width in zip("ABCDEFGHIJKLM", WIDTHS, strict=True):
        sheet.column_dimensions[column].width = width
    return xlsx_response(_filename(municipality, "xlsx"), workbook)


# --- reading a file ------------------------------------------------------------------------------------


def _fail(message: str, row: int | None = None, column: str = "") -> TabularInvalid:
    return TabularInvalid([RowError(row, column, message)])


def _too_many() -> TabularInvalid:
    return _fail(
        _("行が多すぎます（%(n)s行まで）。ファイルを分けて読み込んでください。")
        % {"n": f"{MAX_UPLOAD_ROWS:,}"}
    )


def _decode(raw: bytes) -> str:
    """UTF-8 (a byte-order mark dropped) or, failing that, cp932 (Windows' Shift_JIS)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _fail(
            _(
                "UTF-16（Unicode テキスト）のファイルは読めません。"
                "Excelで「CSV UTF-8（コンマ区切り）」として保存し直してください。"
            )
        )
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _fail(
        _(
            "文字コードを読み取れませんでした。UTF-8 か Shift_JIS で保存してください"
            "（Excelなら「CSV UTF-8（コンマ区切り）」）。"
        )
    )


def _csv_rows(raw: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(raw)
    if "\x00" in text:
        raise _fail(_("CSVファイルとして読み取れませんでした（文字でないデータが含まれています）。"))
    reader = csv.reader(io.StringIO(text, newline=""))
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error:
        raise _fail(
            _('この行を読み取れませんでした（" の閉じ忘れや、長すぎる項目がないか確かめてください）。'),
            row=number + 1,
        ) from None


def _xlsx_rows(raw: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        yield from xlsx_rows(raw, max_columns=MAX_COLUMNS)
    except UnreadableWorkbook as exc:
        raise _fail(str(exc)) from None


def read_rows(name: str, raw: bytes) -> tuple[dict[str, int], list[tuple[int, list[Any]]]]:
    """The columns' positions and the rows (number, cells) of a file: the header checked, blank
    rows skipped, the number of rows limited."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise _fail(_("ファイルが大きすぎます（2MBまで）。ファイルを分けて読み込んでください。"))
    suffix = PurePath(name).suffix.lower()
    rows = _xlsx_rows(raw) if suffix == ".xlsx" else _csv_rows(raw)
    first = next(rows, None)
    if first is None:
        raise _fail(_("ファイルが空です。1行目に見出し（キー、分類、質問 …）を書いてください。"))
    number, header_cells = first
    positions = _header(number, [imported_cell(c) for c in header_cells])
    body: list[tuple[int, list[Any]]] = []
    for number, cells in rows:
        values = [imported_cell(c) for c in cells]
        if all(v == "" for v in values):
            continue
        if len(body) >= MAX_UPLOAD_ROWS:
            raise _too_many()
        body.append((number, values))
    if not body:
        raise _fail(_("読み込む行がありません（見出しの行だけです）。"))
    return positions, body


def _header(number: int, cells: list[Any]) -> dict[str, int]:
    names = [str(c).strip().lstrip("\ufeff").strip() for c in cells]
    errors: list[RowError] = []
    if number != 1:
        errors.append(RowError(1, "", _("1行目に見出し（キー、分類、質問 …）を書いてください。")))
    positions: dict[str, int] = {}
    unknown, twice = [], []
    for i, name in enumerate(names):
        if not name:
            continue
        if name not in COLUMNS:
            unknown.append(name)
        elif name in positions:
            twice.append(name)
        else:
            positions[name] = i
    missing = [c for c in COLUMNS if c not in positions]
    if unknown:
        shown = [n if len(n) <= 20 else n[:20] + "…" for n in unknown[:5]]
        if len(unknown) > 5:
            shown.append(_("ほか%(n)s列") % {"n": len(unknown) - 5})
        errors.append(
            RowError(
                number,
                "",
                _("見出しに知らない列があります（%(names)s）。使える列：%(columns)s")
                % {"names": "、".join(shown), "columns": "、".join(COLUMNS)},
            )
        )
    if twice:
        errors.append(
            RowError(
                number, "", _("同じ見出しの列が二つあります（%(names)s）。") % {"names": "、".join(twice)}
            )
        )
    if missing:
        errors.append(
            RowError(
                number, "", _("見出しに足りない列があります（%(names)s）。") % {"names": "、".join(missing)}
            )
        )
    if errors:
        raise TabularInvalid(errors)
    return positions


# --- checking the rows --------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    key: str
    values: dict[str, Any]
    procedures: list[Procedure] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)


@dataclass
class _Lookups:
    categories: dict[str, list[str]]
    departments: dict[str, Department]
    procedures: dict[str, Procedure]
    resources: dict[str, Resource]

    @classmethod
    def of(cls, municipality: Municipality) -> _Lookups:
        departments: dict[str, Department] = {}
        for d in Department.objects.for_municipality(municipality):
            departments.setdefault(normalize_text(d.name), d)
            departments[d.name] = d
        return cls(
            categories=categories_of(municipality),
            departments=departments,
            procedures={p.key: p for p in Procedure.objects.for_municipality(municipality)},
            resources={r.key: r for r in Resource.objects.for_municipality(municipality)},
        )


def _date(value: Any) -> date | None:
    """A cell's date; ValueError when it is not one."""
    if isinstance(value, date):
        return value
    text = normalize_text(str(value))
    if not text:
        return None
    match = DATE_TEXT.match(text)
    if match is None:
        raise ValueError(text)
    return date(int(match[1]), int(match[2]), int(match[3]))


def _check_row(
    number: int, cells: list[Any], positions: dict[str, int], lookups: _Lookups, errors: list[RowError]
) -> _Row:
    def get(column: str) -> Any:
        i = positions[column]
        return cells[i] if i < len(cells) else ""

    def text(column: str) -> str:
        value = get(column)
        return value.isoformat() if isinstance(value, date) else tidy(str(value))

    def fail(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    key = normalize_text(text(KEY)).lower()
    if key:
        problem = key_problem(key)
        if problem:
            fail(KEY, problem)

    category, subcategory = text(CATEGORY), text(SUBCATEGORY)
    if not category:
        fail(CATEGORY, _("分類を入力してください。"))
    for column, value in ((CATEGORY, category), (SUBCATEGORY, subcategory)):
        problem = too_long(value, MAX_NAME)
        if problem:
            fail(column, problem)
    if category:
        found = category_problem(lookups.categories, category, subcategory)
        if found:
            fail(CATEGORY if found[0] == "category" else SUBCATEGORY, found[1])

    question = text(QUESTION)
    if not question:
        fail(QUESTION, _("質問を入力してください。"))
    elif problem := too_long(question, MAX_QUESTION):
        fail(QUESTION, problem)
    phrasings = phrasing_lines(text(PHRASINGS))
    if problem := phrasings_problem(phrasings):
        fail(PHRASINGS, problem)
    answer = text(ANSWER)
    if not answer:
        fail(ANSWER, _("回答を入力してください。"))
    elif problem := too_long(answer, MAX_ANSWER):
        fail(ANSWER, problem)

    department: Department | None = None
    department_name = text(DEPARTMENT)
    if department_name:
        department = lookups.departments.get(department_name) or lookups.departments.get(
            normalize_text(department_name)
        )
        if department is None:
            fail(DEPARTMENT, _("この団体にない課です（%(name)s）。") % {"name": department_name})

    procedures = _links(text(PROCEDURES), lookups.procedures, PROCEDURES, fail, _("この団体にない手続です"))
    resources = _links(text(RESOURCES), lookups.resources, RESOURCES, fail, _("この団体にない予約の対象です"))

    visibility_text = normalize_text(text(VISIBILITY))
    visibility = VISIBILITY_WORDS.get(visibility_text or "公開")
    if visibility is None:
        fail(
            VISIBILITY,
            _("「公開」か「職員のみ」と書いてください（%(value)s）。") % {"value": visibility_text},
        )

    dates: dict[str, date | None] = {}
    for column in DATE_COLUMNS:
        try:
            dates[column] = _date(get(column))
        except ValueError:
            dates[column] = None
            fail(
                column,
                _("日付は 2026-04-01 のように、年-月-日で書いてください（%(value)s）。")
                % {"value": text(column)},
            )
    if problem := period_problem(dates[VALID_FROM], dates[VALID_TO]):
        fail(VALID_TO, problem)

    return _Row(
        number,
        key,
        {
            "category": category,
            "subcategory": subcategory,
            "question": question,
            "phrasings": "\n".join(phrasings),
            "answer": answer,
            "department_id": department.pk if department else None,
            "visibility": visibility or Visibility.PUBLIC.value,
            "valid_from": dates[VALID_FROM],
            "valid_to": dates[VALID_TO],
            "reviewed_on": dates[REVIEWED],
        },
        procedures,
        resources,
    )


def _links(value: str, known: dict[str, Any], column: str, fail: Any, unknown_message: str) -> list[Any]:
    keys = list(dict.fromkeys(k for k in LINK_SEPARATORS.split(normalize_text(value)) if k))
    missing = [k for k in keys if k not in known]
    if missing:
        fail(column, f"{unknown_message}（{'、'.join(missing)}）。")
    if len(keys) > MAX_LINKS:
        fail(
            column,
            _("%(n)s件までにしてください（%(count)s件あります）。") % {"n": MAX_LINKS, "count": len(keys)},
        )
    return [known[k] for k in keys if k in known]


def check(municipality: Municipality, name: str, raw: bytes) -> list[_Row]:
    """Every row checked; :class:`TabularInvalid` with every error found."""
    positions, body = read_rows(name, raw)
    lookups = _Lookups.of(municipality)
    errors: list[RowError] = []

    def check_row(number: int, cells: list[Any], errors: list[RowError]) -> _Row:
        return _check_row(number, cells, positions, lookups, errors)

    return checked_rows(body, check_row, errors, key_column=KEY, columns=COLUMNS)


def import_file(municipality: Municipality, name: str, raw: bytes) -> ImportResult:
    """Check the whole file, then write it in one transaction: nothing on any error."""
    rows = check(municipality, name, raw)
    result = ImportResult(municipality.slug)
    with transaction.atomic():
        existing = {e.key: e for e in entries_of(municipality).select_for_update(of=("self",))}
        taken = set(existing) | {r.key for r in rows if r.key}
        for row in rows:
            key = row.key or derive_key(taken)
            taken.add(key)
            entry = existing.get(key) or Entry(municipality=municipality, key=key)
            new = entry.pk is None
            if save_entry(entry, {"key": key, **row.values}, row.procedures, row.resources):
                if new:
                    result.created += 1
                else:
                    result.updated += 1
            else:
                result.unchanged += 1
    return result
