"""Staff pages of the daily close (日計; docs/payments.md, "The daily close").

- ``days``: the recent business days with payments, reversals or a close, with their figures and
  whether (and by whom, when, with what cash difference) each is closed;
- ``day``: a day's figures (by method, fee item and accounting code, the voids and refunds, the
  cash expected) and, for a day not yet closed, the close form (counted cash, the reason for a
  difference) → :func:`services.close_day`; a closed day shows the figures frozen at the close;
- ``day_pdf``: the 日計表 of a closed day (:mod:`.close_pdf`);
- ``day_export``: the CSV for the finance system of a closed day (:mod:`.finance_export`).

Every member reads (``Perm.VIEW``); closing needs ``Perm.CLOSE_DAY``, and so does the finance
export (the permission covers "close a day and export it for the finance system"). Views write
nothing themselves: the close is the service's.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from yakusho.core.csvutil import csv_response
from yakusho.core.jcal import JapaneseDateError, parse_iso_day
from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import User
from yakusho.core.permissions import Perm
from yakusho.core.responses import NotFound
from yakusho.payments import finance_export, services
from yakusho.payments.close_forms import CloseForm
from yakusho.payments.close_pdf import render_close
from yakusho.payments.models import (
    CASHLESS,
    DailyClose,
    Method,
    Payment,
    PaymentStatus,
    Reversal,
    ReversalStatus,
)

#: how many business days the list shows
RECENT_DAYS = 60
#: the form keys of closes this session made (a second press of 締める is not an error)
SESSION_KEYS = "payments_close_keys"
#: a close by the same member with the same figures this recently is the same press of 締める
SAME_PRESS = timedelta(seconds=120)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
COUNTED = (PaymentStatus.PAID, PaymentStatus.VOIDED, PaymentStatus.REFUNDED)


def parse_day(value: str) -> date:
    """The day of a URL (``2026-04-01``); anything else is a 404 with a Japanese message."""
    if not _ISO_DAY.fullmatch(value or ""):
        raise NotFound(_("日付が正しくありません。2026-04-01 の形で指定してください。"))
    try:
        return parse_iso_day(value)
    except JapaneseDateError as exc:
        raise NotFound(_("日付が正しくありません。%(why)s") % {"why": exc}) from None


def day_text(day: date) -> str:
    return f"{day:%Y年%m月%d日}"


def method_label(method: Any) -> Any:
    return Method(method).label if method in Method.values else method


def method_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The by-method figures (as ``DaySummary.as_json`` gives them) as table rows with labels."""
    rows = []
    for method, f in (figures.get("by_method") or {}).items():
        in_yen, out_yen = int(f.get("in_yen") or 0), int(f.get("out_yen") or 0)
        rows.append(
            {
                "method": method,
                "label": method_label(method),
                "cashless": method in CASHLESS,
                "count": int(f.get("count") or 0),
                "in_yen": in_yen,
                "out_yen": out_yen,
                "net_yen": in_yen - out_yen,
            }
        )
    return rows


def account_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "label": Method(row["method"]).label if row.get("method") in Method.values else row.get("method"),
        }
        for row in figures.get("by_account") or []
    ]


class CloseMixin(MunicipalityStaffMixin):
    permission = Perm.VIEW

    def closed(self, day: date) -> DailyClose | None:
        return (
            DailyClose.objects.for_municipality(self.municipality)
            .filter(business_day=day)
            .select_related("closed_by")
            .first()
        )

    def closed_or_404(self, day: date) -> DailyClose:
        close = self.closed(day)
        if close is None:
            raise NotFound(_("この日はまだ締められていません。"))
        close.municipality = self.municipality
        return close


class DayListView(CloseMixin, TemplateView):
    """The last business days with anything on them, newest first."""

    template_name = "payments/staff/days.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        payments = (
            Payment.objects.for_municipality(self.municipality)
            .filter(status__in=COUNTED, business_day__isnull=False)
            .values("business_day")
            .annotate(
                n=Count("pk"), yen=Sum("total_yen"), cashless=Count("pk", filter=Q(method__in=CASHLESS))
            )
            .order_by("-business_day")[:RECENT_DAYS]
        )
        reversals = (
            Reversal.objects.for_municipality(self.municipality)
            .filter(status=ReversalStatus.DONE, business_day__isnull=False)
            .values("business_day")
            .annotate(n=Count("pk"), yen=Sum("amount_yen"))
            .order_by("-business_day")[:RECENT_DAYS]
        )
        closes = (
            DailyClose.objects.for_municipality(self.municipality)
            .select_related("closed_by")
            .order_by("-business_day")[:RECENT_DAYS]
        )
        rows: dict[date, dict[str, Any]] = {}

        def row(day: date) -> dict[str, Any]:
            return rows.setdefault(
                day, {"day": day, "count": 0, "in_yen": 0, "out_yen": 0, "cashless": 0, "close": None}
            )

        for p in payments:
            row(p["business_day"]).update(count=p["n"], in_yen=int(p["yen"] or 0), cashless=p["cashless"])
        for r in reversals:
            row(r["business_day"])["out_yen"] = int(r["yen"] or 0)
        for close in closes:
            # a closed day shows what was frozen (the same figures: a closed day does not change)
            totals = close.totals or {}
            row(close.business_day).update(
                close=close,
                count=int(totals.get("count") or 0),
                in_yen=int(totals.get("total_yen") or 0),
                out_yen=int(totals.get("reversals_yen") or 0),
                cashless=int(totals.get("cashless_count") or 0),
            )
        listed = sorted(rows.values(), key=lambda r: r["day"], reverse=True)[:RECENT_DAYS]
        for r in listed:
            r["net_yen"] = r["in_yen"] - r["out_yen"]
        open_day = services.business_day(self.municipality)
        context.update(rows=listed, open_day=open_day, open_day_iso=open_day.isoformat(), recent=RECENT_DAYS)
        return context


class DayView(CloseMixin, TemplateView):
    """A business day's figures and, while it is open, its close."""

    template_name = "payments/staff/day.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        day: date = kwargs["day"]
        close: DailyClose | None = kwargs["close"]
        today = services.today()
        if close is not None:
            figures: dict[str, Any] = close.totals or {}
        else:
            figures = services.day_summary(self.municipality, day).as_json()
        reversals = (
            Reversal.objects.for_municipality(self.municipality)
            .filter(business_day=day, status=ReversalStatus.DONE)
            .select_related("payment", "requested_by", "approved_by")
            .order_by("decided_at", "pk")
        )
        may_close = close is None and self.can(Perm.CLOSE_DAY)
        in_yen = int(figures.get("total_yen") or 0)
        out_yen = int(figures.get("reversals_yen") or 0)
        context.update(
            day=day,
            day_iso=day.isoformat(),
            close=close,
            difference_abs=abs(close.difference_yen) if close else 0,
            figures=figures,
            net_yen=in_yen - out_yen,
            methods=method_rows(figures),
            accounts=account_rows(figures),
            items=figures.get("by_item") or [],
            reversals=reversals,
            may_close=may_close and day <= today,
            stuck=list(services.stuck_at_terminal(self.municipality)[: services.STUCK_LISTED])
            if may_close
            else [],
            too_early=may_close and day > today,
            may_export=self.can(Perm.CLOSE_DAY),
            form=kwargs.get("form") or (CloseForm() if may_close and day <= today else None),
            previous_iso=(day - timedelta(days=1)).isoformat(),
            next_iso=(day + timedelta(days=1)).isoformat() if day < kwargs["open_day"] else "",
        )
        return context

    def day_or_404(self) -> tuple[date, date]:
        day = parse_day(self.kwargs["day"])
        open_day = services.business_day(self.municipality)
        if day > open_day:
            raise NotFound(
                _("まだ来ていない日です。日計は、その日の業務が終わってから表示・締めができます。")
            )
        return day, open_day

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        day, open_day = self.day_or_404()
        return self.render_to_response(
            self.get_context_data(day=day, open_day=open_day, close=self.closed(day))
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.can(Perm.CLOSE_DAY):
            raise PermissionDenied(_("日計を締める権限がありません。"))
        day, open_day = self.day_or_404()
        here = reverse("payments_staff:day", args=[self.municipality.slug, day.isoformat()])
        key = str(request.POST.get("request_key", ""))[:64]
        if self.closed(day) is not None:
            return self.already_closed(request, day, key, here)
        form = CloseForm(request.POST)
        if form.is_valid():
            staff = request.user
            assert isinstance(staff, User)  # the mixin let only a signed-in member through
            try:
                services.close_day(
                    self.municipality,
                    day,
                    counted_cash=form.cleaned_data["counted_cash"],
                    reason=form.cleaned_data["reason"],
                    staff=staff,
                )
            except services.PaymentError as exc:
                if services.is_closed(self.municipality, day):  # another till closed it meanwhile
                    return self.already_closed(request, day, key, here)
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                done = dict(request.session.get(SESSION_KEYS) or {})
                if key:
                    done[key] = day.isoformat()
                request.session[SESSION_KEYS] = dict(list(done.items())[-20:])
                messages.success(request, _("%(day)sの日計を締めました。") % {"day": day_text(day)})
                return HttpResponseRedirect(here)
        context = self.get_context_data(day=day, open_day=open_day, close=None, form=form)
        return self.render_to_response(context, status=400)

    def same_press(self, request: HttpRequest, day: date, key: str) -> bool:
        """Whether this post repeats the one that made the day's close: its form key is one this
        session closed with, or (two presses at once, before the first's session was saved) the
        same member closed the day moments ago with the same count and reason."""
        if key and (request.session.get(SESSION_KEYS) or {}).get(key) == day.isoformat():
            return True
        close = self.closed(day)
        if close is None or close.closed_by_id != request.user.pk:
            return False
        form = CloseForm(request.POST)
        return (
            form.is_valid()
            and timezone.now() - close.closed_at < SAME_PRESS
            and close.counted_cash_yen == form.cleaned_data["counted_cash"]
            and close.difference_reason == form.cleaned_data["reason"][:200]
        )

    def already_closed(self, request: HttpRequest, day: date, key: str, here: str) -> HttpResponse:
        """A second press of 締める (the same form) is the close just made; any other is refused."""
        if self.same_press(request, day, key):
            messages.success(request, _("%(day)sの日計を締めました。") % {"day": day_text(day)})
        else:
            messages.error(
                request,
                _("%(day)sは既に締められています。締めた内容は変えられません。") % {"day": day_text(day)},
            )
        return HttpResponseRedirect(here)


class DayPdfView(CloseMixin, View):
    """The 日計表 of a closed day, opened in the browser's PDF viewer to print."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        day = parse_day(kwargs["day"])
        close = self.closed_or_404(day)
        response = HttpResponse(render_close(close), content_type="application/pdf")
        name = f"日計表_{self.municipality.slug}_{day:%Y%m%d}.pdf"
        response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
        response["Cache-Control"] = "private, no-store"
        return response


class DayExportView(CloseMixin, View):
    """The finance system's CSV of a closed day."""

    permission = Perm.CLOSE_DAY

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        day = parse_day(kwargs["day"])
        close = self.closed_or_404(day)
        rows = finance_export.export_rows(self.municipality, day)
        try:
            finance_export.check_against_close(close, rows)
        except finance_export.ExportMismatch as exc:
            context = {
                "municipality": self.municipality,
                "membership": self.membership,
                "perms_here": {p.value: self.can(p) for p in Perm},
                "day": day,
                "day_iso": day.isoformat(),
                "message": str(exc),
            }
            return render(request, "payments/staff/day_export_refused.html", context, status=409)
        response = csv_response(
            finance_export.filename(self.municipality, day),
            finance_export.HEADER,
            (r.as_csv() for r in rows),
        )
        response["Cache-Control"] = "private, no-store"
        return response
