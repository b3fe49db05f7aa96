"""What a resident is told to pay, and how, for a stored submission: always from the procedure's
own definition (the form version the submission was made with), never a fixed 「窓口で」; a fee item
that names the municipality's fee catalogue is priced by the catalogue of the day
(:func:`catalogue_prices`).

The receipt page, the confirmation mail, the status page and the printed copy all show this one
summary, so they can never contradict the procedure (粗大ごみ is paid with a 処理券 bought at a shop,
a certificate at the counter when it is handed over).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.payments.models import FeeItem
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
    prices = catalogue_prices(submission.municipality, definition, day)
    try:
        rows = [
            (label, yen)
            for label, yen in definition.fee_breakdown(submission.data, today=day, prices=prices)
            if yen
        ]
    except FeeError:
        rows = []
    if sum(yen for _label, yen in rows) != submission.fee_yen:
        rows = []  # the items no longer add up to what was asked (a changed rule): the total alone
    return FeeSummary(submission.fee_yen, rows, how_to_pay(definition.fee_note, submission.procedure))


def catalogue_prices(municipality: Any, definition: Any, day: date | None = None) -> dict[str, int]:
    """The municipality's fee catalogue prices on ``day`` (today) for the items the form's fee
    names (``fee_item``): catalogue key → yen for one (a resident's rate). An item the catalogue
    lacks, or that has no rate that day, is left out: the form's own ``amount`` then counts."""
    keys = getattr(definition, "catalogue_keys", [])
    if not keys:
        return {}
    day = day or timezone.localdate()
    items = FeeItem.objects.for_municipality(municipality).filter(key__in=keys).prefetch_related("rates")
    prices = {}
    for item in items:
        rate = item.rate_on(day)
        if rate is not None:
            prices[item.key] = rate.unit_yen(resident=True)
    return prices
