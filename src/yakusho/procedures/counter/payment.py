"""The counter visit as a payable (payments.payables): what a visit's procedures owe at the till.

A visit's completed procedures owe what their forms' fee items name in the municipality's fee
catalogue (``fee_item`` and ``quantity`` in the form definition, docs/forms.md "Fees"), priced by
the catalogue on the day of payment. When the till takes the payment, the visit keeps its 領収番号
(``CounterVisit.payment_code``); a full refund or void clears it.
"""

from __future__ import annotations

from yakusho.core import shortcodes
from yakusho.core.models import Municipality
from yakusho.payments.payables import Owed, Payable, payables
from yakusho.procedures.catalogue.services import definition_of
from yakusho.procedures.models import CounterVisit

KEY = "procedures.counter_visit"


def _visit(municipality: Municipality, ref: str) -> CounterVisit | None:
    code = shortcodes.normalize(ref or "")
    if code is None:
        return None
    return CounterVisit.objects.for_municipality(municipality).filter(code=code).first()


class CounterVisitPayable(Payable):
    label = "窓口での手続"

    def owed(self, municipality: Municipality, ref: str) -> list[Owed] | None:
        visit = _visit(municipality, ref)
        if visit is None:
            return None
        owed: list[Owed] = []
        items = visit.items.filter(complete=True).select_related("form", "procedure").order_by("order", "pk")
        for item in items:
            if item.form is None:
                continue
            definition = definition_of(item.form)
            for label, key, quantity in definition.catalogue_lines(item.cleaned):
                owed.append(Owed(key, quantity, f"{item.procedure.name}：{label}"))
        return owed

    def paid(self, municipality: Municipality, ref: str, payment_code: str) -> None:
        visit = _visit(municipality, ref)
        if visit is not None:
            CounterVisit.objects.filter(pk=visit.pk).update(payment_code=payment_code)

    def refunded(self, municipality: Municipality, ref: str, payment_code: str) -> None:
        visit = _visit(municipality, ref)
        if visit is not None:
            CounterVisit.objects.filter(pk=visit.pk, payment_code=payment_code).update(payment_code="")


def register() -> None:
    if KEY not in payables:
        payables.add(KEY, CounterVisitPayable())
