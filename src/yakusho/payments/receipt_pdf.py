"""領収書: the receipt of a payment taken at the till (A4 PDF, reportlab), for the resident.

It shows, in Japanese whoever prints it::

    大江町
    領収書
    領収番号 XXXX-XXXX / 日付 令和8年（2026年）4月1日 / 支払方法
    名称 | 単価 | 数量 | 金額   (one row per line; an exemption says 減免 and why)
    合計
    お預かり / おつり (cash) or 端末の取引番号 (cashless)

A voided payment's receipt is still printed, with 「取消済み」 in large letters under the title (and
in the document's title); a refunded one says 「返金済み」, a partly refunded one how much. The
Japanese font is reportlab's built-in CID font (as the counter's 控え,
:mod:`yakusho.procedures.counter.receipt_pdf`), so the text stays searchable; the document's
language is set to Japanese (/Lang ja). Nothing is stored: the caller serves the bytes.
"""

from __future__ import annotations

import io

from django.utils import timezone, translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from yakusho.core.jcal import format_date, format_datetime
from yakusho.core.pdf import BODY, SMALL, TITLE, WIDTHS, grid_style, para
from yakusho.payments.models import Method, Payment, PaymentStatus, ReversalStatus

TITLE_TEXT = "領収書"
#: the note under the title of a payment no longer paid in full
STATUS_NOTES = {PaymentStatus.VOIDED: "取消済み", PaymentStatus.REFUNDED: "返金済み"}
BIG = ParagraphStyle("receipt-big", parent=BODY, fontSize=14, leading=20)
STAMP = ParagraphStyle(
    "receipt-stamp", parent=BODY, fontSize=20, leading=28, alignment=1, textColor=colors.red
)
RIGHT = ParagraphStyle("receipt-right", parent=BODY, alignment=2)
#: the lines table: 名称, 単価, 数量, 金額 (174 mm, as the label–value tables)
LINE_WIDTHS = [94 * mm, 28 * mm, 20 * mm, 32 * mm]


def yen(amount: int) -> str:
    return f"{amount:,}円"


def status_note(payment: Payment, refunded_yen: int) -> str:
    """「取消済み」, 「返金済み」, 「一部返金済み（300円）」, or "" for a payment paid in full."""
    if payment.status in STATUS_NOTES:
        return STATUS_NOTES[PaymentStatus(payment.status)]
    if refunded_yen:
        return f"一部返金済み（{yen(refunded_yen)}）"
    return ""


def _lines_table(payment: Payment) -> Table:
    rows = [[para("名称"), para("単価", RIGHT), para("数量", RIGHT), para("金額", RIGHT)]]
    for line in payment.lines.order_by("order", "pk"):
        name = line.name + (f"\n減免（{line.exemption}）" if line.exemption else "")
        amounts = [yen(line.unit_yen), f"{line.quantity:,}", yen(line.amount_yen)]
        rows.append([para(name), *[para(a, RIGHT) for a in amounts]])
    rows.append([para("合計"), "", "", para(yen(payment.total_yen), RIGHT)])
    style = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f2f2")),
            ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f2f2")),
            ("SPAN", (0, -1), (2, -1)),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    return Table(rows, colWidths=LINE_WIDTHS, style=style, repeatRows=1)


@translation.override("ja")  # a Japanese document (labels, dates: 令和8年（2026年）4月1日), whoever prints it
def render_payment_receipt(payment: Payment) -> bytes:
    """The 領収書 of a paid, voided or refunded payment."""
    municipality = payment.municipality
    refunded = sum(r.amount_yen for r in payment.reversals.all() if r.status == ReversalStatus.DONE)
    note = status_note(payment, refunded)
    out = io.BytesIO()
    title = f"{TITLE_TEXT} {payment.display_code}" + (f"（{note}）" if note else "")
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=municipality.name,
        subject=TITLE_TEXT,
        lang="ja",
        displayDocTitle=1,
    )
    head = [
        [para("領収番号"), para(payment.display_code)],
        [para("日付"), para(format_date(payment.paid_at))],
        [para("支払方法"), para(payment.get_method_display())],
    ]
    story: list[Flowable] = [
        para(municipality.name, BODY),
        Spacer(1, 3 * mm),
        para(TITLE_TEXT, TITLE),
    ]
    if note:
        story += [Spacer(1, 3 * mm), para(f"【{note}】", STAMP)]
    story += [
        Spacer(1, 4 * mm),
        para(f"合計 {yen(payment.total_yen)}", BIG),
        Spacer(1, 1 * mm),
        para("上記のとおり領収しました。"),
        Spacer(1, 4 * mm),
        Table(head, colWidths=WIDTHS, style=grid_style()),
        Spacer(1, 5 * mm),
        _lines_table(payment),
    ]
    tail = []
    if payment.method == Method.CASH:
        tail += [
            [para("お預かり"), para(yen(payment.tendered_yen or 0))],
            [para("おつり"), para(yen(payment.change_yen))],
        ]
    elif payment.terminal_ref:
        tail.append([para("端末の取引番号"), para(payment.terminal_ref)])
    if note:
        tail.append([para("状況"), para(note)])
    if tail:
        story += [Spacer(1, 5 * mm), Table(tail, colWidths=WIDTHS, style=grid_style())]
    story += [
        Spacer(1, 8 * mm),
        para(f"{municipality.name}（{format_datetime(payment.paid_at)} 領収）"),
        Spacer(1, 6 * mm),
        para(f"{format_date(timezone.localdate())} 出力（Yakusho・窓口会計）", SMALL),
    ]
    doc.build(story)
    return out.getvalue()
