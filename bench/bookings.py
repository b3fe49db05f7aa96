"""Bookings: the availability page of a resource with a year of slots, and a booking rush.

1. Availability: a resource open every day 09:00–21:00 in 30-minute slots for a year (8,760
   slots) with some bookings; the month calendar (six months ahead) and a day page are requested
   through Django's test client in this process, repeatedly; the median and p95 are printed against
   the target (median < 200 ms).
2. Rush (PostgreSQL only): 100 residents press "book" at once for 5 slots of 10 places (50 in
   all), served by a pool of 32 database connections (threads, each with its own connection, as
   a server's workers would be); prints bookings/s, attempts/s, p50 and p99 of each resident's
   wait from the moment all pressed (queueing for a connection included),
   and checks the invariant afterwards (each slot's ``booked`` equals its held bookings and never
   exceeds its capacity; exactly 50 booked, 50 told "full").

The database is a fresh PostgreSQL database (``--db``, default ``yakusho_bench_bookings``, on the
server of ``PG_URL``, default ``postgres://postgres@127.0.0.1:5432/postgres``); without a server,
SQLite under var/ is used and the rush is skipped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
YAKUSHO = str(Path(sys.executable).parent / "yakusho")
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def fresh_database(db: str, var: Path) -> str | None:
    """The DATABASE_URL of a new empty database, or None (SQLite) when PostgreSQL does not answer."""
    try:
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {db}")
        return PG_URL.rsplit("/", 1)[0] + f"/{db}"
    except Exception:
        (var / "yakusho.sqlite3").unlink(missing_ok=True)
        return None


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def setup_django(var: Path, url: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(YAKUSHO_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="yakusho.settings_test")
    if url:
        env["DATABASE_URL"] = url
    for args in (["migrate", "-v0"], ["createcachetable"], ["demo", "--quiet-logins", "--core-only"]):
        subprocess.run([YAKUSHO, *args], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    os.environ.update(env)
    import django

    django.setup()


def availability(runs: int) -> dict[str, Any]:
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from yakusho.bookings.models import Resource, Slot
    from yakusho.bookings.services import Contact, book
    from yakusho.bookings.slots import generate_slots
    from yakusho.core.models import Department, Municipality

    town = Municipality.objects.get(slug="oe")
    resource = Resource.objects.create(
        municipality=town,
        department=Department.objects.for_municipality(town).earliest("pk"),
        key="bench-hall",
        name="ベンチ用ホール",
        kind="room",
        capacity=4,
        slot_minutes=30,
        opening_hours={str(d): [["09:00", "21:00"]] for d in range(7)},
        closed_on_holidays=False,
        opens_days_ahead=365,
        closes_hours_before=0,
        limit_active=0,
        limit_per_day=0,
    )
    today = timezone.localdate()
    started = time.perf_counter()
    made = generate_slots(resource, today, today + timedelta(days=365))
    generation = time.perf_counter() - started
    future = Slot.objects.filter(resource=resource, starts_at__gt=timezone.now() + timedelta(hours=1))
    for i, slot in enumerate(future.order_by("starts_at")[::7][:300]):
        book(slot.pk, Contact(name=f"ベンチ{i}", email=f"bench{i}@example.jp"))
    month = (today + timedelta(days=180)).strftime("%Y-%m")
    day = (today + timedelta(days=180)).isoformat()
    client = Client(SERVER_NAME="127.0.0.1")
    pages = {
        "month": reverse("bookings:resource", args=["oe", resource.key]) + f"?month={month}",
        "day": reverse("bookings:day", args=["oe", resource.key, day]),
    }
    results: dict[str, Any] = {"slots": made, "generation_s": generation}
    for name, url in pages.items():
        assert client.get(url).status_code == 200
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
        results[name] = {
            "median_ms": statistics.median(times),
            "p95_ms": percentile(times, 95),
        }
    return results


def rush(residents: int, slots: int, capacity: int, pool: int) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from yakusho.bookings.models import HOLDING, Booking, Resource, Slot
    from yakusho.bookings.services import BookingError, Contact, SlotFull, book
    from yakusho.bookings.slots import add_session

    town_resource = Resource.objects.get(key="bench-hall")
    rush_resource = Resource.objects.create(
        municipality=town_resource.municipality,
        department=town_resource.department,
        key="bench-class",
        name="ベンチ用教室",
        kind="class",
        schedule="sessions",
        capacity=capacity,
        closes_hours_before=0,
        limit_active=0,
        limit_per_day=0,
        waitlist=False,
    )
    start = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=7), datetime.min.time())
    )
    slot_ids = [
        add_session(rush_resource, start + timedelta(hours=9 + i), start + timedelta(hours=10 + i)).pk
        for i in range(slots)
    ]
    latencies: list[float] = []
    outcomes: list[str] = []
    lock = threading.Lock()
    waiting = list(range(residents))
    barrier = threading.Barrier(min(pool, residents) + 1)

    def worker() -> None:
        """One pooled connection serving residents until none is left (as a server's workers do)."""
        try:
            barrier.wait()
            while True:
                with lock:
                    if not waiting:
                        return
                    i = waiting.pop(0)
                try:
                    book(slot_ids[i % slots], Contact(name=f"住民{i}", email=f"rush{i}@example.jp"))
                    outcome = "booked"
                except SlotFull:
                    outcome = "full"
                except BookingError as exc:
                    outcome = exc.code
                with lock:
                    # from the moment all residents pressed the button: queueing for a connection included
                    latencies.append((time.perf_counter() - started) * 1000)
                    outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(min(pool, residents))]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    booked = outcomes.count("booked")
    invariant = True
    for slot in Slot.objects.filter(pk__in=slot_ids):
        held = Booking.objects.filter(slot=slot, status__in=HOLDING).count()
        invariant &= slot.booked == held <= slot.capacity
    invariant &= booked == min(residents, slots * capacity) and outcomes.count("full") == residents - booked
    return {
        "residents": residents,
        "booked": booked,
        "full": outcomes.count("full"),
        "other": len(outcomes) - booked - outcomes.count("full"),
        "wall_s": wall,
        "bookings_per_s": booked / wall,
        "attempts_per_s": residents / wall,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "invariant_ok": invariant,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="yakusho_bench_bookings", help="PostgreSQL database to (re)create")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--residents", type=int, default=100)
    parser.add_argument("--pool", type=int, default=32, help="database connections serving the residents")
    options = parser.parse_args()
    var = ROOT / "var" / "bench-bookings"
    var.mkdir(parents=True, exist_ok=True)
    url = fresh_database(options.db, var)
    setup_django(var, url)
    print(f"bookings bench on {'PostgreSQL ' + options.db if url else 'SQLite'}")
    result = availability(options.runs)
    print(f"  slots generated for a year: {result['slots']} in {result['generation_s']:.2f} s")
    for name in ("month", "day"):
        r = result[name]
        verdict = "ok" if r["median_ms"] < 200 else "OVER TARGET"
        print(
            f"  availability {name:5} page: median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, "
            f"(target median < 200 ms: {verdict})"
        )
    if not url:
        print("  booking rush: skipped (needs PostgreSQL)")
        return 0
    r = rush(options.residents, slots=5, capacity=10, pool=options.pool)
    print(
        f"  booking rush: {r['residents']} residents at once ({options.pool} connections) for 50 places: "
        f"{r['booked']} booked, {r['full']} full, {r['other']} other; {r['bookings_per_s']:.0f} bookings/s "
        f"({r['attempts_per_s']:.0f} attempts/s), p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms; "
        f"invariant {'holds' if r['invariant_ok'] else 'BROKEN'}"
    )
    return 0 if r["invariant_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
