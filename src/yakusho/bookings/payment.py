"""Paying a booking's charge online (docs/bookings.md "Paying online"; the payable ``bookings.booking``).

A resource whose fee catalogue item (``Resource.fee_item``) takes オンライン決済 is paid when it is
booked online: the booking holds its place as 「メール確認待ち」 (pending) for
``BOOKING_PAYMENT_MINUTES`` while the resident pays, and the payment confirms it (with the calendar
file by mail). A payment abandoned — cancelled at the provider, or the page closed — takes nothing:
the hold ends and ``expire-booking-holds`` gives the place back like any other expired hold. A
payment that arrives after its hold ended is kept as 「期限後に支払（要返金）」 for staff to refund.
Staff who book for a resident (phone, counter) take the charge at the till as before.
"""

from __future__ import annotations

import math

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from yakusho.bookings.models import Booking, BookingStatus, Resource, Slot
from yakusho.core import shortcodes
from yakusho.core.models import Municipality
from yakusho.payments import online
from yakusho.payments.models import Method, Unit
from yakusho.payments.payables import Owed, Payable, payables
from yakusho.payments.services import PaymentError

KEY = "bookings.booking"
DUE, PAID, LATE, REFUNDED = "due", "paid", "late", "refunded"


def quantity(resource: Resource, slot: Slot) -> int:
    """How many of the catalogue's unit a slot is: hours (begun hours count) or one booking."""
    item = resource.fee_item
    rate = item.rate_on(slot.starts_at.date()) if item is not None else None
    if rate is not None and rate.unit == Unit.HOUR:
        minutes = (slot.ends_at - slot.starts_at).total_seconds() / 60
        return max(1, math.ceil(minutes / 60))
    return 1


def pays_online(resource: Resource) -> bool:
    """A resident booking this resource online pays its charge online."""
    item = resource.fee_item if resource.fee_item_id else None
    return item is not None and item.accepts(Method.ONLINE) and resource.charged_yen > 0


def _booking(municipality: Municipality, ref: str) -> Booking | None:
    code = shortcodes.normalize(ref or "")
    if code is None:
        return None
    return (
        Booking.objects.for_municipality(municipality)
        .filter(code=code)
        .select_related("resource", "resource__fee_item", "slot")
        .first()
    )


def start(request: HttpRequest, booking: Booking, request_key: str) -> str:
    """Open the online payment of ``booking``'s charge; the address of the provider's page."""
    if booking.payment_state != DUE or booking.status != BookingStatus.PENDING:
        raise PaymentError(_("この予約には、お支払いいただくものはありません。"))
    return online.start_payable(
        booking.municipality,
        KEY,
        booking.code,
        request_key=request_key,
        site=request.build_absolute_uri("/"),
        description=_("%(resource)s の予約（予約番号 %(code)s）")
        % {"resource": booking.resource.name, "code": booking.display_code},
    )


class BookingPayable(Payable):
    label = "施設の予約"

    def owed(self, municipality: Municipality, ref: str) -> list[Owed] | None:
        booking = _booking(municipality, ref)
        if booking is None or booking.payment_state != DUE or booking.resource.fee_item is None:
            return None
        item = booking.resource.fee_item
        return [Owed(item.key, quantity(booking.resource, booking.slot), booking.resource.name)]

    def paid(self, municipality: Municipality, ref: str, payment_code: str) -> None:
        from yakusho.bookings import services  # services imports this module's callers

        booking = _booking(municipality, ref)
        if booking is None:
            return
        if booking.status == BookingStatus.PENDING:
            services.confirm(booking)
        state = PAID if booking.status == BookingStatus.CONFIRMED else LATE
        Booking.objects.filter(pk=booking.pk).update(payment_state=state, payment_code=payment_code)

    def refunded(self, municipality: Municipality, ref: str, payment_code: str) -> None:
        Booking.objects.for_municipality(municipality).filter(
            code=shortcodes.normalize(ref or "") or "", payment_code=payment_code
        ).update(payment_state=REFUNDED)

    def return_path(self, municipality: Municipality, ref: str) -> str:
        from yakusho.bookings import services

        booking = _booking(municipality, ref)
        if booking is None:
            return ""
        return reverse("bookings:manage", args=[municipality.slug, services.token_for(booking)])


def register() -> None:
    if KEY not in payables:
        payables.add(KEY, BookingPayable())
