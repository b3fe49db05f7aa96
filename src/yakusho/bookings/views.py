"""The resident's side: resources, a month calendar, a day's slots, booking, and the e-mailed link.

No accounts and no database ids in URLs: a slot is named by its resource key, day and time, a
booking by a signed token in the e-mailed link (and its short code on screen). The link's page
confirms a pending booking or an offered place with a button. A resident without e-mail books with
a phone number, keeps the code shown (and printable) on the done page, and finds the booking again
with the code and that phone number. Cancelling always shows what will be cancelled first.
"""

from __future__ import annotations

import ipaddress
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from yakusho.bookings import ics, payment, services
from yakusho.bookings.forms import ContactForm, LookupForm
from yakusho.bookings.models import (
    Audience,
    Booking,
    BookingStatus,
    Resource,
    ResourceKind,
    Slot,
)
from yakusho.bookings.rules import Rules, day_slots, local_day, month_days, slot_info
from yakusho.core.clientip import client_ip
from yakusho.core.jcal import JapaneseDateError, format_date, parse_iso_day, parse_iso_month
from yakusho.core.models import Municipality
from yakusho.core.responses import NotFound
from yakusho.core.views.public import public_form_ratelimit
from yakusho.payments import online
from yakusho.payments.models import RECEIPT_STATUSES, Payment, PaymentStatus
from yakusho.payments.services import PaymentError

SENT = "bookings-sent"


def network_key(request: HttpRequest) -> str:
    """A keyed digest of the request's network (IPv4 address, IPv6 /64), to count bookings without
    e-mail per network and day without keeping the address itself."""
    address = client_ip(request)
    try:
        network = ipaddress.ip_network(f"{address}/{64 if ':' in address else 32}", strict=False)
    except ValueError:
        return ""
    return salted_hmac("yakusho.bookings.network", str(network.network_address)).hexdigest()[:16]


def public_resources(municipality: Municipality) -> Any:
    return (
        Resource.objects.for_municipality(municipality)
        .filter(is_active=True)
        .exclude(audience=Audience.STAFF)
        .select_related("department", "fee_item")
        .prefetch_related("fee_item__rates")
    )


def parse_day(value: str) -> date:
    """A day of the URL, or a 404 saying what is wrong with it."""
    try:
        return parse_iso_day(value)
    except JapaneseDateError as exc:
        raise NotFound(str(exc)) from None


def parse_time(day: date, value: str) -> datetime:
    """A time of the URL written ``HHMM`` on ``day``, or a 404."""
    try:
        if len(value) != 4 or not value.isascii() or not value.isdigit():
            raise ValueError(value)
        hour, minute = int(value[:2]), int(value[2:])
        return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))
    except ValueError:
        raise NotFound(_("時刻の形式が正しくありません。")) from None


class ResourceMixin:
    request: HttpRequest
    kwargs: dict[str, Any]
    municipality: Municipality
    resource: Resource

    def setup_resource(self) -> None:
        self.municipality = get_object_or_404(Municipality, slug=self.kwargs["municipality"])
        if "resource" in self.kwargs:
            self.resource = get_object_or_404(
                public_resources(self.municipality).select_related("municipality"),
                key=self.kwargs["resource"],
            )


class ResourceListView(ResourceMixin, TemplateView):
    template_name = "bookings/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.setup_resource()
        resources = list(public_resources(self.municipality))
        groups = [(label, [r for r in resources if r.kind == kind]) for kind, label in ResourceKind.choices]
        return {
            "municipality": self.municipality,
            "groups": [(label, items) for label, items in groups if items],
        }


class ResourceView(ResourceMixin, TemplateView):
    """The resource and a month of days, each with its state in words (phone-friendly list)."""

    template_name = "bookings/resource.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.setup_resource()
        now = timezone.now()
        today = local_day(now)
        month = self.request.GET.get("month", "")
        try:
            first = parse_iso_month(month) if month else today.replace(day=1)
        except JapaneseDateError:
            first = today.replace(day=1)
        rules = Rules(self.resource)
        days = month_days(rules, first.year, first.month, now)
        prev_month = (first - timedelta(days=1)).replace(day=1)
        next_month = (first + timedelta(days=32)).replace(day=1)
        return {
            "municipality": self.municipality,
            "resource": self.resource,
            "month": first,
            "days": days,
            "prev_month": prev_month if prev_month >= today.replace(day=1) else None,
            "next_month": next_month if next_month <= rules.last_bookable_day(now) else None,
        }


class DayView(ResourceMixin, TemplateView):
    template_name = "bookings/day.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.setup_resource()
        now = timezone.now()
        day = parse_day(self.kwargs["day"])
        rules = Rules(self.resource)
        closed = rules.closed_reason(day)
        notice = None
        if day < local_day(now):
            notice = _("過去の日付（%(day)s）は予約できません。") % {"day": format_date(day)}
        elif closed:
            notice = _("%(day)sは休館日（%(reason)s）です。") % {
                "day": format_date(day),
                "reason": closed,
            }
        elif day > rules.last_bookable_day(now):
            notice = _("%(day)sの予約はまだ受け付けていません（%(n)s日前から受付）。") % {
                "day": format_date(day),
                "n": self.resource.opens_days_ahead,
            }
        slots = [] if notice else day_slots(rules, day, now)
        return {
            "municipality": self.municipality,
            "resource": self.resource,
            "day": day,
            "day_label": format_date(day),
            "notice": notice,
            "slots": slots,
        }


def _slot_or_refusal(resource: Resource, day: date, at: str, now: datetime) -> tuple[Slot | None, str | None]:
    """The slot at ``day``/``at``, or a Japanese message why there is none to book."""
    rules = Rules(resource)
    starts_at = parse_time(day, at)
    slot = Slot.objects.filter(resource=resource, starts_at=starts_at).first()
    probe = slot or Slot(
        resource=resource, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=resource.slot_minutes)
    )
    refusal = rules.refusal(probe, now)
    if refusal:
        return None, refusal
    if slot is None:
        return None, _("その時刻（%(time)s）の予約枠はありません。") % {
            "time": f"{timezone.localtime(starts_at):%H:%M}"
        }
    return slot, None


@public_form_ratelimit
class BookView(ResourceMixin, View):
    """Contact details for one slot; a full slot offers the waitlist."""

    template_name = "bookings/book.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.setup_resource()
        self.day = parse_day(kwargs["day"])
        self.now = timezone.now()
        self.slot, self.refusal = _slot_or_refusal(self.resource, self.day, kwargs["at"], self.now)
        if self.full() and not self.resource.waitlist:
            self.refusal = _("この枠は満員です。別の枠を選んでください。")
        return super().dispatch(request, *args, **kwargs)

    def render(self, form: ContactForm | None, status: int = 200) -> HttpResponse:
        info = slot_info(Rules(self.resource), self.slot, self.now) if self.slot else None
        return render(
            self.request,
            self.template_name,
            {
                "municipality": self.municipality,
                "resource": self.resource,
                "day": self.day,
                "day_label": format_date(self.day),
                "slot": self.slot,
                "info": info,
                "refusal": self.refusal,
                "form": form,
                "full": info is not None and info.state == "full",
            },
            status=status,
        )

    def full(self) -> bool:
        """No place left: the form registers for the waitlist (which needs an e-mail address)."""
        return self.slot is not None and self.slot.booked >= self.slot.capacity

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.refusal:
            return self.render(None)
        return self.render(ContactForm(resource=self.resource, waitlist=self.full()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.refusal or self.slot is None:
            return self.render(None, status=400)
        waitlist = request.POST.get("waitlist") == "1"
        form = ContactForm(request.POST, resource=self.resource, waitlist=waitlist)
        if not form.is_valid():
            return self.render(form, status=400)
        try:
            booking = services.book(
                self.slot.pk,
                form.contact(),
                waitlist_if_full=waitlist,
                now=self.now,
                source=network_key(request),
            )
        except services.BookingError as exc:
            if exc.field:
                form.add_error(exc.field, exc.message)
            else:
                form.add_error(None, exc.message)
            return self.render(form, status=409 if exc.code == "full" else 400)
        request.session[SENT] = booking.code
        if booking.payment_state == payment.DUE:  # the charge is paid online now: to the provider
            booking.municipality = self.municipality
            try:
                return redirect(payment.start(request, booking, online.new_request_key()))
            except PaymentError as exc:
                messages.error(request, exc.message)
            return redirect(
                "bookings:manage", municipality=self.municipality.slug, token=services.token_for(booking)
            )
        return redirect("bookings:sent", municipality=self.municipality.slug)


class SentView(View):
    def get(self, request: HttpRequest, municipality: str) -> HttpResponse:
        town = get_object_or_404(Municipality, slug=municipality)
        code = request.session.get(SENT)
        booking = (
            Booking.objects.for_municipality(town)
            .filter(code=code)
            .select_related("resource", "slot")
            .first()
            if code
            else None
        )
        if booking is None:
            raise Http404
        return render(
            request,
            "bookings/sent.html",
            {
                "municipality": town,
                "booking": booking,
                "token": services.token_for(booking),
                "lookup_url": request.build_absolute_uri(reverse("bookings:lookup", args=[town.slug])),
                **_when(booking),
            },
        )


def _when(booking: Booking) -> dict[str, Any]:
    start = timezone.localtime(booking.slot.starts_at)
    end = timezone.localtime(booking.slot.ends_at)
    return {"day_label": format_date(start.date()), "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}


class TokenMixin:
    kwargs: dict[str, Any]

    def booking(self) -> tuple[Municipality, Booking]:
        town = get_object_or_404(Municipality, slug=self.kwargs["municipality"])
        booking = services.booking_for_token(town, self.kwargs["token"])
        if booking is None:
            raise NotFound(_("リンクが正しくありません。メールのリンクをもう一度開いてください。"))
        return town, booking


@public_form_ratelimit
class ManageView(TokenMixin, View):
    """The e-mailed link: shows the booking; its buttons confirm a pending booking or an offered
    place, or cancel. Opening the link changes nothing (mail scanners and link previews open links
    too), so confirming is a POST of the page's button."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        town, booking = self.booking()
        return self.page(request, town, booking)

    def page(
        self, request: HttpRequest, town: Municipality, booking: Booking, status: int = 200
    ) -> HttpResponse:
        now = timezone.now()
        upcoming = booking.slot.starts_at > now
        return render(
            request,
            "bookings/manage.html",
            {
                "municipality": town,
                "booking": booking,
                "token": self.kwargs["token"],
                "can_cancel": can_cancel(booking, now),
                "can_change": upcoming and booking.status == BookingStatus.CONFIRMED,
                "can_confirm": upcoming
                and booking.status in (BookingStatus.PENDING, BookingStatus.OFFERED)
                and booking.payment_state != payment.DUE,
                **_when(booking),
                **payment_context(booking, upcoming),
            },
            status=status,
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        town, booking = self.booking()
        if request.POST.get("action") == "confirm":
            return self.confirm(request, town, booking)
        if request.POST.get("action") == "pay":
            booking.municipality = town
            try:
                return redirect(payment.start(request, booking, request.POST.get("_key", "")))
            except PaymentError as exc:
                messages.error(request, exc.message)
                return self.page(request, town, booking, status=400)
        return self.page(request, town, booking, status=400)

    def confirm(self, request: HttpRequest, town: Municipality, booking: Booking) -> HttpResponse:
        was = booking.status
        if was == BookingStatus.CONFIRMED:  # the button pressed twice: already done
            return redirect("bookings:manage", municipality=town.slug, token=self.kwargs["token"])
        if was not in (BookingStatus.PENDING, BookingStatus.OFFERED):
            messages.error(
                request,
                _("この予約は確定できません（状態：%(status)s）。")
                % {"status": booking.get_status_display()},
            )
            return self.page(request, town, booking, status=400)
        services.confirm(booking)
        if booking.status == BookingStatus.CONFIRMED:
            messages.success(
                request,
                _("予約が確定しました。")
                if was == BookingStatus.PENDING
                else _("空きの出た枠で予約が確定しました。"),
            )
        else:
            messages.error(request, _("この予約は確定できませんでした。期限が過ぎたか、枠が埋まりました。"))
        return redirect("bookings:manage", municipality=town.slug, token=self.kwargs["token"])


def payment_context(booking: Booking, upcoming: bool) -> dict[str, Any]:
    """The booking's online payment for its page: state, the latest payment and its 領収書."""
    if not booking.payment_state:
        return {"payment_state": ""}
    paid = (
        Payment.objects.for_municipality(booking.municipality)
        .filter(payable=payment.KEY, payable_ref=booking.code)
        .order_by("-pk")
        .first()
    )
    if paid is not None:
        paid.municipality = booking.municipality
    return {
        "payment_state": booking.payment_state,
        "payment": paid,
        "payment_failed": paid is not None and paid.status == PaymentStatus.FAILED,
        "payment_pending": paid is not None and paid.status == PaymentStatus.PENDING,
        "receipt_url": online.receipt_path(paid)
        if paid is not None and paid.status in RECEIPT_STATUSES
        else "",
        "can_pay": upcoming
        and booking.payment_state == payment.DUE
        and booking.status == BookingStatus.PENDING,
        "pay_key": online.new_request_key(),
        "charge_yen": booking.resource.charged_yen * payment.quantity(booking.resource, booking.slot),
    }


def can_cancel(booking: Booking, now: datetime) -> bool:
    return cancel_refusal(booking, now) is None


def cancel_refusal(booking: Booking, now: datetime) -> str | None:
    """Why ``booking`` cannot be cancelled by its holder now, or None."""
    if booking.status == BookingStatus.CANCELLED:
        return _("この予約は取り消し済みです。")
    if booking.status not in (
        BookingStatus.PENDING,
        BookingStatus.CONFIRMED,
        BookingStatus.OFFERED,
        BookingStatus.WAITING,
    ):
        return _("この予約は取り消せません（状態：%(status)s）。") % {"status": booking.get_status_display()}
    if booking.slot.starts_at <= now:
        return _("開始時刻を過ぎた予約は取り消せません。")
    return None


@public_form_ratelimit
class CancelView(TokenMixin, View):
    """Cancelling asks first: the page shows what will be cancelled (GET); its button cancels (POST)."""

    def page(
        self, request: HttpRequest, town: Municipality, booking: Booking, status: int = 200
    ) -> HttpResponse:
        return render(
            request,
            "bookings/cancel.html",
            {
                "municipality": town,
                "booking": booking,
                "token": self.kwargs["token"],
                "refusal": cancel_refusal(booking, timezone.now()),
                **_when(booking),
            },
            status=status,
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        town, booking = self.booking()
        return self.page(request, town, booking)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        town, booking = self.booking()
        if booking.status == BookingStatus.CANCELLED:  # the button pressed twice: already done
            return redirect("bookings:manage", municipality=town.slug, token=kwargs["token"])
        if not can_cancel(booking, timezone.now()):
            return self.page(request, town, booking, status=400)
        was_waiting = booking.status == BookingStatus.WAITING
        services.cancel(booking, reason=_("本人による取消"))
        messages.success(
            request, _("空き待ちを取り消しました。") if was_waiting else _("予約を取り消しました。")
        )
        return redirect("bookings:manage", municipality=town.slug, token=kwargs["token"])


@public_form_ratelimit
class LookupView(View):
    """Find a booking by its code and the phone number given (for residents without e-mail, and
    anyone who lost the mail): the booking's page opens, as the e-mailed link would."""

    def page(
        self, request: HttpRequest, town: Municipality, form: LookupForm, status: int = 200
    ) -> HttpResponse:
        return render(request, "bookings/lookup.html", {"municipality": town, "form": form}, status=status)

    def get(self, request: HttpRequest, municipality: str) -> HttpResponse:
        town = get_object_or_404(Municipality, slug=municipality)
        return self.page(request, town, LookupForm())

    def post(self, request: HttpRequest, municipality: str) -> HttpResponse:
        town = get_object_or_404(Municipality, slug=municipality)
        form = LookupForm(request.POST)
        if not form.is_valid():
            return self.page(request, town, form, status=400)
        booking = services.booking_for_code_and_phone(
            town, form.cleaned_data["code"], form.cleaned_data["phone"]
        )
        if booking is None:
            form.add_error(
                None,
                _(
                    "予約番号と電話番号の組み合わせに合う予約が見つかりません。"
                    "予約番号と、予約のときに入力した電話番号を確かめてください。"
                ),
            )
            return self.page(request, town, form, status=400)
        return redirect("bookings:manage", municipality=town.slug, token=services.token_for(booking))


@public_form_ratelimit
class ChangeView(TokenMixin, View):
    """Change a confirmed booking to another day or time of the same resource."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        town, booking = self.booking()
        return self.page(request, town, booking)

    def page(
        self, request: HttpRequest, town: Municipality, booking: Booking, error: str = "", status: int = 200
    ) -> HttpResponse:
        now = timezone.now()
        rules = Rules(booking.resource)
        try:
            day = date.fromisoformat(request.GET.get("day", "") or request.POST.get("day", ""))
        except ValueError:
            day = local_day(booking.slot.starts_at)
        slots = [] if rules.closed_reason(day) else [i for i in day_slots(rules, day, now) if i.can_book]
        return render(
            request,
            "bookings/change.html",
            {
                "municipality": town,
                "booking": booking,
                "token": self.kwargs["token"],
                "day": day,
                "day_label": format_date(day),
                "days": [
                    d for d in (day - timedelta(days=1), day + timedelta(days=1)) if d >= local_day(now)
                ],
                "slots": slots,
                "error": error,
                **_when(booking),
            },
            status=status,
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        town, booking = self.booking()
        try:
            day = parse_day(request.POST.get("day", ""))
            slot = Slot.objects.filter(
                resource=booking.resource, starts_at=parse_time(day, request.POST.get("at", ""))
            ).first()
        except Http404:
            slot = None
        if slot is None:
            return self.page(request, town, booking, _("変更先の枠を選んでください。"), status=400)
        try:
            services.move(booking, slot.pk)
        except services.BookingError as exc:
            return self.page(request, town, booking, exc.message, status=409)
        messages.success(request, _("予約を変更しました。"))
        return redirect("bookings:manage", municipality=town.slug, token=kwargs["token"])


class IcsView(TokenMixin, View):
    """The calendar file of a confirmed booking (never of one still waiting for its confirmation)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _town, booking = self.booking()
        if booking.status != BookingStatus.CONFIRMED:
            raise NotFound(
                _("カレンダーのファイルは、予約が確定してから使えます（いまの状態：%(status)s）。")
                % {"status": booking.get_status_display()}
            )
        body = ics.booking_calendar(booking, services.manage_url(booking))
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="booking-{booking.code}.ics"'
        return response


def resource_url(resource: Resource) -> str:
    return reverse("bookings:resource", args=[resource.municipality.slug, resource.key])
