"""``yakusho discard-counter-visits``: counter visits left unfinished are abandoned, and the
personal data of visits older than ``YAKUSHO_COUNTER_DISCARD_HOURS`` is erased (cron, hourly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from yakusho.core.scheduling import ScheduledCommand
from yakusho.procedures.counter.services import discard_hours, discard_stale


class Command(ScheduledCommand):
    help = (
        "Mark counter visits not finished within YAKUSHO_COUNTER_DISCARD_HOURS (default 8) as abandoned "
        "and erase the personal data (identity, facts, answers) of every visit older than that."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--hours", type=int, default=None, help="override the setting (at least 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options["hours"] if options["hours"] is not None else discard_hours()
        if hours < 1:
            raise CommandError("--hours must be at least 1")
        report = discard_stale(hours=hours)
        self.stdout.write(
            f"abandoned {report.abandoned} unfinished visit(s); erased the personal data of "
            f"{report.erased} visit(s) older than {hours} hour(s)"
        )
