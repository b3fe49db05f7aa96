"""A submission as a printable application form (A4 portrait PDF, reportlab).

Uses reportlab's built-in Japanese CID font (HeiseiKakuGo-W5): no font file on the server, and
the text stays selectable and searchable.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from yakusho.core.jcal import format_wareki_date
from yakusho.procedures.models_submissions import Submission

FONT = "HeiseiKakuGo-W5"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
BODY = ParagraphStyle("submission-body", fontName=FONT, fontSize=9.5, leading=14, wordWrap="CJK")
TITLE = ParagraphStyle("submission-title", parent=BODY, fontSize=16, leading=22, alignment=1)
SMALL = ParagraphStyle("submission-small", parent=BODY, fontSize=8, leading=11)


def _p(text: object, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def submission_pdf(submission: Submission) -> bytes:
    from yakusho.procedures.submission_views import definition_of

    procedure = submission.procedure
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{procedure.name} {submission.display_code}",
        author=submission.municipality.name,
    )
    received = timezone.localtime(submission.submitted_at)
    channel = submission.get_channel_display()
    head = [
        [_p("受付番号"), _p(submission.display_code)],
        [
            _p("受付日時"),
            _p(f"{format_wareki_date(received.date())} {received:%H:%M}（{channel}）"),
        ],
        [_p("状況"), _p(submission.get_status_display())],
        [_p("処理期限"), _p(format_wareki_date(submission.deadline) if submission.deadline else "—")],
        [_p("担当課"), _p(procedure.department.name)],
        [_p("フォーム"), _p(f"第{submission.form_version}版")],
    ]
    rows = [
        [_p(label), _p(value)] for label, value in definition_of(submission.form).summary(submission.data)
    ]
    attachments = [a.name for a in submission.attachments.filter(message__isnull=True)]
    if attachments:
        rows.append([_p("添付ファイル"), _p("\n".join(attachments))])
    if submission.fee_yen:
        rows.append([_p("手数料"), _p(f"{submission.fee_yen:,}円")])
    style = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    widths = [55 * mm, 119 * mm]
    story = [
        _p(f"{submission.municipality.name}長 様", BODY),
        Spacer(1, 4 * mm),
        _p(procedure.name, TITLE),
        Spacer(1, 6 * mm),
        Table(head, colWidths=widths, style=style),
        Spacer(1, 6 * mm),
        Table(rows, colWidths=widths, style=style, repeatRows=0),
        Spacer(1, 6 * mm),
        _p(f"{timezone.localdate():%Y-%m-%d} 出力（Yakusho）", SMALL),
    ]
    doc.build(story)
    return out.getvalue()
