"""``yakusho send-mail``: deliver due mail from the outbox (safe to run anywhere, any time)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from yakusho.core.outbox import deliver_due
from yakusho.core.scheduling import record_run


class Command(BaseCommand):
    help = "Deliver queued e-mail; failures are retried later with backoff."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", type=int, default=100)
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument("--interval", type=float, default=30.0)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            # each round is one recorded run: the worker (``--loop``) shows up as alive in /readyz
            with record_run("send-mail"):
                report = deliver_due(limit=options["limit"])
            self.stdout.write(f"sent {report.sent}, failed {report.failed}, given up {report.given_up}")
            if not options["loop"]:
                return
            time.sleep(options["interval"])
