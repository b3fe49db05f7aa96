"""``yakusho validate-plan FILE…``: check plan files without importing anything."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yakusho.plans.planfile.files import PlanFileInvalid, read, validate_semantics
from yakusho.plans.reference import sync_reference


class Command(BaseCommand):
    help = "Validate plan files (YAML). Prints every error with file, line and field."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="+")

    def handle(self, *args: Any, **options: Any) -> None:
        sync_reference()
        failed = 0
        for name in options["files"]:
            try:
                plan, parsed = read(name)
                validate_semantics(plan, parsed)
            except PlanFileInvalid as exc:
                failed += 1
                for error in exc.errors:
                    self.stderr.write(str(error))
                continue
            counts = f"{len(plan.nodes)} nodes, {len(plan.schedule)} schedule rows, {len(plan.kpis)} KPIs"
            self.stdout.write(f"{name}: ok ({counts})")
        if failed:
            raise CommandError(f"{failed} file(s) invalid / 不正なファイルがあります")
