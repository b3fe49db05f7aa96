"""The rate-limit counter cache: add/incr semantics, expiry, query cost, exactness under concurrency."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MembershipFactory
from yakusho.core import ratecounter
from yakusho.core.models import Invitation, RateCounter, Role


@pytest.fixture
def counters(db):
    return caches["ratelimit"]


def test_add_creates_once_and_incr_counts(counters) -> None:
    assert counters.add("k", 0, 60) is True
    assert counters.add("k", 0, 60) is False  # a live counter is not reset
    assert [counters.incr("k") for _ in range(3)] == [1, 2, 3]
    assert counters.incr("k", 5) == 8
    assert counters.get("k") == 8
    assert counters.get("missing", "none") == "none"
    with pytest.raises(ValueError, match="not found"):
        counters.incr("missing")


def test_an_expired_counter_starts_again(counters) -> None:
    counters.add("k", 0, 60)
    counters.incr("k")
    RateCounter.objects.update(expires=int(time.time()) - 1)
    assert counters.get("k") is None
    with pytest.raises(ValueError):
        counters.incr("k")
    assert counters.add("k", 0, 60) is True
    assert counters.incr("k") == 1


def test_set_delete_touch_clear(counters) -> None:
    counters.set("a", 4, 60)
    counters.set("a", 7, 60)
    assert counters.get("a") == 7 and counters.has_key("a")
    assert counters.touch("a", 120) is True and counters.touch("nothing") is False
    assert counters.delete("a") is True and counters.delete("a") is False
    counters.set("b", 1)
    counters.clear()
    assert RateCounter.objects.count() == 0


def test_only_integers_are_stored(counters) -> None:
    with pytest.raises(TypeError):
        counters.set("a", "text")
    with pytest.raises(TypeError):
        counters.add("a", True)


def test_expired_rows_are_culled(counters, monkeypatch) -> None:
    RateCounter.objects.create(key=":1:old", count=3, expires=int(time.time()) - 10)
    monkeypatch.setattr(ratecounter, "_next_cull", 0.0)  # due: this add culls
    counters.add("new", 0, 60)
    assert list(RateCounter.objects.values_list("key", flat=True)) == [":1:new"]
    RateCounter.objects.create(key=":1:old2", count=1, expires=int(time.time()) - 10)
    counters.add("newer", 0, 60)  # not due again within CULL_SECONDS
    assert RateCounter.objects.filter(key=":1:old2").exists()


def test_a_rate_limited_post_costs_one_or_two_statements(counters, client) -> None:
    invitation = Invitation.objects.create(
        municipality=MembershipFactory().municipality, email="n@example.jp", role=Role.COUNTER
    )
    path = reverse("staff:invitation_accept", args=[invitation.token])
    client.post(path, {"display_name": "x"})  # (removes expired rows if due: not again for a minute)
    with CaptureQueriesContext(connection) as ctx:
        client.post(path, {"display_name": "x"})
    counter_sql = [q["sql"] for q in ctx.captured_queries if RateCounter._meta.db_table in q["sql"]]
    assert len(counter_sql) == 2, counter_sql  # the add (refused: live) and the increment
    assert not any("yakusho_cache" in q["sql"] for q in ctx.captured_queries)
    assert RateCounter.objects.get().count == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_are_exact() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (run in the PostgreSQL run)")
    counters = caches["ratelimit"]
    threads = 16
    barrier = threading.Barrier(threads)

    def hit(i: int) -> int:
        barrier.wait() if i < threads else None
        try:
            counters.add("burst", 0, 60)
            return counters.incr("burst")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        seen = list(pool.map(hit, range(160)))
    assert sorted(seen) == list(range(1, 161))  # every request counted once, none lost
    assert counters.get("burst") == 160
