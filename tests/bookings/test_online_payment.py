"""A booking whose charge is paid online (issue 25): the place is held while the resident pays at the
real local demo provider; the payment confirms it (with the calendar file by mail); an abandoned
payment gives the place back when the hold ends; a payment that comes after the hold is kept for
refund; staff bookings are not sent to pay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.bookings.helpers import contact, make_resource, next_weekday, slot_at
from tests.factories import MembershipFactory
from tests.procedures.test_online_payment import at_provider, hidden_in
from yakusho.bookings import payment as booking_payment
from yakusho.bookings import services
from yakusho.bookings.models import Booking, BookingStatus, Slot
from yakusho.core.models import OutboundEmail, Role
from yakusho.payments.models import FeeItem, FeeKind, FeeRate, Payment, PaymentStatus, Unit
from yakusho.payments.providers.demo_service import DemoProviderServer, start

pytestmark = pytest.mark.django_db
SECRET = "test-provider-secret-0123456789"
GOOD = {
    "name": "役所 花子",
    "kana": "やくしょ はなこ",
    "email": "hanako@example.jp",
    "phone": "090-1234-5678",
}


@pytest.fixture
def provider() -> Iterator[DemoProviderServer]:
    server = start(secret=SECRET)
    server.control(drop=True)
    with override_settings(PAYMENT_PROVIDER_DEMO_URL=server.url, PAYMENT_PROVIDER_DEMO_SECRET=SECRET):
        yield server
    server.stop()


@pytest.fixture
def room() -> Any:
    resource = make_resource(slot_minutes=120, fee_yen=0)
    item = FeeItem.objects.create(
        municipality=resource.municipality, key="washitsu", name="公民館 和室使用料", kind=FeeKind.CHARGE,
        methods=["cash", "card", "online"],
    )  # fmt: skip
    FeeRate.objects.create(
        item=item, valid_from=date(2020, 4, 1), unit=Unit.HOUR, amount_yen=300, max_quantity=8
    )
    resource.fee_item = item
    resource.save()
    day = next_weekday(timezone.localdate())
    return {"resource": resource, "day": day, "slot": slot_at(resource, day, 9)}


def book_url(room: dict[str, Any]) -> str:
    r = room["resource"]
    return reverse("bookings:book", args=[r.municipality.slug, r.key, room["day"].isoformat(), "0900"])


def test_the_booking_holds_its_place_while_the_resident_pays_and_the_payment_confirms_it(
    room: dict[str, Any], provider: DemoProviderServer, client: Client
) -> None:
    page = client.get(book_url(room)).content.decode()
    assert "300円" in page and "オンライン決済" in page  # the catalogue's rate and methods
    sent = client.post(book_url(room), GOOD)
    assert sent.status_code == 302 and sent["Location"].startswith(provider.url + "/pay/")
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.PENDING and booking.payment_state == booking_payment.DUE
    assert booking.hold_until is not None and booking.hold_until <= timezone.now() + timedelta(minutes=31)
    assert Slot.objects.get(pk=room["slot"].pk).booked == 1  # held
    assert not OutboundEmail.objects.exists()  # nothing to confirm by mail: the payment confirms
    payment = Payment.objects.get()
    assert payment.total_yen == 600 and [line.quantity for line in payment.lines.all()] == [2]  # 2 hours
    back = client.get(at_provider(provider, sent["Location"]))
    manage = client.get(back["Location"]).content.decode()
    assert "お支払い済みです" in manage and payment.code in manage and "領収書（PDF）を開く" in manage
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.payment_state == booking_payment.PAID
    confirmed = OutboundEmail.objects.get(subject__contains="予約が確定しました")
    assert [a["filename"] for a in confirmed.attachments] == ["booking.ics"]
    assert "予約を確定する</button>" not in manage


def test_an_abandoned_payment_gives_the_place_back_when_the_hold_ends_and_a_late_one_is_kept_for_refund(
    room: dict[str, Any], provider: DemoProviderServer, client: Client
) -> None:
    sent = client.post(book_url(room), GOOD)
    booking = Booking.objects.get()
    manage_path = client.get(at_provider(provider, sent["Location"], action="cancel"))["Location"]
    manage = client.get(manage_path).content.decode()
    assert "お支払いは完了していません" in manage and "円を支払う" in manage
    assert Slot.objects.get(pk=room["slot"].pk).booked == 1  # still held until the hold ends
    # pays again, but only after the hold has ended (the page was left open)
    again = client.post(manage_path, {"action": "pay", "_key": hidden_in(manage, "_key")})
    assert again.status_code == 302 and again["Location"].startswith(provider.url)
    assert booking.hold_until is not None
    assert services.expire_holds(booking.hold_until + timedelta(seconds=1)) == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED and Slot.objects.get(pk=room["slot"].pk).booked == 0
    client.get(at_provider(provider, again["Location"]))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED and booking.payment_state == booking_payment.LATE
    assert Slot.objects.get(pk=room["slot"].pk).booked == 0  # the place stays free for others
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == 1
    assert "返金します" in client.get(manage_path).content.decode()


def test_staff_bookings_are_not_sent_to_pay(room: dict[str, Any]) -> None:
    staff = MembershipFactory(municipality=room["resource"].municipality, role=Role.COUNTER).user
    booking = services.book(room["slot"].pk, contact(), channel="phone", staff=staff)
    assert booking.status == BookingStatus.CONFIRMED and booking.payment_state == ""


def test_a_resource_whose_item_takes_no_online_payment_books_as_before(
    room: dict[str, Any], client: Client
) -> None:
    FeeItem.objects.filter(key="washitsu").update(methods=["cash"])
    sent = client.post(book_url(room), GOOD)
    assert sent["Location"] == reverse("bookings:sent", args=[room["resource"].municipality.slug])
    assert Booking.objects.get().payment_state == "" and not Payment.objects.exists()
