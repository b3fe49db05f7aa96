"""``yakusho send-booking-reminders``: queue reminders for tomorrow's bookings (safe to repeat)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from yakusho.bookings.services import send_reminders
from yakusho.core.scheduling import ScheduledCommand


class Command(ScheduledCommand):
    help = "Queue a reminder for each of tomorrow's bookings, once per booking; `send-mail` delivers."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today in Tokyo)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        self.stdout.write(
            f"queued {send_reminders(today)} booking reminder(s) for the day after {today.isoformat()}"
        )
