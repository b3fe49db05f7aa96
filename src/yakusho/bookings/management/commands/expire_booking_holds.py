"""``yakusho expire-booking-holds``: release unconfirmed bookings and untaken waitlist offers.

Run it every few minutes (cron); each booking attempt and each opened link also expires the holds
of its own slot, so the command only keeps the calendar and the waitlist moving between requests.
"""

from __future__ import annotations

from typing import Any

from yakusho.bookings.services import expire_holds
from yakusho.core.scheduling import ScheduledCommand


class Command(ScheduledCommand):
    help = "Expire pending bookings and waitlist offers past their time; freed places go to the waitlist."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"expired {expire_holds()} hold(s)")
