"""JSON logs (issue 21): one object a line, the request's id, user id, municipality, view, status and
time — and no e-mail address, secret, query string or form data."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from tests.factories import MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core.accesslog import RedactSecrets
from yakusho.core.models import Role
from yakusho.core.requestlog import HEADER, JsonLineFormatter, RequestContext

SECRET = "QWERTYUIOPASDFGH"
LOGGERS = ("yakusho.request", "django.request")


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the view broke")


def hello(request: HttpRequest, municipality: str) -> HttpResponse:
    return HttpResponse(f"hello {request.user.pk}")


urlpatterns = [
    path("broken/", broken, name="broken"),
    path("m/<slug:municipality>/hello/", hello, name="hello"),
]


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The request and Django's request loggers at INFO, written with the real formatter and filters."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(RedactSecrets())
    handler.addFilter(RequestContext())
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.handlers[:], logger.propagate))
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
    yield stream
    for logger, level, handlers, propagate in saved:
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_request_line_has_its_fields_and_nothing_personal(client: Client, json_log: io.StringIO) -> None:
    town = MunicipalityFactory(slug="json-town")
    user = MembershipFactory(municipality=town, role=Role.ADMIN, user__email="staff.person@example.jp").user
    login_verified(client, user)
    response = client.get(
        f"/m/json-town/hello/?k={SECRET}&email=resident@example.jp",
        HTTP_X_REQUEST_ID="req-123.abc_DEF",
    )
    assert response.content == f"hello {user.pk}".encode()
    assert response[HEADER] == "req-123.abc_DEF"
    (line,) = [entry for entry in lines(json_log) if entry["logger"] == "yakusho.request"]
    assert line["request_id"] == "req-123.abc_DEF"
    assert line["user_id"] == user.pk
    assert line["municipality"] == "json-town"
    assert line["view"] == "hello"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert isinstance(line["db_queries"], int) and line["db_queries"] >= 1  # the session and the user
    assert line["level"] == "INFO"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line["time"])
    assert line["message"] == f"GET hello 200 {line['duration_ms']}ms"
    written = json_log.getvalue()
    session = client.cookies["sessionid"].value
    for private in (SECRET, "resident@example.jp", "staff.person@example.jp", session, "?"):
        assert private not in written


@pytest.mark.django_db
def test_a_public_request_logs_no_user_and_makes_no_query_for_it(
    client: Client, json_log: io.StringIO
) -> None:
    assert client.get("/healthz").status_code == 200
    (line,) = lines(json_log)
    assert line["view"] == "healthz"
    assert "user_id" not in line
    assert "municipality" not in line
    assert line["db_queries"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["", "has space", "x" * 65, "<script>", "ü-umlaut", "a/b", "a\nb"])
def test_an_unsafe_request_id_is_replaced(client: Client, json_log: io.StringIO, given: str) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID=given)
    rid = response[HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    assert lines(json_log)[0]["request_id"] == rid


@pytest.mark.django_db
def test_a_not_found_line_keeps_the_request_object_and_secrets_out(
    client: Client, json_log: io.StringIO
) -> None:
    response = client.get(f"/m/oe/bookings/b/{SECRET}/?k={SECRET}&q=resident@example.jp")
    assert response.status_code == 404
    entries = lines(json_log)
    warning = next(e for e in entries if e["logger"] == "django.request")
    assert warning["message"] == "Not Found: /m/oe/bookings/b/[hidden]/"
    assert warning["request_id"] == response[HEADER]
    assert set(warning) <= {"time", "level", "logger", "message", "request_id"}
    assert SECRET not in json_log.getvalue()
    assert "resident@example.jp" not in json_log.getvalue()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_an_exception_is_logged_with_the_request_id(json_log: io.StringIO) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/broken/", HTTP_X_REQUEST_ID="trace-me-1")
    assert response.status_code == 500
    entries = lines(json_log)
    error = next(e for e in entries if e["logger"] == "django.request")
    assert error["level"] == "ERROR"
    assert error["request_id"] == "trace-me-1"
    assert "RuntimeError: the view broke" in error["exc_info"]
    request_line = next(e for e in entries if e["logger"] == "yakusho.request")
    assert (request_line["status"], request_line["request_id"]) == (500, "trace-me-1")


def test_the_setting_turns_the_console_into_json_lines() -> None:
    """``YAKUSHO_LOG_FORMAT=json`` with the project's own settings, in a fresh process."""
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('yakusho.request').info("
        "'hello %s', 'there', extra={'view': 'v', 'email': 'a@b.jp'}); "
        "logging.getLogger('yakusho.other').warning('plain warning')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yakusho.settings_test",
        "YAKUSHO_LOG_FORMAT": "json",
        "YAKUSHO_REQUEST_LOG_LEVEL": "INFO",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    first, second = (json.loads(line) for line in result.stderr.splitlines())
    assert (first["logger"], first["level"], first["message"], first["view"]) == (
        "yakusho.request",
        "INFO",
        "hello there",
        "v",
    )
    assert "email" not in first
    assert (second["logger"], second["level"], second["message"]) == (
        "yakusho.other",
        "WARNING",
        "plain warning",
    )
