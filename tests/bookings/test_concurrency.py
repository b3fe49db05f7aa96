"""The core promise on PostgreSQL: concurrent attempts never hold more places than a slot has.

200 attempts for the last 5 places go through 32 threads, each with its own database connection
(Django keeps one per thread), all released together by a barrier. Bookings without e-mail keep
their per-phone and per-network limits a day under simultaneous attempts too.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from tests.bookings.helpers import EVERY_DAY, contact, make_resource, next_weekday, slot_at
from yakusho.bookings.models import Booking, BookingStatus, Slot
from yakusho.bookings.services import BookingError, SlotFull, book, cancel
from yakusho.bookings.slots import generate_slots

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


def _race(attempt: Callable[[int], object], n: int) -> Counter[str]:
    """``attempt(i)`` for i < n, all released together, each thread with its own connection."""
    results: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(n)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            try:
                attempt(i)
                outcome = "booked"
            except BookingError as exc:
                outcome = exc.code
            with lock:
                results[outcome] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_simultaneous_bookings_without_email_keep_the_per_phone_and_per_network_limits() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them (run in the PostgreSQL run)")
    resource = make_resource(
        capacity=20,
        slot_minutes=15,
        opening_hours=EVERY_DAY,
        limit_active=0,
        limit_per_day=0,
        limit_phone_per_day=2,
        limit_network_per_day=3,
    )
    day = next_weekday(timezone.localdate())
    generate_slots(resource, day, day)
    slots = list(Slot.objects.filter(resource=resource).order_by("starts_at").values_list("pk", flat=True))
    assert len(slots) >= 24
    # one phone number, 12 different slots, 12 different networks: 2 accepted
    same_phone = _race(
        lambda i: book(slots[i], contact(i, email="", phone="090-1111-2222"), source=f"net-{i}"), 12
    )
    assert same_phone == Counter({"booked": 2, "limit": 10})
    # one network, 12 different phone numbers and slots: 3 accepted
    same_network = _race(
        lambda i: book(slots[12 + i], contact(i, email="", phone=f"090-3000-{i:04d}"), source="net-x"), 12
    )
    assert same_network == Counter({"booked": 3, "limit": 9})
    assert Booking.objects.filter(resource=resource, email="").count() == 5
