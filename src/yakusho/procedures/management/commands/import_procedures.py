"""``yakusho import-procedures FILE…``: import procedure files, each all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yakusho.procedures.catalogue.files import ProcedureFileInvalid, import_file


class Command(BaseCommand):
    help = "Import procedure files (YAML) with their form files. A file with any error imports nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="+")
        parser.add_argument(
            "--forms", help="folder of the form files (<slug>--<key>.json); default: DATA_DIR/forms"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        forms = Path(options["forms"]) if options.get("forms") else None
        failed = 0
        for name in options["files"]:
            try:
                result = import_file(name, forms_directory=forms)
            except ProcedureFileInvalid as exc:
                failed += 1
                for error in exc.errors:
                    self.stderr.write(str(error))
                continue
            self.stdout.write(f"{name}: {result}")
            for warning in result.warnings:
                self.stderr.write(f"{name}: {warning}")
        if failed:
            raise CommandError(f"{failed} file(s) not imported / 取り込めなかったファイルがあります")
