"""``yakusho import-plan FILE…``: import plan files, each all or nothing."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yakusho.plans.planfile.files import PlanFileInvalid
from yakusho.plans.planfile.importer import import_file


class Command(BaseCommand):
    help = "Import plan files (YAML). A file with any error imports nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="+")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = 0
        for name in options["files"]:
            started = time.perf_counter()
            try:
                result = import_file(name)
            except PlanFileInvalid as exc:
                failed += 1
                for error in exc.errors:
                    self.stderr.write(str(error))
                continue
            seconds = time.perf_counter() - started
            if result.created:
                counts = ", ".join(f"{v} {k}" for k, v in result.counts.items())
                self.stdout.write(f"{name}: imported {result.edition} ({counts}) in {seconds:.2f} s")
            else:
                self.stdout.write(f"{name}: unchanged ({result.edition} is already imported)")
        if failed:
            raise CommandError(f"{failed} file(s) not imported / 取り込めなかったファイルがあります")
