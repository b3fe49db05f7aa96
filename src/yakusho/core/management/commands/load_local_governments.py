"""``yakusho load-local-governments [FILE]``: load the national list of local governments.

Without FILE, the bundled list (``data/national/local-governments.csv``). A newer list (in that
format, or the carrier's ``code,prefecture,city,prefecture_kana,city_kana``) updates names and
readings, adds new codes and gives a code that has disappeared its end date; nothing is deleted.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yakusho.core import localgov
from yakusho.core.models import LocalGovernment


class Command(BaseCommand):
    help = "Load the national list of local governments (全国地方公共団体コード); never deletes a code."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", help="CSV file; default: the bundled list")
        parser.add_argument(
            "--as-of",
            help="date of the list (YYYY-MM-DD): new codes are valid from it, vanished codes end on it; "
            "default: today (none for the first load)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]) if options["file"] else localgov.bundled_path()
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            raise CommandError(f"ファイル {path} がありません。") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path} は UTF-8 ではありません。UTF-8 で保存してください。") from None
        try:
            rows = localgov.read_list(text)
        except localgov.ListError as exc:
            raise CommandError(f"{path}：{exc}") from None
        first = not LocalGovernment.objects.exists()
        as_of: date | None = None
        if options["as_of"]:
            try:
                as_of = date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(
                    f"--as-of「{options['as_of']}」は日付（例：2024-01-01）ではありません。"
                ) from None
        elif not first:
            as_of = date.today()
        result = localgov.load(rows, None if first and not options["as_of"] else as_of)
        self.stdout.write(f"{path}：{len(rows)}件を読み込みました。")
        for line in result.lines():
            self.stdout.write(line)
