"""The self-checkout's pages (docs/payments.md "Self-checkout").

Staff (namespace ``payments_staff``, ``Perm.TAKE_PAYMENTS``: the till's staff): the list of the
municipality's kiosks, registering one (its address shown once, with a QR code for the tablet) and
retiring one. The kiosk (namespace ``selfcheckout``, no sign-in: the unguessable token in its
address is the credential): the start screen that reads the slip's QR code, what the visit owes and
the cashless methods, the payment through the terminal, the done screen and its 領収書.
"""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from yakusho.core import shortcodes
from yakusho.core.permissions import Perm
from yakusho.core.responses import NotFound
from yakusho.payments import selfcheckout
from yakusho.payments.models import Method, PaymentStatus, SelfCheckoutKiosk
from yakusho.payments.receipt_pdf import render_payment_receipt
from yakusho.payments.selfcheckout import Lookup, SelfCheckoutError
from yakusho.payments.selfcheckout_forms import KioskForm, PayForm, ScanForm
from yakusho.payments.services import PaymentError
from yakusho.payments.staff_till import PaymentStaffMixin, see_other


def qr_svg(text: str, title: str) -> str:
    """An inline SVG QR code of ``text`` (segno)."""
    return str(segno.make(text, error="m").svg_inline(scale=5, title=title))


# Staff: the kiosks ----------------------------------------------------------------------------------


class KiosksView(PaymentStaffMixin, TemplateView):
    """「セルフレジ」: the municipality's kiosks; register one or retire one."""

    permission = Perm.TAKE_PAYMENTS
    template_name = "payments/selfcheckout/kiosks.html"
    payments_section = "selfcheckout"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context.get("form") or KioskForm()
        context.update(
            form=form,
            kiosks=list(selfcheckout.kiosks_of(self.municipality)),
            methods=[Method(m).label for m in selfcheckout.kiosk_methods()],
            error_links=[(form["name"].auto_id, e) for e in form.errors.get("name", [])],
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = KioskForm(request.POST)
        if form.is_valid():
            try:
                kiosk, token = selfcheckout.register(
                    self.municipality, self.staff_user(), form.cleaned_data["name"]
                )
            except SelfCheckoutError as exc:
                form.add_error("name", exc.message)
            else:
                url = request.build_absolute_uri(reverse("selfcheckout:start", args=[token]))
                context = self.get_context_data(
                    paired=kiosk, paired_url=url, paired_qr=qr_svg(url, _("セルフレジの画面のアドレス"))
                )
                return self.render_to_response(context)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class KioskRetireView(PaymentStaffMixin, View):
    """「使用をやめる」: the kiosk's address leads nowhere from now on."""

    permission = Perm.TAKE_PAYMENTS

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        kiosk = SelfCheckoutKiosk.objects.for_municipality(self.municipality).filter(pk=kwargs["pk"]).first()
        if kiosk is None:
            raise NotFound(_("このセルフレジは見つかりません。"))
        if selfcheckout.retire(kiosk):
            messages.success(
                request,
                _("セルフレジ「%(name)s」の使用をやめました。その画面のアドレスは使えなくなりました。")
                % {"name": kiosk.name},
            )
        else:
            messages.info(
                request, _("セルフレジ「%(name)s」は既に使用をやめています。") % {"name": kiosk.name}
            )
        return see_other(reverse("payments_staff:selfcheckout", args=[self.municipality.slug]))


# The kiosk ----------------------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class KioskMixin(View):
    """Resolves the kiosk from the token in the address; an unknown or retired one is a 404 page
    that says so (and links nowhere)."""

    kiosk: SelfCheckoutKiosk
    token: str

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.token = str(kwargs.get("token", ""))
        kiosk = selfcheckout.by_token(self.token)
        if kiosk is None:
            return render(request, "payments/selfcheckout/gone.html", status=404)
        self.kiosk = kiosk
        return super().dispatch(request, *args, **kwargs)  # type: ignore[return-value]

    def start_url(self) -> str:
        return reverse("selfcheckout:start", args=[self.token])

    def visit_url(self, code: str) -> str:
        return reverse("selfcheckout:visit", args=[self.token, code])

    def show(self, template: str, status: int = 200, **context: Any) -> HttpResponse:
        context.update(
            kiosk=self.kiosk,
            municipality=self.kiosk.municipality,
            start_url=self.start_url(),
            idle_seconds=selfcheckout.IDLE_SECONDS,
            done_seconds=selfcheckout.DONE_SECONDS,
        )
        return render(self.request, f"payments/selfcheckout/{template}", context, status=status)


class StartView(KioskMixin):
    """「控えのQRコードをかざしてください」: the scanner types the payload and Enter."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.show("start.html", form=ScanForm())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ScanForm(request.POST)
        if not form.is_valid():
            return self.show("start.html", status=400, form=ScanForm(), error=form.errors["code"][0])
        scan: selfcheckout.Scan = form.cleaned_data["scan"]
        if scan.municipality_code and scan.municipality_code != self.kiosk.municipality.code:
            return self.show(
                "start.html",
                status=404,
                form=ScanForm(),
                error=_(
                    "この控えは、%(name)sのものではありません。控えを受け取った役場・役所の窓口でお支払いください。"
                )
                % {"name": self.kiosk.municipality.name},
            )
        return see_other(self.visit_url(scan.code))


class VisitView(KioskMixin):
    """What the visit owes, in large figures, and the cashless methods as big buttons; POST pays."""

    def code(self, value: str) -> str | None:
        return shortcodes.normalize(value) if len(value) <= 20 else None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        code = self.code(kwargs["code"])
        if code is None:
            return self.not_found()
        return self.answer(selfcheckout.look_up(self.kiosk.municipality, code))

    def not_found(self) -> HttpResponse:
        return self.show(
            "start.html",
            status=404,
            form=ScanForm(),
            error=_("このお支払い番号は見つかりません。番号を確かめるか、窓口でお尋ねください。"),
        )

    def answer(self, found: Lookup, message: str = "", status: int = 200) -> HttpResponse:
        """The page for what the look-up found."""
        if found.state == "not_found":
            return self.not_found()
        if found.state == "owes":
            return self.show(
                "visit.html",
                status=status,
                found=found,
                message=message,
                request_key=selfcheckout.new_request_key(self.kiosk),
                methods=[(m, Method(m).label) for m in found.methods],
            )
        return self.show("state.html", status=status, found=found, message=message)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        code = self.code(kwargs["code"])
        if code is None:
            return self.not_found()
        form = PayForm(request.POST)
        if not form.is_valid():
            first = str(next(iter(form.errors.values()))[0])
            return self.answer(selfcheckout.look_up(self.kiosk.municipality, code), message=first, status=400)
        data = form.cleaned_data
        if data["total"] is not None:
            found = selfcheckout.look_up(self.kiosk.municipality, code)
            if found.state == "owes" and found.total != data["total"]:
                message = _(
                    "お支払いの金額が変わりました。内容を確かめて、もう一度お支払い方法を選んでください。"
                )
                return self.answer(found, message=message, status=409)
        try:
            payment = selfcheckout.pay(self.kiosk, code, data["method"], data["request_key"])
        except PaymentError as exc:
            failed = self.kiosk.municipality.payments.filter(
                request_key=data["request_key"], status=PaymentStatus.FAILED
            ).exists()
            if failed:  # declined or timed out at the terminal: nothing was counted
                return self.show("failed.html", reason=exc.message, retry_url=self.visit_url(code))
            found = selfcheckout.look_up(self.kiosk.municipality, code)
            if found.state == "owes":
                return self.answer(found, message=exc.message, status=409)
            return self.show("state.html", status=409, found=found, message=exc.message)
        return see_other(reverse("selfcheckout:done", args=[self.token, payment.code]))


class DoneView(KioskMixin):
    """「お支払いが完了しました」: the 領収番号 and the 領収書; back to the start by itself."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        payment = selfcheckout.recent_payment(self.kiosk, kwargs["code"])
        if payment is None:
            return HttpResponseRedirect(self.start_url())
        return self.show(
            "done.html",
            payment=payment,
            receipt_url=reverse("selfcheckout:receipt", args=[self.token, payment.code]),
        )


class ReceiptView(KioskMixin):
    """The 領収書 (PDF) of a payment this kiosk took a moment ago."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        payment = selfcheckout.recent_payment(self.kiosk, kwargs["code"])
        if payment is None:
            return self.show("receipt_gone.html", status=404)
        payment.municipality = self.kiosk.municipality
        response = HttpResponse(render_payment_receipt(payment), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{payment.code}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response
