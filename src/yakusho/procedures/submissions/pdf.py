"""A submission as a printable application form (A4 portrait PDF, reportlab).

Uses reportlab's built-in Japanese CID font (HeiseiKakuGo-W5): no font file on the server, and
the text stays selectable and searchable. The document, paragraph and table helpers here are
shared with the counter's paper forms (:mod:`.counter_pdf`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from django.utils import timezone, translation
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table

from yakusho.core.jcal import format_date
from yakusho.core.pdf import BODY, SMALL, TITLE, WIDTHS, a4_document, grid_style, para
from yakusho.procedures.formengine import FormDefinition
from yakusho.procedures.models.submissions import Submission


def answer_rows(definition: FormDefinition, cleaned: Mapping[str, Any]) -> list[list[Paragraph]]:
    """One row per field shown, as the engine summarises it (label, display value)."""
    return [[para(label), para(value)] for label, value in definition.summary(cleaned)]


@translation.override("ja")  # a Japanese document (labels, dates: 令和8年（2026年）4月1日), whoever prints it
def submission_pdf(submission: Submission) -> bytes:
    from yakusho.procedures.catalogue.services import definition_of
    from yakusho.procedures.submissions.fees import fee_summary

    procedure = submission.procedure
    out = io.BytesIO()
    doc = a4_document(
        out, title=f"{procedure.name} {submission.display_code}", author=submission.municipality.name
    )
    received = timezone.localtime(submission.submitted_at)
    channel = submission.get_channel_display()
    head = [
        [para("受付番号"), para(submission.display_code)],
        [
            para("受付日時"),
            para(f"{format_date(received)} {received:%H:%M}（{channel}）"),
        ],
        [para("状況"), para(submission.get_status_display())],
        [para("処理期限"), para(format_date(submission.deadline) if submission.deadline else "—")],
        [para("担当課"), para(procedure.department.name)],
        [para("フォーム"), para(f"第{submission.form_version}版")],
    ]
    rows = answer_rows(definition_of(submission.form), submission.data)
    attachments = [a.name for a in submission.attachments.filter(message__isnull=True)]
    if attachments:
        rows.append([para("添付ファイル"), para("\n".join(attachments))])
    if (fee := fee_summary(submission)) is not None:
        items = "".join(f"{label} {yen:,}円\n" for label, yen in fee.rows)
        rows.append([para("手数料"), para(f"{items}合計 {fee.total:,}円\n{fee.how_to_pay}")])
    style = grid_style()
    widths = WIDTHS
    story = [
        para(f"{submission.municipality.name}長 様", BODY),
        Spacer(1, 4 * mm),
        para(procedure.name, TITLE),
        Spacer(1, 6 * mm),
        Table(head, colWidths=widths, style=style),
        Spacer(1, 6 * mm),
        Table(rows, colWidths=widths, style=style, repeatRows=0),
        Spacer(1, 6 * mm),
        para(f"{format_date(timezone.localdate())} 出力（Yakusho）", SMALL),
    ]
    doc.build(story)
    return out.getvalue()
