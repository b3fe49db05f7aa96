"""Reading exports back for the "safe to open" tests (issue 15): the payloads, CSV and Excel
readers that check every cell, and what a neutralised payload looks like in each format."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any

from openpyxl import Workbook, load_workbook

from yakusho.core.spreadsheets import FORMULA_PREFIXES

#: What a resident might type, one per formula-starting character (a tab or CR in front, too).
PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]
FORMULA_ELEMENT = re.compile(r"<(\w+:)?f[\s/>]")


def safe(payload: str) -> str:
    return "'" + payload


def excel_text(payload: str) -> str:
    """The neutralised text as read back from an .xlsx: XML reads a carriage return as a line
    break (XML 1.0, end-of-line handling), and so does Excel; the leading quote is what counts."""
    return safe(payload).replace("\r", "\n")


def read_csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def read_xlsx(response: Any) -> Workbook:
    assert response.status_code == 200, response.content[:300]
    return checked_workbook(response.content)


def checked_workbook(content: bytes) -> Workbook:
    """The workbook, after checking that no sheet of the file holds a formula (no ``<f>`` in its
    XML) and that every text cell is text and starts no formula."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        assert sheets
        for name in sheets:
            xml = archive.read(name).decode("utf-8")
            assert not FORMULA_ELEMENT.search(xml), f"a formula in {name}"
    workbook = load_workbook(io.BytesIO(content))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                if isinstance(cell.value, str):
                    assert cell.data_type == "s" and not cell.value.startswith(FORMULA_PREFIXES), (
                        sheet.title,
                        cell.coordinate,
                        cell.value,
                    )
    return workbook


def assert_text_cell(cell: Any, payload: str) -> None:
    assert (cell.value, cell.data_type) == (excel_text(payload), "s"), cell.coordinate
