"""The till's pages (namespace ``payments_staff``, under /staff/): 会計, the day's payments, one
payment and its 領収書, and the approval of voids and refunds.

A payment's path segment only matches what looks like a 領収番号 (eight characters of the short
codes' alphabet, either case, with or without the hyphen), so the other payment pages' paths
(``days/``, ``fees/`` …) are never taken for a code, whatever the order of the URL modules."""

from django.urls import path, register_converter

from yakusho.core import shortcodes
from yakusho.payments import staff_till

_CHAR = f"[{shortcodes.ALPHABET}{shortcodes.ALPHABET.lower()}]"


class PaymentCodeConverter:
    regex = f"{_CHAR}{{4}}-?{_CHAR}{{4}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PaymentCodeConverter, "payment_code")

M = "m/<slug:municipality>/payments/"

urlpatterns = [
    path(M, staff_till.PaymentListView.as_view(), name="payments"),
    path(M + "till/", staff_till.TillView.as_view(), name="till"),
    path(M + "reversals/<int:pk>/", staff_till.ReversalDecideView.as_view(), name="reversal_decide"),
    path(M + "<payment_code:code>/", staff_till.PaymentView.as_view(), name="payment"),
    path(M + "<payment_code:code>/receipt.pdf", staff_till.ReceiptPdfView.as_view(), name="receipt"),
    path(M + "<payment_code:code>/terminal/", staff_till.SettleView.as_view(), name="payment_settle"),
]
