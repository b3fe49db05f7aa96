"""The resident's printed 控え of a counter visit: what was submitted, under which receipt numbers.

When a visit finishes, staff print one A4 page (or more) for the resident to take home
(``counter:receipt``). It shows, in Japanese whoever prints it::

    大江町
    窓口でのお手続きの控え
    お名前 / 受付日時 / 受付方法 / 受け付けた手続 (how many)
    1. <procedure>: 受付番号, 担当課, the main answers (the engine's summary of the submission
       without its consents and unanswered fields), 手数料 with how to pay it
       (:func:`.submissions.fees.fee_summary`), お問い合わせ (the 課's contact, :mod:`yakusho.core.contacts`)
    2. …
    手続の状況を知りたいとき (how to ask about the status; see below)

When the visit owes fees, is not paid yet and the municipality has a self-checkout in use, the
page also carries a box 「セルフレジでお支払いいただけます」 with a QR code (drawn as vector
squares, from segno's matrix) of the payload ``YAKUSHO-PAY:<団体コード>:<受付番号>``
(:func:`yakusho.payments.selfcheckout.payload`), the total, and the visit's code in text for typing
by hand — as 「お支払い番号」, not to be taken for a procedure's 受付番号 (docs/payments.md
"Self-checkout").

A counter submission's 照会キー (the secret the online status page asks for) is made at the
finish and never handed out on paper: only a submission whose form had an e-mail address gets it,
in its 「受付のお知らせ」 mail with a link to the status page. The footer says exactly that, so the
控え promises no online look-up the resident cannot do. Nothing is stored: the caller serves the
bytes (and decides who may download them).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import segno
from django.utils import timezone, translation
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from yakusho.core.contacts import Contact, department_contact
from yakusho.core.jcal import format_date, format_datetime
from yakusho.core.models import Municipality
from yakusho.core.pdf import BODY, SMALL, TITLE, WIDTHS, a4_document, grid_style, para
from yakusho.payments.selfcheckout import SlipPayment, slip_payment
from yakusho.procedures.catalogue.services import definition_of
from yakusho.procedures.counter.prefill import consent_keys
from yakusho.procedures.counter.services import items_of
from yakusho.procedures.formengine import FormDefinition
from yakusho.procedures.models import Procedure
from yakusho.procedures.models.counter import CounterVisit
from yakusho.procedures.models.submissions import Submission
from yakusho.procedures.submissions.fees import fee_summary

TITLE_TEXT = "窓口でのお手続きの控え"
HEADING = ParagraphStyle("receipt-heading", parent=BODY, fontSize=12, leading=17)
#: a line of the footer, 「・」 hanging
NOTE = ParagraphStyle("receipt-note", parent=BODY, leftIndent=9.5, firstLineIndent=-9.5)
#: what the engine's summary says of a field left empty (the 控え leaves such rows out)
UNANSWERED = "（未入力）"
#: the self-checkout box's heading and the QR code's printed size (a hand-held scanner reads it)
SELF_CHECKOUT_LINE = "セルフレジでお支払いいただけます（QRコードをかざしてください）"
QR_SIZE = 32 * mm
PAYLOAD_TEXT = ParagraphStyle("receipt-payload", parent=SMALL, fontSize=6, leading=8, textColor=colors.grey)


@dataclass(frozen=True)
class ReceiptEntry:
    """One procedure of the visit: its submission and the form definition it was made with."""

    procedure: Procedure
    #: the counter submission made for it
    submission: Submission
    #: the engine's definition of the form version the submission was made with
    definition: FormDefinition


def main_answers(definition: FormDefinition, submission: Submission) -> list[tuple[str, str]]:
    """The engine's summary of the submission's answers, without the consents (「内容を確認しま
    した」 says nothing to take home) and without the fields left unanswered."""
    consents = {definition.fields[key].label for key in consent_keys(definition)}
    day = timezone.localdate(submission.submitted_at)
    return [
        (label, value)
        for label, value in definition.summary(submission.data, today=day)
        if label not in consents and value != UNANSWERED
    ]


def contact_lines(contact: Contact) -> list[str]:
    """The 課's contact as lines of text: who, phone, place, hours, mail; invented ones say so."""
    lines = [f"{contact.municipality.name} {contact.department.name}"]
    if contact.phone:
        lines.append(f"電話 {contact.phone}{'（代表）' if contact.phone_is_main else ''}")
    if contact.place:
        lines.append(f"場所 {contact.place}")
    lines.append(f"受付時間 {contact.hours}")
    if contact.email:
        lines.append(f"メール {contact.email}")
    if contact.is_demo:
        lines.append("※この電話番号と場所はデモ用の架空のものです（この番号の電話はつながりません）。")
    return lines


def _entry(municipality: Municipality, number: int, entry: ReceiptEntry) -> list[Flowable]:
    submission, procedure = entry.submission, entry.procedure
    rows = [
        [para("受付番号"), para(submission.display_code)],
        [para("担当課"), para(procedure.department.name)],
    ]
    rows += [[para(label), para(value)] for label, value in main_answers(entry.definition, submission)]
    fee = fee_summary(submission, entry.definition)
    if fee is not None:
        items = "".join(f"{label} {yen:,}円\n" for label, yen in fee.rows)
        rows.append([para("手数料"), para(f"{items}合計 {fee.total:,}円\n{fee.how_to_pay}")])
    contact = department_contact(procedure.department, municipality)
    rows.append([para("お問い合わせ"), para("\n".join(contact_lines(contact)))])
    table = Table(rows, colWidths=WIDTHS, style=grid_style(), repeatRows=0)
    # a procedure starts on a new page rather than leave its heading alone at the foot of one
    return [KeepTogether([para(f"{number}. {procedure.name}", HEADING), Spacer(1, 2 * mm), table])]


def _status_note(entries: Sequence[ReceiptEntry]) -> list[Flowable]:
    mailed = [e.procedure.name for e in entries if e.submission.applicant_email]
    lines = [
        "受付番号をお伝えのうえ、手続ごとの「お問い合わせ」の課に、電話か窓口でお尋ねください。",
    ]
    if mailed:
        lines.append(
            f"メールアドレスを伺った手続（{'、'.join(mailed)}）は、そのアドレスに「受付のお知らせ」を"
            "お送りしています。メールにある照会キーとリンクで、申請の状況と担当課からのお知らせを"
            "インターネットでも確認できます。"
        )
        lines.append("照会キーは、この控えには記載していません（メールに記載しています）。")
    else:
        lines.append("インターネットで状況を確かめるための照会キーは、窓口での申請ではお渡ししていません。")
    return [
        para("手続の状況を知りたいとき", HEADING),
        Spacer(1, 2 * mm),
        *[para(f"・{line}", NOTE) for line in lines],
    ]


def qr_drawing(text: str, size: float = QR_SIZE) -> Drawing:
    """``text`` as a QR code (error correction M) of black squares, quiet zone included: one
    rectangle per run of dark modules in a row, so the page stays vector and small."""
    qr = segno.make(text, error="m")
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    drawing = Drawing(size, size)
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            run = x
            while run < len(row) and row[run]:
                run += 1
            top = size - (y + 1) * module
            drawing.add(
                Rect(x * module, top, (run - x) * module, module, fillColor=colors.black, strokeColor=None)
            )
            x = run
    return drawing


def _self_checkout(slip: SlipPayment) -> list[Flowable]:
    """The box that sends the resident to the self-checkout: QR code, total, the code in text."""
    words = [
        para(SELF_CHECKOUT_LINE, HEADING),
        Spacer(1, 2 * mm),
        para(f"お支払いの合計 {slip.total:,}円"),
        para(f"お支払い番号 {slip.display_code}"),
        para("（QRコードが読み取れないときは、セルフレジでこの番号を入力してください）"),
        para("お支払い方法：クレジットカード・QRコード決済・電子マネー"),
        para("現金でのお支払いは窓口へ"),
    ]
    code = [qr_drawing(slip.payload), para(slip.payload, PAYLOAD_TEXT)]
    style = TableStyle(
        [
            ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3 * mm),
            ("TOPPADDING", (0, 0), (-1, -1), 3 * mm),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
        ]
    )
    return [
        KeepTogether(
            [Table([[code, words]], colWidths=[QR_SIZE + 12 * mm, 174 * mm - QR_SIZE - 12 * mm], style=style)]
        )
    ]


def receipt_entries(visit: CounterVisit) -> list[ReceiptEntry]:
    """The submissions of a finished visit, in the order of its items."""
    return [
        ReceiptEntry(item.procedure, item.submission, definition_of(item.submission.form))
        for item in items_of(visit)
        if item.submission is not None
    ]


def visitor_name(visit: CounterVisit, entries: Sequence[ReceiptEntry]) -> str:
    """The name the card gave; once the visit's personal data is erased, the submissions'."""
    name = str((visit.identity or {}).get("name") or "")
    return name or next((e.submission.applicant_name for e in entries if e.submission.applicant_name), "")


@translation.override("ja")  # a Japanese document (labels, dates: 令和8年（2026年）4月1日), whoever prints it
def render_receipt(visit: CounterVisit, entries: Sequence[ReceiptEntry]) -> bytes:
    """The 控え of a finished visit: one section per submission, then how to ask about them."""
    if not entries:
        raise ValueError("no submissions to list on the receipt")
    municipality = visit.municipality
    out = io.BytesIO()
    codes = "、".join(e.submission.display_code for e in entries)
    doc = a4_document(out, title=f"{TITLE_TEXT} {codes}", author=municipality.name)
    received = visit.finished_at or entries[0].submission.submitted_at
    head = []
    if name := visitor_name(visit, entries):
        head.append([para("お名前"), para(f"{name} 様")])
    head += [
        [para("受付日時"), para(format_datetime(received))],
        [para("受付方法"), para("窓口")],
        [para("受け付けた手続"), para(f"{len(entries)}件")],
    ]
    story: list[Flowable] = [
        para(municipality.name, BODY),
        Spacer(1, 3 * mm),
        para(TITLE_TEXT, TITLE),
        Spacer(1, 2 * mm),
        para("窓口で次の手続を受け付けました。この控えは提出の必要はありません。大切に保管してください。"),
        Spacer(1, 4 * mm),
        Table(head, colWidths=WIDTHS, style=grid_style()),
    ]
    slip = slip_payment(municipality, visit.code) if not visit.payment_code else None
    if slip is not None:
        story += [Spacer(1, 5 * mm), *_self_checkout(slip)]
    for number, entry in enumerate(entries, start=1):
        story += [Spacer(1, 6 * mm), *_entry(municipality, number, entry)]
    story += [Spacer(1, 8 * mm), KeepTogether(_status_note(entries))]
    story += [
        Spacer(1, 6 * mm),
        para(f"{format_date(timezone.localdate())} 出力（Yakusho・窓口）", SMALL),
    ]
    doc.build(story)
    return out.getvalue()
