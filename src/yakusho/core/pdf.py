"""The building blocks every A4 document of Yakusho shares (application forms, the counter's
控え, receipts, the 日計表): reportlab's built-in Japanese CID font (HeiseiKakuGo-W5, no font file on
the server), the body, title and small styles, escaped paragraphs, the A4 page and the grid of
label–value tables. The plans' report (``plans.pdf``) has its own layout."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, TableStyle

FONT = "HeiseiKakuGo-W5"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
BODY = ParagraphStyle("submission-body", fontName=FONT, fontSize=9.5, leading=14, wordWrap="CJK")
TITLE = ParagraphStyle("submission-title", parent=BODY, fontSize=16, leading=22, alignment=1)
SMALL = ParagraphStyle("submission-small", parent=BODY, fontSize=8, leading=11)

#: label column and value column of the tables, on A4 with 18 mm margins
WIDTHS = [55 * mm, 119 * mm]


def para(text: object, style: ParagraphStyle = BODY) -> Paragraph:
    """Text as a paragraph (escaped; line breaks kept)."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def a4_document(out: io.BytesIO, *, title: str, author: str) -> SimpleDocTemplate:
    """An A4 portrait document with the margins of the application forms."""
    return SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=author,
    )


def grid_style() -> TableStyle:
    """Label–value tables: a grid, grey label column, text at the top of each cell."""
    return TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
