"""Concurrent issuing and calling on PostgreSQL: numbers stay unique and consecutive."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.bookings.queue_helpers import make_service, members, on_a_business_day
from yakusho.bookings.queue import services as queue
from yakusho.bookings.queue.models import QueueTicket, TicketStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 32


def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them (run in the PostgreSQL run)")


def _run(n: int, work) -> list:
    barrier = threading.Barrier(THREADS)

    def one(i: int):
        barrier.wait() if i < THREADS else None
        try:
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(one, range(n)))


def test_concurrent_issuing_gives_unique_consecutive_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    _needs_postgres()
    service = make_service()
    on_a_business_day(monkeypatch, service.municipality)  # the kiosk issues on business days only
    tickets = _run(96, lambda i: queue.issue_ticket(service, channel="kiosk").number)
    assert sorted(tickets) == list(range(1, 97))
    numbers = sorted(QueueTicket.objects.filter(service=service).values_list("number", flat=True))
    assert numbers == list(range(1, 97))


def test_concurrent_calls_never_call_the_same_ticket_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    _needs_postgres()
    service = make_service(windows=[f"窓口{i}" for i in range(1, THREADS + 1)])
    on_a_business_day(monkeypatch, service.municipality)
    counter = members(service)["counter"]
    for _ in range(40):
        queue.issue_ticket(service, channel="kiosk")
    called = _run(THREADS, lambda i: queue.call_next(service, f"窓口{i + 1}", counter))
    pks = [t.pk for t in called if t is not None]
    assert len(pks) == len(set(pks)) == THREADS
    assert QueueTicket.objects.filter(status=TicketStatus.CALLED).count() == THREADS
    first = sorted(QueueTicket.objects.filter(status=TicketStatus.CALLED).values_list("number", flat=True))
    assert first == list(range(1, THREADS + 1))
