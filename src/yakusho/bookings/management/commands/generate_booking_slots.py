"""``yakusho generate-booking-slots``: materialise slots for every active resource's booking window.

Run it daily (cron): each run adds the day that has just come into the window; existing slots are
kept, so it is safe to repeat.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from yakusho.bookings.slots import generate_all
from yakusho.core.scheduling import ScheduledCommand


class Command(ScheduledCommand):
    help = "Create the booking slots of every active resource from its opening hours over its booking window."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today in Tokyo)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"created {generate_all(options['today'])} slot(s)")
