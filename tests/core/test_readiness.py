"""``/readyz``: the database, the outbox backlog and the scheduled commands, as JSON for monitors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.factories import MunicipalityFactory
from yakusho.core.models import CommandRun, OutboundEmail
from yakusho.core.outbox import queue_mail
from yakusho.core.scheduling import schedule

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def all_fresh(**overrides: timedelta) -> None:
    """Every scheduled command succeeded a minute ago (or ``overrides[command]`` ago)."""
    now = timezone.now()
    for job in schedule.all():
        CommandRun.objects.update_or_create(
            name=job.command,
            defaults={"last_succeeded_at": now - overrides.get(job.command, timedelta(minutes=1)), "runs": 1},
        )


def mail(town: Any, *, due_since: timedelta, attempts: int = 0, status: str = "queued") -> OutboundEmail:
    row = queue_mail(town, ["yamada.taro@example.jp"], "住民票の写しの交付について", "本文")
    OutboundEmail.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - due_since, attempts=attempts, status=status
    )
    return row


def readyz(client: Any, query: str = "") -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz" + query)
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.status_code, response.json()


def test_all_fresh_is_ok_and_says_nothing_personal(client: Any) -> None:
    all_fresh()
    town = MunicipalityFactory()
    mail(town, due_since=timedelta(seconds=-600))  # queued for later: not due
    mail(town, due_since=timedelta(days=3), status="sent")
    status, body = readyz(client)
    assert status == 200
    assert body["status"] == "ok" and body["problems"] == []
    assert body["database"]["ok"] is True and body["database"]["ms"] >= 0
    assert body["outbox"] == {"due": 0, "oldest_due_seconds": None, "retrying": 0, "failed": 0}
    assert {c["command"] for c in body["commands"]} == {job.command for job in schedule.all()}
    send_mail = next(c for c in body["commands"] if c["command"] == "send-mail")
    assert send_mail["late"] is False and send_mail["late_after_seconds"] == 600
    assert 55 <= send_mail["seconds_since_success"] <= 120
    assert readyz(client, "?strict=1")[0] == 200
    text = client.get("/readyz").content.decode()
    assert "example.jp" not in text and "住民票" not in text and town.slug not in text
    # /healthz stays the cheap liveness probe
    health = client.get("/healthz")
    assert health.status_code == 200 and health.content == b"ok"


def test_a_stale_command_and_an_outbox_backlog_degrade_and_strict_answers_503(client: Any) -> None:
    late = schedule.get("generate-booking-slots").late_after
    all_fresh(**{"generate-booking-slots": late + timedelta(minutes=5)})
    town = MunicipalityFactory()
    mail(town, due_since=timedelta(hours=2))
    mail(town, due_since=timedelta(minutes=1))
    status, body = readyz(client)
    # a working web server stays in the load balancer
    assert status == 200
    assert body["status"] == "degraded"
    assert body["problems"] == ["outbox.oldest_due", "command.late:generate-booking-slots"]
    assert body["outbox"]["due"] == 2
    assert 2 * 3600 - 5 <= body["outbox"]["oldest_due_seconds"] <= 2 * 3600 + 60
    stale = next(c for c in body["commands"] if c["command"] == "generate-booking-slots")
    assert stale["late"] is True and stale["seconds_since_success"] > stale["late_after_seconds"]
    assert [c["command"] for c in body["commands"] if c["late"]] == ["generate-booking-slots"]
    strict_status, strict_body = readyz(client, "?strict=1")
    assert strict_status == 503 and strict_body["status"] == "degraded"


def test_a_command_that_never_ran_is_late(client: Any) -> None:
    all_fresh()
    CommandRun.objects.filter(name="purge-expired").delete()
    status, body = readyz(client)
    assert status == 200 and body["problems"] == ["command.late:purge-expired"]
    never = next(c for c in body["commands"] if c["command"] == "purge-expired")
    assert never["last_succeeded_at"] is None and never["seconds_since_success"] is None


def test_a_failing_command_and_retried_or_given_up_mail(client: Any, settings: Any) -> None:
    all_fresh()
    CommandRun.objects.filter(name="apply-retention").update(
        consecutive_failures=2,
        last_failed_at=timezone.now(),
        last_error="IntegrityError: duplicate key value violates unique constraint",
    )
    town = MunicipalityFactory()
    settings.YAKUSHO_READINESS = {**settings.YAKUSHO_READINESS, "OUTBOX_MAX_RETRYING": 1, "OUTBOX_MAX_DUE": 1}
    mail(town, due_since=timedelta(minutes=-30), attempts=3)  # waiting for its next try
    mail(town, due_since=timedelta(seconds=30), attempts=1)
    mail(town, due_since=timedelta(days=1), attempts=12, status="failed")
    mail(town, due_since=timedelta(seconds=10))
    status, body = readyz(client)
    assert status == 200 and body["status"] == "degraded"
    assert body["problems"] == ["outbox.due", "outbox.retrying", "command.failing:apply-retention"]
    assert body["outbox"]["due"] == 2 and body["outbox"]["retrying"] == 2 and body["outbox"]["failed"] == 1
    failing = next(c for c in body["commands"] if c["command"] == "apply-retention")
    assert failing["failing"] is True and failing["late"] is False and failing["consecutive_failures"] == 2
    # the exception's class, not its message (which may quote data)
    assert failing["last_error_type"] == "IntegrityError"
    assert "duplicate key" not in json.dumps(body)


@pytest.mark.parametrize("value", ["0", "", "no", "strict", "1' OR '1'='1", "１", "%E3%81%AF%E3%81%84"])
def test_only_a_yes_value_makes_it_strict(client: Any, value: str) -> None:
    CommandRun.objects.all().delete()  # every command late: degraded
    assert readyz(client, "?" + "strict=" + value)[0] == 200
    assert readyz(client, "?strict=TRUE")[0] == 503


def test_only_get_and_head(client: Any) -> None:
    assert client.post("/readyz").status_code == 405
    assert client.head("/readyz").status_code == 200


def test_the_queries_do_not_grow_with_the_data(client: Any, django_assert_num_queries: Any) -> None:
    all_fresh()
    with django_assert_num_queries(3):  # SELECT 1, the outbox's figures, the commands' runs
        readyz(client)
    town = MunicipalityFactory()
    for hours in range(30):
        mail(town, due_since=timedelta(hours=hours), attempts=hours % 3)
    CommandRun.objects.create(name="a-command-no-longer-scheduled", runs=1)
    with django_assert_num_queries(3):
        assert readyz(client)[1]["outbox"]["due"] == 30


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.once  # a server process of its own, whatever the test database
@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param("sqlite:////nonexistent-yakusho-dir/yakusho.sqlite3", id="sqlite-unopenable"),
        pytest.param("postgres://yakusho@127.0.0.1:{port}/yakusho", id="postgres-closed-port"),
    ],
)
def test_a_database_that_does_not_answer_gives_503(database_url: str) -> None:
    """A real server process whose database is gone: 503 with the error's class, never a 500."""
    script = (
        "import django, json; django.setup();"
        "from django.test.utils import setup_test_environment; setup_test_environment();"
        "from django.test import Client; r = Client().get('/readyz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json(), 'cache': r['Cache-Control']}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yakusho.settings_test",
        "DATABASE_URL": database_url.format(port=closed_port()),
        "PGCONNECT_TIMEOUT": "3",
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["status"] == "unavailable" and answer["body"]["problems"] == ["database"]
    assert answer["body"]["database"] == {"ok": False, "error": "OperationalError"}
    assert "no-store" in answer["cache"]
    # the driver's message (host, user, database name) is not shown
    assert "yakusho@" not in done.stdout and "nonexistent" not in done.stdout
