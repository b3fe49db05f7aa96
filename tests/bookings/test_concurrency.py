"""The core promise on PostgreSQL: concurrent attempts never hold more places than a slot has.

200 attempts for the last 5 places go through 32 threads, each with its own database connection
(Django keeps one per thread), all released together by a barrier.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from tests.bookings.helpers import contact, make_resource, next_weekday, slot_at
from yakusho.bookings.models import Booking, BookingStatus, Slot
from yakusho.bookings.services import BookingError, SlotFull, book, cancel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ATTEMPTS = 200
WORKERS = 32


def _rush(slot_id: int, waitlist: bool) -> Counter[str]:
    attempts: queue.Queue[int] = queue.Queue()
    for i in range(ATTEMPTS):
        attempts.put(i)
    results: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(WORKERS)

    def worker() -> None:
        try:
            barrier.wait()
            while True:
                try:
                    i = attempts.get_nowait()
                except queue.Empty:
                    return
                try:
                    booking = book(slot_id, contact(1000 + i), waitlist_if_full=waitlist)
                    outcome = booking.status
                except SlotFull:
                    outcome = "full"
                except BookingError as exc:
                    outcome = f"error:{exc.code}"
                with lock:
                    results[outcome] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _setup(capacity: int, taken: int, **fields: object) -> Slot:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them (run in the PostgreSQL run)")
    resource = make_resource(capacity=capacity, limit_active=0, limit_per_day=0, **fields)
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    for i in range(taken):
        book(slot.pk, contact(i))
    return slot


def test_200_attempts_for_the_last_5_places_make_exactly_5_bookings() -> None:
    slot = _setup(capacity=20, taken=15, waitlist=False)
    results = _rush(slot.pk, waitlist=False)
    assert results == Counter({BookingStatus.PENDING: 5, "full": 195})
    slot.refresh_from_db()
    assert slot.booked == slot.capacity == 20
    assert Booking.objects.filter(slot=slot, status__in=[BookingStatus.PENDING]).count() == 20


def test_200_attempts_for_the_last_place_with_the_waitlist() -> None:
    slot = _setup(capacity=3, taken=2, waitlist=True)
    results = _rush(slot.pk, waitlist=True)
    assert results == Counter({BookingStatus.PENDING: 1, BookingStatus.WAITING: 199})
    slot.refresh_from_db()
    assert slot.booked == 3
    # the waitlist is an order: a cancellation offers the place to the first, once
    waiting = list(
        Booking.objects.filter(slot=slot, status=BookingStatus.WAITING).order_by("created_at", "pk")
    )
    assert len(waiting) == 199
    held = Booking.objects.filter(slot=slot, status=BookingStatus.PENDING).order_by("pk").last()
    assert held is not None
    cancel(held)
    offered = Booking.objects.get(slot=slot, status=BookingStatus.OFFERED)
    assert offered.pk == waiting[0].pk
    slot.refresh_from_db()
    assert slot.booked == 3
