"""Real `yakusho serve` processes for tests, on the test run's PostgreSQL database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
from django.core.management import call_command
from django.db import connection

from tests.smtp import free_port


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


#: the secret key every server started by :func:`serving` shares (a test signs sessions with it)
SECRET_KEY = "servers-in-tests-secret-key-shared-by-every-process-0123456789"


@contextmanager
def serving(
    tmp_path: Path, count: int = 1, *, args: tuple[str, ...] = (), output: IO[Any] | None = None
) -> Iterator[list[str]]:
    """``count`` servers with production settings (DEBUG on for plain HTTP) on free ports, sharing one
    secret key and the test database; yields their base URLs once each answers ``/healthz``, and
    stops them afterwards. ``output`` receives their stdout and stderr (discarded otherwise)."""
    if connection.vendor != "postgresql":
        pytest.fail("this test needs the PostgreSQL run (DATABASE_URL)")
    # The servers' settings share built pages through a table the test settings leave out
    # (settings_test): make it, and empty it, since what an earlier test's servers built there
    # could match this test's keys (the data versions outlive a committed test too).
    call_command("createcachetable", "yakusho_built_pages", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM yakusho_built_pages")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="yakusho.settings",
        YAKUSHO_SECRET_KEY=SECRET_KEY,
        YAKUSHO_VAR_DIR=str(tmp_path),
        YAKUSHO_DEBUG="1",
    )
    script = Path(sys.executable).parent / "yakusho"
    ports = [free_port() for _ in range(count)]
    sink: Any = output if output is not None else subprocess.DEVNULL
    with ExitStack() as stack:
        for port in ports:
            proc = subprocess.Popen(  # noqa: S603
                [str(script), "serve", "--port", str(port), "--workers", "1", "--threads", "2", *args],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT if output is not None else subprocess.DEVNULL,
                start_new_session=True,
            )
            stack.callback(_stop, proc)
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for url in urls:
            _wait_for(url)
        yield urls


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2).read()  # noqa: S310
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _stop(proc: subprocess.Popen[Any]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)
