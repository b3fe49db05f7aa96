"""``yakusho export-plan <municipality>/<plan> [--edition N] [--format yaml|json]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yakusho.plans.models import Plan
from yakusho.plans.planfile.export import dump_json, dump_yaml, export_edition


class Command(BaseCommand):
    help = "Export a plan edition as a plan file (the current edition unless --edition)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("plan", help="<municipality slug>/<plan key>, e.g. oe/oe-dx")
        parser.add_argument("--edition", help="edition number (default: the current edition)")
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")

    def handle(self, *args: Any, **options: Any) -> None:
        slug, _, key = options["plan"].partition("/")
        plan = Plan.objects.filter(municipality__slug=slug, key=key).select_related("current_edition").first()
        if plan is None:
            raise CommandError(f"計画 {options['plan']} がありません (no such plan)")
        edition = plan.current_edition
        if options["edition"]:
            edition = plan.editions.filter(number=options["edition"]).first()
        if edition is None:
            raise CommandError(f"第{options['edition']}版がありません (no such edition)")
        data = export_edition(edition)
        self.stdout.write(dump_json(data) if options["format"] == "json" else dump_yaml(data), ending="")
