"""Online submissions under load: ``.venv/bin/python bench/submissions.py [--db NAME]``.

50 residents at once apply for 大江町's 犬の登録申請 (the demo form: 3 pages, the third with an
upload) on PostgreSQL, against ``yakusho serve`` (gunicorn) over loopback, and every submission
is checked to be stored exactly once.

Method
------
1. Database and server as in ``bench/run.py`` (its helpers are reused): a fresh PostgreSQL
   database (``--db``, default ``yakusho_bench_submissions``, dropped and created on
   127.0.0.1:5432), ``migrate``, ``createcachetable``, the core demo and 大江町's procedures and
   forms (``import-procedures data/procedures/oe.yaml``), then ``yakusho serve`` on a free
   loopback port in its own process group, always stopped at the end. The public-form rate limit
   is raised for this server only, through its environment (``YAKUSHO_RATELIMIT_PUBLIC_FORM``):
   50 residents share one IP address here.
2. Filling in (not timed for the targets): ``--residents`` keep-alive connections, each a
   resident who, ``--per-resident`` times, with a fresh cookie jar, goes through the real flow:
   the privacy notice (GET, CSRF token), agreeing (POST, session cookie), each page (GET, then
   POST with the form's hidden version and submission token; page 3 as multipart with a 70-byte
   PNG), and the check-your-answers page (GET, must show 「入力内容の確認」). Its rate is printed
   as information.
3. Submitting, all at once (measured): the residents post the final form of their drafts, one
   after the other (closed loop, all residents at once). Only these final POSTs are counted: a
   success is a 302 to the receipt page ``…/apply/done/<code>/``. Submissions per second = successes
   over the time from the first final POST to the last answer; p50/p95/p99 (nearest rank) of their
   latency. In a closed loop the mean latency is at least residents / rate (Little's law), so this
   phase measures capacity, and its p99 is printed as information.
   Paced (measured): the last ``--paced`` drafts (300) are posted by the same residents on a
   schedule that offers ``--rate`` (60) final POSTs per second in all; latency counts from each
   POST's scheduled moment (a late start counts against the server). This phase's p99 is the one
   held against the target "p99 < 300 ms at 60 submissions/s". Then every resident opens one
   receipt (must show the code).
4. Retries and double clicks: the first ``--retries`` final forms are posted again (a retried
   request: it must lead to the same receipt), and ``--double`` new drafts are each posted twice at
   the same moment over two connections with the same session (both must lead to one receipt).
5. Exactly once, checked in the database: submissions == successful final POSTs (+ the double
   clicks), no idempotency key twice, the keys are exactly the posted submission tokens (their digests), one
   attachment and one queued receipt mail per submission, and the receipt codes are distinct.

Targets (printed PASS/FAIL, not gating): ≥ 60 submissions/s all at once, and final-POST p99 < 300 ms
at 60 submissions/s (paced). The exit status is 1 when the run failed or the exactly-once check
found a difference.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from loadgen import KeepAlive, Response
from run import (
    HOST,
    ROOT,
    BenchError,
    _interrupt,
    _log_tail,
    bench_env,
    free_port,
    percentile_ms,
    pick_database,
    serve_defaults,
    start_server,
    stop_server,
    wait_until_ready,
    yakusho,
)

VAR_DIR = ROOT / "var" / "bench-submissions"
SERVER_LOG = VAR_DIR / "server.log"
RESULTS_FILE = VAR_DIR / "results.json"
DEFAULT_DATABASE = "yakusho_bench_submissions"
MUNICIPALITY = "oe"
PROCEDURE = "inu-toroku"
APPLY = f"/m/{MUNICIPALITY}/procedures/{PROCEDURE}/apply/"
DONE = re.compile(rf"^{re.escape(APPLY)}done/([A-Z0-9]+)/$")
TARGET_RATE = 60.0  # submissions per second
TARGET_P99_MS = 300.0
PHASE_TIMEOUT = 600.0  # seconds, a watchdog over each phase
RATE_LIMIT = "1000000/m"  # for the bench server only: every resident comes from 127.0.0.1
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
HIDDEN = re.compile(r'<input type="hidden" name="(csrfmiddlewaretoken|_version|_token)" value="([^"]*)"')


def answers(n: int) -> list[dict[str, str]]:
    """The three pages' answers of resident number ``n`` (as typed: full-width digits, 和暦)."""
    return [
        {
            "owner-family_name": "大江",
            "owner-given_name": f"花子{n}",
            "owner-family_kana": "オオエ",
            "owner-given_kana": "ハナコ",
            "owner-postal_code": "９９０－１１０１",
            "owner-address": f"山形県西村山郡大江町大字左沢{n % 900 + 1}",
            "owner-building": "",
            "owner-birth_date": "昭和50年4月1日",
            "phone": "0237-62-2111",
            "email": f"resident{n}@example.jp",
        },
        {
            "dog_name": "ポチ",
            "breed": "柴犬",
            "coat": "茶",
            "dog_sex": "male",
            "dog_birth": "",
            "acquired_on": "R7.4.1",
            "microchip": "",
        },
        {"vaccinated": "yes", "vaccinated_on": "R7.4.10", "clinic": "左沢動物病院", "confirm": "on"},
    ]


class FlowError(Exception):
    """A step of the flow did not answer as a browser would expect."""


# --- one resident's HTTP connection -----------------------------------------------------------


class Connection(KeepAlive):
    """One keep-alive HTTP/1.1 connection with a cookie jar (Set-Cookie: name=value only)."""

    def __init__(self, port: int) -> None:
        super().__init__(port, HOST)
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, path: str, body: bytes = b"", content_type: str = "") -> Response:
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {HOST}:{self.port}",
            "User-Agent: yakusho-bench/1",
            "Accept: text/html,*/*;q=0.8",
            "Accept-Language: ja",
            "Connection: keep-alive",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        response = await self.send(data)
        for name, value in response.headers:
            if name == "set-cookie":
                cookie, _, _ = value.partition(";")
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
        return response

    async def get(self, path: str, expect: int = 200) -> tuple[Response, dict[str, str]]:
        response = await self.request("GET", path)
        if response.status != expect:
            raise FlowError(f"GET {path}: {response.status}")
        return response, dict(HIDDEN.findall(response.body.decode("utf-8", "replace")))

    async def post(self, path: str, fields: dict[str, str], file: tuple[str, bytes] | None = None) -> str:
        """POST a form (multipart when it carries a file); returns the redirect's path."""
        if file is None:
            response = await self.request(
                "POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded"
            )
        else:
            boundary = "----yakusho" + secrets.token_hex(8)
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                for k, v in fields.items()
            ]
            name, content = file
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="chusha.png"\r\n'
                f"Content-Type: image/png\r\n\r\n".encode()
                + content
                + b"\r\n"
            )
            parts.append(f"--{boundary}--\r\n".encode())
            response = await self.request(
                "POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}"
            )
        if response.status != 302:
            raise FlowError(f"POST {path}: {response.status}")
        return urlsplit(response.header("location")).path


# --- the flow ----------------------------------------------------------------------------------


@dataclass
class Draft:
    """A resident's draft, filled in up to the check page: its cookies and the final form."""

    cookies: dict[str, str]
    fields: dict[str, str]
    code: str = ""


@dataclass
class Tally:
    drafts: list[Draft] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    latencies_ns: list[int] = field(default_factory=list)
    first_start: float = 0.0
    last_end: float = 0.0
    requests: int = 0

    def error(self, exc: BaseException) -> None:
        kind = str(exc) if isinstance(exc, FlowError) else type(exc).__name__
        kind = re.sub(r"/m/\S+", "…", kind)
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def fill_in(conn: Connection, n: int) -> Draft:
    """A fresh visit: privacy notice, agree, three pages (upload on the third), check page."""
    conn.cookies = {}
    _, hidden = await conn.get(APPLY)
    csrf = {"csrfmiddlewaretoken": hidden["csrfmiddlewaretoken"]}
    location = await conn.post(APPLY, {**csrf, "agree": "yes"})
    pages = answers(n)
    for number, page in enumerate(pages, start=1):
        if location != f"{APPLY}page/{number}/":
            raise FlowError(f"agree/next led to {location}")
        _, hidden = await conn.get(location)
        form = {"csrfmiddlewaretoken": hidden["csrfmiddlewaretoken"], "_version": hidden["_version"]}
        form["_token"] = hidden["_token"]
        upload = ("certificate", PNG) if number == 3 else None
        location = await conn.post(location, {**form, **page}, upload)
    if location != f"{APPLY}check/":
        raise FlowError(f"page 3 led to {location}")
    response, hidden = await conn.get(location)
    if "入力内容の確認".encode() not in response.body or hidden.get("_token") != form["_token"]:
        raise FlowError("check page without the answers")
    final = {k: hidden[k] for k in ("csrfmiddlewaretoken", "_version", "_token")}
    return Draft(dict(conn.cookies), final)


async def final_post(conn: Connection, draft: Draft) -> str:
    """The final POST of a draft; returns the receipt code it leads to."""
    conn.cookies = dict(draft.cookies)
    location = await conn.post(f"{APPLY}check/", draft.fields)
    match = DONE.match(location)
    if not match:
        raise FlowError(f"final POST led to {location}")
    return match[1]


async def filler(port: int, resident: int, count: int, tally: Tally) -> None:
    conn = Connection(port)
    try:
        for i in range(count):
            try:
                tally.drafts.append(await fill_in(conn, resident * 10_000 + i))
            except (OSError, FlowError, TimeoutError, asyncio.IncompleteReadError) as exc:
                conn.close()
                tally.error(exc)
    finally:
        conn.close()


async def submitter(
    port: int, drafts: list[Draft], tally: Tally, times: list[float] | None = None, t0: float = 0.0
) -> None:
    """Post the drafts' final forms one after the other. With ``times``, each at its scheduled
    moment (``t0 + times[i]``), its latency counted from that moment, so a resident still waiting
    for an earlier answer does not hide the delay (no coordinated omission)."""
    conn = Connection(port)
    try:
        for i, draft in enumerate(drafts):
            start = time.perf_counter()
            if times is not None:
                scheduled = t0 + times[i]
                if scheduled > start:
                    await asyncio.sleep(scheduled - start)
                start = scheduled
            tally.first_start = min(tally.first_start or start, start)
            try:
                draft.code = await final_post(conn, draft)
            except (OSError, FlowError, TimeoutError, asyncio.IncompleteReadError) as exc:
                conn.close()
                tally.error(exc)
                continue
            end = time.perf_counter()
            tally.last_end = max(tally.last_end, end)
            tally.latencies_ns.append(int((end - start) * 1e9))
    finally:
        conn.close()


async def open_receipt(port: int, draft: Draft) -> None:
    conn = Connection(port)
    conn.cookies = dict(draft.cookies)
    try:
        response, _ = await conn.get(f"{APPLY}done/{draft.code}/")
        shown = response.body.decode("utf-8", "replace").replace("-", "")
        if draft.code not in shown:
            raise FlowError("receipt without its code")
    finally:
        conn.close()


async def double_click(port: int, draft: Draft) -> set[str]:
    """The final form posted twice at once over two connections of the same session."""
    first, second = Connection(port), Connection(port)
    try:
        codes = await asyncio.gather(final_post(first, draft), final_post(second, draft))
    finally:
        first.close()
        second.close()
    draft.code = codes[0]
    return set(codes)


async def in_parallel(jobs: list[Any]) -> list[Any]:
    async with asyncio.timeout(PHASE_TIMEOUT):
        return await asyncio.gather(*jobs, return_exceptions=True)


def split(items: list[Draft], parts: int) -> list[list[Draft]]:
    return [items[i::parts] for i in range(parts)]


async def drive(port: int, args: argparse.Namespace) -> dict[str, Any]:
    fill = Tally()
    print(
        f"Filling in: {args.residents} residents × {args.per_resident} drafts "
        f"(privacy notice, 3 pages with an upload, check page) ...",
        flush=True,
    )
    started = time.perf_counter()
    await in_parallel([filler(port, r, args.per_resident, fill) for r in range(args.residents)])
    fill_seconds = time.perf_counter() - started
    print(f"  {len(fill.drafts)} drafts in {fill_seconds:.1f} s ({len(fill.drafts) / fill_seconds:.1f}/s)")
    if not fill.drafts:
        raise BenchError(f"no draft could be filled in: {fill.errors}\n{_log_tail(SERVER_LOG)}")
    extra = fill.drafts[-args.double :] if args.double else []
    rest = fill.drafts[: len(fill.drafts) - len(extra)]
    paced = rest[len(rest) - args.paced :] if args.paced else []
    drafts = rest[: len(rest) - len(paced)]

    print(f"Submitting: {len(drafts)} final POSTs by {args.residents} residents at once ...", flush=True)
    submit = Tally()
    await in_parallel([submitter(port, part, submit) for part in split(drafts, args.residents)])
    posted = [d for d in drafts if d.code]
    window = max(submit.last_end - submit.first_start, 1e-9)

    pace = Tally()
    if paced:
        print(
            f"Paced: {len(paced)} final POSTs offered at {args.rate:.0f}/s by {args.residents} residents ...",
            flush=True,
        )
        parts = split(paced, args.residents)
        n = args.residents
        times = [[(k * n + r) / args.rate for k in range(len(part))] for r, part in enumerate(parts)]
        t0 = time.perf_counter() + 0.2
        jobs = [submitter(port, part, pace, at, t0) for part, at in zip(parts, times, strict=True)]
        await in_parallel(jobs)
    paced_posted = [d for d in paced if d.code]
    paced_latencies = sorted(pace.latencies_ns)
    posted_all = posted + paced_posted

    receipt_errors = 0
    for result in await in_parallel([open_receipt(port, d) for d in posted[: args.residents]]):
        receipt_errors += isinstance(result, BaseException)

    retried = posted[: args.retries]
    retry_errors = 0
    for draft in retried:
        code_before = draft.code
        try:
            code = await final_post(Connection(port), draft)
        except (OSError, FlowError, TimeoutError) as exc:
            print(f"  retry failed: {exc}")
            retry_errors += 1
            continue
        retry_errors += code != code_before
    double_errors = 0
    for result in await in_parallel([double_click(port, d) for d in extra]):
        double_errors += isinstance(result, BaseException) or len(result) != 1
    doubled = [d for d in extra if d.code]

    latencies = sorted(submit.latencies_ns)
    return {
        "drafts_filled": len(fill.drafts),
        "fill_seconds": round(fill_seconds, 3),
        "fill_errors": fill.errors,
        "final_posts": len(drafts),
        "successful_final_posts": len(posted),
        "submit_seconds": round(window, 3),
        "submissions_per_second": len(posted) / window,
        "p50_ms": percentile_ms(latencies, 50),
        "p95_ms": percentile_ms(latencies, 95),
        "p99_ms": percentile_ms(latencies, 99),
        "max_ms": latencies[-1] / 1e6 if latencies else None,
        "submit_errors": submit.errors,
        "receipts_opened": min(len(posted), args.residents),
        "receipt_errors": receipt_errors,
        "retried": len(retried),
        "retry_errors": retry_errors,
        "double_clicked": len(extra),
        "double_click_errors": double_errors,
        "paced_offered": len(paced),
        "paced_rate_offered": args.rate,
        "paced_successful": len(paced_posted),
        "paced_seconds": round(max(pace.last_end - pace.first_start, 1e-9), 3) if paced_posted else None,
        "paced_p50_ms": percentile_ms(paced_latencies, 50),
        "paced_p95_ms": percentile_ms(paced_latencies, 95),
        "paced_p99_ms": percentile_ms(paced_latencies, 99),
        "paced_max_ms": paced_latencies[-1] / 1e6 if paced_latencies else None,
        "paced_errors": pace.errors,
        "tokens": sorted(d.fields["_token"] for d in posted_all + doubled),
        "codes": [d.code for d in posted_all + doubled],
    }


# --- the exactly-once check ----------------------------------------------------------------------


def stored_keys(tokens: list[str]) -> list[str]:
    """What the database keeps of each submission token: its digest, as
    ``procedures.submissions.services.online_idempotency_key`` makes it (the token itself, with the
    server's key, would give the 照会キー). Written out here: this client does not load Django."""
    return sorted(hashlib.sha256(f"yakusho.online:{token}".encode()).hexdigest() for token in tokens)


def check_database(database_url: str, figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Compare what the database holds with what the residents were told."""
    import psycopg

    with psycopg.connect(database_url) as conn:

        def one(query: str) -> Any:
            row = conn.execute(query).fetchone()
            return row[0] if row else None

        submissions = one("SELECT count(*) FROM procedures_submission")
        keys = sorted(r[0] for r in conn.execute("SELECT idempotency_key FROM procedures_submission"))
        duplicate_keys = one(
            "SELECT count(*) FROM (SELECT municipality_id, idempotency_key FROM procedures_submission "
            "GROUP BY 1, 2 HAVING count(*) > 1) d"
        )
        attachments = one("SELECT count(*) FROM procedures_submissionattachment")
        mails = one("SELECT count(*) FROM core_outboundemail")
        codes = one("SELECT count(DISTINCT code) FROM procedures_submission")
    expected = len(figures["tokens"])
    told = figures["codes"]
    return [
        check("submissions stored == successful final POSTs", submissions, expected),
        check("idempotency keys stored twice", duplicate_keys, 0),
        check(
            "stored keys == the posted submission tokens' digests",
            keys == stored_keys(figures["tokens"]),
            True,
        ),
        check("distinct receipt codes (stored, told)", (codes, len(set(told))), (expected, expected)),
        check("attachments (one per submission)", attachments, expected),
        check("receipt mails queued (one per submission)", mails, expected),
    ]


def check(name: str, got: Any, want: Any) -> dict[str, Any]:
    return {"check": name, "got": got, "want": want, "ok": got == want}


# --- main ------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Submissions under load (see the module docstring).")
    parser.add_argument("--db", default=DEFAULT_DATABASE, help=f"PostgreSQL database ({DEFAULT_DATABASE})")
    parser.add_argument("--residents", type=int, default=50, help="concurrent residents (50)")
    parser.add_argument("--per-resident", type=int, default=16, help="drafts per resident (16)")
    parser.add_argument("--paced", type=int, default=300, help="final POSTs of the paced phase (300)")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="paced phase's offered rate (60/s)")
    parser.add_argument("--retries", type=int, default=50, help="final forms posted again (50)")
    parser.add_argument("--double", type=int, default=20, help="drafts posted twice at once (20)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (yakusho serve's default)")
    parser.add_argument("--threads", type=int, help="threads per worker (yakusho serve's default)")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.db):
        parser.error("--db: lower-case letters, digits and _ only")
    if not 1 <= args.residents <= 500 or not 1 <= args.per_resident <= 1000:
        parser.error("--residents must be 1-500 and --per-resident 1-1000")
    if not 0 <= args.double + args.paced < args.residents * args.per_resident:
        parser.error("--double plus --paced must be less than the number of drafts")
    if args.rate <= 0:
        parser.error("--rate must be positive")
    return args


def report(meta: dict[str, Any], figures: dict[str, Any], checks: list[dict[str, Any]]) -> None:
    rule = "-" * 78
    print()
    print("Submissions benchmark ".ljust(len(rule), "="))
    print(f"database  {meta['database']}")
    print(
        f"server    yakusho serve: gunicorn gthread, {meta['workers']} workers × {meta['threads']} threads; "
        f"{meta['cpu_count']} CPUs shared with this client"
    )
    print(f"form      {MUNICIPALITY}/{PROCEDURE}: 3 pages, a {len(PNG)}-byte PNG on page 3")
    print(rule)
    print(
        f"filling in   {figures['drafts_filled']} drafts in {figures['fill_seconds']:.1f} s "
        f"({figures['drafts_filled'] / figures['fill_seconds']:.1f} whole flows/s up to the check page; "
        f"9 requests each)"
    )
    print(
        f"final POSTs  {figures['successful_final_posts']} of {figures['final_posts']} succeeded in "
        f"{figures['submit_seconds']:.2f} s by {meta['residents']} residents at once"
    )
    print(f"rate         {figures['submissions_per_second']:.1f} submissions/s")
    print(
        f"latency      p50 {figures['p50_ms']:.1f} ms  p95 {figures['p95_ms']:.1f} ms  "
        f"p99 {figures['p99_ms']:.1f} ms  max {figures['max_ms']:.1f} ms"
        if figures["p50_ms"] is not None
        else "latency      -"
    )
    if figures["paced_p50_ms"] is not None:
        print(
            f"paced        {figures['paced_successful']} of {figures['paced_offered']} final POSTs "
            f"offered at "
            f"{figures['paced_rate_offered']:.0f}/s by the same residents (latency from the scheduled moment)"
        )
        print(
            f"latency      p50 {figures['paced_p50_ms']:.1f} ms  p95 {figures['paced_p95_ms']:.1f} ms  "
            f"p99 {figures['paced_p99_ms']:.1f} ms  max {figures['paced_max_ms']:.1f} ms"
        )
    for label in ("fill_errors", "submit_errors", "paced_errors"):
        if figures[label]:
            print(f"ERRORS ({label.split('_')[0]}): {figures[label]}")
    print(
        f"receipts     {figures['receipts_opened']} opened, {figures['receipt_errors']} errors; "
        f"retried {figures['retried']} final POSTs: {figures['retry_errors']} led elsewhere; "
        f"double-clicked {figures['double_clicked']}: {figures['double_click_errors']} made two receipts"
    )
    print("exactly once (database):")
    for c in checks:
        print(f"  {'OK  ' if c['ok'] else 'FAIL'} {c['check']}: {c['got']} (want {c['want']})")
    print("targets:")
    rate_ok = figures["submissions_per_second"] >= TARGET_RATE
    print(f"  {'PASS' if rate_ok else 'FAIL':<6} ≥ {TARGET_RATE:.0f} submissions/s (all residents at once)")
    p99 = figures["paced_p99_ms"]
    p99_ok = p99 is not None and p99 < TARGET_P99_MS and figures["paced_rate_offered"] >= TARGET_RATE
    print(
        f"  {'PASS' if p99_ok else 'FAIL':<6} final POST p99 < {TARGET_P99_MS:.0f} ms "
        f"at {figures['paced_rate_offered']:.0f} submissions/s (paced)"
    )
    saturated = figures["p99_ms"]
    if saturated is not None:
        print(
            f"  info   p99 with all {meta['residents']} residents posting back to back: {saturated:.0f} ms "
            f"(a closed loop: the mean latency is at least residents / rate = "
            f"{meta['residents'] / max(figures['submissions_per_second'], 1e-9) * 1000:.0f} ms)"
        )
    print(f"results   {RESULTS_FILE.relative_to(ROOT)}")


def run(args: argparse.Namespace) -> bool:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    database, database_url = pick_database(False, args.db, VAR_DIR)
    print(f"Database: {database}")
    if database_url is None:
        print("SKIPPED: the submission load needs PostgreSQL at 127.0.0.1:5432.")
        return True
    env = bench_env(database_url, VAR_DIR)
    env["YAKUSHO_RATELIMIT_PUBLIC_FORM"] = RATE_LIMIT
    default_workers, default_threads = serve_defaults()
    workers = args.workers or default_workers
    threads = args.threads or default_threads
    print(f"Preparing ({VAR_DIR.relative_to(ROOT)}):")
    yakusho(env, "migrate", "--noinput", "-v0")
    yakusho(env, "createcachetable")
    yakusho(env, "collectstatic", "--noinput", "-v0")
    yakusho(env, "demo", "--quiet-logins", "--core-only")
    yakusho(env, "import-procedures", str(ROOT / "data" / "procedures" / f"{MUNICIPALITY}.yaml"))
    port = free_port()
    server = start_server(env, port, workers, threads, SERVER_LOG)
    try:
        ready = wait_until_ready(server, port, SERVER_LOG)
        print(f"Server: http://{HOST}:{port}/ ({workers} workers × {threads} threads) ready in {ready:.1f} s")
        figures = asyncio.run(drive(port, args))
        if server.poll() is not None:
            raise BenchError(f"the server exited with status {server.returncode}:\n{_log_tail(SERVER_LOG)}")
    finally:
        stop_server(server)
    checks = check_database(database_url, figures)
    meta = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": database,
        "residents": args.residents,
        "per_resident": args.per_resident,
        "workers": workers,
        "threads": threads,
        "cpu_count": os.cpu_count(),
    }
    summary = {k: v for k, v in figures.items() if k not in ("tokens", "codes")}
    RESULTS_FILE.write_text(
        json.dumps({"meta": meta, "figures": summary, "checks": checks}, indent=2, ensure_ascii=False) + "\n"
    )
    report(meta, figures, checks)
    if figures["fill_errors"] or figures["submit_errors"]:
        print(f"Server output, last lines ({SERVER_LOG.relative_to(ROOT)}):\n{_log_tail(SERVER_LOG, 30)}")
    return all(c["ok"] for c in checks) and not (
        figures["retry_errors"] or figures["double_click_errors"] or figures["receipt_errors"]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        ok = run(args)
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; the server was stopped", file=sys.stderr)
        return 130
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
