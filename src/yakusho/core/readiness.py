"""The readiness check behind ``/readyz``: the database, the mail outbox and the scheduled commands.

``/healthz`` says only that a server process answers. This says whether the installation does its
work: the database answers (and how fast), mail leaves the outbox, and every scheduled command of
:data:`yakusho.core.scheduling.schedule` has succeeded within its ``late_after``. Three queries,
whatever the amount of data. Nothing personal: counts, ages and command names only.

- ``unavailable`` — the database does not answer: the server cannot serve (HTTP 503).
- ``degraded`` — the server serves, but mail piles up or a command is late or failing (HTTP 200, so a
  load balancer keeps a working server; ``?strict=1`` answers 503 for monitors that read the status).
- ``ok`` — nothing to report.

Thresholds: ``settings.YAKUSHO_READINESS`` (environment ``YAKUSHO_READY_*``, docs/operations.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Count, Min, Q
from django.utils import timezone

from yakusho.core.models import CommandRun, OutboundEmail
from yakusho.core.scheduling import ScheduledJob, schedule

OK = "ok"
DEGRADED = "degraded"
UNAVAILABLE = "unavailable"


@dataclass
class Readiness:
    status: str
    #: short machine-readable reasons for ``degraded`` (``outbox.due``, ``command.late:send-mail``)
    problems: list[str] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "problems": self.problems, **self.report}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _seconds(since: datetime | None, now: datetime) -> int | None:
    return max(int((now - since).total_seconds()), 0) if since else None


def _database(using: str) -> dict[str, Any]:
    started = time.perf_counter()
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _outbox(now: datetime, limits: dict[str, int], problems: list[str], using: str) -> dict[str, Any]:
    queued = Q(status=OutboundEmail.Status.QUEUED)
    due = queued & Q(next_attempt_at__lte=now)
    figures = OutboundEmail.objects.using(using).aggregate(
        due=Count("pk", filter=due),
        oldest_due=Min("next_attempt_at", filter=due),
        retrying=Count("pk", filter=queued & Q(attempts__gt=0)),
        failed=Count("pk", filter=Q(status=OutboundEmail.Status.FAILED)),
    )
    oldest = _seconds(figures["oldest_due"], now)
    if figures["due"] > limits["OUTBOX_MAX_DUE"]:
        problems.append("outbox.due")
    if oldest is not None and oldest > limits["OUTBOX_MAX_DUE_AGE_SECONDS"]:
        problems.append("outbox.oldest_due")
    if figures["retrying"] > limits["OUTBOX_MAX_RETRYING"]:
        problems.append("outbox.retrying")
    return {
        "due": figures["due"],
        "oldest_due_seconds": oldest,
        "retrying": figures["retrying"],
        "failed": figures["failed"],
    }


def _commands(
    jobs: list[ScheduledJob], now: datetime, limits: dict[str, int], problems: list[str], using: str
) -> list[dict[str, Any]]:
    runs = {
        run.name: run for run in CommandRun.objects.using(using).filter(name__in=[j.command for j in jobs])
    }
    out = []
    for job in jobs:
        run = runs.get(job.command)
        succeeded = run.last_succeeded_at if run else None
        late = succeeded is None or now - succeeded > job.late_after
        failures = run.consecutive_failures if run else 0
        failing = failures >= limits["COMMAND_MAX_FAILURES"] > 0
        if late:
            problems.append(f"command.late:{job.command}")
        if failing:
            problems.append(f"command.failing:{job.command}")
        out.append(
            {
                "command": job.command,
                "late": late,
                "failing": failing,
                "last_succeeded_at": _iso(succeeded),
                "seconds_since_success": _seconds(succeeded, now),
                "late_after_seconds": int(job.late_after.total_seconds()),
                "last_failed_at": _iso(run.last_failed_at if run else None),
                "consecutive_failures": failures,
                # the exception's class only: the rest of the message may quote data
                "last_error_type": (run.last_error.split(":", 1)[0] if run and run.last_error else None),
            }
        )
    return out


def check(now: datetime | None = None, using: str = DEFAULT_DB_ALIAS) -> Readiness:
    """The installation's readiness now: never raises for a database that does not answer."""
    now = now or timezone.now()
    limits: dict[str, int] = settings.YAKUSHO_READINESS
    problems: list[str] = []
    try:
        database = _database(using)
        outbox = _outbox(now, limits, problems, using)
        commands = _commands(schedule.all(), now, limits, problems, using)
    except DatabaseError as exc:
        # the class only: a driver's message can name the host, the user or the database
        return Readiness(
            UNAVAILABLE,
            ["database"],
            {"checked_at": now.isoformat(), "database": {"ok": False, "error": type(exc).__name__}},
        )
    return Readiness(
        DEGRADED if problems else OK,
        problems,
        {"checked_at": now.isoformat(), "database": database, "outbox": outbox, "commands": commands},
    )
