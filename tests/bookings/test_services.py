"""The booking engine: rules, capacity, confirmation, waitlist, closures, mail and its .ics."""

from __future__ import annotations

import base64
from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from tests.bookings.helpers import contact, make_resource, next_weekday, slot_at
from tests.factories import MunicipalityFactory
from yakusho.bookings import services
from yakusho.bookings import slots as slot_making
from yakusho.bookings.models import Booking, BookingMail, BookingStatus, Resource, Slot
from yakusho.bookings.services import SlotFull, book, cancel, confirm
from yakusho.core.models import Closure, OutboundEmail

pytestmark = pytest.mark.django_db


def test_online_booking_is_pending_until_the_link_is_opened_and_holds_a_place() -> None:
    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = book(slot.pk, contact())
    slot.refresh_from_db()
    assert booking.status == BookingStatus.PENDING and slot.booked == 1
    assert services.booking_for_token(resource.municipality, services.token_for(booking)) == booking
    assert services.booking_for_token(resource.municipality, services.token_for(booking) + "x") is None
    confirm(booking)
    assert booking.status == BookingStatus.CONFIRMED and booking.verified_at is not None


def test_staff_booking_is_confirmed_at_once_and_needs_no_email(django_user_model) -> None:
    from tests.factories import UserFactory

    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = book(slot.pk, contact(email=""), channel="phone", staff=UserFactory())
    assert booking.status == BookingStatus.CONFIRMED
    assert not OutboundEmail.objects.exists()


def test_a_full_slot_refuses_and_nothing_is_saved() -> None:
    resource = make_resource(waitlist=False)
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    book(slot.pk, contact(1))
    with pytest.raises(SlotFull):
        book(slot.pk, contact(2))
    assert Booking.objects.count() == 1
    assert OutboundEmail.objects.count() == 1


def test_the_database_refuses_overbooking_even_without_the_python_check() -> None:
    from django.db import IntegrityError, transaction

    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    Slot.objects.filter(pk=slot.pk).update(booked=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=2)


def test_confirmation_mail_has_a_valid_icalendar_attachment() -> None:
    resource = make_resource(what_to_bring="筆記用具")
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = book(slot.pk, contact())
    pending_mail = OutboundEmail.objects.get()
    assert booking.display_code in pending_mail.subject
    assert services.manage_url(booking) in pending_mail.body
    assert "持ち物: 筆記用具" in pending_mail.body and "1回 500円" in pending_mail.body
    assert pending_mail.attachments == []  # no calendar entry for a booking not yet confirmed
    confirm(booking)
    confirm(booking)  # twice: one confirmation mail
    mail = OutboundEmail.objects.get(subject__contains="予約が確定しました")
    assert "持ち物: 筆記用具" in mail.body
    attachment = mail.attachments[0]
    assert attachment["mimetype"] == "text/calendar" and attachment["filename"].endswith(".ics")
    calendar = icalendar.Calendar.from_ical(base64.b64decode(attachment["content_b64"]))
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == slot.starts_at
    assert event.decoded("DTEND") == slot.ends_at
    assert str(event["UID"]).startswith(f"booking-{booking.code}@")
    assert event.get("DTSTAMP") is not None
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == resource.location
    # RFC 5545: CRLF line ends, lines folded at 75 octets
    raw = base64.b64decode(attachment["content_b64"])
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")


def test_pending_booking_expires_and_the_place_returns() -> None:
    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = book(slot.pk, contact(1))
    later = timezone.now() + timedelta(hours=25)
    assert services.expire_holds(later) == 1
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED and slot.booked == 0


def test_waitlist_offer_goes_to_the_first_waiting_person_then_the_next() -> None:
    resource = make_resource(offer_hours=12)
    slot = slot_at(resource, next_weekday(timezone.localdate() + timedelta(days=5)))
    first = book(slot.pk, contact(1))
    confirm(first)
    w1 = book(slot.pk, contact(2), waitlist_if_full=True)
    w2 = book(slot.pk, contact(3), waitlist_if_full=True)
    assert w1.status == w2.status == BookingStatus.WAITING
    cancel(first)
    w1.refresh_from_db()
    w2.refresh_from_db()
    slot.refresh_from_db()
    assert w1.status == BookingStatus.OFFERED and w2.status == BookingStatus.WAITING and slot.booked == 1
    offer = OutboundEmail.objects.get(to=[w1.email], subject__contains="空きが出ました")
    assert offer.attachments == []  # an offer is not a booking yet: its calendar file comes on confirming
    # not taken in time: offered to the next, never again to the first
    services.expire_holds(timezone.now() + timedelta(hours=13))
    w1.refresh_from_db()
    w2.refresh_from_db()
    assert w1.status == BookingStatus.EXPIRED and w2.status == BookingStatus.OFFERED
    confirm(w2)
    assert w2.status == BookingStatus.CONFIRMED


def test_ad_hoc_closure_cancels_bookings_and_tells_each_person() -> None:
    resource = make_resource(capacity=3)
    day = next_weekday(timezone.localdate())
    slot = slot_at(resource, day)
    bookings = [book(slot.pk, contact(i)) for i in range(3)]
    OutboundEmail.objects.all().delete()
    assert services.close_day(resource, day, "設備点検") == 3
    for b in bookings:
        b.refresh_from_db()
        assert b.status == BookingStatus.CANCELLED
    slot.refresh_from_db()
    assert slot.booked == 0 and slot.is_blocked
    assert sorted(m.to[0] for m in OutboundEmail.objects.all()) == sorted(b.email for b in bookings)
    assert all("設備点検" in m.body for m in OutboundEmail.objects.all())


def test_municipality_closure_cancels_bookings_of_that_day() -> None:
    resource = make_resource()
    day = next_weekday(timezone.localdate())
    slot = slot_at(resource, day)
    booking = book(slot.pk, contact())
    Closure.objects.create(municipality=resource.municipality, date=day, reason="庁舎停電")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and "庁舎停電" in booking.cancel_reason


def test_reminders_are_sent_once(settings) -> None:
    resource = make_resource(closes_hours_before=0)
    day = next_weekday(timezone.localdate())
    slot = slot_at(resource, day)
    booking = book(slot.pk, contact())
    confirm(booking)
    today = day - timedelta(days=1)
    assert services.send_reminders(today) == 1
    assert services.send_reminders(today) == 0
    assert BookingMail.objects.filter(booking=booking, kind="reminder").count() == 1
    assert OutboundEmail.objects.filter(subject__contains="明日のご予約").count() == 1


def test_move_changes_the_slot_and_frees_the_old_place() -> None:
    resource = make_resource()
    day = next_weekday(timezone.localdate())
    old, new = slot_at(resource, day, 10), slot_at(resource, day, 14)
    booking = book(old.pk, contact())
    services.move(booking, new.pk)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.booked, new.booked) == (0, 1) and booking.slot_id == new.pk


# --- without e-mail -----------------------------------------------------------------------------


def test_without_email_the_booking_is_confirmed_at_once_unverified_and_mails_nothing() -> None:
    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = book(slot.pk, contact(email="", phone="0182-12-3456"), source="net-a")
    slot.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.verified_at is None
    assert booking.phone_only and booking.source == "net-a" and slot.booked == 1
    assert not OutboundEmail.objects.exists()
    with pytest.raises(services.BookingError) as again:  # a double submit: one booking
        book(slot.pk, contact(email="", phone="018-212-3456"), source="net-a")
    assert (
        again.value.field == "phone" and "この電話番号で、この枠の予約がすでにあります" in again.value.message
    )
    assert Booking.objects.count() == 1


def test_without_email_a_phone_number_is_the_person_for_the_limits() -> None:
    resource = make_resource(limit_active=1, limit_per_day=0, limit_phone_per_day=0)
    day = next_weekday(timezone.localdate())
    first, second = slot_at(resource, day, 10), slot_at(resource, day, 14)
    book(first.pk, contact(email="", phone="090-1111-2222"))
    with pytest.raises(services.BookingError) as refused:
        book(second.pk, contact(email="", phone="09011112222"))
    assert refused.value.field == "phone" and "この電話番号の予約がすでに1件" in refused.value.message
    book(second.pk, contact(email="", phone="090-3333-4444"))  # another number is another person


def test_bookings_without_email_are_limited_per_phone_number_and_per_network_a_day() -> None:
    resource = make_resource(
        capacity=10, limit_active=0, limit_per_day=0, limit_phone_per_day=2, limit_network_per_day=3
    )
    day = next_weekday(timezone.localdate())
    slots = [slot_at(resource, day, hour) for hour in (9, 10, 11, 13, 14)]
    book(slots[0].pk, contact(email="", phone="090-1111-2222"), source="net-a")
    cancelled = book(slots[1].pk, contact(email="", phone="090-1111-2222"), source="net-b")
    cancel(cancelled)  # what was accepted today counts, cancelled or not
    with pytest.raises(services.BookingError) as per_phone:
        book(slots[2].pk, contact(email="", phone="090 1111 2222"), source="net-c")
    assert per_phone.value.field == "phone" and "1つの電話番号につき1日2件まで" in per_phone.value.message
    book(slots[2].pk, contact(email="", phone="090-5555-6666"), source="net-a")
    book(slots[3].pk, contact(email="", phone="090-7777-8888"), source="net-a")
    with pytest.raises(services.BookingError) as per_network:
        book(slots[4].pk, contact(email="", phone="090-9999-0000"), source="net-a")
    assert (
        per_network.value.field == "email" and "同じ接続元（回線）から1日3件まで" in per_network.value.message
    )
    book(slots[4].pk, contact(9), source="net-a")  # with an e-mail address the day's limits do not apply
    assert Booking.objects.filter(email="").count() == 4


def test_without_email_no_waitlist_and_nothing_where_the_resource_says_no() -> None:
    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    book(slot.pk, contact(1))
    with pytest.raises(services.BookingError) as waiting:
        book(slot.pk, contact(email=""), waitlist_if_full=True)
    assert "空き待ちの登録にはメールアドレスが必要です" in waiting.value.message
    Resource.objects.filter(pk=resource.pk).update(allow_without_email=False)
    other = slot_at(resource, slot.starts_at.date(), 14)
    with pytest.raises(services.BookingError) as required:
        book(other.pk, contact(email=""))
    assert required.value.code == "required" and required.value.field == "email"
    assert Booking.objects.count() == 1


def test_a_booking_is_found_by_its_code_and_phone_number_in_any_grouping() -> None:
    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = book(slot.pk, contact(email="", phone="0182-12-3456"))
    town = resource.municipality
    assert services.booking_for_code_and_phone(town, booking.code, "０１８２１２３４５６") == booking
    assert services.booking_for_code_and_phone(town, booking.code, "0182-12-3457") is None
    assert services.booking_for_code_and_phone(MunicipalityFactory(), booking.code, "0182-12-3456") is None


# --- fees and slots -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"fee_yen": 0}, "無料"),
        ({"fee_yen": 300, "fee_unit": "booking"}, "1回 300円"),
        ({"fee_yen": 500, "fee_unit": "hour"}, "1時間あたり 500円"),
        ({"fee_yen": 300, "fee_unit": "hour", "slot_minutes": 120}, "1時間あたり 300円（1枠2時間で600円）"),
        (
            {"fee_yen": 400, "fee_unit": "hour", "slot_minutes": 90},
            "1時間あたり 400円（1枠1時間30分で600円）",
        ),
        ({"fee_yen": 1000, "fee_unit": "person"}, "1人 1,000円"),
    ],
)
def test_a_fee_says_what_it_pays_for(fields: dict[str, object], text: str) -> None:
    assert Resource(**fields).fee_text() == text


def test_a_change_of_slot_length_remakes_the_empty_future_slots_and_keeps_the_booked_ones() -> None:
    resource = make_resource(capacity=1)
    day = next_weekday(timezone.localdate())
    slot_making.generate_slots(resource, day, day)
    booked = slot_at(resource, day, 10)
    book(booked.pk, contact())
    resource.slot_minutes = 120
    resource.capacity = 2
    resource.save()
    removed, created = slot_making.reshape_slots(resource)
    spans = [
        (timezone.localtime(s.starts_at).strftime("%H:%M"), timezone.localtime(s.ends_at).strftime("%H:%M"))
        for s in Slot.objects.filter(resource=resource, starts_at__date=day).order_by("starts_at")
    ]
    # 09–12 and 13–17 in two-hour slots around the booked 10:00–11:00, which stays: nothing overlaps
    assert spans == [("10:00", "11:00"), ("13:00", "15:00"), ("15:00", "17:00")]
    assert removed == 6 and created >= 2
    booked.refresh_from_db()
    assert booked.capacity == 2 and booked.booked == 1  # places follow the resource, never below held


def test_more_places_go_to_the_waitlist() -> None:
    resource = make_resource(capacity=1)
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    book(slot.pk, contact(1))
    waiting = book(slot.pk, contact(2), waitlist_if_full=True)
    resource.capacity = 2
    resource.save()
    slot_making.reshape_slots(resource)
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.OFFERED


def test_a_booking_without_email_is_not_moved_onto_its_own_number_twice() -> None:
    resource = make_resource(limit_per_day=0, capacity=2)
    day = next_weekday(timezone.localdate())
    first, second = slot_at(resource, day, 10), slot_at(resource, day, 14)
    booking = book(first.pk, contact(email="", phone="090-1111-2222"))
    book(second.pk, contact(email="", phone="090-1111-2222"))
    with pytest.raises(services.BookingError) as refused:
        services.move(booking, second.pk)
    assert "この電話番号の予約がすでにあります" in refused.value.message
    booking.refresh_from_db()
    assert booking.slot_id == first.pk
