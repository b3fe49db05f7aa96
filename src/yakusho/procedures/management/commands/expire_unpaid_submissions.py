"""``yakusho expire-unpaid-submissions``: submissions whose fee is paid before they count and that
are still unpaid (支払待ち) ``YAKUSHO_SUBMISSION_PAYMENT_HOURS`` after they were stored are erased —
they never counted as submitted (docs/payments.md "Paying online"). Scheduled hourly."""

from __future__ import annotations

from typing import Any

from yakusho.core.scheduling import ScheduledCommand
from yakusho.procedures.submissions.payment import expire_unpaid


class Command(ScheduledCommand):
    help = (
        "Erase submissions still waiting for their online payment (支払待ち) after "
        "YAKUSHO_SUBMISSION_PAYMENT_HOURS (default 24), unless their payment is still at the provider."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        erased = expire_unpaid()
        self.stdout.write(f"erased {erased} unpaid submission(s)")
