"""Exports of bookings: CSV (UTF-8 with a BOM, for Excel) and Excel (openpyxl), one row per booking.

Both neutralise every cell (``core.spreadsheets``): names and notes are typed by residents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from openpyxl.styles import Font

from yakusho.bookings.models import Booking, Resource
from yakusho.bookings.rules import local_start
from yakusho.core.csvutil import csv_response
from yakusho.core.models import Municipality
from yakusho.core.spreadsheets import SafeWorkbook, xlsx_response

HEADER = [
    "予約番号",
    "予約先",
    "担当課",
    "日付",
    "開始",
    "終了",
    "状態",
    "受付方法",
    "氏名",
    "フリガナ",
    "電話番号",
    "メールアドレス",
    "連絡事項",
    "受付日時",
    "取消の理由",
]


def bookings_between(
    municipality: Municipality, resources: QuerySet[Resource], start: date, end: date
) -> list[Booking]:
    return list(
        Booking.objects.for_municipality(municipality)
        .filter(
            resource__in=resources,
            slot__starts_at__gte=local_start(start),
            slot__starts_at__lt=local_start(end + timedelta(days=1)),
        )
        .select_related("slot", "resource", "resource__department")
        .order_by("slot__starts_at", "resource__name", "created_at", "pk")
    )


def rows(bookings: Sequence[Booking]) -> list[list[Any]]:
    out = []
    for b in bookings:
        start, end = timezone.localtime(b.slot.starts_at), timezone.localtime(b.slot.ends_at)
        out.append(
            [
                b.display_code,
                b.resource.name,
                b.resource.department.name,
                start.date().isoformat(),
                f"{start:%H:%M}",
                f"{end:%H:%M}",
                b.get_status_display(),
                b.get_channel_display(),
                b.name,
                b.kana,
                b.phone,
                b.email,
                b.note,
                timezone.localtime(b.created_at).strftime("%Y-%m-%d %H:%M"),
                b.cancel_reason,
            ]
        )
    return out


def _name(municipality: Municipality, start: date, end: date, ext: str) -> str:
    return f"予約一覧_{municipality.name}_{start.isoformat()}_{end.isoformat()}.{ext}"


def csv_export(
    municipality: Municipality, bookings: Sequence[Booking], start: date, end: date
) -> HttpResponse:
    return csv_response(_name(municipality, start, end, "csv"), HEADER, rows(bookings))


def excel_export(
    municipality: Municipality, bookings: Sequence[Booking], start: date, end: date
) -> HttpResponse:
    workbook = SafeWorkbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "予約一覧"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(bookings):
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for column, width in zip(
        "ABCDEFGHIJKLMNO", (12, 24, 16, 12, 7, 7, 12, 10, 16, 18, 15, 28, 30, 17, 24), strict=True
    ):
        sheet.column_dimensions[column].width = width
    return xlsx_response(_name(municipality, start, end, "xlsx"), workbook)
