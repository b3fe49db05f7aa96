"""The resident's side of online payment (docs/payments.md "Paying online"): back from the
provider's page, and the 領収書 (PDF) at the address only the payer was given."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from yakusho.core.models import Municipality
from yakusho.core.responses import NotFound
from yakusho.payments import online
from yakusho.payments.models import RECEIPT_STATUSES, Payment, PaymentStatus
from yakusho.payments.payables import payables
from yakusho.payments.receipt_pdf import render_payment_receipt


def municipality_of(slug: str) -> Municipality:
    municipality = Municipality.objects.filter(slug=slug).first()
    if municipality is None:
        raise NotFound(_("その団体のページはありません。URLが正しいか確かめてください。"))
    return municipality


class ReturnView(View):
    """The provider sends the resident here (the address names the request key of the payment):
    the provider is asked for the state at once, then the resident goes on to the page of what
    they paid for (its ``Payable.return_path``), or sees the payment's result here."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, municipality: str, key: str) -> HttpResponse:
        place = municipality_of(municipality)
        payment = None
        if online.REQUEST_KEY_RE.match(key):
            payment = Payment.objects.for_municipality(place).filter(request_key=key).first()
        if payment is None:
            raise NotFound(_("この支払は見つかりません。お手続のページからもう一度お試しください。"))
        payment.municipality = place
        payment = online.refresh(payment)
        payment.municipality = place
        if payment.payable and payment.payable in payables:
            target = payables.get(payment.payable).return_path(place, payment.payable_ref)
            if target:
                return HttpResponseRedirect(target)
        return render(
            request,
            "payments/online/result.html",
            {
                "municipality": place,
                "payment": payment,
                "paid": payment.status in RECEIPT_STATUSES,
                "pending": payment.status == PaymentStatus.PENDING,
                "receipt_url": online.receipt_path(payment),
            },
        )


class ReceiptView(View):
    """領収書 (PDF) of an online payment, for the payer: the address carries the payment's key."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, municipality: str, code: str, **kwargs: Any) -> HttpResponse:
        place = municipality_of(municipality)
        payment = Payment.objects.for_municipality(place).filter(code=code[:20]).first()
        if payment is None or not online.receipt_key_matches(payment, request.GET.get("k", "")):
            raise NotFound(
                _("この領収書は表示できません。メールまたは申請の画面のリンクから開いてください。")
            )
        if payment.status not in RECEIPT_STATUSES:
            raise NotFound(
                _("この支払は%(status)sのため、領収書はありません。")
                % {"status": payment.get_status_display()}
            )
        payment.municipality = place
        response = HttpResponse(render_payment_receipt(payment), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{payment.code}.pdf"'
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
