"""The daily close under concurrency, on PostgreSQL: two tills closing the same day at once make
one close; payments taken while the day is closed land in it or on the next business day, never
in neither and never in both.

Each thread has its own database connection (Django keeps one per thread) and closes it at the
end; a barrier releases the threads together. SQLite serialises writers, so these tests skip
there (and run in the PostgreSQL run).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.payments.conftest import item, member
from yakusho.core.models import Municipality
from yakusho.payments import services
from yakusho.payments.models import DailyClose, Method, Payment, PaymentStatus
from yakusho.payments.services import PaymentError

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAYERS = 8
PAYMENTS_EACH = 6


@pytest.fixture(autouse=True)
def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them (run in the PostgreSQL run)")


def test_two_tills_closing_the_same_day_at_once_make_one_close(town: Municipality) -> None:
    clerks = [member(town), member(town)]
    services.take(
        town, [services.quote(item(town, "juminhyo"))], method=Method.CASH, tendered=300, request_key="p"
    )
    today = timezone.localdate()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def close(n: int) -> None:
        try:
            barrier.wait()
            try:
                services.close_day(town, today, counted_cash=300 + n, reason=f"till {n}", staff=clerks[n])
                outcome = "closed"
            except PaymentError as exc:
                outcome = exc.message
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=close, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == sorted(["closed", f"{today:%Y年%m月%d日}は既に締められています。"])
    closes = list(DailyClose.objects.filter(municipality=town))
    assert len(closes) == 1 and closes[0].totals["total_yen"] == 300


def test_payments_taken_during_a_close_land_in_it_or_the_next_day_never_lost_or_twice(
    town: Municipality,
) -> None:
    clerk = member(town)
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    keys = ["juminhyo", "inkan", "koseki", "kaikan"]
    barrier = threading.Barrier(PAYERS + 1)
    errors: list[str] = []
    taken: Counter[str] = Counter()
    lock = threading.Lock()
    closed_after: list[int] = []
    some_taken = threading.Event()  # the close starts while a third of the payments are in

    def payer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(PAYMENTS_EACH):
                line = services.quote(item(town, keys[(n + i) % len(keys)]), 1 + i % 2)
                try:
                    services.take(
                        town, [line], method=Method.CASH, tendered=line.amount_yen, request_key=f"p{n}-{i}"
                    )
                    with lock:
                        taken["ok"] += 1
                        if taken["ok"] >= PAYERS * PAYMENTS_EACH // 3:
                            some_taken.set()
                except PaymentError as exc:  # pragma: no cover - would fail the test below
                    with lock:
                        errors.append(exc.message)
        finally:
            connection.close()

    def closer() -> None:
        try:
            barrier.wait()
            some_taken.wait(timeout=30)
            for _attempt in range(500):
                try:
                    close = services.close_day(
                        town, today, counted_cash=0, reason="同時実行の試験", staff=clerk
                    )
                    closed_after.append(int(close.totals["count"]))
                    return
                except PaymentError as exc:  # a payment was between its two steps: try again
                    if "処理中" not in exc.message:
                        with lock:
                            errors.append(exc.message)
                        return
                    time.sleep(0.002)
        finally:
            connection.close()

    threads = [threading.Thread(target=payer, args=(n,)) for n in range(PAYERS)]
    threads.append(threading.Thread(target=closer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert taken["ok"] == PAYERS * PAYMENTS_EACH
    close = DailyClose.objects.get(municipality=town)
    payments = Payment.objects.filter(municipality=town)
    assert payments.count() == PAYERS * PAYMENTS_EACH
    assert not payments.exclude(status=PaymentStatus.PAID).exists()
    # every payment is in exactly one day: the closed day (and then in its frozen totals) or the next
    assert set(payments.values_list("business_day", flat=True)) <= {today, tomorrow}
    in_close = payments.filter(business_day=today)
    next_day = payments.filter(business_day=tomorrow)
    assert close.totals["count"] == in_close.count() == closed_after[0]
    assert close.totals["total_yen"] == sum(p.total_yen for p in in_close)
    all_yen = sum(p.total_yen for p in payments)
    assert close.totals["total_yen"] + sum(p.total_yen for p in next_day) == all_yen
    assert close.totals["count"] + next_day.count() == PAYERS * PAYMENTS_EACH
    assert close.totals["count"] >= PAYERS * PAYMENTS_EACH // 3  # the close did count some
    # the figures of the closed day have not moved since
    assert services.day_summary(town, today).total_yen == close.totals["total_yen"]
