"""``yakusho send-reminders``: queue today's review reminders (safe to run repeatedly)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from yakusho.core.scheduling import ScheduledCommand
from yakusho.plans.review.reminders import send_reminders


class Command(ScheduledCommand):
    help = "Queue review reminders for today (no duplicates); `send-mail` delivers them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today in Tokyo)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        self.stdout.write(f"queued {send_reminders(today)} reminder(s) for {today.isoformat()}")
