"""Exports safe to open (issue 15): one rule for every cell of every CSV and Excel file we write.

Residents and staff type the text that ends up in exports (a booking's name or note, a form's
answers, a plan's node titles and KPI texts). A spreadsheet program reads a cell that starts with
``=``, ``+``, ``-`` or ``@`` as a formula — and one after a tab or a carriage return too — so
``=HYPERLINK("http://evil","x")`` in a booking would become a live link, or worse, on a staff
member's screen. Every export therefore passes its cells through :func:`neutralise`:

- CSV: ``core.csvutil.csv_response`` neutralises the header and every row (:func:`csv_row`);
- Excel: build the workbook with openpyxl as usual, then save it only through
  :func:`workbook_bytes` (or :func:`xlsx_response`), which neutralises every cell of every sheet —
  titles, headers and rows alike — and stores text as text (``t="inlineStr"``), never as a formula.

Numbers, Decimals, dates and times are left alone, so they stay numbers and dates in the file
(``-5`` stays the number -5). Sheet names are fixed words in every export; none comes from input.

Uploads (the FAQ's and the fee catalogue's imports) are read with :func:`xlsx_rows` and
:func:`imported_cell`, which undo that neutralisation, so an export imported again changes nothing.
"""

from __future__ import annotations

import io
import numbers
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: Values that are not text: they keep their type (a date stays a date, -5 the number -5).
NOT_TEXT = (bool, numbers.Number, date, time, timedelta)


def neutralise(value: Any) -> Any:
    """The value as it may go into a CSV or Excel cell: text that would start a formula gets a
    single quote in front (``'=HYPERLINK(…)``); other text is unchanged; numbers, Decimals, dates,
    times and ``None`` are returned as they are. Anything else (a lazy translation, a model) is text.

    Why a leading single quote, as OWASP advises, rather than dropping or escaping characters:

    - it is the spreadsheets' own "this is text" mark: Excel, LibreOffice and Google Sheets read a
      cell starting with ``'`` as text, whatever follows, so no formula is ever evaluated — also
      when a staff member later edits the cell or saves the sheet again as CSV;
    - it takes nothing away: the resident's text is kept whole and readable, and the original is
      the cell without its first character (nothing that starts with a quote is changed, so the
      rule is easy to reverse);
    - it does not depend on CSV quoting, which Excel ignores when it decides what is a formula
      (``"=1+1"`` in double quotes is still a formula).

    The cost is a visible quote in front of the few texts that start with ``-`` or ``+`` (e.g. a
    note "-- 欠席"); numbers are not affected, because they are not text.
    """
    if value is None or isinstance(value, NOT_TEXT):
        return value
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_row(values: Iterable[Any]) -> list[Any]:
    """One CSV row: each value neutralised, ``None`` as an empty field."""
    return ["" if v is None else neutralise(v) for v in values]


def excel_value(value: Any) -> Any:
    """A value as an Excel cell can hold it: neutralised, and without the control characters that
    the file format cannot store (openpyxl refuses them outright; a resident can still paste one)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise(value)


class _SafeSheet(Worksheet):
    """A worksheet whose rows and cells take any value: each goes through :func:`excel_value`."""

    def append(self, iterable: Any) -> None:
        if isinstance(iterable, dict):
            iterable = {k: excel_value(v) for k, v in iterable.items()}
        else:
            iterable = [excel_value(v) for v in iterable]
        super().append(iterable)

    def cell(self, row: int, column: int, value: Any = None) -> Any:
        return super().cell(row, column, excel_value(value) if value is not None else None)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, excel_value(value))


class SafeWorkbook(Workbook):
    """The workbook every export builds: its sheets clean and neutralise what goes in, and
    :func:`workbook_bytes` neutralises once more what was set some other way."""

    def __init__(self) -> None:
        super().__init__()
        self._sheets = [_SafeSheet(self)]

    def create_sheet(self, title: str | None = None, index: int | None = None) -> Any:
        sheet = _SafeSheet(parent=self, title=title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet


def neutralise_workbook(workbook: Workbook) -> None:
    """Neutralise every cell of every sheet in place; text cells are stored as text.

    openpyxl makes a formula of any text starting with ``=`` (and an error cell of ``#N/A`` and the
    like) when the value is set, so each text cell gets its neutralised value and then the text
    type explicitly. (XML reads a carriage return back as a line break; the quote stays in front.)
    """
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = neutralise(cell.value)
                    cell.data_type = "s"


def workbook_bytes(workbook: Workbook) -> bytes:
    """The .xlsx file of a workbook, every cell neutralised first: the only way exports save one."""
    neutralise_workbook(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_response(filename: str, workbook: Workbook) -> HttpResponse:
    """A download of the workbook (neutralised, see :func:`workbook_bytes`) under ``filename``."""
    response = HttpResponse(workbook_bytes(workbook), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- reading an upload ----------------------------------------------------------------------------

#: an .xlsx may unpack into at most this many bytes (a small file that unpacks into a huge one is
#: refused before openpyxl reads it)
MAX_UNPACKED_BYTES = 100_000_000


class UnreadableWorkbook(ValueError):
    """An upload that cannot be read as an .xlsx workbook; the message says why, in Japanese."""


def xlsx_rows(raw: bytes, *, max_columns: int = 40) -> Iterator[tuple[int, list[Any]]]:
    """The rows of an uploaded workbook's first sheet as (row number, cell values), rows without
    cells left out and each row cut to the width of the first (the header's). A file that is not
    a workbook, that unpacks into more than :data:`MAX_UNPACKED_BYTES` or that openpyxl cannot
    read raises :class:`UnreadableWorkbook`."""
    unreadable = gettext("Excelファイル（.xlsx）として読み取れませんでした。")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnreadableWorkbook(unreadable) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnreadableWorkbook(
            gettext("ファイルの中身が大きすぎます。行を分けて、いくつかのファイルにしてください。")
        )
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # a broken or disguised file: openpyxl and zipfile raise many kinds
        raise UnreadableWorkbook(unreadable) from None
    try:
        if not workbook.worksheets:
            raise UnreadableWorkbook(unreadable)
        width = max_columns
        for cells in workbook.worksheets[0].iter_rows(max_col=max_columns):
            number = next((c.row for c in cells if getattr(c, "row", None)), None)
            if number is None:
                continue  # a row without cells
            values = [c.value for c in cells[:width]]
            if number == 1:
                while values and values[-1] in (None, ""):
                    values.pop()
                width = max(len(values), 1)
            yield number, values
    except UnreadableWorkbook:
        raise
    except Exception:
        raise UnreadableWorkbook(unreadable) from None
    finally:
        workbook.close()


def imported_cell(value: Any) -> Any:
    """A cell of an upload as text (a date stays a date, 3.0 reads 3), with the ``'`` that an export
    puts in front of a formula-like text (:func:`neutralise`) taken off again."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = value if isinstance(value, str) else str(value)
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


@dataclass(frozen=True)
class RowError:
    """One error of an import: its row as the spreadsheet shows it (header = 1; None: the whole
    file) and its column's Japanese name ("" when none). Shown as 「3行目「金額」：…」."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = gettext("%(row)s行目") % {"row": f"{self.row:,}"} if self.row else ""
        if self.column:
            where = f"{where}「{self.column}」" if where else f"「{self.column}」"
        return f"{where}：{self.message}" if where else self.message


class TabularInvalid(Exception):
    """A refused import file, with every error found; nothing was saved."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class KeyedRow(Protocol):
    key: str


R = TypeVar("R", bound=KeyedRow)


def checked_rows(
    body: Iterable[tuple[int, list[Any]]],
    check_row: Callable[[int, list[Any], list[RowError]], R],
    errors: list[RowError],
    *,
    key_column: str,
    columns: Sequence[str],
) -> list[R]:
    """Every row of an import checked (``check_row`` adds its errors), a key given twice named with
    the row it first stood in; then :class:`TabularInvalid` with every error in row and column
    order, or the rows."""
    rows: list[R] = []
    first_row: dict[str, int] = {}
    for number, cells in body:
        row = check_row(number, cells, errors)
        if row.key:
            if row.key in first_row:
                errors.append(
                    RowError(
                        number,
                        key_column,
                        gettext("キーが%(row)s行目と重複しています（%(key)s）。")
                        % {"row": f"{first_row[row.key]:,}", "key": row.key},
                    )
                )
            first_row.setdefault(row.key, number)
        rows.append(row)
    if errors:
        order = {c: i for i, c in enumerate(columns)}
        errors.sort(key=lambda e: (e.row or 0, order.get(e.column, -1)))
        raise TabularInvalid(errors)
    return rows
