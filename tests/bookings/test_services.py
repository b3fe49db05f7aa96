"""The booking engine: rules, capacity, confirmation, waitlist, closures, mail and its .ics."""

from __future__ import annotations

import base64
from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from tests.bookings.helpers import contact, make_resource, next_weekday, slot_at
from yakusho.bookings import services
from yakusho.bookings.models import Booking, BookingMail, BookingStatus, Slot
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
    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = book(slot.pk, contact())
    mail = OutboundEmail.objects.get()
    assert booking.display_code in mail.subject
    assert services.manage_url(booking) in mail.body
    attachment = mail.attachments[0]
    assert attachment["mimetype"] == "text/calendar" and attachment["filename"].endswith(".ics")
    calendar = icalendar.Calendar.from_ical(base64.b64decode(attachment["content_b64"]))
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == slot.starts_at
    assert event.decoded("DTEND") == slot.ends_at
    assert str(event["UID"]).startswith(f"booking-{booking.code}@")
    assert event.get("DTSTAMP") is not None
    assert str(event["STATUS"]) == "TENTATIVE"
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
    assert OutboundEmail.objects.filter(to=[w1.email], subject__contains="空きが出ました").count() == 1
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
