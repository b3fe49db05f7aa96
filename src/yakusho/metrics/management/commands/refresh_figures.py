"""``yakusho refresh-figures``: measure and store the figures that are stale, wanted or running.

Pages read stored figures only (docs/architecture.md, "Metrics registry"); this command, run every
ten minutes, keeps them fresh.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import CommandError

from yakusho.core.models import Municipality
from yakusho.core.scheduling import ScheduledCommand
from yakusho.metrics import store
from yakusho.metrics.registry import registry


class Command(ScheduledCommand):
    help = (
        "Measure the metrics registry's figures that are stale, asked for, missing, or of a running "
        "period and older than --max-age, and store them."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--max-age",
            type=int,
            default=60,
            help="minutes after which a running period's figure is measured again (default 60)",
        )
        parser.add_argument("--municipality", help="only this municipality (its slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["max_age"] < 0:
            raise CommandError("--max-age must be 0 or more minutes")
        municipalities = None
        if options["municipality"]:
            municipalities = list(Municipality.objects.filter(slug=options["municipality"]))
            if not municipalities:
                raise CommandError(f"no municipality {options['municipality']!r}")
        count = store.refresh_due(
            registry, max_age=timedelta(minutes=options["max_age"]), municipalities=municipalities
        )
        self.stdout.write(f"measured {count} figure(s)")
