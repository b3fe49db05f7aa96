"""Online payment under load: ``.venv/bin/python bench/online_payments.py [--residents 50]``.

50 residents at once pay the fee of their 粗大ごみ収集の申込 (大江町's demo form, paid before it counts)
through the demo payment provider — the real local service, in its own process — against ``yakusho
serve`` (gunicorn) over loopback, and every payment is checked to be recorded exactly once.

Method
------
1. Database and server as in ``bench/run.py`` (its helpers are reused): a fresh PostgreSQL database
   (``--db``, default ``yakusho_bench_online_payments``, dropped and created on 127.0.0.1:5432 and
   dropped again at the end unless ``--keep-db``), ``migrate``, ``createcachetable``,
   ``collectstatic``, the core demo and 大江町's procedures and forms (``import-procedures
   data/procedures/oe.yaml``), then 大江町's demo fee catalogue (``sodai-gomi``: 500円 a 処理券, takes
   ``online``), in this process through Django. Production settings (DEBUG off), as run.py's.
2. Residents (not timed): for each round, ``--residents`` submissions of 粗大ごみ (a bed, large: 2
   処理券; a bicycle, small: 1 — 1,500円) are validated by the form and stored by the real service
   (``create_submission(..., payment_due=True, pay_first=True)``: 「支払待ち」), each with its own
   受付番号 and 照会キー.
3. Servers: ``yakusho demo-payment-provider`` on a free loopback port with its own random secret
   (its own process group), and ``yakusho serve --access-log`` on another, with
   ``YAKUSHO_PAYMENT_PROVIDER_DEMO_URL`` / ``_SECRET`` pointing at the provider; so the checkout is
   opened over HTTP, and the provider's signed notifications reach ``/payments/notify/demo/`` over
   HTTP from its background thread. The public-form rate limit is raised for this server only (every
   resident comes from 127.0.0.1). Both are always stopped at the end. ``--warmup`` (5) more
   residents pay first through the same flow, not measured: each worker's first page and PDF.
4. A round: all residents at once (asyncio; each its own cookie jar and keep-alive connections: a
   distinct visitor) open the look-up page, post 受付番号 and 照会キー with the page's CSRF token,
   open the status page, and then — timed from here — press 「支払う」 (the form's one-time
   ``_key``), follow the 302 to the provider's hosted page, GET it, POST ``action=pay`` with the test
   card, follow the 303 back to Yakusho's return address, on to the receipt page and the status page,
   read the 領収書 link there and GET the PDF (it must be ``application/pdf`` starting ``%PDF``).
   Should the status page not show the 領収書 yet (the provider could not be asked at once), the
   resident reloads it (counted). Every request is timed, Yakusho's and the provider's apart.
5. Exactly once, checked in the database after the provider's notifications were answered (the
   access log is polled for ``POST /payments/notify/demo/`` answers, at most 60 s): one payment per
   submission and it is paid (オンライン), no submission with two paid payments, every submission
   受付 (received) and paid with its payment's 領収番号, the sum equals residents × 1,500円, one
   「お支払い完了」 mail per resident, the 領収書 each resident opened is their own payment's, the
   provider says each checkout is paid for that amount, and the notifications were answered 200 —
   as many as the provider sent (one per payment; two with ``duplicate``), none refused.
6. Round 2 does the same with new residents while the provider sends every notification twice, out
   of order and late (``POST /v1/_control``: ``duplicate``, ``reverse_order``, ``delay`` =
   ``--delay`` s), and checks exactly-once again.

Figures per round: residents, the round's seconds, payments per second (residents over the time from
the first 「支払う」 to the last 領収書), p50/p95/p99 (nearest rank) of the whole payment and of
Yakusho's requests alone (and of each step), the provider's requests, and the check. No target is
set; the exit status is 1 when a resident's flow failed or a check found a difference. Figures are
also written to ``var/bench-online-payments/results.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from loadgen import KeepAlive, Response
from run import (
    HOST,
    PG_ADMIN_URL,
    ROOT,
    STARTUP_TIMEOUT,
    BenchError,
    _bin,
    _interrupt,
    _log_tail,
    bench_env,
    free_port,
    percentile_ms,
    pick_database,
    serve_defaults,
    stop_server,
    wait_until_ready,
    yakusho,
)

VAR_DIR = ROOT / "var" / "bench-online-payments"
SERVER_LOG = VAR_DIR / "server.log"
PROVIDER_LOG = VAR_DIR / "provider.log"
RESULTS_FILE = VAR_DIR / "results.json"
DEFAULT_DATABASE = "yakusho_bench_online_payments"
MUNICIPALITY = "oe"
PROCEDURE = "sodai-gomi"
PAYABLE = "procedures.submission"
FEE_YEN = 1500  # a bed (large: 2 × 500円) and a bicycle (small: 500円)
TEST_CARD = "4242424242424242"
RATE_LIMIT = "1000000/m"  # for the bench server only: every resident comes from 127.0.0.1
LOOKUP = f"/m/{MUNICIPALITY}/submissions/"
STATUS = re.compile(rf"^{re.escape(LOOKUP)}([A-Z0-9]+)/$")
RETURN = re.compile(rf"^/m/{MUNICIPALITY}/payments/return/[A-Za-z0-9_-]+/$")
RECEIPT = re.compile(rf'href="(/m/{MUNICIPALITY}/payments/receipt/([A-Z0-9-]+)/\?k=[^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="(csrfmiddlewaretoken|_key)" value="([^"]*)"')
PAY_FORM = re.compile(r'<form method="post" action="([^"]+/pay/)"')
NOTIFY_LINE = re.compile(r'"POST /payments/notify/demo/ HTTP/1\.[01]" (\d{3}) ')
RELOADS = 20  # the status page is reloaded at most this many times waiting for the 領収書
RELOAD_PAUSE = 0.25
NOTIFY_WAIT = 60.0  # seconds to wait for the provider's notifications to be answered
NOTIFY_GRACE = 1.0  # ... and then this long for any that would come beyond the expected number
ROUND_TIMEOUT = 600.0


class FlowError(Exception):
    """A step of the flow did not answer as a browser would expect."""


# --- a resident's browser ---------------------------------------------------------------------------


class Connection(KeepAlive):
    """One keep-alive HTTP/1.1 connection to one port (the provider's server answers HTTP/1.0 and
    closes: the connection is then opened again for the next request)."""


@dataclass
class Browser:
    """A resident's browser: a cookie jar (Yakusho's: name=value only) and a connection per port;
    every request's latency is recorded under its step's name."""

    yakusho_port: int
    cookies: dict[str, str] = field(default_factory=dict)
    connections: dict[int, Connection] = field(default_factory=dict)
    timings: list[tuple[str, bool, int]] = field(default_factory=list)  # (step, at Yakusho, ns)

    def close(self) -> None:
        for conn in self.connections.values():
            conn.close()

    async def request(
        self, step: str, method: str, url: str, fields: dict[str, str] | None = None
    ) -> Response:
        parts = urlsplit(url)
        port = parts.port or self.yakusho_port
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        ours = port == self.yakusho_port
        lines = [
            f"{method} {target} HTTP/1.1",
            f"Host: {HOST}:{port}",
            "User-Agent: yakusho-bench/1",
            "Accept: text/html,application/pdf,*/*;q=0.8",
            "Accept-Language: ja",
            "Connection: keep-alive",
        ]
        if ours and self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if method == "POST":
            body = urlencode(fields or {}).encode()
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        conn = self.connections.setdefault(port, Connection(port))
        started = time.perf_counter_ns()
        try:
            response = await conn.send(data)
        except BaseException:
            conn.close()
            raise
        self.timings.append((step, ours, time.perf_counter_ns() - started))
        if ours:
            for name, value in response.headers:
                if name == "set-cookie":
                    cookie, _, _ = value.partition(";")
                    key, _, val = cookie.partition("=")
                    self.cookies[key.strip()] = val.strip()
        return response


def text(response: Response) -> str:
    return response.body.decode("utf-8", "replace")


def hidden(page: str) -> dict[str, str]:
    return dict(HIDDEN.findall(page))


def expect(response: Response, status: int, what: str) -> Response:
    if response.status != status:
        raise FlowError(f"{what}: {response.status} (want {status})")
    return response


# --- one resident -------------------------------------------------------------------------------------


@dataclass
class Resident:
    code: str  # 受付番号 (without the hyphen)
    secret: str  # 照会キー
    email: str
    receipt_code: str = ""  # the 領収番号 in the 領収書 link the resident followed
    reloads: int = 0
    pay_started: float = 0.0
    pay_ended: float = 0.0
    timings: list[tuple[str, bool, int]] = field(default_factory=list)


async def pay(resident: Resident, yakusho_port: int, provider_port: int) -> None:
    browser = Browser(yakusho_port)
    try:
        # the look-up page, 受付番号 and 照会キー
        page = text(expect(await browser.request("lookup", "GET", LOOKUP), 200, "look-up page"))
        csrf = hidden(page).get("csrfmiddlewaretoken", "")
        posted = await browser.request(
            "lookup post",
            "POST",
            LOOKUP,
            {"csrfmiddlewaretoken": csrf, "code": resident.code, "secret": resident.secret},
        )
        status_path = urlsplit(expect(posted, 302, "look-up").header("location")).path
        if not STATUS.match(status_path):
            raise FlowError(f"look-up led to {status_path}")
        page = text(expect(await browser.request("status", "GET", status_path), 200, "status page"))
        form, action = hidden(page), PAY_FORM.search(page)
        if "_key" not in form or action is None:
            raise FlowError("status page without 「支払う」")
        # 「支払う」 … 領収書: timed
        resident.pay_started = time.perf_counter()
        fields = {"csrfmiddlewaretoken": form["csrfmiddlewaretoken"], "_key": form["_key"]}
        pressed = expect(
            await browser.request("pay", "POST", html.unescape(action[1]), fields), 302, "支払う"
        )
        hosted = pressed.header("location")
        if urlsplit(hosted).port != provider_port or not urlsplit(hosted).path.startswith("/pay/"):
            raise FlowError(f"支払う led to {hosted[:80]}")
        page = text(expect(await browser.request("provider page", "GET", hosted), 200, "hosted page"))
        if "お支払い" not in page:
            raise FlowError("hosted page without its form")
        answer = await browser.request(
            "provider pay", "POST", hosted, {"action": "pay", "card_number": TEST_CARD}
        )
        back = expect(answer, 303, "provider's 支払う").header("location")
        if urlsplit(back).port != yakusho_port or not RETURN.match(urlsplit(back).path):
            raise FlowError(f"the provider sent the resident to {back[:80]}")
        location, step = back, "return"
        for _hop in range(5):  # the return address → the receipt page → the status page
            response = await browser.request(step, "GET", location)
            if response.status not in (301, 302, 303):
                break
            location = response.header("location")
            step = "done" if "/apply/done/" in location else "status after"
        else:
            raise FlowError("too many redirects after the return address")
        if urlsplit(location).path != status_path or response.status != 200:
            raise FlowError(f"back from paying: {response.status} at {urlsplit(location).path}")
        page = text(response)
        while (link := RECEIPT.search(page)) is None:
            if resident.reloads >= RELOADS:
                raise FlowError("status page without the 領収書 link")
            resident.reloads += 1
            await asyncio.sleep(RELOAD_PAUSE)
            page = text(expect(await browser.request("status reload", "GET", status_path), 200, "reload"))
        resident.receipt_code = link[2].replace("-", "")
        pdf = expect(await browser.request("receipt", "GET", html.unescape(link[1])), 200, "領収書")
        if not pdf.header("content-type").startswith("application/pdf") or not pdf.body.startswith(b"%PDF"):
            raise FlowError("the 領収書 is not a PDF")
        resident.pay_ended = time.perf_counter()
    finally:
        resident.timings = browser.timings
        browser.close()


# --- Django: the municipality's set-up, the residents, the checks -------------------------------------


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def load_catalogue() -> str:
    from yakusho.payments.demo.catalogue import load_catalogues
    from yakusho.payments.models import FeeItem
    from yakusho.procedures.models import PaymentTiming, Procedure

    result = load_catalogues({MUNICIPALITY})
    item = FeeItem.objects.get(municipality__slug=MUNICIPALITY, key=PROCEDURE)
    if "online" not in item.methods:
        raise BenchError(f"the catalogue item {PROCEDURE} does not take online payment: {item.methods}")
    procedure = Procedure.objects.get(municipality__slug=MUNICIPALITY, key=PROCEDURE)
    if procedure.payment_timing != PaymentTiming.BEFORE:
        raise BenchError(f"{PROCEDURE} is paid {procedure.payment_timing}, not before it counts")
    return str(result)


def answers(n: int) -> dict[str, list[str]]:
    """Resident number ``n``'s answers to 粗大ごみ, as the form's pages post them."""
    collection = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%d")
    values = {
        "name-family_name": "大江",
        "name-given_name": f"太郎{n}",
        "name-family_kana": "オオエ",
        "name-given_kana": "タロウ",
        "address-postal_code": "990-1101",
        "address-address": f"山形県西村山郡大江町大字左沢{n % 900 + 1}",
        "address-building": "",
        "phone": "0237-62-2111",
        "email": f"payer{n}@example.jp",
        "items-0-item": "bed",
        "items-0-size": "large",
        "items-1-item": "bicycle",
        "items-1-size": "small",
        "collection_date": collection,
        "place_note": "",
        "agree": "on",
    }
    return {k: [v] for k, v in values.items()}


def make_residents(count: int, first: int) -> list[Resident]:
    """``count`` submissions stored by the real service as 「支払待ち」, each with its secret."""
    from django.db import connection

    from yakusho.procedures.catalogue.services import current_forms, definition_of
    from yakusho.procedures.models import Procedure
    from yakusho.procedures.submissions.fees import catalogue_prices
    from yakusho.procedures.submissions.payment import online_lines, pays_first
    from yakusho.procedures.submissions.services import create_submission, online_idempotency_key

    procedure = Procedure.objects.select_related("municipality").get(
        municipality__slug=MUNICIPALITY, key=PROCEDURE
    )
    row = current_forms([procedure]).get(procedure.pk)
    if row is None:
        raise BenchError(f"{MUNICIPALITY}/{PROCEDURE} has no form (import-procedures should attach it)")
    definition = definition_of(row)
    prices = catalogue_prices(procedure.municipality, definition)
    residents = []
    for n in range(first, first + count):
        result = definition.validate(answers(n), {}, prices=prices)
        if not result.ok:
            raise BenchError(f"the form refused resident {n}'s answers: {result.errors}")
        lines = online_lines(procedure.municipality, definition, result.cleaned)
        if not pays_first(procedure, lines) or result.fee != FEE_YEN:
            raise BenchError(f"粗大ごみ is not paid online first for {FEE_YEN}円 (fee {result.fee}, {lines})")
        created = create_submission(
            procedure=procedure,
            form=row,
            definition=definition,
            cleaned=result.cleaned,
            temp_files={},
            idempotency_key=online_idempotency_key(secrets.token_urlsafe(24)),
            fee=result.fee,
            payment_due=True,
            pay_first=True,
        )
        assert created.secret is not None
        residents.append(Resident(created.submission.code, created.secret, f"payer{n}@example.jp"))
    connection.close()
    return residents


def provider_api(base: str, secret: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    """One call of the provider's JSON API (GET, or POST with ``payload``)."""
    request = urllib.request.Request(  # noqa: S310 - our own http:// URL
        base + path,
        data=None if payload is None else json.dumps(payload).encode(),
        method="GET" if payload is None else "POST",
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        return json.loads(response.read())


def notify_answers() -> list[int]:
    """The status of every answer to a provider's notification so far (the server's access log)."""
    try:
        log = SERVER_LOG.read_text(errors="replace")
    except OSError:
        return []
    return [int(status) for status in NOTIFY_LINE.findall(log)]


def wait_for_notifications(before: int, expected: int) -> tuple[list[int], float]:
    """The answers to this round's notifications, once ``expected`` of them were 2xx (or the wait
    ran out), and the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < NOTIFY_WAIT:
        answered = notify_answers()[before:]
        if sum(200 <= s < 300 for s in answered) >= expected:
            break
        time.sleep(0.1)
    waited = time.perf_counter() - started
    time.sleep(NOTIFY_GRACE)  # any beyond the expected number would show now
    return notify_answers()[before:], waited


def check_round(
    residents: list[Resident], answered: list[int], expected_notes: int, provider: tuple[str, str]
) -> list[dict[str, Any]]:
    """Exactly once, in the database (and at the provider): a list of {check, got, want, ok}."""
    from django.db import connection
    from django.db.models import Count, Sum

    from yakusho.core.models import OutboundEmail
    from yakusho.payments.models import Payment, PaymentStatus
    from yakusho.procedures.models.submissions import PaymentState, Submission, SubmissionStatus

    n = len(residents)
    codes = [r.code for r in residents]
    checks: list[dict[str, Any]] = []

    def add(name: str, got: Any, want: Any) -> None:
        checks.append({"check": name, "got": got, "want": want, "ok": got == want})

    payments = Payment.objects.filter(payable=PAYABLE, payable_ref__in=codes)
    paid = payments.filter(status=PaymentStatus.PAID)
    add("payments opened (one per 「支払う」)", payments.count(), n)
    add("payments paid", paid.count(), n)
    add("submissions with a paid payment", paid.values("payable_ref").distinct().count(), n)
    twice = paid.values("payable_ref").annotate(c=Count("pk")).filter(c__gt=1).count()
    add("submissions with two paid payments", twice, 0)
    add("paid online", paid.filter(channel="online").count(), n)
    add("sum of the paid payments (円)", paid.aggregate(s=Sum("total_yen"))["s"] or 0, n * FEE_YEN)
    submissions = Submission.objects.filter(code__in=codes, procedure__key=PROCEDURE)
    add("submissions received (受付)", submissions.filter(status=SubmissionStatus.RECEIVED).count(), n)
    add("submissions paid", submissions.filter(payment_state=PaymentState.PAID).count(), n)
    code_of = dict(paid.values_list("payable_ref", "code"))
    stored = dict(submissions.values_list("code", "payment_code"))
    add(
        "submissions with their payment's 領収番号",
        sum(stored.get(c) == code_of.get(c, "-") for c in codes),
        n,
    )
    add(
        "領収書 opened of the resident's own payment",
        sum(r.receipt_code == code_of.get(r.code) for r in residents),
        n,
    )
    mails: dict[str, int] = {}
    for to in OutboundEmail.objects.filter(subject__contains="お支払い完了").values_list("to", flat=True):
        for address in to:
            mails[address] = mails.get(address, 0) + 1
    add("residents with one 「お支払い完了」 mail", sum(mails.get(r.email) == 1 for r in residents), n)
    agrees = 0
    for ref, total in paid.values_list("provider_ref", "total_yen"):
        state = provider_api(*provider, f"/v1/checkouts/{ref}")
        agrees += state["status"] == "paid" and state["amount"] == total
    add("checkouts the provider says are paid for that amount", agrees, n)
    add("notifications answered 2xx (as many as sent)", sum(200 <= s < 300 for s in answered), expected_notes)
    add("notifications refused (4xx)", sum(400 <= s < 500 for s in answered), 0)
    connection.close()
    return checks


# --- a round ------------------------------------------------------------------------------------------


async def run_round(residents: list[Resident], yakusho_port: int, provider_port: int) -> dict[str, Any]:
    started = time.perf_counter()
    async with asyncio.timeout(ROUND_TIMEOUT):
        results = await asyncio.gather(
            *(pay(r, yakusho_port, provider_port) for r in residents), return_exceptions=True
        )
    ended = time.perf_counter()
    errors: dict[str, int] = {}
    for result in results:
        if isinstance(result, BaseException):
            kind = str(result) if isinstance(result, FlowError) else type(result).__name__
            errors[kind] = errors.get(kind, 0) + 1
    done = [r for r in residents if r.pay_ended]
    window = max((max(r.pay_ended for r in done) - min(r.pay_started for r in done)) if done else 0, 1e-9)
    whole = sorted(int((r.pay_ended - r.pay_started) * 1e9) for r in done)
    paying = [t for r in residents for t in r.timings if t[0] not in ("lookup", "lookup post", "status")]
    ours = sorted(ns for _, at_yakusho, ns in paying if at_yakusho)
    theirs = sorted(ns for _, at_yakusho, ns in paying if not at_yakusho)
    steps: dict[str, list[int]] = {}
    for step, _, ns in (t for r in residents for t in r.timings):
        steps.setdefault(step, []).append(ns)

    def spread(values: list[int]) -> dict[str, Any]:
        ordered = sorted(values)
        return {
            "n": len(ordered),
            **{f"p{p}_ms": percentile_ms(ordered, p) for p in (50, 95, 99)},
            "max_ms": ordered[-1] / 1e6 if ordered else None,
        }

    return {
        "residents": len(residents),
        "paid": len(done),
        "errors": errors,
        "round_seconds": ended - started,
        "paying_seconds": window if done else None,
        "payments_per_second": len(done) / window if done else 0.0,
        "whole_payment": spread(whole),
        "yakusho_requests": spread(ours),
        "provider_requests": spread(theirs),
        "steps": {step: spread(values) for step, values in steps.items()},
        "reloads": sum(r.reloads for r in residents),
    }


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def report_round(title: str, figures: dict[str, Any], checks: list[dict[str, Any]]) -> None:
    print(f"\n{title}")
    print(
        f"  residents      {figures['residents']} at once: {figures['paid']} paid and opened their 領収書, "
        f"{sum(figures['errors'].values())} failed; round {figures['round_seconds']:.2f} s"
    )
    if figures["paying_seconds"]:
        print(
            f"  throughput     {figures['payments_per_second']:.1f} payments/s ({figures['paid']} in "
            f"{figures['paying_seconds']:.2f} s, first 「支払う」 to last 領収書)"
        )
    for label, key in (
        ("whole payment ", "whole_payment"),
        ("Yakusho reqs  ", "yakusho_requests"),
        ("provider reqs ", "provider_requests"),
    ):
        s = figures[key]
        print(
            f"  {label} p50 {ms(s['p50_ms'])}  p95 {ms(s['p95_ms'])}  p99 {ms(s['p99_ms'])}  "
            f"max {ms(s['max_ms'])}  (n={s['n']})"
        )
    print("  by step        " + "; ".join(
        f"{step} p50 {ms(s['p50_ms'])} p99 {ms(s['p99_ms'])}" for step, s in figures["steps"].items()
    ))  # fmt: skip
    if figures["reloads"]:
        print(f"  status page reloaded {figures['reloads']} times waiting for the 領収書")
    print(
        f"  notifications  {figures['notifications']} answered ({figures['notification_answers']}), "
        f"the expected number within {figures['notify_wait_seconds']:.1f} s of the last resident"
    )
    for kind, count in figures["errors"].items():
        print(f"  ERROR ×{count}: {kind}")
    ok = all(c["ok"] for c in checks) and not figures["errors"]
    print(f"  exactly once   {'OK' if ok else 'FAILED'}")
    for c in checks:
        print(f"    {'OK  ' if c['ok'] else 'FAIL'} {c['check']}: {c['got']} (want {c['want']})")


# --- the run ------------------------------------------------------------------------------------------


def start_process(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(  # noqa: S603 - fixed arguments, our own console script
            command,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped with all its children
        )


def wait_for_provider(proc: subprocess.Popen[bytes], url: str) -> float:
    started = time.monotonic()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() - started < STARTUP_TIMEOUT:
        if proc.poll() is not None:
            raise BenchError(f"the demo provider exited ({proc.returncode}):\n{_log_tail(PROVIDER_LOG)}")
        with contextlib.suppress(OSError, urllib.error.URLError), opener.open(url + "/", timeout=2) as answer:
            if answer.status == 200:
                return time.monotonic() - started
        time.sleep(0.1)
    raise BenchError(f"the demo provider did not answer within {STARTUP_TIMEOUT:.0f} s")


def drop_database(database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_ADMIN_URL, connect_timeout=3, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


def run(args: argparse.Namespace) -> bool:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    database, database_url = pick_database(False, args.db, VAR_DIR)
    print(f"Database: {database}")
    if database_url is None:
        print("SKIPPED: the online payment load needs PostgreSQL at 127.0.0.1:5432.")
        return True
    try:
        return measure(args, database_url)
    finally:
        if args.keep_db:
            print(f"Database {args.db} kept (--keep-db).")
        else:
            with contextlib.suppress(Exception):
                from django.db import connections

                connections.close_all()
            drop_database(args.db)
            print(f"Database {args.db} dropped.")


def measure(args: argparse.Namespace, database_url: str) -> bool:
    provider_port, provider_secret = free_port(), secrets.token_urlsafe(32)
    provider_url = f"http://{HOST}:{provider_port}"
    env = bench_env(database_url, VAR_DIR)
    env.update(
        YAKUSHO_RATELIMIT_PUBLIC_FORM=RATE_LIMIT,
        YAKUSHO_PAYMENT_PROVIDER="demo",
        YAKUSHO_PAYMENT_PROVIDER_DEMO_URL=provider_url,
        YAKUSHO_PAYMENT_PROVIDER_DEMO_SECRET=provider_secret,
    )
    default_workers, default_threads = serve_defaults()
    workers = args.workers or default_workers
    threads = args.threads or default_threads
    print(f"Preparing ({VAR_DIR.relative_to(ROOT)}):")
    yakusho(env, "migrate", "--noinput", "-v0")
    yakusho(env, "createcachetable")
    yakusho(env, "collectstatic", "--noinput", "-v0")
    yakusho(env, "demo", "--quiet-logins", "--core-only")
    yakusho(env, "import-procedures", str(ROOT / "data" / "procedures" / f"{MUNICIPALITY}.yaml"))
    setup_django(env)
    print(f"  {load_catalogue()}")
    started = time.perf_counter()
    warmup = make_residents(args.warmup, 2 * args.residents) if args.warmup else []
    rounds_residents = [make_residents(args.residents, 0), make_residents(args.residents, args.residents)]
    print(
        f"  {2 * args.residents + args.warmup} submissions of 粗大ごみ ({FEE_YEN:,}円 each, 「支払待ち」) "
        f"stored in {time.perf_counter() - started:.1f} s"
    )
    provider = start_process(
        [_bin("yakusho"), "demo-payment-provider", "--port", str(provider_port), "--secret", provider_secret],
        env,
        PROVIDER_LOG,
    )
    server: subprocess.Popen[bytes] | None = None
    results: list[dict[str, Any]] = []
    ok = True
    try:
        print(f"Provider: {provider_url}/ ready in {wait_for_provider(provider, provider_url):.1f} s")
        port = free_port()
        command = [_bin("yakusho"), "serve", "--host", HOST, "--port", str(port), "--access-log"]
        server = start_process(
            [*command, "--workers", str(workers), "--threads", str(threads)], env, SERVER_LOG
        )
        ready = wait_until_ready(server, port, SERVER_LOG)
        print(f"Server: http://{HOST}:{port}/ ({workers} workers × {threads} threads) ready in {ready:.1f} s")
        if warmup:  # every worker's first page, PDF and provider connection: not measured
            warm = asyncio.run(run_round(warmup, port, provider_port))
            wait_for_notifications(0, warm["paid"])
            print(f"Warm-up: {warm['paid']} of {len(warmup)} residents paid (not measured)")
        knobs_of_round = [
            ("Round 1: notifications as they come", {}),
            (
                f"Round 2: every notification twice, out of order, {args.delay:g} s late",
                {"duplicate": True, "reverse_order": True, "delay": args.delay},
            ),
        ]
        for (title, knobs), residents in zip(knobs_of_round, rounds_residents, strict=True):
            knobs_set = provider_api(provider_url, provider_secret, "/v1/_control", knobs or {"delay": 0})
            before = len(notify_answers())
            print(f"\n{title} — {len(residents)} residents pay ...", flush=True)
            figures = asyncio.run(run_round(residents, port, provider_port))
            expected = figures["paid"] * (2 if knobs.get("duplicate") else 1)
            answered, waited = wait_for_notifications(before, expected)
            statuses: dict[int, int] = {}
            for status in answered:
                statuses[status] = statuses.get(status, 0) + 1
            figures.update(
                knobs=knobs_set,
                notifications=len(answered),
                notification_answers=", ".join(f"{c} × {s}" for s, c in sorted(statuses.items())) or "none",
                notify_wait_seconds=waited,
            )
            checks = check_round(residents, answered, expected, (provider_url, provider_secret))
            report_round(title, figures, checks)
            ok &= all(c["ok"] for c in checks) and not figures["errors"]
            results.append({"title": title, "figures": figures, "checks": checks})
            if server.poll() is not None:
                raise BenchError(f"the server exited ({server.returncode}):\n{_log_tail(SERVER_LOG)}")
    finally:
        if server is not None:
            stop_server(server)
        stop_server(provider)
    meta = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": args.db,
        "residents": args.residents,
        "workers": workers,
        "threads": threads,
        "cpu_count": os.cpu_count(),
        "fee_yen": FEE_YEN,
    }
    RESULTS_FILE.write_text(
        json.dumps({"meta": meta, "rounds": results}, indent=2, ensure_ascii=False, default=str) + "\n"
    )
    print(f"\nresults   {RESULTS_FILE.relative_to(ROOT)}")
    if not ok:
        print(f"Server output, last lines ({SERVER_LOG.relative_to(ROOT)}):\n{_log_tail(SERVER_LOG, 30)}")
    print(f"Online payments: {'exactly once in both rounds' if ok else 'FAILED (see above)'}")
    return ok


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Online payment under load (see the module docstring).")
    parser.add_argument("--db", default=DEFAULT_DATABASE, help=f"PostgreSQL database ({DEFAULT_DATABASE})")
    parser.add_argument("--residents", type=int, default=50, help="residents paying at once, per round (50)")
    parser.add_argument("--delay", type=float, default=0.3, help="round 2: notifications' delay in s (0.3)")
    parser.add_argument("--warmup", type=int, default=5, help="residents paying first, not measured (5)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (yakusho serve's default)")
    parser.add_argument("--threads", type=int, help="threads per worker (yakusho serve's default)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.db):
        parser.error("--db: lower-case letters, digits and _ only")
    if not 1 <= args.residents <= 500:
        parser.error("--residents must be 1-500")
    if not 0 <= args.warmup <= 100:
        parser.error("--warmup must be 0-100")
    if not 0 <= args.delay <= 30:
        parser.error("--delay must be 0-30 s (the provider's limit)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        ok = run(args)
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; the servers were stopped", file=sys.stderr)
        return 130
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
