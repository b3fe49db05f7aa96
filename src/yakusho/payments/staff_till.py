"""The counter till (docs/payments.md "The till"): 会計, the payment and its receipt, voids and
refunds with their approval, and the list of a business day's payments.

Every write goes through :mod:`yakusho.payments.services`; a view only reads the form, calls the
service and shows what it said. Taking payments, voiding and refunding need
``Perm.TAKE_PAYMENTS``; approving another member's void or refund needs ``Perm.APPROVE_REFUNDS``;
every member of staff reads payments and receipts.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from yakusho.core import shortcodes
from yakusho.core.jcal import JapaneseDateError, format_date, parse_iso_day
from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import User
from yakusho.core.permissions import Perm
from yakusho.core.responses import NotFound
from yakusho.payments import services
from yakusho.payments.models import (
    RECEIPT_STATUSES,
    Method,
    Payment,
    PaymentStatus,
    Reversal,
    ReversalKind,
    ReversalStatus,
)
from yakusho.payments.payables import payables
from yakusho.payments.receipt_pdf import render_payment_receipt
from yakusho.payments.services import PaymentError
from yakusho.payments.till_forms import (
    MAX_ROWS,
    VISIT_PAYABLE,
    ReversalForm,
    SettleForm,
    TerminalOutcome,
    TillForm,
    new_request_key,
)

PAGE_SIZE = 50
#: the statuses a receipt is printed for (a voided one says 取消済み)


def see_other(url: str) -> HttpResponseRedirect:
    """A redirect after a POST that the browser follows with GET (303)."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


class PaymentStaffMixin(MunicipalityStaffMixin):
    """What every till page shares: the sub-navigation's section, the signed-in member."""

    payments_section = ""

    def staff_user(self) -> User:
        user = self.request.user
        assert isinstance(user, User)  # the mixin let only a signed-in member through
        return user

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["payments_section"] = self.payments_section
        return context

    def payments(self) -> QuerySet[Payment]:
        return Payment.objects.for_municipality(self.municipality)

    def payment_of(self, code: str) -> Payment:
        """The payment of ``code`` (any case, with or without the hyphen); 404 with a message."""
        normal = shortcodes.normalize(code) if len(code) <= 20 else None
        payment = (
            self.payments().select_related("staff").filter(code=normal).first()
            if normal is not None
            else None
        )
        if payment is None:
            raise NotFound(_("この領収番号の支払は見つかりません。番号を確かめてください。"))
        return payment

    def payment_url(self, payment: Payment) -> str:
        return reverse("payments_staff:payment", args=[self.municipality.slug, payment.code])


# 会計 -------------------------------------------------------------------------------------------


class TillView(PaymentStaffMixin, TemplateView):
    """The till: lines from the catalogue, the method, お預かり; 会計 takes the payment once."""

    permission = Perm.TAKE_PAYMENTS
    template_name = "payments/staff/till.html"
    payments_section = "till"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        initial: dict[str, Any] = {}
        visit = request.GET.get("visit", "")
        visit_code = ""
        if visit:
            visit_code, lines = self._visit_lines(visit)
            if visit_code:
                initial["visit"] = visit_code
                for n, line in enumerate(lines[:MAX_ROWS], start=1):
                    initial[f"item_{n}"] = line.item.key
                    initial[f"quantity_{n}"] = str(line.quantity)
                    if line.exemption:
                        initial[f"exemption_{n}"] = line.exemption
        form = TillForm(initial=initial, municipality=self.municipality)
        return self.render_to_response(self.get_context_data(form=form, visit_code=visit_code))

    def _visit_lines(self, visit: str) -> tuple[str, list[services.Line]]:
        """The visit's 受付番号 and what it owes, or ("", []) with a message said why not."""
        code = shortcodes.normalize(visit) if len(visit) <= 20 else None
        if code is None:
            messages.error(self.request, _("受付番号が正しくありません。項目を選んで会計してください。"))
            return "", []
        if VISIT_PAYABLE not in payables:
            messages.error(
                self.request,
                _("窓口の受付からの会計には、まだ対応していません。項目を選んで会計してください。"),
            )
            return "", []
        try:
            lines = services.owed_lines(self.municipality, VISIT_PAYABLE, code)
        except PaymentError as exc:
            messages.error(self.request, exc.message)
            return "", []
        if not lines:
            messages.info(self.request, _("この受付で支払っていただくものはありません。"))
            return "", []
        if len(lines) > MAX_ROWS:
            messages.warning(
                self.request,
                _("項目が%(n)s件を超えるため、%(n)s件までを表示しています。残りは別に会計してください。")
                % {"n": MAX_ROWS},
            )
        return code, lines

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = TillForm(request.POST, municipality=self.municipality)
        valid = form.is_valid()
        if request.POST.get("action") == "quote":  # 合計を確認: the lines' total, nothing taken
            for name in ("method", "tendered"):
                form.errors.pop(name, None)
            if form.errors:
                return self._again(form, status=400)
            return self._again(form, status=200, quoted_total=form.cleaned_data["total"])
        if not valid:
            return self._again(form, status=400)
        data = form.cleaned_data
        visit_code = data["visit"]
        try:
            payment = services.take(
                self.municipality,
                data["lines"],
                method=data["method"],
                request_key=data["request_key"],
                staff=self.staff_user(),
                tendered=data["tendered_yen"],
                payable=VISIT_PAYABLE if visit_code else "",
                payable_ref=visit_code,
            )
        except PaymentError as exc:
            failed = (
                self.payments().filter(request_key=data["request_key"], status=PaymentStatus.FAILED).exists()
            )
            if failed:  # declined or timed out: nothing counted; a new key lets staff try again
                form = self._with_new_key(request)
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                form.add_error(None, exc.message)
            return self._again(form, status=200 if failed else 400)
        if payment.method == Method.CASH:
            messages.success(
                request,
                _("会計しました。合計 %(total)s円、お預かり %(tendered)s円、おつり %(change)s円です。")
                % {
                    "total": f"{payment.total_yen:,}",
                    "tendered": f"{payment.tendered_yen or 0:,}",
                    "change": f"{payment.change_yen:,}",
                },
            )
        else:
            messages.success(
                request,
                _("会計しました。合計 %(total)s円（%(method)s）です。")
                % {"total": f"{payment.total_yen:,}", "method": payment.get_method_display()},
            )
        return see_other(self.payment_url(payment))

    def _with_new_key(self, request: HttpRequest) -> TillForm:
        data = request.POST.copy()
        data["request_key"] = new_request_key()
        form = TillForm(data, municipality=self.municipality)
        form.is_valid()
        return form

    def _again(self, form: TillForm, status: int, quoted_total: int | None = None) -> HttpResponse:
        visit_code = form.cleaned_data.get("visit", "") if hasattr(form, "cleaned_data") else ""
        context = self.get_context_data(form=form, visit_code=visit_code, quoted_total=quoted_total)
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form: TillForm = context["form"]
        context.setdefault("quoted_total", None)
        context.update(
            max_rows=MAX_ROWS,
            has_items=bool(form.items),
            visit_display=shortcodes.format_code(context["visit_code"]) if context.get("visit_code") else "",
        )
        return context


# The payment ------------------------------------------------------------------------------------


class PaymentView(PaymentStaffMixin, TemplateView):
    """One payment as taken, its receipt, and (for the till) voiding or refunding it."""

    template_name = "payments/staff/payment.html"
    payments_section = "payments"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        payment = self.payment_of(kwargs["code"])
        return self.render_to_response(self.get_context_data(payment=payment))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.can(Perm.TAKE_PAYMENTS):
            raise PermissionDenied(_("取消・返金を申請できるのは、窓口の職員と管理者です。"))
        payment = self.payment_of(kwargs["code"])
        form = ReversalForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reversal = services.request_reversal(
                    payment,
                    kind=data["kind"],
                    amount=data["amount_yen"],
                    reason=data["reason"],
                    staff=self.staff_user(),
                    request_key=data["request_key"],
                )
            except PaymentError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                self._say_done(reversal)
                return see_other(self.payment_url(payment))
        context = self.get_context_data(payment=payment, reversal_form=form)
        return self.render_to_response(context, status=400)

    def _say_done(self, reversal: Reversal) -> None:
        kind = reversal.get_kind_display()
        amount = f"{reversal.amount_yen:,}"
        if reversal.status == ReversalStatus.DONE:
            messages.success(
                self.request, _("%(kind)s（%(amount)s円）を行いました。") % {"kind": kind, "amount": amount}
            )
        else:
            messages.info(
                self.request,
                _("%(kind)s（%(amount)s円）を申請しました。ほかの職員（管理者）の承認を待っています。")
                % {"kind": kind, "amount": amount},
            )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        payment: Payment = context["payment"]
        reversals = list(
            payment.reversals.select_related("requested_by", "approved_by").order_by("requested_at")
        )
        user = self.staff_user()
        may_decide = self.can(Perm.APPROVE_REFUNDS)
        pending_reversal = any(r.status == ReversalStatus.PENDING for r in reversals)
        context.update(
            lines=list(payment.lines.order_by("order", "pk")),
            reversals=[
                (r, may_decide and r.status == ReversalStatus.PENDING and r.requested_by_id != user.pk)
                for r in reversals
            ],
            refunded_yen=services.refunded_yen(payment),
            has_receipt=payment.status in RECEIPT_STATUSES,
            may_reverse=self.can(Perm.TAKE_PAYMENTS)
            and payment.status == PaymentStatus.PAID
            and not pending_reversal,
            pending_reversal=pending_reversal,
            reversal_form=context.get("reversal_form") or ReversalForm(initial={"kind": ReversalKind.VOID}),
            is_cash=payment.method == Method.CASH,
            stuck=services.is_stuck(payment),
            may_settle=self.can(Perm.CLOSE_DAY),
            settle_form=context.get("settle_form") or SettleForm(),
        )
        return context


class SettleView(PaymentView):
    """Record what the terminal's journal says of a payment it never answered (``Perm.CLOSE_DAY``:
    whoever answers for the day's money)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.can(Perm.CLOSE_DAY):
            raise PermissionDenied(
                _("決済端末の記録で会計を確かめられるのは、日計を締める職員と管理者です。")
            )
        payment = self.payment_of(kwargs["code"])
        form = SettleForm(request.POST)
        if form.is_valid():
            charged = form.cleaned_data["outcome"] == TerminalOutcome.CHARGED
            try:
                settled = services.settle_from_terminal(
                    payment,
                    charged=charged,
                    terminal_ref=form.cleaned_data["terminal_ref"],
                    staff=self.staff_user(),
                )
            except PaymentError as exc:
                payment.refresh_from_db()  # as the service found it
                if payment.status == (PaymentStatus.PAID if charged else PaymentStatus.FAILED) and (
                    not charged or payment.terminal_ref == form.cleaned_data["terminal_ref"]
                ):  # a second press of the same answer: it is recorded
                    return see_other(self.payment_url(payment))
                if exc.field not in form.fields:  # the payment's state, not the answer: no form to mend
                    context = self.get_context_data(payment=payment)
                    context["settle_errors"] = [exc.message]
                    return self.render_to_response(context, status=400)
                form.add_error(exc.field, exc.message)
            else:
                if charged:
                    messages.success(
                        request,
                        _("成立として%(day)sに計上しました。")
                        % {"day": format_date(settled.business_day) if settled.business_day else ""},
                    )
                else:
                    messages.success(request, _("不成立にしました。この会計は集計に入りません。"))
                return see_other(self.payment_url(payment))
        context = self.get_context_data(payment=payment, settle_form=form)
        return self.render_to_response(context, status=400)


class ReceiptPdfView(PaymentStaffMixin, View):
    """領収書 (PDF), opened in the browser's PDF viewer to print and hand over."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        payment = self.payment_of(kwargs["code"])
        if payment.status not in RECEIPT_STATUSES:
            raise NotFound(
                _("この支払は%(status)sのため、領収書はありません。")
                % {"status": payment.get_status_display()}
            )
        payment.municipality = self.municipality
        pdf = render_payment_receipt(payment)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{payment.code}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


# Approving a void or refund ---------------------------------------------------------------------


class ReversalDecideView(PaymentStaffMixin, View):
    """承認 or 却下 of a pending void or refund, by a member other than the one who asked."""

    permission = Perm.APPROVE_REFUNDS

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        reversal = (
            Reversal.objects.for_municipality(self.municipality)
            .select_related("payment")
            .filter(pk=kwargs["pk"])
            .first()
        )
        if reversal is None:
            raise NotFound(_("この取消・返金の申請は見つかりません。"))
        action = request.POST.get("action", "")
        back = (
            reverse("payments_staff:payments", args=[self.municipality.slug])
            if request.POST.get("back") == "list"
            else self.payment_url(reversal.payment)
        )
        try:
            if action == "approve":
                reversal = services.approve(reversal, self.staff_user())
                messages.success(
                    request,
                    _("%(kind)s（%(amount)s円）を承認し、実行しました。")
                    % {"kind": reversal.get_kind_display(), "amount": f"{reversal.amount_yen:,}"},
                )
            elif action == "reject":
                reversal = services.reject(reversal, self.staff_user())
                messages.success(
                    request, _("%(kind)sの申請を却下しました。") % {"kind": reversal.get_kind_display()}
                )
            else:
                messages.error(request, _("承認か却下を選んでください。"))
        except PaymentError as exc:
            messages.error(request, exc.message)
        return see_other(back)


# A business day's payments ----------------------------------------------------------------------


class PaymentListView(PaymentStaffMixin, TemplateView):
    """The payments of a business day (?day=2026-04-01, today by default), their totals by method,
    and the voids and refunds waiting for approval."""

    template_name = "payments/staff/payments.html"
    payments_section = "payments"

    def day(self) -> date:
        value = self.request.GET.get("day", "")
        if not value:
            return services.today()
        try:
            return parse_iso_day(value[:40])
        except JapaneseDateError as exc:
            raise NotFound(str(exc)) from None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        day = self.day()
        payments = (
            self.payments().filter(business_day=day).select_related("staff").order_by("-paid_at", "-pk")
        )
        page = Paginator(payments, PAGE_SIZE).get_page(self.request.GET.get("page"))
        summary = services.day_summary(self.municipality, day)
        pending = (
            Reversal.objects.for_municipality(self.municipality)
            .filter(status=ReversalStatus.PENDING)
            .select_related("payment", "requested_by")
            .order_by("requested_at")
        )
        user = self.staff_user()
        may_decide = self.can(Perm.APPROVE_REFUNDS)
        context.update(
            day=day,
            previous_day=day - timedelta(days=1),
            next_day=day + timedelta(days=1),
            page_obj=page,
            is_paginated=page.has_other_pages(),
            summary=summary,
            by_method=[
                (Method(m).label, figures["count"], figures["in_yen"], figures["out_yen"])
                for m, figures in summary.by_method.items()
            ],
            pending=[(r, may_decide and r.requested_by_id != user.pk) for r in pending],
            closed=services.is_closed(self.municipality, day),
            stuck=list(services.stuck_at_terminal(self.municipality)[: services.STUCK_LISTED]),
        )
        return context
