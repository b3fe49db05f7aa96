"""Exports of the staff inbox: CSV (UTF-8 with a BOM, for Excel) and Excel (openpyxl).

One row per submission: the fixed columns, then the answers as the form's summary gives them
(label → value); submissions made with different forms share the columns by label. Every cell,
the labels included, is neutralised (``core.spreadsheets``): answers are typed by residents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl.styles import Font

from yakusho.core.csvutil import csv_response
from yakusho.core.jcal import format_wareki_date
from yakusho.core.spreadsheets import SafeWorkbook, xlsx_response
from yakusho.procedures.models.submissions import Submission

FIXED = [
    "受付番号",
    "手続",
    "担当課",
    "受付方法",
    "状況",
    "受付日時",
    "処理期限",
    "完了日時",
    "担当者",
    "申請者",
    "メールアドレス",
    "手数料（円）",
    "フォームの版",
]


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def table(submissions: Sequence[Submission]) -> tuple[list[str], list[list[Any]]]:
    from yakusho.procedures.catalogue.services import definition_of

    answers: list[dict[str, str]] = []
    labels: list[str] = []
    seen: set[str] = set()
    for submission in submissions:
        row: dict[str, str] = {}
        for label, value in definition_of(submission.form).summary(submission.data):
            row[label] = value
            if label not in seen:
                seen.add(label)
                labels.append(label)
        answers.append(row)
    rows = []
    for submission, row in zip(submissions, answers, strict=True):
        rows.append(
            [
                submission.display_code,
                submission.procedure.name,
                submission.procedure.department.name,
                submission.get_channel_display(),
                submission.get_status_display(),
                _local(submission.submitted_at),
                format_wareki_date(submission.deadline) if submission.deadline else "",
                _local(submission.completed_at),
                str(submission.assigned_to or ""),
                submission.applicant_name,
                submission.applicant_email,
                submission.fee_yen,
                submission.form_version,
                *(row.get(label, "") for label in labels),
            ]
        )
    return [*FIXED, *labels], rows


def _filename(municipality: Any, ext: str) -> str:
    return f"申請一覧_{municipality.name}_{timezone.localdate():%Y%m%d}.{ext}"


def csv_export(municipality: Any, submissions: Sequence[Submission]) -> HttpResponse:
    header, rows = table(submissions)
    return csv_response(_filename(municipality, "csv"), header, rows)


def excel_export(municipality: Any, submissions: Sequence[Submission]) -> HttpResponse:
    header, rows = table(submissions)
    book = SafeWorkbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "申請一覧"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(["" if v is None else v for v in row])
    sheet.freeze_panes = "B2"
    return xlsx_response(_filename(municipality, "xlsx"), book)
