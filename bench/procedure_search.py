"""Time of the public procedure catalogue's search page over 500 generated procedures.

Builds a fresh database (SQLite in var/bench-procedures/, or, when ``PG_URL`` names a
PostgreSQL server, the database ``yakusho_bench_procedures`` there, dropped and created), loads
the demo municipalities, generates 500 procedures for 大江町 and requests the catalogue with a
few queries (hiragana, katakana, kanji, with a filter) through Django's test client, in process,
so the figure is the page's own time without HTTP. Prints the median and p95 per query in ms
against the target (median < 100 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 100.0
PG_DATABASE = "yakusho_bench_procedures"
QUERIES = [
    {"q": "じゅうみんひょう"},
    {"q": "ジュウミンヒョウ"},
    {"q": "住民票"},
    {"q": "かいごほけん しんせい"},
    {"q": "粗大ごみ", "channel": "counter"},
    {"event": "moving-in"},
    {},
]


def prepare_database() -> str:
    """Point Django at a fresh database; returns its description."""
    pg_url = os.environ.get("PG_URL")
    var = ROOT / "var" / "bench-procedures"
    var.mkdir(parents=True, exist_ok=True)
    os.environ["YAKUSHO_VAR_DIR"] = str(var)
    os.environ.setdefault("YAKUSHO_SECRET_KEY", "bench-procedure-search-secret-key-0123456789abcdef")
    # test settings: plain static storage (no collectstatic manifest needed), same database rules
    os.environ["DJANGO_SETTINGS_MODULE"] = "yakusho.settings_test"
    if pg_url:
        import psycopg

        # Only the server is taken from PG_URL: the bench drops and creates its own database,
        # never the one PG_URL names (make's PG_URL is the test suite's).
        name = PG_DATABASE
        admin = urlunsplit(urlsplit(pg_url)._replace(path="/postgres"))
        pg_url = urlunsplit(urlsplit(pg_url)._replace(path=f"/{name}"))
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = pg_url
        return f"PostgreSQL ({name})"
    os.environ.pop("DATABASE_URL", None)
    (var / "yakusho.sqlite3").unlink(missing_ok=True)
    return "SQLite"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--procedures", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args()
    database = prepare_database()
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from yakusho.core.models import Municipality
    from yakusho.procedures.demo.synthetic import generate

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("demo", quiet_logins=True, core_only=True, verbosity=0)
    town = Municipality.objects.get(slug="oe")
    started = time.perf_counter()
    generate(town, options.procedures)
    print(f"{database}: generated {options.procedures} procedures in {time.perf_counter() - started:.1f} s")
    client = Client(HTTP_HOST="127.0.0.1")
    url = reverse("procedures:catalogue", args=[town.slug])
    medians = []
    for params in QUERIES:
        client.get(url, params)  # warm up (pykakasi's dictionary, templates)
        timings = []
        for _ in range(options.repeat):
            t0 = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        timings.sort()
        median = statistics.median(timings)
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        medians.append(median)
        label = " ".join(f"{k}={v}" for k, v in params.items()) or "(no query)"
        verdict = "ok" if median < TARGET_MS else "SLOW"
        print(f"  {label:<36} median {median:6.1f} ms  p95 {p95:6.1f} ms  [{verdict}]")
    worst = max(medians)
    verdict = "met" if worst < TARGET_MS else "NOT met"
    print(f"worst median {worst:.1f} ms (target < {TARGET_MS:.0f} ms): {verdict}")
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
