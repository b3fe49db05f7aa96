"""Yakusho benchmark: ``make bench`` (or ``.venv/bin/python bench/run.py --help``).

Method
------
1. Database: PostgreSQL at 127.0.0.1:5432 if it answers (the database ``yakusho_bench`` is dropped
   and created afresh), otherwise (or with ``--sqlite``) a fresh SQLite file under ``var/bench/``.
2. Preparation with the project's own command, in a bench-only environment (``YAKUSHO_VAR_DIR=
   var/bench``, a throw-away secret key, production settings with DEBUG off): ``migrate``,
   ``createcachetable``, ``collectstatic``, ``demo --quiet-logins``, then ``generate-plan --nodes
   2000`` and ``import-plan`` (the synthetic plan, key ``synthetic``, of 大江町). A staff session
   for the demo user ``dx@example.jp`` is stored directly (``bench/make_session.py``), never through the
   rate-limited login form, and checked: ``/staff/`` with its cookie must answer 200.
3. ``yakusho serve`` (gunicorn, gthread workers, WhiteNoise) runs on a free loopback port in its
   own process group and is always stopped at the end.
4. The pages (``bench/pages.py``; ``--list``): /healthz, the portal, the five demo towns' homes,
   every public page of the five demo plans (list, glossary, overview, roadmap, KPIs, alignment,
   editions, reports, and a node, a department and a yearly report found through the plan's own
   links), /compare/ of the five plans, the 2,000-node synthetic plan's overview, roadmap, KPIs and
   compare, and the staff home. Pages that do not answer 200 are left out and said so.
5. Every page is measured in three modes (``--modes``): ``anon`` (no cookie), ``visitor`` (a new
   random ``sessionid`` and ``_ga`` cookie on every request: distinct residents) and ``staff`` (the
   stored session of ``dx@example.jp``). This process drives the server with ``--clients``
   closed-loop keep-alive HTTP/1.1 connections (asyncio, ``bench/loadgen.py``): per page and mode,
   ``--warmup`` s that are not recorded, then ``--seconds`` measured. Requests per second count 200
   responses; anything else is an error, reported and flagged. Latency percentiles are nearest-rank
   over the 200 responses. After each, the server's memory is sampled: PSS summed over the gunicorn
   master and all its workers (``/proc/<pid>/smaps_rollup``), so shared pages count once.
6. The mixed run (``bench/mixed.py``): one staff client records KPI actuals through the real review
   form (GET the form, POST it back with its CSRF token and cookies) while the other clients read
   the same plan's public KPI page, each request with a new cookie. After every write the KPI page
   is read once as a new visitor and once as the staff member: reads that still show the old value
   are counted (stale reads; the target is 0).

Why the ratio to ``/healthz``: ``/healthz`` returns a constant without touching the database,
so its requests/s is the ceiling of this stack (gunicorn + Django's middleware) on this machine,
measured by the same client in the same run. Absolute requests/s depend on the CPU, and here the
client shares the two cores with the server; a page's requests/s divided by ``/healthz``'s (in the
same mode) is the fraction of that ceiling it keeps, a number that stays comparable between machines.

Targets (printed PASS/FAIL, never gating: the exit status is 0 unless the run itself failed), on
the own-cookie figures: every home and public page of the five plans ≥ 0.25 × /healthz and p99 <
150 ms at 16 clients; the big plan's overview, roadmap and KPIs median < 300 ms; /compare/ of the
five plans p99 < 300 ms; the chat's turn (``oe chat``, ``misato chat``: each request a new visitor
asking another question of ``bench/faq_questions.yaml``, answered, logged) p99 < 150 ms at 16
clients; server PSS < 512 MB (MiB) with the big plan's pages warmed; no stale read in the mixed run.
Figures are also written to ``var/bench/results.json``.

Short runs: ``--only 'oe *' mixed --modes visitor --seconds 2``. ``--reuse`` keeps the database the
previous run prepared (same checkout and commit). ``--checkout DIR`` (or ``YAKUSHO_BENCH_CHECKOUT``)
measures another worktree's code and data with this tree's virtualenv and harness, e.g. the
baseline: ``git worktree add /tmp/base <commit> && .venv/bin/python bench/run.py --checkout /tmp/base``.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import http.client
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any

from loadgen import LoadResult, run_load
from mixed import run_mixed
from mixed import summary as mixed_summary
from pages import (
    BASELINE,
    BIG_PLAN,
    MODE_TITLES,
    MODES,
    Page,
    catalogue,
    discover,
    discover_labels,
    request_source,
    select,
)
from procmem import machine_cpu_seconds, tree_cpu_seconds, tree_pss

LOGIN_EMAIL = "dx@example.jp"  # DX secretariat: no two-factor device, so a plain session opens /staff/

# Targets of issue 22 (the own-cookie figures, ratios to /healthz with its own cookie too)
TARGET_RATIO = 0.25  # public pages of the five plans and the homes: requests/s ≥ this × /healthz
TARGET_P99_MS = 150.0  # ... and p99 below this, at TARGET_P99_CLIENTS clients
TARGET_P99_CLIENTS = 16
TARGET_MEDIAN_MS = 300.0  # the 2,000-node plan's overview, roadmap and KPI pages
TARGET_MEDIAN_PAGES = ("big plan overview", "big plan roadmap", "big plan KPIs")
TARGET_COMPARE_P99_MS = 300.0  # /compare/ of the five plans
TARGET_MODE = "visitor"
TARGET_PSS_MB = 512.0
TARGET_CHAT_P99_MS = 150.0  # the chat's turn (a distinct question each, logged) at 16 clients

ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = [ROOT]  # the tree whose code is measured (--checkout); results stay under ROOT/var/bench
VAR_DIR = ROOT / "var" / "bench"
RESULTS_FILE = VAR_DIR / "results.json"
SERVER_LOG = VAR_DIR / "server.log"
RUN_DIR = VAR_DIR / "run"
HOST = "127.0.0.1"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "yakusho_bench"
WARMUP_SECONDS = 2.0
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
STEP_TIMEOUT = 900.0
MB = 1024 * 1024
FOREIGN_CPU_WARNING = 25.0  # % of one core used by neither client nor server during the baseline


class BenchError(Exception):
    """The run itself failed (preparation, server start, session): there is nothing to report."""


def _bin(name: str) -> str:
    for directory in (Path(sys.executable).parent, ROOT / ".venv" / "bin"):
        if (directory / name).exists():
            return str(directory / name)
    raise BenchError(f"{name} not found next to {sys.executable} nor in .venv/bin (run `make install`)")


def _log_tail(path: Path, lines: int = 40) -> str:
    """The end of a log, repeated lines collapsed; if it holds a traceback, the last one in full."""
    try:
        raw = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    collapsed: list[str] = []
    repeats = 0
    for index, line in enumerate(raw):
        if index + 1 < len(raw) and raw[index + 1] == line:
            repeats += 1
            continue
        collapsed.append(f"{line}  (×{repeats + 1})" if repeats else line)
        repeats = 0
    starts = [i for i, line in enumerate(collapsed) if line.startswith("Traceback (most recent call last)")]
    if starts:
        first = max(starts[-1] - 1, 0)  # Django's "Internal Server Error: /path" comes just before
        excerpt = collapsed[first : first + max(lines, 60)]
        return "\n".join(line for line in excerpt if "[INFO]" not in line)
    return "\n".join(collapsed[-lines:]) or "(empty log)"


# --- database and environment ---------------------------------------------------------------


def pick_database(
    force_sqlite: bool, database: str = PG_DATABASE, var_dir: Path = VAR_DIR
) -> tuple[str, str | None]:
    """(description, DATABASE_URL or None for SQLite); PostgreSQL's bench database is recreated."""
    sqlite = f"SQLite ({(var_dir / 'yakusho.sqlite3').relative_to(ROOT)})"
    if force_sqlite:
        return f"{sqlite}, forced by --sqlite", None
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        return f"{sqlite}: psycopg is not installed", None
    try:
        conn = psycopg.connect(PG_ADMIN_URL, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{sqlite}: PostgreSQL does not answer ({reason})", None
    try:
        with conn:
            name = sql.Identifier(database)
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
            server_version = conn.info.server_version
    except psycopg.Error as exc:
        raise BenchError(f"PostgreSQL answers but could not recreate {database}: {exc}") from exc
    major, minor = divmod(server_version, 10000)
    return (
        f"PostgreSQL {major}.{minor} (database {database} on 127.0.0.1:5432, recreated)",
        f"postgres://postgres@127.0.0.1:5432/{database}",
    )


def bench_env(database_url: str | None, var_dir: Path = VAR_DIR, keep: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    if CHECKOUT[0] != ROOT:  # this venv's interpreter and packages, the other tree's code and data
        env["PYTHONPATH"] = os.pathsep.join(
            [str(CHECKOUT[0] / "src"), *filter(None, [env.get("PYTHONPATH")])]
        )
    if database_url:
        env["DATABASE_URL"] = database_url
    elif not keep:
        for suffix in ("", "-wal", "-shm", "-journal"):
            (var_dir / f"yakusho.sqlite3{suffix}").unlink(missing_ok=True)
    env.update(
        DJANGO_SETTINGS_MODULE="yakusho.settings",
        YAKUSHO_VAR_DIR=str(var_dir),
        YAKUSHO_SECRET_KEY=secrets.token_urlsafe(50),
        YAKUSHO_DEBUG="0",
        YAKUSHO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # Nothing should send mail during a benchmark; if something does, it lands in a file.
        YAKUSHO_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        YAKUSHO_EMAIL_FILE_PATH=str(var_dir / "mail"),
        YAKUSHO_BASE_URL=f"http://{HOST}",
        # gunicorn ≥ 25.1 opens a control socket at $XDG_RUNTIME_DIR/gunicorn.ctl (else
        # ~/.gunicorn/gunicorn.ctl), replacing any other instance's and deleting it on exit: keep
        # the benchmark server's socket to itself.
        XDG_RUNTIME_DIR=str(var_dir / "run"),
        # the chat's questions all come from 127.0.0.1: its per-address limit would refuse them
        YAKUSHO_RATELIMIT_FAQ_SEARCH="1000000/m",
    )
    (var_dir / "run").mkdir(mode=0o700, parents=True, exist_ok=True)
    return env


def yakusho(env: dict[str, str], *args: str) -> None:
    """Run one preparation step with ``yakusho``; on failure show its output and stop the run."""
    started = time.perf_counter()
    print(f"  yakusho {' '.join(args)} ...", end="", flush=True)
    try:
        proc = subprocess.run(  # noqa: S603 - fixed arguments, our own console script
            [_bin("yakusho"), *args],
            env=env,
            cwd=CHECKOUT[0],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        print(" TIMEOUT")
        raise BenchError(f"`yakusho {' '.join(args)}` took more than {STEP_TIMEOUT:.0f} s") from exc
    if proc.returncode != 0:
        print(" FAILED")
        raise BenchError(
            f"`yakusho {' '.join(args)}` exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}".rstrip()
        )
    print(f" {time.perf_counter() - started:.1f} s")


def helper(env: dict[str, str], script: str, *args: str) -> dict[str, str]:
    """The JSON that one of bench/'s Django-side scripts printed, run in the benchmark's environment."""
    proc = subprocess.run(  # noqa: S603 - fixed arguments, our own script
        [sys.executable, str(Path(__file__).with_name(script)), *args],
        env=env,
        cwd=CHECKOUT[0],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchError(f"bench/{script} {' '.join(args)} failed:\n{proc.stderr.rstrip()}")
    data: dict[str, str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def make_session(env: dict[str, str]) -> dict[str, str]:
    """Cookies of a logged-in session of ``LOGIN_EMAIL``, made by bench/make_session.py."""
    data = helper(env, "make_session.py", "--email", LOGIN_EMAIL)
    return {data["cookie"]: data["value"]}


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def serve_defaults() -> tuple[int, int]:
    """``yakusho serve``'s own defaults for --workers and --threads on this machine."""
    from yakusho.core.management.commands.serve import Command

    options = Command().create_parser("yakusho", "serve").parse_args([])
    return int(options.workers), int(options.threads)


def start_server(
    env: dict[str, str], port: int, workers: int, threads: int, log_path: Path = SERVER_LOG
) -> subprocess.Popen[bytes]:
    command = [_bin("yakusho"), "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--threads", str(threads)]
    with log_path.open("wb") as log:
        return subprocess.Popen(  # noqa: S603 - fixed arguments, our own console script
            command,
            env=env,
            cwd=CHECKOUT[0],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so it is stopped with all its workers
        )


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (gunicorn stops gracefully), SIGKILL if it lingers."""
    pgid = proc.pid  # start_new_session: the group id is the leader's pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"server still running {STOP_TIMEOUT:.0f} s after SIGTERM: killing it", file=sys.stderr)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # orphaned workers, if any, are still in the group
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait(timeout=10)


def get(port: int, path: str, cookie: str | None = None, timeout: float = 10) -> tuple[int, str, str]:
    """One GET with http.client: (status, Location header, body as text)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    headers = {"Accept-Language": "ja"}
    if cookie:
        headers["Cookie"] = cookie
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, response.getheader("Location", ""), body
    finally:
        conn.close()


def wait_until_ready(proc: subprocess.Popen[bytes], port: int, log_path: Path = SERVER_LOG) -> float:
    """Seconds until /healthz answered 200; fails if the server exits or takes too long."""
    started = time.monotonic()
    while time.monotonic() - started < STARTUP_TIMEOUT:
        if proc.poll() is not None:
            raise BenchError(
                f"the server exited with status {proc.returncode} before answering /healthz. "
                f"Its output ({log_path}):\n{_log_tail(log_path)}"
            )
        try:
            if get(port, BASELINE.path, timeout=2)[0] == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(
        f"the server did not answer {BASELINE.path} within {STARTUP_TIMEOUT:.0f} s. "
        f"Its output ({log_path}):\n{_log_tail(log_path)}"
    )


def check_pages(pages: Sequence[Page], port: int, staff_cookie: str) -> tuple[list[Page], list[str]]:
    """One request per page (signed in for staff-only pages): the pages that answer 200, and a
    note for each that does not (left out of the run, and said so)."""
    working: list[Page] = []
    skipped: list[str] = []
    for page in pages:
        cookie = staff_cookie if page.modes == ("staff",) else None
        try:
            status, location, _body = get(port, page.path, cookie)
        except OSError as exc:
            raise BenchError(f"{page.path}: {type(exc).__name__}: {exc}\n{_log_tail(SERVER_LOG)}") from exc
        if cookie and status != 200:
            why = "the session was not accepted" if "/login" in location else "it needs more than a session"
            raise BenchError(
                f"{page.path} with {LOGIN_EMAIL}'s session cookie answered {status}"
                f"{' → ' + location if location else ''}: {why}. "
                f"Server output:\n{_log_tail(SERVER_LOG, 20)}"
            )
        if status == 200:
            working.append(page)
        else:
            skipped.append(f"{page.label} ({page.path}) answered {status} {location}".rstrip())
            print(f"  WARNING: {skipped[-1]}: left out")
    print(f"  {len(working)} pages answer 200")
    return working, skipped


# --- measuring and reporting ----------------------------------------------------------------


def percentile_ms(sorted_ns: list[int], p: float) -> float | None:
    """Nearest-rank percentile in milliseconds."""
    if not sorted_ns:
        return None
    rank = max(int(-(-p * len(sorted_ns) // 100)), 1)  # ceil(p/100 * n)
    return sorted_ns[min(rank, len(sorted_ns)) - 1] / 1e6


def summarize(
    page: Page, mode: str, result: LoadResult, seconds: float, pss: int, processes: int
) -> dict[str, Any]:
    latencies = sorted(result.latencies_ns)
    window = result.duration
    return {
        **asdict(page),
        "mode": mode,
        "requests": result.ok,
        "seconds": round(window, 3),
        "rps": result.ok / window,
        "p50_ms": percentile_ms(latencies, 50),
        "p95_ms": percentile_ms(latencies, 95),
        "p99_ms": percentile_ms(latencies, 99),
        "max_ms": latencies[-1] / 1e6 if latencies else None,
        "ratio": None,  # filled in once the baseline is known
        "errors": result.error_count,
        "error_kinds": dict(result.errors),
        "mean_body_bytes": round(result.body_bytes / result.ok) if result.ok else None,
        "server_pss_mb": pss / MB,
        "server_processes": processes,
        # CPU during the measured window, in % of one core (the machine has cpu_count × 100 %).
        "client_cpu_percent": 100 * result.client_cpu_seconds / seconds,
        "server_cpu_percent": 100 * result.counters["server"] / seconds
        if "server" in result.counters
        else None,
        "machine_cpu_percent": (
            100 * result.counters["machine"] / seconds if "machine" in result.counters else None
        ),
    }


def measure(
    page: Page, mode: str, port: int, staff_cookie: str, args: argparse.Namespace, server_pid: int
) -> dict[str, Any]:
    source = request_source(HOST, port, page.path, mode, staff_cookie, paths=page.paths)

    def probe() -> dict[str, float]:
        return {"server": tree_cpu_seconds(server_pid), "machine": machine_cpu_seconds()}

    result = run_load(HOST, port, source, args.clients, args.warmup, args.seconds, probe)
    pss, processes = tree_pss(server_pid)
    return summarize(page, mode, result, args.seconds, pss, processes)


def measure_mixed(
    target: dict[str, str], port: int, staff_cookies: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    readers, staff = run_mixed(HOST, port, target, staff_cookies, args.clients, args.warmup, args.seconds)
    latencies = sorted(readers.latencies_ns)
    return {
        "target": target,
        "residents": max(args.clients - 1, 1),
        "resident_rps": readers.ok / readers.duration,
        "resident_p50_ms": percentile_ms(latencies, 50),
        "resident_p99_ms": percentile_ms(latencies, 99),
        "resident_errors": readers.error_count,
        "resident_error_kinds": dict(readers.errors),
        "ratio": None,
        "staff": mixed_summary(staff, readers.duration),
    }


def _target(name: str, status: str, detail: str) -> dict[str, Any]:
    return {"target": name, "status": status, "detail": detail}


def _names(rows: list[dict[str, Any]], limit: int = 6) -> str:
    names = [row["label"] for row in rows]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def evaluate_targets(
    rows: list[dict[str, Any]], clients: int, mixed: dict[str, Any] | None
) -> list[dict[str, Any]]:
    mode = TARGET_MODE
    targets: list[dict[str, Any]] = []
    public = [r for r in rows if r["mode"] == mode and r["public_target"]]
    name = f"homes and plan pages, {MODE_TITLES[mode]}: ≥ {TARGET_RATIO:.2f} × {BASELINE.label}"
    if not public:
        targets.append(_target(name, "NOT MEASURED", "no such page measured in this mode"))
    else:
        worst = min(public, key=lambda r: r["ratio"] or 0.0)
        failing = [r for r in public if (r["ratio"] or 0.0) < TARGET_RATIO or r["errors"]]
        detail = (
            f"{len(public) - len(failing)}/{len(public)} pass; worst {worst['label']} {worst['ratio']:.2f}"
        )
        if failing:
            detail += f"; failing: {_names(failing)}"
        targets.append(_target(name, "FAIL" if failing else "PASS", detail))

    name = (
        f"homes and plan pages, {MODE_TITLES[mode]}: "
        f"p99 < {TARGET_P99_MS:.0f} ms at {TARGET_P99_CLIENTS} clients"
    )
    timed = [r for r in public if r["p99_ms"] is not None]
    if not timed:
        targets.append(_target(name, "NOT MEASURED", "no successful request"))
    else:
        worst = max(timed, key=lambda r: r["p99_ms"])
        failing = [r for r in timed if r["p99_ms"] >= TARGET_P99_MS]
        detail = (
            f"{len(timed) - len(failing)}/{len(timed)} pass; worst {worst['label']} {worst['p99_ms']:.0f} ms"
        )
        if failing:
            detail += f"; failing: {_names(failing)}"
        status = "FAIL" if failing else "PASS"
        if clients != TARGET_P99_CLIENTS:
            status, detail = "NOT MEASURED", detail + f", but at {clients} clients"
        targets.append(_target(name, status, detail))

    for label in TARGET_MEDIAN_PAGES:
        row = next((r for r in rows if r["label"] == label and r["mode"] == mode), None)
        name = f"{label}, {MODE_TITLES[mode]}: median < {TARGET_MEDIAN_MS:.0f} ms"
        if row is None or row["p50_ms"] is None:
            targets.append(_target(name, "NOT MEASURED", f"{label} was not measured"))
        else:
            ok = row["p50_ms"] < TARGET_MEDIAN_MS and not row["errors"]
            targets.append(_target(name, "PASS" if ok else "FAIL", f"p50 {row['p50_ms']:.1f} ms"))

    row = next((r for r in rows if r["group"] == "compare" and r["mode"] == mode), None)
    name = f"/compare/ of the five plans, {MODE_TITLES[mode]}: p99 < {TARGET_COMPARE_P99_MS:.0f} ms"
    if row is None or row["p99_ms"] is None:
        targets.append(_target(name, "NOT MEASURED", "compare five was not measured"))
    else:
        ok = row["p99_ms"] < TARGET_COMPARE_P99_MS and not row["errors"]
        targets.append(_target(name, "PASS" if ok else "FAIL", f"p99 {row['p99_ms']:.1f} ms"))

    for row in (r for r in rows if r["group"] == "chat" and r["mode"] == mode):
        name = (
            f"{row['label']} (a new question each), {MODE_TITLES[mode]}: "
            f"p99 < {TARGET_CHAT_P99_MS:.0f} ms at {TARGET_P99_CLIENTS} clients"
        )
        if row["p99_ms"] is None:
            targets.append(_target(name, "NOT MEASURED", "no successful request"))
            continue
        ok = row["p99_ms"] < TARGET_CHAT_P99_MS and not row["errors"]
        status = "PASS" if ok else "FAIL"
        detail = f"p99 {row['p99_ms']:.0f} ms, p50 {row['p50_ms']:.0f} ms, {row['rps']:.0f} req/s"
        if clients != TARGET_P99_CLIENTS:
            status, detail = "NOT MEASURED", detail + f", but at {clients} clients"
        targets.append(_target(name, status, detail))

    name = f"server PSS < {TARGET_PSS_MB:.0f} MB"
    peak = max(rows, key=lambda r: r["server_pss_mb"])
    big = {r["label"] for r in rows if r["group"] == "big"}
    detail = (
        f"max {peak['server_pss_mb']:.0f} MB ({peak['server_processes']} processes, "
        f"after {peak['label']}, {MODE_TITLES[peak['mode']]})"
    )
    status = "PASS" if peak["server_pss_mb"] < TARGET_PSS_MB else "FAIL"
    if not {*TARGET_MEDIAN_PAGES} <= big and status == "PASS":
        status, detail = "NOT MEASURED", detail + "; the big plan's pages were not all warmed"
    targets.append(_target(name, status, detail))

    name = "mixed run: a recorded actual shows on the next read"
    if mixed is None:
        targets.append(_target(name, "NOT MEASURED", "the mixed run was not selected"))
    else:
        staff = mixed["staff"]
        checks = sum(staff["checks"].values())
        stale = sum(staff["stale_reads"].values())
        if not checks:
            detail = "no write succeeded" + (
                f": {'; '.join(staff['failure_kinds'])}" if staff["failures"] else ""
            )
            targets.append(_target(name, "FAIL", detail))
        else:
            targets.append(_target(name, "FAIL" if stale else "PASS", f"{stale} stale of {checks} reads"))
    return targets


def foreign_cpu(baseline: dict[str, Any]) -> float | None:
    """CPU (% of one core) that neither the client nor the server used while the baseline ran.

    The baseline does no database work, so this is other people's load on the machine: noise.
    """
    if baseline["machine_cpu_percent"] is None or baseline["server_cpu_percent"] is None:
        return None
    machine: float = baseline["machine_cpu_percent"]
    return float(max(machine - baseline["server_cpu_percent"] - baseline["client_cpu_percent"], 0.0))


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(rows: list[dict[str, Any]], modes: Sequence[str]) -> list[str]:
    """One line per page, one column group per mode: requests/s, ratio, p50 and p99 (ms)."""
    labels: list[str] = list(dict.fromkeys(row["label"] for row in rows))
    by_key = {(row["label"], row["mode"]): row for row in rows}
    width = max(len(label) for label in [*labels, "page"])
    cell = 30
    head = f"{'page':<{width}}" + "".join(f" | {MODE_TITLES[m]:^{cell}}" for m in modes) + " | PSS MB"
    sub = (
        f"{'':<{width}}"
        + "".join(f" | {'req/s':>7} {'ratio':>5} {'p50':>6} {'p99':>7}" for _ in modes)
        + " |"
    )
    lines = [head, sub]
    for label in labels:
        line = f"{label:<{width}}"
        pss = 0.0
        for mode in modes:
            row = by_key.get((label, mode))
            if row is None:
                line += f" | {'':{cell}}"
                continue
            pss = max(pss, row["server_pss_mb"])
            flag = "!" if row["errors"] else " "
            line += (
                f" | {row['rps']:7.1f} {_fmt(row['ratio'], '5.2f'):>5} {_fmt(row['p50_ms'], '6.1f'):>6}"
                f" {_fmt(row['p99_ms'], '6.1f'):>6}{flag}"
            )
        lines.append(line + f" | {pss:6.0f}")
    return lines


def report(
    meta: dict[str, Any],
    rows: list[dict[str, Any]],
    mixed: dict[str, Any] | None,
    targets: list[dict[str, Any]],
) -> None:
    body = format_table(rows, meta["modes"])
    rule = "-" * max(72, *(len(line) for line in body))
    print()
    print("Yakusho benchmark ".ljust(len(rule), "="))
    print(f"code      {meta['checkout']} ({meta['commit']})")
    print(f"database  {meta['database']}")
    print(
        f"load      {meta['clients']} clients (keep-alive HTTP/1.1, closed loop), "
        f"{meta['warmup_seconds']:g} s warm-up + {meta['seconds']:g} s per page and mode"
    )
    print(
        f"server    yakusho serve: gunicorn gthread, {meta['workers']} workers × {meta['threads']} threads, "
        f"WhiteNoise, DEBUG off"
    )
    print(
        f"machine   {meta['cpu_count']} CPUs (shared by client and server), "
        f"load average {meta['load_average_before']:.2f} before the run; "
        f"Python {meta['python']}, Django {meta['django']}"
    )
    print("modes     " + "; ".join(f"{MODE_TITLES[m]} ({m})" for m in meta["modes"]))
    print("ratio     requests/s ÷ /healthz's requests/s in the same mode of the same run; times in ms")
    print(rule)
    for line in body:
        print(line)
    print(rule)
    for row in rows:
        if not row["requests"]:
            print(
                f"NO FIGURES ({row['label']}, {MODE_TITLES[row['mode']]}): no request started in the "
                "measured window finished; the page is slower than --warmup + --seconds allow"
            )
        if row["errors"]:
            kinds = ", ".join(f"{kind} ×{count}" for kind, count in sorted(row["error_kinds"].items()))
            print(f"ERRORS ({row['label']}, {MODE_TITLES[row['mode']]}): {kinds}")
    if mixed is not None:
        staff = mixed["staff"]
        print(
            f"mixed run on {mixed['target']['public']}: {mixed['residents']} residents (own cookie) "
            f"{mixed['resident_rps']:.1f} req/s, ratio {_fmt(mixed['ratio'], '.2f')}, "
            f"p50 {_fmt(mixed['resident_p50_ms'], '.1f')} ms, "
            f"p99 {_fmt(mixed['resident_p99_ms'], '.1f')} ms, "
            f"errors {mixed['resident_errors']}"
        )
        print(
            f"          1 staff member recording actuals: {staff['writes']} writes "
            f"({staff['writes_per_second']:.1f}/s; "
            f"GET form + POST p50 {_fmt(staff['write_p50_ms'], '.0f')} ms, "
            f"p99 {_fmt(staff['write_p99_ms'], '.0f')} ms), failures {staff['failures']}"
        )
        print(
            "          reads right after a write still showing the old value: "
            f"{staff['stale_reads']['visitor']}/{staff['checks']['visitor']} as a new visitor, "
            f"{staff['stale_reads']['staff']}/{staff['checks']['staff']} as the staff member"
        )
        for failure in staff["failure_kinds"]:
            print(f"          failure: {failure}")
    for note in meta["skipped"]:
        print(f"left out: {note}")
    print("targets:")
    for target in targets:
        print(f"  {target['status']:<12} {target['target']}: {target['detail']}")
    foreign = meta.get("foreign_cpu_percent")
    if foreign is not None and foreign > FOREIGN_CPU_WARNING:
        print(
            f"WARNING: while {BASELINE.label} ran (no database work), {foreign:.0f} % of one core went to "
            "other processes: the machine was not quiet and these figures are noisy."
        )
    print(f"results   {RESULTS_FILE.relative_to(ROOT)}")


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark Yakusho pages against /healthz (see the module docstring for the method).",
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent keep-alive connections (16)")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per page and mode (5)")
    parser.add_argument("--warmup", type=float, default=WARMUP_SECONDS, help="unrecorded warm-up seconds (2)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (yakusho serve's default)")
    parser.add_argument("--threads", type=int, help="threads per worker (yakusho serve's default)")
    parser.add_argument(
        "--only",
        "--pages",
        nargs="+",
        metavar="PAGE",
        help="pages to measure: labels (shell patterns such as 'oe *' or 'big*', case-insensitive) or "
        "paths, comma- or space-separated; 'mixed' selects the mixed run. healthz is always measured. "
        "Labels: --list",
    )
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help=f"comma-separated, among {', '.join(MODES)} (all three)",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the pages (discovered ones excepted) and exit"
    )
    parser.add_argument(
        "--checkout",
        type=Path,
        default=os.environ.get("YAKUSHO_BENCH_CHECKOUT"),
        help="measure the code of another git worktree (e.g. `git worktree add /tmp/base <commit>`), "
        "run with this tree's virtualenv; env YAKUSHO_BENCH_CHECKOUT",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the database the last run prepared (same checkout and commit) instead of recreating it",
    )
    parser.add_argument("--sqlite", action="store_true", help="use SQLite even if PostgreSQL answers")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 1000:
        parser.error("--clients must be between 1 and 1000")
    if not 0.5 <= args.seconds <= 600:
        parser.error("--seconds must be between 0.5 and 600")
    if not 0 <= args.warmup <= 60:
        parser.error("--warmup must be between 0 and 60")
    for option in ("workers", "threads"):
        value = getattr(args, option)
        if value is not None and not 1 <= value <= 64:
            parser.error(f"--{option} must be between 1 and 64")
    args.mode_list = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(args.mode_list) - set(MODES)
    if unknown or not args.mode_list:
        parser.error(f"--modes: choose among {', '.join(MODES)}")
    args.mode_list = [m for m in MODES if m in args.mode_list]
    if args.checkout is not None:
        args.checkout = Path(args.checkout).resolve()
        if not (args.checkout / "src" / "yakusho" / "settings.py").exists():
            parser.error(f"--checkout {args.checkout}: no src/yakusho/settings.py there")
    return args


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def commit_of(tree: Path) -> str:
    proc = subprocess.run(  # noqa: S603 - fixed arguments
        ["git", "-C", str(tree), "describe", "--always", "--dirty"],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() or "not a git tree"


def prepare(args: argparse.Namespace, commit: str) -> tuple[str, str | None, dict[str, str]]:
    """The database (description, URL) and the environment, prepared afresh or (--reuse) as left."""
    marker = VAR_DIR / "prepared.json"
    if args.reuse and marker.exists():
        prepared = json.loads(marker.read_text())
        if prepared.get("checkout") == str(CHECKOUT[0]) and prepared.get("commit") == commit:
            print(f"Database: {prepared['database']}, reused (--reuse)")
            return (
                prepared["database"],
                prepared["database_url"],
                bench_env(prepared["database_url"], keep=True),
            )
        print("--reuse: the last prepared database is of another checkout or commit; preparing afresh")
    marker.unlink(missing_ok=True)
    database, database_url = pick_database(args.sqlite)
    print(f"Database: {database}")
    env = bench_env(database_url)
    print("Preparing (var/bench):")
    yakusho(env, "migrate", "--noinput", "-v0")
    yakusho(env, "createcachetable")
    yakusho(env, "collectstatic", "--noinput", "-v0")
    yakusho(env, "demo", "--quiet-logins")
    synthetic = VAR_DIR / "synthetic.yaml"
    generated = subprocess.run(  # noqa: S603 - our own console script
        [_bin("yakusho"), "generate-plan", "--municipality", BIG_PLAN[0], "--nodes", "2000"],
        env=env,
        cwd=CHECKOUT[0],
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    if generated.returncode != 0:
        raise BenchError(f"`yakusho generate-plan` exited with {generated.returncode}:\n{generated.stderr}")
    synthetic.write_text(generated.stdout, "utf-8")
    yakusho(env, "import-plan", str(synthetic))
    marker.write_text(
        json.dumps(
            {
                "checkout": str(CHECKOUT[0]),
                "commit": commit,
                "database": database,
                "database_url": database_url,
            }
        )
    )
    return database, database_url, env


def run(args: argparse.Namespace) -> None:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if args.checkout is not None:
        CHECKOUT[0] = args.checkout
    commit = commit_of(CHECKOUT[0])
    default_workers, default_threads = serve_defaults()
    workers = args.workers or default_workers
    threads = args.threads or default_threads
    load_before = os.getloadavg()[0]
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    modes: list[str] = args.mode_list

    database, database_url, env = prepare(args, commit)
    session = make_session(env)
    staff_cookie = "; ".join(f"{k}={v}" for k, v in session.items())
    want_mixed = not args.only or any(
        fnmatch.fnmatchcase("mixed", p.strip().lower()) for o in args.only for p in o.split(",")
    )
    target = helper(env, "mixed_target.py", "--email", LOGIN_EMAIL) if want_mixed else None

    port = free_port()
    server = start_server(env, port, workers, threads)
    try:
        ready = wait_until_ready(server, port)
        print(f"Server: http://{HOST}:{port}/ ({workers} workers × {threads} threads) ready in {ready:.1f} s")

        def fetch(path: str) -> str | None:
            status, _location, body = get(port, path)
            return body if status == 200 else None

        known = catalogue()
        discovered = discover(fetch) if not args.only or select(discover_labels(), args.only)[1:] else []
        pages = select([*known[:-1], *discovered, known[-1]], args.only)
        pages = [p for p in pages if any(m in p.modes for m in modes)]
        pages, skipped = check_pages(pages, port, staff_cookie)
        rows = []
        count = sum(1 for page in pages for mode in modes if mode in page.modes)
        print(
            f"Measuring {count} page × mode runs, {args.clients} clients, {args.warmup:g} s warm-up + "
            f"{args.seconds:g} s each (about {count * (args.warmup + args.seconds) / 60:.1f} min)"
        )
        for page in pages:
            for mode in modes:
                if mode not in page.modes:
                    continue
                path = page.path if len(page.path) <= 50 else page.path[:47] + "..."
                print(f"  {page.label} ({path}), {MODE_TITLES[mode]} ...", end="", flush=True)
                rows.append(measure(page, mode, port, staff_cookie, args, server.pid))
                print(f" {rows[-1]['rps']:.1f} req/s, p99 {_fmt(rows[-1]['p99_ms'], '.0f')} ms")
                if server.poll() is not None:
                    raise BenchError(
                        f"the server exited with status {server.returncode} during {page.label}:\n"
                        f"{_log_tail(SERVER_LOG)}"
                    )
        mixed = None
        if target is not None:
            print(
                f"  mixed run: staff record actuals on {target['form']}, "
                f"residents read {target['public']} ..."
            )
            mixed = measure_mixed(target, port, session, args)
    finally:
        stop_server(server)

    baselines = {row["mode"]: row["rps"] for row in rows if row["label"] == BASELINE.label}
    for row in rows:
        base = baselines.get(row["mode"])
        row["ratio"] = row["rps"] / base if base else None
    if mixed is not None and baselines.get(TARGET_MODE):
        mixed["ratio"] = mixed["resident_rps"] / baselines[TARGET_MODE]
    targets = evaluate_targets(rows, args.clients, mixed)
    meta = {
        "started_at": started_at,
        "checkout": str(CHECKOUT[0]),
        "commit": commit,
        "database": database,
        "database_engine": "postgresql" if database_url else "sqlite",
        "clients": args.clients,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "modes": modes,
        "workers": workers,
        "threads": threads,
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "python": platform.python_version(),
        "django": version("django"),
        "baseline": BASELINE.label,
        "skipped": skipped,
        "foreign_cpu_percent": foreign_cpu(rows[0]),
    }
    RESULTS_FILE.write_text(
        json.dumps(
            {"meta": meta, "pages": rows, "mixed": mixed, "targets": targets}, indent=2, ensure_ascii=False
        )
        + "\n"
    )
    report(meta, rows, mixed, targets)
    if any(row["errors"] for row in rows):
        print(f"Server output, last lines ({SERVER_LOG.relative_to(ROOT)}):\n{_log_tail(SERVER_LOG, 30)}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for page in catalogue():
            print(f"{page.label:<24} {page.path}  ({', '.join(page.modes)})")
        print("plus, found at run time: " + ", ".join(p.label for p in discover_labels()[1:]))
        return 0
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        run(args)
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; the server was stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
