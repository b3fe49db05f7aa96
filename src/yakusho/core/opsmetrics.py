"""Operator metrics in the Prometheus text format, at ``/-/metrics`` (docs/monitoring.md).

Not the ``metrics`` app (which carries the figures a KPI takes as its actuals): these are for the
people who keep the servers running — requests and latency by view, time spent in the database, the
outbox backlog, submissions and bookings in the last hour.

Off unless ``YAKUSHO_METRICS_TOKEN`` is set (at least :data:`MIN_TOKEN_LENGTH` characters, or the
system check :func:`check_token` refuses to start). Two kinds of figures:

- **per process**, counted by :class:`yakusho.core.requestlog.RequestMiddleware` as requests are
  answered: under ``yakusho serve`` each gunicorn worker writes them to files in
  ``PROMETHEUS_MULTIPROC_DIR`` (``prometheus-client``'s multiprocess mode, set up by the command),
  and a scrape adds up every worker's files; without that variable (``runserver``, the tests) they
  live in this process;
- **at scrape time**, read from the database when Prometheus asks: the outbox here, and what apps
  contribute from their own ``ops_metrics.py`` (core imports no other app)::

      from yakusho.core.opsmetrics import ops_gauges

      ops_gauges.register("submissions_last_hour", "申請（直近1時間の受付数）", submissions_last_hour)

``prometheus_client`` is imported only when a figure is first counted or scraped, never at start-up:
the library chooses its single- or multi-process storage once, when first imported, and
``yakusho serve`` sets the variable before that.
"""

from __future__ import annotations

import hmac
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.checks import Error, register
from django.db import DatabaseError
from django.utils import timezone

from yakusho.core.registry import Registry

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram

log = logging.getLogger(__name__)

#: the shortest token accepted (a 32-character random token; ``secrets.token_urlsafe(32)`` gives 43)
MIN_TOKEN_LENGTH = 32
#: the environment variable prometheus-client reads for its multiprocess mode
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: the view label of a request no URL pattern matched (and of static files, served before routing)
UNRESOLVED = "unresolved"
STATIC = "static"

#: request latency buckets (seconds): a page answers in tens of milliseconds, an export in seconds
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: database time per request (seconds)
DB_TIME_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
#: queries per request: a steady page makes a handful; hundreds mean a loop of queries
QUERY_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


# --- scrape-time gauges that apps contribute ------------------------------------------------------


@dataclass(frozen=True)
class OpsGauge:
    #: the metric's name after ``yakusho_`` (``submissions_last_hour``)
    name: str
    #: Prometheus' HELP text
    description: str
    #: reads the current value from the database (called at each scrape)
    read: Callable[[], float]


class OpsGauges(Registry[OpsGauge]):
    def __init__(self) -> None:
        super().__init__("operator gauge", module="ops_metrics", key_pattern=r"^[a-z][a-z0-9_]{0,59}$")

    def register(self, name: str, description: str, read: Callable[[], float]) -> OpsGauge:
        return self.add(name, OpsGauge(name, description, read))


ops_gauges = OpsGauges()


def last_hour() -> timedelta:
    """The window of the ``*_last_hour`` gauges."""
    return timedelta(hours=1)


# --- enabling and the token -----------------------------------------------------------------------


def token() -> str:
    return str(getattr(settings, "YAKUSHO_METRICS_TOKEN", "") or "")


def enabled() -> bool:
    return bool(token())


def token_matches(authorization: str) -> bool:
    """Whether an ``Authorization`` header carries the token as ``Bearer <token>`` (constant time)."""
    expected = token()
    scheme, _, given = authorization.strip().partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


@register()
def check_token(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    value = token()
    if value and len(value) < MIN_TOKEN_LENGTH:
        return [
            Error(
                f"YAKUSHO_METRICS_TOKEN is {len(value)} characters long; "
                f"at least {MIN_TOKEN_LENGTH} are needed.",
                hint="Make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))' "
                "(or leave it unset to keep /-/metrics off).",
                id="yakusho.E021",
            )
        ]
    return []


# --- per-process figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessMetrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    db_time: Histogram
    db_queries: Histogram


@cache
def process_metrics() -> ProcessMetrics:
    """The request metrics of this process, made at first use (see the module's note on imports)."""
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry(auto_describe=True)
    return ProcessMetrics(
        registry=registry,
        requests=Counter(
            "yakusho_http_requests",
            "Requests answered, by view (URL name), method and status code",
            ["view", "method", "status"],
            registry=registry,
        ),
        latency=Histogram(
            "yakusho_http_request_duration_seconds",
            "Time from the request's arrival to its response, by view",
            ["view"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        db_time=Histogram(
            "yakusho_http_db_duration_seconds",
            "Time a request spent in database queries, by view",
            ["view"],
            buckets=DB_TIME_BUCKETS,
            registry=registry,
        ),
        db_queries=Histogram(
            "yakusho_http_db_queries",
            "Database queries a request made, by view",
            ["view"],
            buckets=QUERY_BUCKETS,
            registry=registry,
        ),
    )


def observe_request(
    view: str, method: str, status: int, seconds: float, db_seconds: float, db_queries: int
) -> None:
    """Count one answered request (labels are bounded: a URL name, a method, a status code)."""
    metrics = process_metrics()
    metrics.requests.labels(view=view, method=method, status=str(status)).inc()
    metrics.latency.labels(view=view).observe(seconds)
    metrics.db_time.labels(view=view).observe(db_seconds)
    metrics.db_queries.labels(view=view).observe(db_queries)


#: the methods a label may name; anything else is counted as "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str | None) -> str:
    return method if method in METHODS else "other"


# --- scrape ---------------------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class DatabaseCollector:
    """The figures read from the database at each scrape: the outbox and the apps' gauges.

    A database that does not answer gives ``yakusho_scrape_database_ok 0`` (and the per-process
    figures as usual), never a failed scrape."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        families: list[Any] = []
        ok = 1.0
        try:
            families.extend(outbox_families())
        except DatabaseError:
            log.warning("ops metrics: the outbox could not be read", exc_info=True)
            ok = 0.0
        for gauge in ops_gauges.all():
            try:
                value = float(gauge.read())
            except DatabaseError:
                log.warning("ops metrics: %s could not be read", gauge.name, exc_info=True)
                ok = 0.0
                continue
            families.append(GaugeMetricFamily(f"yakusho_{gauge.name}", gauge.description, value=value))
        families.append(
            GaugeMetricFamily(
                "yakusho_scrape_database_ok", "1 if every database figure of this scrape was read", value=ok
            )
        )
        yield from families


def outbox_families() -> list[Any]:
    from django.db.models import Count, Min, Q
    from prometheus_client.core import GaugeMetricFamily

    from yakusho.core.models import OutboundEmail

    now = timezone.now()
    Status = OutboundEmail.Status
    due = Q(status=Status.QUEUED, next_attempt_at__lte=now)
    figures = OutboundEmail.objects.aggregate(
        due=Count("pk", filter=due),
        oldest=Min("next_attempt_at", filter=due),
        given_up=Count("pk", filter=Q(status=Status.FAILED)),
    )
    oldest_age = (now - figures["oldest"]).total_seconds() if figures["oldest"] else 0.0
    return [
        GaugeMetricFamily(
            "yakusho_outbox_due_mails", "Mails due to be sent and not sent yet", value=figures["due"]
        ),
        GaugeMetricFamily(
            "yakusho_outbox_oldest_due_age_seconds",
            "How long the oldest due mail has waited since it fell due (0 if none is due)",
            value=max(oldest_age, 0.0),
        ),
        GaugeMetricFamily(
            "yakusho_outbox_given_up_mails",
            "Mails whose delivery was given up after the last attempt (status failed)",
            value=figures["given_up"],
        ),
    ]


class _ThisProcess:
    """The per-process figures of this process, when not in multiprocess mode."""

    def collect(self) -> Iterator[Any]:
        yield from process_metrics().registry.collect()


def scrape_registry() -> CollectorRegistry:
    """A registry for one scrape: every worker's figures (or this process's) and the database's."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    path = multiprocess_dir()
    if path:
        MultiProcessCollector(registry, path=path)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector())
    return registry


def render() -> tuple[bytes, str]:
    """The scrape's body and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(scrape_registry()), CONTENT_TYPE_LATEST


# --- yakusho serve ----------------------------------------------------------------------------------


def prepare_multiprocess_dir() -> Path:
    """For ``yakusho serve`` with metrics on, before the workers fork: the directory the workers
    write their figures to (``PROMETHEUS_MULTIPROC_DIR``, or ``var/prometheus``), emptied of a
    previous run's files and named in the environment the workers inherit."""
    path = Path(os.environ.get(MULTIPROC_ENV) or Path(settings.VAR_DIR) / "prometheus")
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)
    if "prometheus_client.values" in sys.modules:  # imported before the variable was set
        from prometheus_client import values

        values.ValueClass = values.get_value_class()
    return path


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's ``child_exit`` hook: a worker's live gauges go with it (its counts stay)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
