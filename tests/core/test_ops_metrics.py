"""Operator metrics at /-/metrics (issue 21): off by default, behind a token, bounded labels, the
outbox and the apps' gauges read at scrape, and gunicorn's workers added up in multiprocess mode."""

from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

# Imported before any test sets PROMETHEUS_MULTIPROC_DIR: the library picks its storage once, at import.
import prometheus_client.values  # noqa: F401
import pytest
from django.core.checks import run_checks
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.bookings.helpers import contact, make_resource, next_weekday, slot_at
from tests.factories import MunicipalityFactory
from tests.helpers import login_verified
from tests.procedures.submission_helpers import make_submission, private_media, town  # noqa: F401
from tests.servers import serving
from yakusho.bookings.models import Booking
from yakusho.bookings.services import book
from yakusho.core.models import OutboundEmail
from yakusho.core.opsmetrics import MIN_TOKEN_LENGTH, ops_gauges
from yakusho.procedures.models import Submission

TOKEN = "metrics-token-for-tests-0123456789abcdefghijklmnop"
URL = "/-/metrics"


@pytest.fixture
def metrics_on(settings: Any) -> str:
    settings.YAKUSHO_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels."""
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return samples(response.content.decode())


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(scraped: dict[Any, float], name: str, **labels: str) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


# --- protection ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_token_the_endpoint_does_not_exist(client: Any, settings: Any) -> None:
    settings.YAKUSHO_METRICS_TOKEN = ""
    assert client.get(URL).status_code == 404
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Basic {TOKEN}",
        TOKEN,
        "Bearer トークン",
        "Bearer \x00",
    ],
)
def test_a_missing_or_wrong_token_is_refused_with_401(
    client: Any, metrics_on: str, authorization: Any
) -> None:
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get(URL, **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "yakusho_" not in response.content.decode()


@pytest.mark.django_db
def test_the_right_token_gets_the_prometheus_text_format(client: Any, metrics_on: str) -> None:
    response = client.get(URL, HTTP_AUTHORIZATION=f"bearer  {TOKEN} ")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"]
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        "yakusho_outbox_due_mails",
        "yakusho_outbox_oldest_due_age_seconds",
        "yakusho_outbox_given_up_mails",
        "yakusho_submissions_last_hour",
        "yakusho_bookings_last_hour",
        "yakusho_scrape_database_ok",
    } <= names
    assert client.post(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def test_a_short_token_stops_the_start(settings: Any) -> None:
    settings.YAKUSHO_METRICS_TOKEN = "x" * (MIN_TOKEN_LENGTH - 1)
    assert "yakusho.E021" in [e.id for e in run_checks()]
    settings.YAKUSHO_METRICS_TOKEN = "x" * MIN_TOKEN_LENGTH
    assert "yakusho.E021" not in [e.id for e in run_checks()]


# --- per-request figures ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_by_url_name_never_by_path(client: Any, metrics_on: str) -> None:
    municipality = MunicipalityFactory(slug="metrics-town")
    before = scrape(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get(f"/m/{municipality.slug}/?q=secret-query-value").status_code == 200
    assert client.get("/no/such/page/for-metrics/").status_code == 404
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    total = "yakusho_http_requests_total"
    assert delta(total, view="healthz", method="GET", status="200") == 3
    assert delta(total, view="public:municipality", method="GET", status="200") == 1
    assert delta(total, view="unresolved", method="GET", status="404") == 1
    assert delta("yakusho_http_request_duration_seconds_count", view="healthz") == 3
    # the municipality's page reads the database: its queries and their time are counted
    assert delta("yakusho_http_db_queries_count", view="public:municipality") == 1
    assert delta("yakusho_http_db_queries_sum", view="public:municipality") >= 1
    assert delta("yakusho_http_db_duration_seconds_sum", view="public:municipality") > 0
    assert delta("yakusho_http_db_queries_sum", view="healthz") == 0
    body = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    for raw in ("metrics-town", "/m/", "secret-query-value", "for-metrics"):
        assert raw not in body


@pytest.mark.django_db
def test_no_personal_data_in_any_label(client: Any, metrics_on: str, town: dict[str, Any]) -> None:  # noqa: F811
    make_submission(town["dog"])  # 大江 花子, hanako@example.jp
    user = town["staff"]["admin"].user
    login_verified(client, user)
    assert client.get(f"/staff/m/{town['town'].slug}/").status_code in (200, 302)
    body = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    for personal in (user.email, "hanako@example.jp", "花子", town["town"].slug):
        assert personal not in body
    labels = {
        key for family in text_string_to_metric_families(body) for s in family.samples for key in s.labels
    }
    assert labels <= {"view", "method", "status", "le"}


# --- figures read at scrape ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_outbox_backlog_is_read_at_scrape(client: Any, metrics_on: str) -> None:
    municipality = MunicipalityFactory()
    now = timezone.now()

    def mail(status: str, due: timedelta) -> None:
        OutboundEmail.objects.create(
            municipality=municipality,
            from_email="dx@example.jp",
            to=["resident@example.jp"],
            subject="s",
            body="b",
            status=status,
            next_attempt_at=now + due,
        )

    empty = scrape(client)
    assert value(empty, "yakusho_outbox_due_mails") == 0
    assert value(empty, "yakusho_outbox_oldest_due_age_seconds") == 0
    mail(OutboundEmail.Status.QUEUED, -timedelta(minutes=30))  # due for half an hour
    mail(OutboundEmail.Status.QUEUED, -timedelta(minutes=1))
    mail(OutboundEmail.Status.QUEUED, timedelta(minutes=5))  # not yet due
    mail(OutboundEmail.Status.SENT, -timedelta(hours=2))
    mail(OutboundEmail.Status.FAILED, -timedelta(hours=1))
    scraped = scrape(client)
    assert value(scraped, "yakusho_outbox_due_mails") == 2
    assert value(scraped, "yakusho_outbox_given_up_mails") == 1
    assert 30 * 60 <= value(scraped, "yakusho_outbox_oldest_due_age_seconds") < 31 * 60
    assert value(scraped, "yakusho_scrape_database_ok") == 1


@pytest.mark.django_db
def test_submissions_and_bookings_of_the_last_hour(
    client: Any,
    metrics_on: str,
    town: dict[str, Any],  # noqa: F811
) -> None:
    before = scrape(client)
    recent = make_submission(town["dog"]).submission
    old = make_submission(town["dog"]).submission
    Submission.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(hours=2))
    resource = make_resource(town["town"])
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    book(slot.pk, contact(1))
    old_booking = book(slot_at(resource, next_weekday(timezone.localdate()), hour=11).pk, contact(2))
    Booking.objects.filter(pk=old_booking.pk).update(created_at=timezone.now() - timedelta(hours=3))
    after = scrape(client)
    assert recent.pk
    assert value(after, "yakusho_submissions_last_hour") - value(before, "yakusho_submissions_last_hour") == 1
    assert value(after, "yakusho_bookings_last_hour") - value(before, "yakusho_bookings_last_hour") == 1


@pytest.mark.django_db
def test_a_gauge_that_cannot_be_read_does_not_fail_the_scrape(client: Any, metrics_on: str) -> None:
    def broken() -> float:
        raise DatabaseError("the database went away")

    with ops_gauges.isolated(keep=True):
        ops_gauges.register("broken_for_test", "a gauge whose query fails", broken)
        scraped = scrape(client)
    assert value(scraped, "yakusho_scrape_database_ok") == 0
    assert ("yakusho_broken_for_test", ()) not in scraped
    assert ("yakusho_outbox_due_mails", ()) in scraped


# --- gunicorn's workers, added up ------------------------------------------------------------------


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _server_processes(var_dir: Path) -> tuple[int, set[int]]:
    """The gunicorn master started with ``YAKUSHO_VAR_DIR=var_dir`` and its workers (by environment)."""
    wanted = f"YAKUSHO_VAR_DIR={var_dir}".encode()
    found: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and wanted in (proc / "environ").read_bytes().split(b"\0"):
                found[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:  # gone meanwhile
            continue
    (master,) = [pid for pid, parent in found.items() if parent not in found]
    return master, {pid for pid, parent in found.items() if parent == master}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_workers_of_yakusho_serve_are_added_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    metrics_dir = tmp_path / "metrics-files"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left over from a previous run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    monkeypatch.setenv("YAKUSHO_METRICS_TOKEN", TOKEN)
    log = tmp_path / "server.log"
    with log.open("w") as output, serving(tmp_path, args=("--workers", "2"), output=output) as (base,):
        assert not (metrics_dir / "counter_999999.db").exists()  # cleaned at start
        assert _get(base + URL)[0] == 401

        def healthz_count() -> float:
            status, body = _get(base + URL, TOKEN)
            assert status == 200
            return value(
                samples(body), "yakusho_http_requests_total", view="healthz", method="GET", status="200"
            )

        start = healthz_count()
        for _ in range(10):
            assert _get(base + "/healthz")[0] == 200
        assert healthz_count() == start + 10
        # Every worker stops; gunicorn starts new ones. What the old ones counted stays in their files.
        _, old = _server_processes(tmp_path)
        assert len(old) == 2
        for pid in old:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while not ((new := _server_processes(tmp_path)[1]) and len(new) == 2 and not new & old):
            assert time.monotonic() < deadline, "gunicorn did not start new workers"
            time.sleep(0.1)
        for _ in range(7):
            assert _get(base + "/healthz")[0] == 200
        assert healthz_count() == start + 17
        files = {p.name for p in metrics_dir.glob("counter_*.db")}
        assert {f"counter_{pid}.db" for pid in old} & files  # the stopped workers' counts
        assert {f"counter_{pid}.db" for pid in new} & files  # and the new workers'
    written = log.read_text("utf-8")
    assert "Operator metrics: /-/metrics" in written
    assert "Traceback" not in written
    assert TOKEN not in written
