"""The paper forms the counter still prints: the answers staff entered, for the resident to sign.

Some procedures still need a signed paper form (``Procedure.paper_at_counter``: 転入届, 児童手当の
認定請求 …). When a counter visit finishes, the counter renders one PDF with one application form
per such procedure (A4 portrait, Japanese text selectable, the layout of :mod:`.submission_pdf`)::

    from yakusho.procedures.counter.pdf import PaperEntry, render_paper_forms

    pdf = render_paper_forms(municipality, [
        PaperEntry(
            procedure=item.procedure,          # procedures.models.Procedure (its 課 is printed)
            definition=definition,            # the engine's FormDefinition of the version used
            cleaned=item.cleaned,             # the engine's cleaned answers
            code=submission.display_code,     # 受付番号 as shown to residents (or the raw code)
            submitted_at=submission.submitted_at,  # aware datetime; printed in local time
        ),
        …
    ])

Each form starts on a new page: 「<団体>長 様」, the form's title, the receipt (受付番号, 受付日時
（窓口）, 担当課, フォームの版), every field shown for these answers with its label and value (the
engine's :meth:`~.formengine.FormDefinition.summary`), the fee when the form has one, then the
line 「窓口で職員が入力した内容を確認しました」 with a 署名 box and a 日付 line for the resident.
Nothing is stored: the caller serves the bytes (and decides who may download them).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone, translation
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Spacer, Table
from reportlab.platypus.flowables import Flowable

from yakusho.core.jcal import format_date
from yakusho.core.models import Municipality
from yakusho.core.pdf import BODY, SMALL, TITLE, WIDTHS, a4_document, grid_style, para
from yakusho.procedures.formengine import FeeError, FormDefinition
from yakusho.procedures.models import Procedure
from yakusho.procedures.submissions.fees import catalogue_prices, how_to_pay
from yakusho.procedures.submissions.pdf import answer_rows

CONFIRMATION = "窓口で職員が入力した内容を確認しました"


@dataclass(frozen=True)
class PaperEntry:
    """One procedure of a counter visit to print on paper."""

    procedure: Procedure
    #: the engine's definition of the form version the answers were made with
    definition: FormDefinition
    #: the engine's cleaned answers (``Result.cleaned``)
    cleaned: Mapping[str, Any]
    #: the submission's receipt code (``Submission.display_code``)
    code: str
    #: when the submission was received (aware; printed in local time)
    submitted_at: datetime


def _form(municipality: Municipality, entry: PaperEntry) -> list[Flowable]:
    received = timezone.localtime(entry.submitted_at)
    style = grid_style()
    head = [
        [para("受付番号"), para(entry.code)],
        [para("受付日時"), para(f"{format_date(received)} {received:%H:%M}（窓口）")],
        [para("担当課"), para(entry.procedure.department.name)],
        [para("フォーム"), para(f"{entry.procedure.name}（第{entry.definition.version}版）")],
    ]
    rows = answer_rows(entry.definition, entry.cleaned)
    if entry.definition.has_fee:
        try:
            day = received.date()
            prices = catalogue_prices(municipality, entry.definition, day)
            fee = entry.definition.fee(entry.cleaned, today=day, prices=prices)
        except FeeError as exc:
            rows.append([para("手数料"), para(str(exc))])
        else:
            how = how_to_pay(entry.definition.fee_note, entry.procedure)
            rows.append([para("手数料"), para(f"{fee:,}円\n{how}" if fee else f"{fee:,}円")])
    signature = Table(
        [[para("署名"), para("")], [para("日付"), para("令和　　年　　月　　日")]],
        colWidths=WIDTHS,
        rowHeights=[20 * mm, 9 * mm],
        style=grid_style(),
    )
    return [
        para(f"{municipality.name}長 様", BODY),
        Spacer(1, 4 * mm),
        para(entry.definition.title or entry.procedure.name, TITLE),
        Spacer(1, 6 * mm),
        Table(head, colWidths=WIDTHS, style=style),
        Spacer(1, 6 * mm),
        Table(rows, colWidths=WIDTHS, style=style, repeatRows=0),
        Spacer(1, 8 * mm),
        KeepTogether([para(CONFIRMATION, BODY), Spacer(1, 2 * mm), signature]),
        Spacer(1, 6 * mm),
        para(f"{format_date(timezone.localdate())} 出力（Yakusho・窓口）", SMALL),
    ]


@translation.override("ja")  # Japanese forms (labels, dates: 令和8年（2026年）4月1日), whoever prints them
def render_paper_forms(municipality: Municipality, entries: Sequence[PaperEntry]) -> bytes:
    """One PDF with one application form per entry, each starting on a new page."""
    if not entries:
        raise ValueError("no paper forms to render")
    out = io.BytesIO()
    codes = "、".join(e.code for e in entries)
    doc = a4_document(out, title=f"窓口で受け付けた届出・申請 {codes}", author=municipality.name)
    story: list[Flowable] = []
    for n, entry in enumerate(entries):
        if n:
            story.append(PageBreak())
        story.extend(_form(municipality, entry))
    doc.build(story)
    return out.getvalue()
