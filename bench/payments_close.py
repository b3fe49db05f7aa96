"""The daily close (日計) of a busy day: 10,000 payments, timed (target < 5 s each).

Method: a throw-away database made afresh each run — PostgreSQL ``yakusho_bench_close`` on the
server of ``PG_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``) when it answers, else
(or with ``--sqlite``) a SQLite file under ``var/bench/payments-close/`` — ``migrate``, then a
municipality with a catalogue of eight fees. 10,000 payments of one business
day (today) are bulk-created as the till would leave them: mixed methods (about half cash, the
rest card, QR code and e-money), one to three lines each, with the rate, amount and accounting
code of each line; one in fifty is refunded in part and one in a hundred voided (done reversals
of the same day). Then, timed with ``time.perf_counter``:

1. ``services.day_summary`` + ``services.close_day`` (what 「この日を締める」 does: the close
   computes the summary again inside its transaction);
2. the finance export (``finance_export.export_rows`` + its check against the close + the CSV
   written through ``core.csvutil``), and, for information, the 日計表 PDF.

Each figure is printed with PASS/FAIL against 5 s, with the day's totals and a check that the
export's rows add up to the day's net total. Run: ``.venv/bin/python bench/payments_close.py``
(``--payments N`` for another size).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench" / "payments-close"
TARGET_S = 5.0

#: key → (name, account code, methods, yen)
CATALOGUE = {
    "juminhyo": ("住民票の写し交付手数料", "14-01-01", ["cash", "card", "qr", "emoney"], 300),
    "inkan": ("印鑑登録証明書交付手数料", "14-01-01", ["cash", "card", "qr", "emoney"], 300),
    "koseki": ("戸籍謄本交付手数料", "14-01-02", ["cash", "card", "qr"], 450),
    "joseki": ("除籍謄本交付手数料", "14-01-02", ["cash", "card", "qr"], 750),
    "zeimu": ("課税証明書交付手数料", "14-01-03", ["cash", "card", "qr", "emoney"], 300),
    "sodai": ("粗大ごみ処理手数料", "14-02-01", ["cash"], 500),
    "kaikan": ("町民会館使用料", "13-01-01", ["cash", "card"], 1000),
    "tosho": ("図書館コピー代", "22-05-01", ["cash", "emoney"], 10),
}
METHODS = [("cash", 50), ("card", 25), ("qr", 15), ("emoney", 10)]


PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
BENCH_DB = "yakusho_bench_close"


def postgres_database() -> str | None:
    """The DATABASE_URL of a new empty PostgreSQL database, or None when no server answers (then
    a SQLite file: the figures say which)."""
    try:
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        return PG_URL.rsplit("/", 1)[0] + f"/{BENCH_DB}"
    except Exception:
        return None


def setup(sqlite: bool) -> str:
    """Prepare the database; returns what it is, for the printed figures."""
    VAR.mkdir(parents=True, exist_ok=True)
    for leftover in VAR.glob("yakusho.sqlite3*"):
        leftover.unlink()
    os.environ["YAKUSHO_VAR_DIR"] = str(VAR)
    os.environ.setdefault("YAKUSHO_SECRET_KEY", "bench-payments-close-secret-key-0123456789abcdef")
    os.environ["DJANGO_SETTINGS_MODULE"] = "yakusho.settings_test"
    url = None if sqlite else postgres_database()
    if url:
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    return f"PostgreSQL ({BENCH_DB})" if url else f"SQLite {VAR / 'yakusho.sqlite3'}"


def generate(count: int, seed: int) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from yakusho.core import shortcodes
    from yakusho.core.models import Municipality, User
    from yakusho.payments.models import (
        FeeItem,
        FeeRate,
        Payment,
        PaymentLine,
        PaymentStatus,
        Reversal,
        ReversalKind,
        ReversalStatus,
    )

    rng = random.Random(seed)  # noqa: S311 - reproducible bench data, not secrets
    today = timezone.localdate()
    town = Municipality.objects.create(
        slug="benchtown",
        name="ベンチ町",
        kana="べんちちょう",
        prefecture="秋田県",
        kind="town",
        code="059999",
        email_from="info@bench.example.jp",
    )
    clerk = User.objects.create_user("clerk@bench.example.jp", "bench-password", display_name="日計 試験")
    items, rates = {}, {}
    for order, (key, (name, code, methods, yen)) in enumerate(CATALOGUE.items()):
        items[key] = FeeItem.objects.create(
            municipality=town,
            key=key,
            name=name,
            account_code=code,
            account_name="手数料",
            methods=methods,
            order=order,
        )
        rates[key] = FeeRate.objects.create(
            item=items[key], valid_from=today - timedelta(days=365), amount_yen=yen
        )
    kinds, weights = zip(*METHODS, strict=True)
    now = timezone.now()
    payments, planned_lines, planned_reversals = [], [], []
    codes: set[str] = set()
    for n in range(count):
        method = rng.choices(kinds, weights)[0]
        keys = [k for k in CATALOGUE if method in CATALOGUE[k][2]]
        chosen = rng.sample(keys, rng.randint(1, min(3, len(keys))))
        lines = [(k, rng.randint(1, 3)) for k in chosen]
        total = sum(CATALOGUE[k][3] * q for k, q in lines)
        code = shortcodes.generate()
        while code in codes:
            code = shortcodes.generate()
        codes.add(code)
        status = PaymentStatus.PAID
        reversal = None
        if n % 100 == 7:
            status, reversal = PaymentStatus.VOIDED, (ReversalKind.VOID, total)
        elif n % 50 == 3:
            status, reversal = PaymentStatus.PAID, (ReversalKind.REFUND, max(1, total // 3))
        payments.append(
            Payment(
                municipality=town,
                code=code,
                channel="counter",
                method=method,
                status=status,
                total_yen=total,
                tendered_yen=total if method == "cash" else None,
                business_day=today,
                paid_at=now,
                staff=clerk,
                request_key=f"bench-{n}",
            )
        )
        planned_lines.append(lines)
        planned_reversals.append(reversal)
    with transaction.atomic():
        Payment.objects.bulk_create(payments, batch_size=2000)
        PaymentLine.objects.bulk_create(
            (
                PaymentLine(
                    payment=payment,
                    item=items[k],
                    rate=rates[k],
                    name=items[k].name,
                    unit_yen=CATALOGUE[k][3],
                    quantity=q,
                    amount_yen=CATALOGUE[k][3] * q,
                    account_code=CATALOGUE[k][1],
                    order=i,
                )
                for payment, lines in zip(payments, planned_lines, strict=True)
                for i, (k, q) in enumerate(lines)
            ),
            batch_size=2000,
        )
        Reversal.objects.bulk_create(
            (
                Reversal(
                    municipality=town,
                    payment=payment,
                    kind=kind,
                    status=ReversalStatus.DONE,
                    amount_yen=amount,
                    reason="ベンチ",
                    requested_by=clerk,
                    requested_at=now,
                    decided_at=now,
                    business_day=today,
                    request_key=f"bench-r-{payment.code}",
                )
                for payment, planned in zip(payments, planned_reversals, strict=True)
                if planned is not None
                for kind, amount in [planned]
            ),
            batch_size=2000,
        )
    return {
        "town": town,
        "clerk": clerk,
        "day": today,
        "lines": sum(len(lines) for lines in planned_lines),
        "reversals": sum(1 for r in planned_reversals if r is not None),
    }


def verdict(seconds: float) -> str:
    return "PASS" if seconds < TARGET_S else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--sqlite", action="store_true", help="SQLite even when PostgreSQL answers")
    args = parser.parse_args()
    started = time.perf_counter()
    database = setup(args.sqlite)
    migrated = time.perf_counter()
    made = generate(args.payments, args.seed)
    generated = time.perf_counter()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yakusho.core.csvutil import csv_response
    from yakusho.payments import finance_export, services
    from yakusho.payments.close_pdf import render_close

    town, day, clerk = made["town"], made["day"], made["clerk"]
    print(
        f"payments: {args.payments:,} ({made['lines']:,} lines, "
        f"{made['reversals']:,} voids and refunds) on {day}"
    )
    print(f"database: {database} (migrate {migrated - started:.1f} s, data {generated - migrated:.1f} s)")

    with CaptureQueriesContext(connection) as close_queries:
        t0 = time.perf_counter()
        summary = services.day_summary(town, day)
        t1 = time.perf_counter()
        close = services.close_day(town, day, counted_cash=summary.expected_cash_yen, reason="", staff=clerk)
        t2 = time.perf_counter()
    with CaptureQueriesContext(connection) as export_queries:
        t3 = time.perf_counter()
        rows = finance_export.export_rows(town, day)
        finance_export.check_against_close(close, rows)
        response = csv_response(
            finance_export.filename(town, day), finance_export.HEADER, (r.as_csv() for r in rows)
        )
        t4 = time.perf_counter()
    pdf = render_close(close)
    t5 = time.perf_counter()

    net = summary.total_yen - summary.reversals_yen
    adds_up = sum(r.yen for r in rows) == net and close.totals["count"] == args.payments
    close_s, export_s = t2 - t0, t4 - t3
    print(
        f"day: {summary.count:,} payments, in {summary.total_yen:,} yen, out {summary.reversals_yen:,} yen "
        f"({summary.reversals_count:,}), net {net:,} yen, expected cash {summary.expected_cash_yen:,} yen, "
        f"cashless {summary.cashless_count:,}"
    )
    print(
        f"day_summary + close_day: {close_s:.3f} s (summary {t1 - t0:.3f} s, close {t2 - t1:.3f} s; "
        f"{len(close_queries)} queries) — target < {TARGET_S:.0f} s: {verdict(close_s)}"
    )
    print(
        f"finance export: {export_s:.3f} s ({len(rows)} rows, {len(response.content):,} bytes; "
        f"{len(export_queries)} queries) — target < {TARGET_S:.0f} s: {verdict(export_s)}"
    )
    print(f"日計表 PDF (for information): {t5 - t4:.3f} s ({len(pdf):,} bytes)")
    print(f"export rows add up to the day's net total: {'PASS' if adds_up else 'FAIL'}")
    ok = close_s < TARGET_S and export_s < TARGET_S and adds_up
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
