"""``yakusho backup [--output PATH] [--keep N]``: the database and every stored file in one archive.

See :mod:`yakusho.core.backup` for what the archive holds and docs/backup.md for the schedule, the
recovery point and copying archives off the host. Runs are recorded (``/readyz`` reports a late one).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yakusho.core.backup import BackupError, create_backup, default_directory, human_seconds, human_size
from yakusho.core.scheduling import ScheduledCommand


class Command(ScheduledCommand):
    help = (
        "Write one archive (.tar.gz) with the database (pg_dump or SQLite's backup API), every file "
        "under MEDIA_ROOT and a manifest with checksums."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--output",
            default=None,
            help=(
                "a directory (a timestamped name is made in it) or a new file; "
                f"default: {default_directory()}"
            ),
        )
        parser.add_argument(
            "--keep", type=int, default=None, help="then keep only the newest N archives of that directory"
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = create_backup(options["database"], options["output"], options["keep"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:  # a full disk, a folder it may not write
            raise CommandError(
                _("バックアップを書けませんでした（途中のファイルは消しました）: %(error)s") % {"error": exc}
            ) from None
        self.stdout.write(
            ngettext(
                "データベース（%(vendor)s）: テーブル %(tables)d 個、%(rows)s 行、"
                "%(size)s を %(seconds)s 秒で書き出しました。",
                "データベース（%(vendor)s）: テーブル %(tables)d 個、%(rows)s 行、"
                "%(size)s を %(seconds)s 秒で書き出しました。",
                result.tables,
            )
            % {
                "vendor": result.vendor,
                "tables": result.tables,
                "rows": f"{result.rows:,}",
                "size": human_size(result.database_size),
                "seconds": human_seconds(result.database_seconds),
            }
        )
        self.stdout.write(
            ngettext(
                "ファイル: %(root)s から %(count)s 件、%(size)s。",
                "ファイル: %(root)s から %(count)s 件、%(size)s。",
                result.files,
            )
            % {"root": result.media_root, "count": f"{result.files:,}", "size": human_size(result.file_bytes)}
        )
        if result.skipped:
            self.stdout.write(
                self.style.WARNING(
                    _("入れなかったもの（通常のファイルでないか、読む前に消えたもの）: %(names)s")
                    % {"names": "、".join(result.skipped[:20])}
                )
            )
        self.stdout.write(
            _("アーカイブ: %(path)s（%(size)s、sha256 %(sha)s）")
            % {"path": result.path, "size": human_size(result.size), "sha": result.sha256}
        )
        if result.removed:
            self.stdout.write(
                ngettext(
                    "古いアーカイブを %(count)d 件消しました（--keep %(keep)d）: %(names)s",
                    "古いアーカイブを %(count)d 件消しました（--keep %(keep)d）: %(names)s",
                    len(result.removed),
                )
                % {
                    "count": len(result.removed),
                    "keep": options["keep"],
                    "names": "、".join(p.name for p in result.removed),
                }
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("バックアップが終わりました（%(seconds)s 秒）。")
                % {"seconds": human_seconds(result.seconds)}
            )
        )
