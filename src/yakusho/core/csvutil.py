"""CSV exports: UTF-8 with a byte-order mark so that Excel opens Japanese text correctly, and every
field neutralised (``core.spreadsheets.neutralise``) so that no text opens as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse

from yakusho.core.spreadsheets import csv_row

BOM = "\ufeff"


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response.write(BOM)
    writer = csv.writer(response)
    writer.writerow(csv_row(header))
    for row in rows:
        writer.writerow(csv_row(row))
    return response


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV as text (no byte-order mark, ``\n`` line ends), every field neutralised: for data files
    Yakusho writes into the repository (the converted list of local governments)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(csv_row(header))
    for row in rows:
        writer.writerow(csv_row(row))
    return buffer.getvalue()
