"""The fee catalogue as Excel: export, and an all-or-nothing import (docs/payments/catalogue.md).

One row per item with its current rate, in :data:`COLUMNS`. Every cell of an export is
neutralised (``core.spreadsheets``): a text starting with ``=``, ``+``, ``-`` or ``@`` gets a ``'``
in front, which the import takes off again, so that an exported file reads back unchanged.

The import reads .xlsx (openpyxl, read only), checks every row like the staff forms do (the rules
are ``payments.catalogue_forms``'), lists every error with its row as the spreadsheet shows it
(the header is row 1) and its column, and writes nothing unless every row is right. A row whose
key exists updates that item, a new key creates one; items the file does not name are left alone;
a row that changes nothing writes nothing. A row whose rate (単位, 金額, 町外・市外の金額, 上限,
減免) differs from the item's current one adds a new rate from its 適用開始日, which must then be
today or later (a rate is never changed: payments keep the rate they were taken at).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font

from yakusho.core.jcal import JapaneseDateError, parse_japanese_date
from yakusho.core.models import Department, Municipality
from yakusho.core.normalize import normalize_text
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
from yakusho.payments.catalogue_forms import (
    MAX_ACCOUNT_CODE,
    MAX_ACCOUNT_NAME,
    MAX_LEGAL_BASIS,
    MAX_NAME,
    MAX_NOTE,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS,
    add_rate,
    exemption_lines,
    exemptions_problem,
    key_problem,
    ordered_methods,
    parse_quantity,
    rate_values,
    save_item,
    tidy_key,
    too_long,
)
from yakusho.payments.models import FeeItem, FeeKind, FeeRate, Method, Unit
from yakusho.payments.services import PaymentError, parse_yen

KEY = "キー"
NAME = "名称"
KIND = "種別"
DEPARTMENT = "担当課"
LEGAL_BASIS = "根拠条例"
ACCOUNT_CODE = "歳入科目コード"
ACCOUNT_NAME = "歳入科目"
METHODS = "支払方法"
UNIT = "単位"
AMOUNT = "金額"
NON_RESIDENT = "町外・市外の金額"
MAX_QUANTITY = "1回の上限数量"
EXEMPTIONS = "減免の理由"
VALID_FROM = "適用開始日"
PUBLIC = "公開"
NOTE = "備考"
COUNTED_AS = "集計上の項目"
#: columns a file may leave out (added after the first files were written): read as empty
OPTIONAL_COLUMNS = (COUNTED_AS,)
COLUMNS = (
    KEY,
    NAME,
    KIND,
    DEPARTMENT,
    LEGAL_BASIS,
    ACCOUNT_CODE,
    ACCOUNT_NAME,
    METHODS,
    UNIT,
    AMOUNT,
    NON_RESIDENT,
    MAX_QUANTITY,
    EXEMPTIONS,
    VALID_FROM,
    PUBLIC,
    NOTE,
    COUNTED_AS,
)
#: the columns of the rate: all empty (no rate given) or 金額 at least
RATE_COLUMNS = (UNIT, AMOUNT, NON_RESIDENT, MAX_QUANTITY, EXEMPTIONS, VALID_FROM)
WIDTHS = (14, 30, 14, 14, 28, 14, 16, 36, 8, 10, 14, 10, 24, 12, 8, 30, 24)
LETTERS = "ABCDEFGHIJKLMNOPQ"

PUBLIC_WORDS = {"公開": True, "非公開": False}
#: several methods in a cell: 読点 (as exported), commas or line breaks between them
METHOD_SEPARATORS = re.compile(r"[、,，\n]+")
#: how many columns of a sheet are read (the 16 columns and a few unknown ones to name)
MAX_COLUMNS = 40


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rates_added: int = 0


# --- export ------------------------------------------------------------------------------------------


def items_of(municipality: Municipality) -> QuerySet[FeeItem]:
    return (
        FeeItem.objects.for_municipality(municipality)
        .select_related("department")
        .prefetch_related("rates")
        .order_by("order", "name", "pk")
    )


def methods_text(methods: list[str]) -> str:
    return "、".join(str(Method(m).label) for m in ordered_methods(methods))


def export_rows(municipality: Municipality) -> list[list[Any]]:
    """One row per item with the rate in force today (its columns empty when it has none)."""
    today = timezone.localdate()
    rows: list[list[Any]] = []
    for item in items_of(municipality):
        rate = item.rate_on(today)
        rate_cells: list[Any] = (
            [
                str(Unit(rate.unit).label),
                rate.amount_yen,
                rate.non_resident_yen,
                rate.max_quantity,
                "\n".join(rate.exemptions),
                rate.valid_from,
            ]
            if rate is not None
            else [None] * len(RATE_COLUMNS)
        )
        rows.append(
            [
                item.key,
                item.name,
                str(FeeKind(item.kind).label),
                item.department.name if item.department else "",
                item.legal_basis,
                item.account_code,
                item.account_name,
                methods_text(item.methods),
                *rate_cells,
                "公開" if item.public else "非公開",
                item.note,
                item.counted_as,
            ]
        )
    return rows


def filename(municipality: Municipality) -> str:
    return f"手数料一覧_{municipality.name}_{timezone.localdate().isoformat()}.xlsx"


def excel_export(municipality: Municipality) -> HttpResponse:
    workbook = SafeWorkbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "手数料一覧"
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
            elif isinstance(cell.value, int) and not isinstance(cell.value, bool):
                cell.number_format = "#,##0"
    sheet.freeze_panes = "C2"
    for column, width in zip(LETTERS, WIDTHS, strict=True):
        sheet.column_dimensions[column].width = width
    return xlsx_response(filename(municipality), workbook)


# --- reading a file ------------------------------------------------------------------------------------


def _fail(message: str, row: int | None = None, column: str = "") -> TabularInvalid:
    return TabularInvalid([RowError(row, column, message)])


def _xlsx_rows(raw: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        yield from xlsx_rows(raw, max_columns=MAX_COLUMNS)
    except UnreadableWorkbook as exc:
        raise _fail(str(exc)) from None


def read_rows(raw: bytes) -> tuple[dict[str, int], list[tuple[int, list[Any]]]]:
    """The columns' positions and the rows (number, cells): the header checked, blank rows
    skipped, the number of rows limited."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise _fail(_("ファイルが大きすぎます（2MBまで）。ファイルを分けて読み込んでください。"))
    if not raw:
        raise _fail(_("ファイルが空です。"))
    rows = _xlsx_rows(raw)
    first = next(rows, None)
    if first is None:
        raise _fail(_("シートが空です。1行目に見出し（キー、名称、種別 …）を書いてください。"))
    number, header_cells = first
    positions = _header(number, [imported_cell(c) for c in header_cells])
    body: list[tuple[int, list[Any]]] = []
    for number, cells in rows:
        values = [imported_cell(c) for c in cells]
        if all(v == "" for v in values):
            continue
        if len(body) >= MAX_UPLOAD_ROWS:
            raise _fail(
                _("行が多すぎます（%(n)s行まで）。ファイルを分けて読み込んでください。")
                % {"n": f"{MAX_UPLOAD_ROWS:,}"}
            )
        body.append((number, values))
    if not body:
        raise _fail(_("読み込む行がありません（見出しの行だけです）。"))
    return positions, body


def _header(number: int, cells: list[Any]) -> dict[str, int]:
    names = [normalize_text(str(c)) for c in cells]
    errors: list[RowError] = []
    if number != 1:
        errors.append(RowError(1, "", _("1行目に見出し（キー、名称、種別 …）を書いてください。")))
    positions: dict[str, int] = {}
    unknown, twice = [], []
    for i, name in enumerate(names):
        if not name:
            continue
        if name not in COLUMNS:
            unknown.append(name if len(name) <= 20 else name[:20] + "…")
        elif name in positions:
            twice.append(name)
        else:
            positions[name] = i
    missing = [c for c in COLUMNS if c not in positions and c not in OPTIONAL_COLUMNS]
    if unknown:
        errors.append(
            RowError(
                number,
                "",
                _("見出しに知らない列があります（%(names)s）。使える列：%(columns)s")
                % {"names": "、".join(unknown[:5]), "columns": "、".join(COLUMNS)},
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


def _words(choices: Any) -> dict[str, str]:
    """A choice's label (as exported) or its value → the value."""
    words: dict[str, str] = {}
    for value, label in choices:
        words[normalize_text(str(label))] = value
        words[value] = value
    return words


@dataclass
class _Lookups:
    departments: dict[str, Department]
    items: dict[str, FeeItem]
    kinds: dict[str, str]
    units: dict[str, str]
    methods: dict[str, str]

    @classmethod
    def of(cls, municipality: Municipality, items: dict[str, FeeItem]) -> _Lookups:
        departments: dict[str, Department] = {}
        for d in Department.objects.for_municipality(municipality):
            departments.setdefault(normalize_text(d.name), d)
            departments[d.name] = d
        return cls(
            departments=departments,
            items=items,
            kinds=_words(FeeKind.choices),
            units=_words(Unit.choices),
            methods=_words(Method.choices),
        )


@dataclass
class _Row:
    number: int
    key: str
    fields: dict[str, Any]
    rate: FeeRate | None  # a new rate to add (not saved), if any


def _check_row(
    number: int,
    cells: list[Any],
    positions: dict[str, int],
    lookups: _Lookups,
    today: date,
    errors: list[RowError],
) -> _Row:
    def get(column: str) -> Any:
        i = positions.get(column)
        return cells[i] if i is not None and i < len(cells) else ""

    def text(column: str) -> str:
        value = get(column)
        if isinstance(value, date):
            return value.isoformat()
        return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()

    def fail(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    key = tidy_key(text(KEY))
    if problem := key_problem(key):
        fail(KEY, problem)
    existing = lookups.items.get(key)

    name = text(NAME)
    if not name:
        fail(NAME, _("名称を入力してください。"))
    for column, value, limit in (
        (NAME, name, MAX_NAME),
        (LEGAL_BASIS, text(LEGAL_BASIS), MAX_LEGAL_BASIS),
        (ACCOUNT_CODE, text(ACCOUNT_CODE), MAX_ACCOUNT_CODE),
        (ACCOUNT_NAME, text(ACCOUNT_NAME), MAX_ACCOUNT_NAME),
        (NOTE, text(NOTE), MAX_NOTE),
    ):
        if problem := too_long(value, limit):
            fail(column, problem)

    kind_text = normalize_text(text(KIND))
    kind = lookups.kinds.get(kind_text)
    if kind is None:
        fail(
            KIND,
            _("種別は %(choices)s のどれかにしてください（%(value)s）。")
            % {
                "choices": "、".join(str(label) for _v, label in FeeKind.choices),
                "value": kind_text or "空欄",
            },
        )

    department: Department | None = None
    department_name = text(DEPARTMENT)
    if department_name:
        department = lookups.departments.get(department_name) or lookups.departments.get(
            normalize_text(department_name)
        )
        if department is None:
            fail(DEPARTMENT, _("この団体にない課です（%(name)s）。") % {"name": department_name})

    methods: list[str] = []
    unknown: list[str] = []
    for word in METHOD_SEPARATORS.split(text(METHODS)):
        word = normalize_text(word)
        if not word:
            continue
        method = lookups.methods.get(word)
        if method is None:
            unknown.append(word)
        else:
            methods.append(method)
    if unknown:
        fail(
            METHODS,
            _("知らない支払方法です（%(unknown)s）。使えるもの：%(choices)s")
            % {
                "unknown": "、".join(unknown),
                "choices": "、".join(str(label) for _v, label in Method.choices),
            },
        )
    elif not methods:
        fail(METHODS, _("支払方法を1つ以上書いてください（例：現金、クレジットカード）。"))

    public_text = normalize_text(text(PUBLIC)) or "公開"
    public = PUBLIC_WORDS.get(public_text)
    if public is None:
        fail(PUBLIC, _("「公開」か「非公開」と書いてください（%(value)s）。") % {"value": public_text})

    rate = _check_rate(get, text, fail, existing, lookups, today)
    return _Row(
        number,
        key,
        {
            "name": name,
            "kind": kind or FeeKind.FEE,
            "department_id": department.pk if department else None,
            "legal_basis": text(LEGAL_BASIS),
            "account_code": text(ACCOUNT_CODE),
            "account_name": text(ACCOUNT_NAME),
            "methods": ordered_methods(methods),
            "public": bool(public) if public is not None else True,
            "note": text(NOTE),
            "counted_as": text(COUNTED_AS)[:80],
        },
        rate,
    )


def _check_rate(
    get: Any, text: Any, fail: Any, existing: FeeItem | None, lookups: _Lookups, today: date
) -> FeeRate | None:
    """The new rate a row asks for, or None (no rate columns, or the same as the item's)."""
    if not text(AMOUNT):
        filled = [c for c in RATE_COLUMNS if c != AMOUNT and text(c)]
        if filled:
            fail(
                AMOUNT,
                _("料金を登録するときは金額を入力してください（%(columns)s があります）。")
                % {"columns": "、".join(filled)},
            )
        return None
    ok = True

    def bad(column: str, message: str) -> None:
        nonlocal ok
        ok = False
        fail(column, message)

    unit_text = normalize_text(text(UNIT))
    unit = lookups.units.get(unit_text) if unit_text else Unit.FIXED
    if unit is None:
        bad(
            UNIT,
            _("単位は %(choices)s のどれかにしてください（%(value)s）。")
            % {"choices": "、".join(str(label) for _v, label in Unit.choices), "value": unit_text},
        )
    amount = non_resident = None
    try:
        amount = parse_yen(text(AMOUNT), AMOUNT)
    except PaymentError as exc:
        bad(AMOUNT, exc.message)
    if text(NON_RESIDENT):
        try:
            non_resident = parse_yen(text(NON_RESIDENT), NON_RESIDENT)
        except PaymentError as exc:
            bad(NON_RESIDENT, exc.message)
    quantity = 0
    try:
        quantity = parse_quantity(text(MAX_QUANTITY))
    except ValueError as exc:
        bad(MAX_QUANTITY, str(exc))
    exemptions = exemption_lines(text(EXEMPTIONS))
    if problem := exemptions_problem(exemptions):
        bad(EXEMPTIONS, problem)
    valid_from: date | None = None
    value = get(VALID_FROM)
    if isinstance(value, date):
        valid_from = value
    elif text(VALID_FROM):
        try:
            valid_from = parse_japanese_date(text(VALID_FROM))
        except JapaneseDateError:
            bad(
                VALID_FROM,
                _("日付は 2026-04-01 のように、年-月-日で書いてください（%(value)s）。")
                % {"value": text(VALID_FROM)},
            )
    if not ok or unit is None or amount is None:
        return None

    item = existing
    new = FeeRate(
        item=item,
        valid_from=valid_from or today,
        unit=unit,
        amount_yen=amount,
        non_resident_yen=non_resident,
        max_quantity=quantity,
        exemptions=exemptions,
    )
    rates = list(item.rates.all()) if item is not None else []
    if valid_from is not None:
        same_day = next((r for r in rates if r.valid_from == valid_from), None)
        if same_day is not None:
            if rate_values(same_day) == rate_values(new):
                return None
            fail(
                VALID_FROM,
                _(
                    "%(day)sから適用の料金はすでに別の内容で登録されています。登録した料金は変えられません。"
                    "料金を変えるときは、今日以降の新しい適用開始日を書いてください。"
                )
                % {"day": f"{valid_from:%Y年%m月%d日}"},
            )
            return None
    if not rates:
        return new  # the item's first rate: from any date (today when none is given)
    current = item.rate_on(today) if item is not None else None
    if current is not None and rate_values(current) == rate_values(new):
        return None
    if valid_from is None:
        fail(VALID_FROM, _("料金を変えるときは適用開始日（今日以降）を入力してください。"))
        return None
    if valid_from < today:
        fail(
            VALID_FROM,
            _("新しい料金の適用開始日は今日（%(today)s）以降にしてください（%(day)s）。")
            % {"today": f"{today:%Y年%m月%d日}", "day": f"{valid_from:%Y年%m月%d日}"},
        )
        return None
    return new


def _check(municipality: Municipality, raw: bytes, items: dict[str, FeeItem], today: date) -> list[_Row]:
    positions, body = read_rows(raw)
    lookups = _Lookups.of(municipality, items)
    errors: list[RowError] = []

    def check_row(number: int, cells: list[Any], errors: list[RowError]) -> _Row:
        return _check_row(number, cells, positions, lookups, today, errors)

    return checked_rows(body, check_row, errors, key_column=KEY, columns=COLUMNS)


def import_file(municipality: Municipality, raw: bytes) -> ImportResult:
    """Check the whole file, then write it, in one transaction: nothing on any error."""
    result = ImportResult()
    today = timezone.localdate()
    with transaction.atomic():
        items = {
            i.key: i
            for i in FeeItem.objects.for_municipality(municipality)
            .select_for_update()
            .prefetch_related("rates")
        }
        rows = _check(municipality, raw, items, today)
        next_order = (
            FeeItem.objects.for_municipality(municipality).aggregate(top=Max("order"))["top"] or 0
        ) + 1
        for row in rows:
            item = items.get(row.key)
            if item is None:
                item = FeeItem(municipality=municipality, key=row.key, order=min(next_order, 32767))
                save_item(item, row.fields)
                next_order += 1
                result.created += 1
            elif save_item(item, row.fields) or row.rate is not None:
                result.updated += 1
            else:
                result.unchanged += 1
            if row.rate is not None:
                row.rate.item = item
                add_rate(row.rate)
                result.rates_added += 1
    return result
