"""What a resident is told to pay, and how, for a stored submission: always from the procedure's
own definition (the form version the submission was made with), never a fixed 「窓口で」.

The receipt page, the confirmation mail, the status page and the printed copy all show this one
summary, so they can never contradict the procedure (粗大ごみ is paid with a 処理券 bought at a shop,
a certificate at the counter when it is handed over).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.procedures.catalogue.services import definition_of
from yakusho.procedures.formengine import FeeError
from yakusho.procedures.models.submissions import Submission


@dataclass(frozen=True)
class FeeSummary:
    total: int
    rows: list[tuple[str, int]]  # (item, yen) for each item of the form's fee that applied
    how_to_pay: str  # the procedure's own words on paying


def how_to_pay(note: str, procedure: Any) -> str:
    """The procedure's text on paying; where it has none, who to ask (never a place to pay that
    the procedure does not name)."""
    if note:
        return note
    department = procedure.department
    if department.phone:
        return _("お支払いの方法は、%(department)s（電話 %(phone)s）にお問い合わせください。") % {
            "department": department.name,
            "phone": department.phone,
        }
    return _("お支払いの方法は、%(department)sにお問い合わせください。") % {"department": department.name}


def fee_summary(submission: Submission, definition: Any = None) -> FeeSummary | None:
    """The fee of ``submission`` with its items and how to pay it; None when nothing is owed."""
    if not submission.fee_yen:
        return None
    definition = definition or definition_of(submission.form)
    day = timezone.localdate(submission.submitted_at)
    try:
        rows = [(label, yen) for label, yen in definition.fee_breakdown(submission.data, today=day) if yen]
    except FeeError:
        rows = []
    if sum(yen for _label, yen in rows) != submission.fee_yen:
        rows = []  # the items no longer add up to what was asked (a changed rule): the total alone
    return FeeSummary(submission.fee_yen, rows, how_to_pay(definition.fee_note, submission.procedure))
