"""Slots of bookable resources: made from a resource's opening hours and slot length
(``generate_slots``, ``yakusho generate-booking-slots``), remade when staff change them
(``reshape_slots``), and dated sessions (``add_session``). Booking itself is ``services``."""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, datetime, timedelta
from itertools import accumulate

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from yakusho.bookings.models import Booking, Resource, Schedule, Slot
from yakusho.bookings.rules import Rules, local_day, local_start
from yakusho.bookings.services import locked_slot, offer_places


def _planned_slots(resource: Resource, start: date, end: date) -> list[Slot]:
    """The slots the resource's opening hours and slot length make for ``start``–``end`` (both
    included), closed days skipped."""
    rules = Rules(resource)
    length = timedelta(minutes=resource.slot_minutes)
    rows = []
    day = start
    while day <= end:
        if rules.closed_reason(day) is None:
            for opens, closes in resource.hours_for(day.weekday()):
                at = timezone.make_aware(datetime.combine(day, opens))
                stop = timezone.make_aware(datetime.combine(day, closes))
                while at + length <= stop:
                    rows.append(
                        Slot(
                            municipality_id=resource.municipality_id,
                            resource=resource,
                            starts_at=at,
                            ends_at=at + length,
                            capacity=resource.capacity,
                        )
                    )
                    at += length
        day += timedelta(days=1)
    return rows


def generate_slots(resource: Resource, start: date, end: date) -> int:
    """Materialise the slots of ``resource`` from its opening hours for ``start``–``end`` (both
    included), skipping closed days; existing slots are kept, and no new slot overlaps one (after
    a change of slot length, a booked slot of the old length stays and the new ones fit around it).
    Returns how many were created."""
    if resource.schedule != Schedule.SLOTS:
        return 0
    planned = _planned_slots(resource, start, end)
    if not planned:
        return 0
    existing = sorted(
        Slot.objects.filter(
            resource=resource,
            starts_at__lt=local_start(end + timedelta(days=1)),
            ends_at__gt=local_start(start),
        ).values_list("starts_at", "ends_at")
    )
    starts = [a for a, _b in existing]
    latest_end = list(accumulate((b for _a, b in existing), max))  # of the slots starting up to each

    def overlaps(slot: Slot) -> bool:
        before = bisect_left(starts, slot.ends_at)  # the existing slots starting before it ends
        return before > 0 and latest_end[before - 1] > slot.starts_at

    rows = [s for s in planned if not overlaps(s)]
    Slot.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def reshape_slots(resource: Resource, now: datetime | None = None) -> tuple[int, int]:
    """After staff change an opening-hours resource's slot length, hours or places: its future slots
    that nobody booked, waited for or blocked and that no longer fit are removed, the new ones made,
    and the places of the kept ones follow the new capacity (never below what is held; new places go
    to the waitlist). Sessions keep their own places. Returns (removed, created)."""
    if resource.schedule != Schedule.SLOTS:
        return 0, 0
    now = now or timezone.now()
    today = local_day(now)
    window_end = today + timedelta(days=resource.opens_days_ahead)
    with transaction.atomic():
        future = Slot.objects.filter(resource=resource, starts_at__gt=now)
        planned = {(s.starts_at, s.ends_at) for s in _planned_slots(resource, today, window_end)}
        candidates = [
            pk
            for pk, starts_at, ends_at in future.filter(is_blocked=False, bookings__isnull=True)
            .values_list("pk", "starts_at", "ends_at")
            .distinct()
            if (starts_at, ends_at) not in planned
        ]
        # lock them (a booking takes the slot's lock first), then remove those still untouched
        locked = list(
            Slot.objects.select_for_update()
            .filter(pk__in=candidates)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        taken = set(Booking.objects.filter(slot_id__in=locked).values_list("slot_id", flat=True))
        removed = [pk for pk in locked if pk not in taken]
        Slot.objects.filter(pk__in=removed).delete()
        changed = future.exclude(capacity=Greatest(Value(resource.capacity), F("booked")))
        for slot_id in sorted(changed.values_list("pk", flat=True)):
            slot = locked_slot(slot_id)
            slot.capacity = max(resource.capacity, slot.booked)
            slot.save(update_fields=["capacity"])
            offer_places(slot, now)
        created = generate_slots(resource, today, window_end)
    return len(removed), created


def generate_all(today: date | None = None) -> int:
    """Slots for every active resource over its booking window (``yakusho generate-booking-slots``)."""
    today = today or timezone.localdate()
    total = 0
    for resource in Resource.objects.filter(is_active=True, schedule=Schedule.SLOTS).select_related(
        "municipality"
    ):
        total += generate_slots(resource, today, today + timedelta(days=resource.opens_days_ahead))
    return total


def add_session(
    resource: Resource,
    starts_at: datetime,
    ends_at: datetime,
    *,
    capacity: int | None = None,
    title: str = "",
) -> Slot:
    """A dated session (a class, a health-check day)."""
    slot, _created = Slot.objects.get_or_create(
        municipality_id=resource.municipality_id,
        resource=resource,
        starts_at=starts_at,
        defaults={"ends_at": ends_at, "capacity": capacity or resource.capacity, "title": title},
    )
    return slot
