"""``yakusho reconcile-payments``: online payments whose provider's notification never came.

Every online payment still pending a few minutes after it began is looked up at its provider and
brought to the provider's state (paid, or failed when declined or canceled); one the provider
cannot answer for is asked again next time (docs/payments.md "Online payment")."""

from __future__ import annotations

from typing import Any

from yakusho.core.scheduling import ScheduledCommand
from yakusho.payments import services


class Command(ScheduledCommand):
    help = "Ask the payment provider for online payments still pending and apply their state."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = services.reconcile()
        done = "checked {checked}, paid {paid}, failed {failed}".format(**counts)
        self.stdout.write(f"{done}, provider did not answer for {counts['unanswered']}")
