"""Scheduled commands: what runs when, and a record of each command's last runs.

Each app declares its scheduled commands in its own ``schedule.py`` (found by
:meth:`Registry.autodiscover` when core is ready), so that core imports no other app::

    schedule.register("expire-booking-holds", on_calendar="*:0/5", late_after=timedelta(minutes=20),
                      description="保留中の予約とキャンセル待ちの期限切れを処理")

The same entries give ``yakusho deploy-units`` its systemd timers and ``/readyz`` its expectations:
a command whose last successful run is older than ``late_after`` is reported as late.

A scheduled command records its runs in :class:`~yakusho.core.models.CommandRun` by subclassing
:class:`ScheduledCommand` (or, for a loop that runs for days, by wrapping each round in
:func:`record_run`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import F
from django.utils import timezone

from yakusho.core.registry import Registry


@dataclass(frozen=True)
class ScheduledJob:
    #: the ``yakusho`` command, with hyphens (``send-mail``)
    command: str
    #: systemd's OnCalendar expression (``man systemd.time``)
    on_calendar: str
    #: a last successful run older than this makes the readiness check report the command late
    late_after: timedelta
    description: str
    #: arguments of each timed run
    args: tuple[str, ...] = ()
    #: also (or instead) run as a long-lived worker service with these arguments (``--loop``)
    worker_args: tuple[str, ...] | None = None


class Schedule(Registry[ScheduledJob]):
    def __init__(self) -> None:
        super().__init__("scheduled command", module="schedule", key_pattern=r"^[a-z][a-z0-9-]{0,59}$")

    def register(
        self,
        command: str,
        *,
        on_calendar: str,
        late_after: timedelta,
        description: str,
        args: tuple[str, ...] = (),
        worker_args: tuple[str, ...] | None = None,
    ) -> ScheduledJob:
        return self.add(
            command, ScheduledJob(command, on_calendar, late_after, description, args, worker_args)
        )


schedule = Schedule()


def _error_line(exc: BaseException) -> str:
    """The exception's class and the first line of its message, short: no traceback, no data."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:200] if first else type(exc).__name__


@contextmanager
def record_run(name: str) -> Iterator[None]:
    """Record one run of the command ``name``: its start, then its success or failure (re-raised)."""
    from yakusho.core.models import CommandRun

    started = timezone.now()
    clock = time.monotonic()
    CommandRun.objects.get_or_create(name=name)
    CommandRun.objects.filter(name=name).update(last_started_at=started, runs=F("runs") + 1)
    try:
        yield
    except BaseException as exc:
        now = timezone.now()
        CommandRun.objects.filter(name=name).update(
            last_finished_at=now,
            last_failed_at=now,
            last_error=_error_line(exc),
            last_duration_ms=int((time.monotonic() - clock) * 1000),
            consecutive_failures=F("consecutive_failures") + 1,
        )
        raise
    now = timezone.now()
    CommandRun.objects.filter(name=name).update(
        last_finished_at=now,
        last_succeeded_at=now,
        last_duration_ms=int((time.monotonic() - clock) * 1000),
        consecutive_failures=0,
    )


def command_name(module: str) -> str:
    """``yakusho.bookings.management.commands.expire_booking_holds`` → ``expire-booking-holds``."""
    return module.rsplit(".", 1)[-1].replace("_", "-")


class ScheduledCommand(BaseCommand):
    """A management command whose runs are recorded for the readiness check."""

    def execute(self, *args: Any, **options: Any) -> Any:
        with record_run(command_name(type(self).__module__)):
            return super().execute(*args, **options)
