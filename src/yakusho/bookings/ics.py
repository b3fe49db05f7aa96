"""The iCalendar (RFC 5545) file attached to booking mail, made with the ``icalendar`` package.

Times are written in UTC (``…Z``), which RFC 5545 allows without a VTIMEZONE component; every
calendar application shows them in the reader's own zone. The UID stays the same for a booking,
and SEQUENCE grows with each change, so a changed or cancelled booking updates the same event.
"""

from __future__ import annotations

from datetime import UTC

import icalendar
from django.utils import timezone

from yakusho.bookings.models import Booking, BookingStatus


def booking_calendar(booking: Booking, url: str, *, cancelled: bool = False) -> bytes:
    slot, resource, municipality = booking.slot, booking.resource, booking.municipality
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Yakusho//Bookings//JA")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"booking-{booking.code}@{municipality.slug}.yakusho")
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", slot.starts_at.astimezone(UTC))
    event.add("dtend", slot.ends_at.astimezone(UTC))
    event.add("summary", f"{resource.name}（{municipality.name}）")
    if resource.location:
        event.add("location", resource.location)
    description = f"予約番号: {booking.display_code}\n変更・取消: {url}"
    if resource.what_to_bring:
        description += f"\n持ち物: {resource.what_to_bring}"
    event.add("description", description)
    event.add("url", url)
    event.add(
        "status",
        "CANCELLED"
        if cancelled
        else ("CONFIRMED" if booking.status == BookingStatus.CONFIRMED else "TENTATIVE"),
    )
    # minutes since the booking was made: grows with every later mail about it
    event.add("sequence", max(int((timezone.now() - booking.created_at).total_seconds() // 60), 0))
    cal.add_component(event)
    return cal.to_ical()
