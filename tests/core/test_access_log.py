"""Secrets that mailed links carry never reach the server's access log (issue 15)."""

from __future__ import annotations

import contextlib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.servers import serving
from yakusho.core.accesslog import redact, redact_query

SECRET = "QWERTYUIOPASDFGH"


@pytest.mark.parametrize(
    ("uri", "logged"),
    [
        (f"/m/oe/submissions/ACEF-HJK3/?k={SECRET}", "/m/oe/submissions/ACEF-HJK3/?k=[hidden]"),
        (
            f"/m/oe/submissions/ACEF-HJK3/?lang=ja&k={SECRET}",
            "/m/oe/submissions/ACEF-HJK3/?lang=ja&k=[hidden]",
        ),
        (f"/m/oe/bookings/b/{SECRET}/change/", "/m/oe/bookings/b/[hidden]/change/"),
        (f"/counter/confirm/{SECRET}/", "/counter/confirm/[hidden]/"),
        (f"/staff/invite/{SECRET}/", "/staff/invite/[hidden]/"),
        (f"/staff/reset/MQ/{SECRET}/", "/staff/reset/MQ/[hidden]/"),
        ("/m/oe/plans/?q=kakko", "/m/oe/plans/?q=kakko"),
    ],
)
def test_secrets_in_addresses_are_replaced(uri: str, logged: str) -> None:
    assert redact(uri) == logged


def test_the_applications_log_messages_are_redacted() -> None:
    import logging

    from yakusho.core.accesslog import RedactSecrets

    record = logging.LogRecord(
        "django.request", logging.WARNING, "x", 1, "Not Found: %s", (f"/m/oe/bookings/b/{SECRET}/",), None
    )
    RedactSecrets().filter(record)
    assert record.getMessage() == "Not Found: /m/oe/bookings/b/[hidden]/"


def test_a_query_string_alone_is_redacted_too() -> None:
    assert redact_query(f"k={SECRET}&page=2") == "k=[hidden]&page=2"
    assert redact_query("q=k%3Dx") == "q=k%3Dx"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_running_server_logs_the_request_without_the_key(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with log.open("w") as output, serving(tmp_path, args=("--access-log",), output=output) as (base,):
        for path in (f"/m/oe/submissions/ACEFHJK3/?k={SECRET}", f"/m/oe/bookings/b/{SECRET}/"):
            with contextlib.suppress(urllib.error.HTTPError):  # a 404 is logged like any answer
                urllib.request.urlopen(base + path, timeout=5).read()  # noqa: S310
    written = log.read_text("utf-8")
    assert '"GET /m/oe/submissions/ACEFHJK3/?k=[hidden] HTTP/1.1" 404' in written
    assert '"GET /m/oe/bookings/b/[hidden]/ HTTP/1.1" 404' in written
    assert "Not Found: /m/oe/bookings/b/[hidden]/" in written  # the application's own log
    assert SECRET not in written
