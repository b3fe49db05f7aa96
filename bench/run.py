"""Yakusho benchmark: ``make bench`` (or ``.venv/bin/python bench/run.py --help``).

Method
------
1. Database: PostgreSQL at 127.0.0.1:5432 if it answers (the database ``yakusho_bench`` is dropped
   and created afresh), otherwise (or with ``--sqlite``) a fresh SQLite file under ``var/bench/``.
2. Preparation with the project's own command, in a bench-only environment (``YAKUSHO_VAR_DIR=
   var/bench``, a throw-away secret key, production settings with DEBUG off): ``migrate``,
   ``createcachetable``, ``collectstatic``, ``demo --quiet-logins``. A staff session for the demo
   user ``dx@example.jp`` is stored directly (``bench/make_session.py``), never through the
   rate-limited login form, and checked: ``/staff/`` with its cookie must answer 200.
3. ``yakusho serve`` (gunicorn, gthread workers, WhiteNoise) runs on a free loopback port in its
   own process group and is always stopped at the end.
4. This process drives it with ``--clients`` closed-loop keep-alive HTTP/1.1 connections (asyncio,
   ``bench/loadgen.py``): per page, 2 s of warm-up that is not recorded, then ``--seconds``
   measured. Requests per second count 200 responses; anything else is an error, reported and
   flagged. Latency percentiles are nearest-rank over the 200 responses.
5. After each page, the server's memory is sampled: PSS summed over the gunicorn master and all
   its workers (``/proc/<pid>/smaps_rollup``), so pages shared between workers count once.

Why the ratio to ``/healthz``: ``/healthz`` returns a constant without touching the database,
so its requests/s is the ceiling of this stack (gunicorn + Django's middleware) on this machine,
measured by the same client in the same run. Absolute requests/s depend on the CPU, and here the
client shares the two cores with the server; a page's requests/s divided by ``/healthz``'s is the
fraction of that ceiling it keeps, a number that stays comparable from one machine to another.

Targets (printed PASS/FAIL, never gating: the exit status is 0 unless the run itself failed):
public home ≥ 0.50 × /healthz, its p99 < 150 ms at 16 clients, server PSS < 512 MB (the targets
of the issue that added this harness; every page's figures are printed whatever its target).
MB here means MiB (2**20 bytes). Figures are also written to ``var/bench/results.json``.
"""

from __future__ import annotations

import argparse
import contextlib
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
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any

from loadgen import LoadResult, build_request, run_load
from procmem import machine_cpu_seconds, tree_cpu_seconds, tree_pss


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    needs_login: bool = False


# The pages measured, in this order. The first one is the baseline of every ratio and is always
# measured; add pages here (label, path, needs_login).
PAGES: list[Page] = [
    Page("healthz", "/healthz"),
    Page("public home", "/"),
    Page("staff home", "/staff/", needs_login=True),
    Page("plan overview", "/m/oe/plans/oe-dx/"),
    # The large synthetic plan (2,000 nodes, 5,000 KPIs, 10 years), imported during preparation.
    Page("big plan overview", "/m/oe/plans/synthetic/"),
    Page("big plan roadmap", "/m/oe/plans/synthetic/roadmap/"),
    Page("big plan KPIs", "/m/oe/plans/synthetic/kpis/"),
    Page("big plan compare", "/compare/?plans=oe/synthetic&plans=oe/oe-dx"),
]
BASELINE = PAGES[0]
LOGIN_EMAIL = "dx@example.jp"  # DX secretariat: no two-factor device, so a plain session opens /staff/

TARGET_RATIOS = {"public home": 0.50}  # page label -> minimum requests/s relative to the baseline
TARGET_P99_MS = 150.0
TARGET_P99_PAGES = ("public home",)  # pages held to the p99 target
TARGET_MEDIAN_MS = 300.0
TARGET_MEDIAN_PAGES = ("big plan overview", "big plan roadmap", "big plan KPIs", "big plan compare")
TARGET_P99_CLIENTS = 16
TARGET_PSS_MB = 512.0

ROOT = Path(__file__).resolve().parent.parent
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


def bench_env(database_url: str | None, var_dir: Path = VAR_DIR) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
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
            cwd=ROOT,
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


def make_session(env: dict[str, str]) -> dict[str, str]:
    """Cookies of a logged-in session of ``LOGIN_EMAIL``, made by bench/make_session.py."""
    proc = subprocess.run(  # noqa: S603 - fixed arguments, our own script
        [sys.executable, str(Path(__file__).with_name("make_session.py")), "--email", LOGIN_EMAIL],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchError(f"could not create a session for {LOGIN_EMAIL}:\n{proc.stderr.rstrip()}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
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
            cwd=ROOT,
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


def get(port: int, path: str, cookies: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, str]:
    """One GET with http.client: (status, Location header)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    headers = {"Accept-Language": "ja"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Location", "")
    finally:
        conn.close()


def wait_until_ready(proc: subprocess.Popen[bytes], port: int, log_path: Path = SERVER_LOG) -> float:
    """Seconds until /healthz answered 200; fails if the server exits or takes too long."""
    started = time.monotonic()
    while time.monotonic() - started < STARTUP_TIMEOUT:
        if proc.poll() is not None:
            raise BenchError(
                f"the server exited with status {proc.returncode} before answering /healthz. "
                f"Its output ({log_path.relative_to(ROOT)}):\n{_log_tail(log_path)}"
            )
        try:
            if get(port, BASELINE.path, timeout=2)[0] == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(
        f"the server did not answer {BASELINE.path} within {STARTUP_TIMEOUT:.0f} s. "
        f"Its output ({log_path.relative_to(ROOT)}):\n{_log_tail(log_path)}"
    )


def check_pages(pages: Sequence[Page], port: int, cookies: dict[str, str]) -> None:
    """One request per page; a login page must not send the session back to the login form."""
    for page in pages:
        try:
            status, location = get(port, page.path, cookies if page.needs_login else None)
        except OSError as exc:
            raise BenchError(f"{page.path}: {type(exc).__name__}: {exc}\n{_log_tail(SERVER_LOG)}") from exc
        if page.needs_login and status != 200:
            why = "the session was not accepted" if "/login" in location else "it needs more than a session"
            raise BenchError(
                f"{page.path} with {LOGIN_EMAIL}'s session cookie answered {status}"
                f"{' → ' + location if location else ''}: {why}. "
                f"Server output:\n{_log_tail(SERVER_LOG, 20)}"
            )
        if status != 200:
            print(f"  WARNING: {page.label} ({page.path}) answered {status} {location}".rstrip())
        else:
            print(
                f"  {page.label} ({page.path}): 200{' with the session cookie' if page.needs_login else ''}"
            )


# --- measuring and reporting ----------------------------------------------------------------


def percentile_ms(sorted_ns: list[int], p: float) -> float | None:
    """Nearest-rank percentile in milliseconds."""
    if not sorted_ns:
        return None
    rank = max(int(-(-p * len(sorted_ns) // 100)), 1)  # ceil(p/100 * n)
    return sorted_ns[min(rank, len(sorted_ns)) - 1] / 1e6


def summarize(page: Page, result: LoadResult, seconds: float, pss: int, processes: int) -> dict[str, Any]:
    latencies = sorted(result.latencies_ns)
    window = result.duration
    return {
        **asdict(page),
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
    page: Page, port: int, cookies: dict[str, str], clients: int, seconds: float, server_pid: int
) -> dict[str, Any]:
    request = build_request(HOST, port, page.path, cookies if page.needs_login else None)

    def probe() -> dict[str, float]:
        return {"server": tree_cpu_seconds(server_pid), "machine": machine_cpu_seconds()}

    result = run_load(HOST, port, request, clients, WARMUP_SECONDS, seconds, probe)
    pss, processes = tree_pss(server_pid)
    return summarize(page, result, seconds, pss, processes)


def evaluate_targets(rows: list[dict[str, Any]], clients: int) -> list[dict[str, Any]]:
    by_label = {row["label"]: row for row in rows}
    targets: list[dict[str, Any]] = []
    for label, minimum in TARGET_RATIOS.items():
        row = by_label.get(label)
        name = f"{label} ≥ {minimum:.2f} × {BASELINE.label}"
        if row is None or row["ratio"] is None:
            targets.append({"target": name, "status": "NOT MEASURED", "detail": f"{label} was not measured"})
            continue
        detail = f"ratio {row['ratio']:.2f}" + (" (the page had errors)" if row["errors"] else "")
        targets.append(
            {"target": name, "status": "PASS" if row["ratio"] >= minimum else "FAIL", "detail": detail}
        )

    name = f"p99 < {TARGET_P99_MS:.0f} ms at {TARGET_P99_CLIENTS} clients ({', '.join(TARGET_P99_PAGES)})"
    measured = [row for row in rows if row["p99_ms"] is not None and row["label"] in TARGET_P99_PAGES]
    if not measured:
        targets.append({"target": name, "status": "NOT MEASURED", "detail": "no successful request"})
    else:
        worst = max(measured, key=lambda row: row["p99_ms"])
        detail = f"worst p99 {worst['p99_ms']:.1f} ms ({worst['label']})"
        if clients != TARGET_P99_CLIENTS:
            status = "NOT MEASURED"
            detail += f", but at {clients} clients"
        else:
            status = "PASS" if worst["p99_ms"] < TARGET_P99_MS else "FAIL"
        targets.append({"target": name, "status": status, "detail": detail})

    for label in TARGET_MEDIAN_PAGES:
        row = next((r for r in rows if r["label"] == label and r["p50_ms"] is not None), None)
        name = f"{label}: median < {TARGET_MEDIAN_MS:.0f} ms"
        if row is None:
            targets.append({"target": name, "status": "NOT MEASURED", "detail": f"{label} was not measured"})
        else:
            status = "PASS" if row["p50_ms"] < TARGET_MEDIAN_MS else "FAIL"
            targets.append({"target": name, "status": status, "detail": f"p50 {row['p50_ms']:.1f} ms"})

    name = f"server PSS < {TARGET_PSS_MB:.0f} MB"
    peak = max(rows, key=lambda row: row["server_pss_mb"])
    targets.append(
        {
            "target": name,
            "status": "PASS" if peak["server_pss_mb"] < TARGET_PSS_MB else "FAIL",
            "detail": f"max {peak['server_pss_mb']:.0f} MB "
            f"({peak['server_processes']} processes, after {peak['label']})",
        }
    )
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


def format_rows(rows: list[dict[str, Any]]) -> list[str]:
    label_width = max(len(row["label"]) for row in rows)
    path_width = max(len(row["path"]) for row in rows)
    lines = []
    for row in rows:
        line = (
            f"{row['label']:<{label_width}}  {row['path']:<{path_width}}  "
            f"{row['rps']:8.1f} req/s  "
            f"p50 {_fmt(row['p50_ms'], '6.1f'):>6} ms  "
            f"p95 {_fmt(row['p95_ms'], '6.1f'):>6} ms  "
            f"p99 {_fmt(row['p99_ms'], '6.1f'):>6} ms  "
            f"ratio {_fmt(row['ratio'], '4.2f'):>4}  "
            f"errors {row['errors']:<4d}  "
            f"server PSS {row['server_pss_mb']:4.0f} MB"
        )
        if row["errors"]:
            kinds = ", ".join(f"{kind} ×{count}" for kind, count in sorted(row["error_kinds"].items()))
            line += f"  << ERRORS: {kinds}"
        lines.append(line)
    return lines


def report(meta: dict[str, Any], rows: list[dict[str, Any]], targets: list[dict[str, Any]]) -> None:
    body = format_rows(rows)
    rule = "-" * max(72, *(len(line) for line in body))
    print()
    print("Yakusho benchmark ".ljust(len(rule), "="))
    print(f"database  {meta['database']}")
    print(
        f"load      {meta['clients']} clients (keep-alive HTTP/1.1, closed loop), "
        f"{meta['warmup_seconds']:g} s warm-up + {meta['seconds']:g} s per page"
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
    print(rule)
    for line in body:
        print(line)
    print(rule)
    cpu = ", ".join(
        f"{row['label']} {row['client_cpu_percent']:.0f}/{_fmt(row['server_cpu_percent'], '.0f')}"
        f"/{_fmt(row['machine_cpu_percent'], '.0f')}"
        for row in rows
    )
    print(f"CPU, % of one core (client/server/whole machine): {cpu}")
    print("targets:")
    for target in targets:
        print(f"  {target['status']:<12} {target['target']:<36} {target['detail']}")
    flagged = [row["label"] for row in rows if row["errors"]]
    if flagged:
        print(f"WARNING: errors on {', '.join(flagged)}; their figures do not describe a working page.")
    foreign = meta.get("foreign_cpu_percent")
    if foreign is not None and foreign > FOREIGN_CPU_WARNING:
        print(
            f"WARNING: while {BASELINE.label} ran (no database work), {foreign:.0f} % of one core went to "
            "other processes: the machine was not quiet and these figures are noisy."
        )
    print(f"results   {RESULTS_FILE.relative_to(ROOT)}")


# --- main -----------------------------------------------------------------------------------


def select_pages(names: Sequence[str] | None) -> list[Page]:
    if not names:
        return list(PAGES)
    wanted = {part.strip().lower() for name in names for part in name.split(",") if part.strip()}
    known = {page.label.lower() for page in PAGES} | {page.path for page in PAGES}
    unknown = wanted - known
    if unknown:
        labels = ", ".join(repr(page.label) for page in PAGES)
        raise SystemExit(f"unknown page(s): {', '.join(sorted(unknown))}; choose among {labels}")
    return [page for page in PAGES if page == BASELINE or page.label.lower() in wanted or page.path in wanted]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark Yakusho pages against /healthz (see the module docstring for the method).",
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent keep-alive connections (16)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per page (10)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (yakusho serve's default)")
    parser.add_argument("--threads", type=int, help="threads per worker (yakusho serve's default)")
    parser.add_argument(
        "--pages",
        nargs="+",
        metavar="LABEL",
        help=f"pages to measure, by label or path, comma- or space-separated "
        f"({', '.join(page.label for page in PAGES)}); {BASELINE.label} is always measured",
    )
    parser.add_argument("--sqlite", action="store_true", help="use SQLite even if PostgreSQL answers")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 1000:
        parser.error("--clients must be between 1 and 1000")
    if not 0.5 <= args.seconds <= 600:
        parser.error("--seconds must be between 0.5 and 600")
    for option in ("workers", "threads"):
        value = getattr(args, option)
        if value is not None and not 1 <= value <= 64:
            parser.error(f"--{option} must be between 1 and 64")
    args.page_list = select_pages(args.pages)
    return args


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(args: argparse.Namespace) -> None:
    pages: list[Page] = args.page_list
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    default_workers, default_threads = serve_defaults()
    workers = args.workers or default_workers
    threads = args.threads or default_threads
    load_before = os.getloadavg()[0]
    started_at = datetime.now(UTC).isoformat(timespec="seconds")

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
        [_bin("yakusho"), "generate-plan", "--municipality", "oe"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=True,
    )
    synthetic.write_text(generated.stdout, "utf-8")
    yakusho(env, "import-plan", str(synthetic))
    cookies = make_session(env) if any(page.needs_login for page in pages) else {}

    port = free_port()
    server = start_server(env, port, workers, threads)
    try:
        ready = wait_until_ready(server, port)
        print(f"Server: http://{HOST}:{port}/ ({workers} workers × {threads} threads) ready in {ready:.1f} s")
        check_pages(pages, port, cookies)
        rows = []
        for page in pages:
            print(
                f"Measuring {page.label} ({page.path}): {args.clients} clients, "
                f"{WARMUP_SECONDS:g} s warm-up + {args.seconds:g} s ...",
                flush=True,
            )
            rows.append(measure(page, port, cookies, args.clients, args.seconds, server.pid))
            if server.poll() is not None:
                raise BenchError(
                    f"the server exited with status {server.returncode} during {page.label}:\n"
                    f"{_log_tail(SERVER_LOG)}"
                )
    finally:
        stop_server(server)

    baseline_rps = rows[0]["rps"]
    for row in rows:
        row["ratio"] = row["rps"] / baseline_rps if baseline_rps else None
    targets = evaluate_targets(rows, args.clients)
    meta = {
        "started_at": started_at,
        "database": database,
        "database_engine": "postgresql" if database_url else "sqlite",
        "clients": args.clients,
        "seconds": args.seconds,
        "warmup_seconds": WARMUP_SECONDS,
        "workers": workers,
        "threads": threads,
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "python": platform.python_version(),
        "django": version("django"),
        "baseline": BASELINE.label,
        "foreign_cpu_percent": foreign_cpu(rows[0]),
    }
    RESULTS_FILE.write_text(
        json.dumps({"meta": meta, "pages": rows, "targets": targets}, indent=2, ensure_ascii=False) + "\n"
    )
    report(meta, rows, targets)
    if any(row["errors"] for row in rows):
        print(f"Server output, last lines ({SERVER_LOG.relative_to(ROOT)}):\n{_log_tail(SERVER_LOG, 30)}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
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
