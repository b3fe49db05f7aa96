"""``yakusho restore ARCHIVE [--database ALIAS] [--check]``: an archive of ``yakusho backup`` back
into an empty database and an empty MEDIA_ROOT.

1. The whole archive is read and every member checked against the manifest (size, SHA-256, nothing
   missing or added): a damaged, truncated or foreign file is refused. The members are written to a
   private folder next to MEDIA_ROOT as they are read, and removed at the end.
2. The manifest must fit this code: the same database vendor as the target, and no migration this
   code does not know (an archive of a newer Yakusho). An older archive is restored; the command
   then says to run ``yakusho upgrade``. ``--check`` stops here: nothing is changed.
3. The target must be empty: a database without any table, a MEDIA_ROOT without any file.
4. PostgreSQL through ``pg_restore --single-transaction``, SQLite by putting the copy in place of the
   database file; the files are moved into MEDIA_ROOT; the rows of every table are counted and
   compared with the manifest.

Nothing is changed until steps 1–3 have passed. See docs/backup.md.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yakusho.core import backup
from yakusho.core.backup import BackupError, human_seconds, human_size

STEPS = 4


class Command(BaseCommand):
    help = (
        "Restore an archive of `yakusho backup` into an empty database and MEDIA_ROOT, after checking "
        "every member's checksum and that this version can read it (--check: only check)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("archive", type=Path, help="the .tar.gz written by yakusho backup")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias (default: default)")
        parser.add_argument(
            "--check",
            action="store_true",
            help="only check the archive and that this version can restore it; change nothing",
        )

    def step(self, number: int, text: str) -> None:
        self.stdout.write(f"[{number}/{STEPS}] {text}")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        if alias not in connections:
            raise CommandError(_("データベース「%(alias)s」は設定にありません。") % {"alias": alias})
        clock = timezone.now()
        media_root = Path(settings.MEDIA_ROOT)
        staging = None if options["check"] else backup.staging_directory(media_root)
        try:
            archive = self.verify(options["archive"], staging)
            compatibility = self.check_version(archive, connections[alias].vendor)
            if options["check"]:
                self.stdout.write(
                    self.style.SUCCESS(_("アーカイブに問題はありません（何も変更していません）。"))
                )
                return
            self.check_target(alias, media_root)
            self.restore(archive, alias, media_root)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:  # a full disk, a folder it may not write
            raise CommandError(_("ファイルの読み書きに失敗しました: %(error)s") % {"error": exc}) from None
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
        if archive.manifest.get("secret_key_check") != backup.secret_key_check():
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "SECRET_KEY がバックアップのときと違います。"
                        "それまでにメールで送った予約の確認リンクなどは使えません。"
                        "元の鍵（YAKUSHO_SECRET_KEY）があれば、それを設定してください。"
                    )
                )
            )
        if compatibility.pending:
            self.stdout.write(
                self.style.WARNING(_("古い版のバックアップです。続けて yakusho upgrade を実行してください。"))
            )
        seconds = human_seconds((timezone.now() - clock).total_seconds())
        self.stdout.write(
            self.style.SUCCESS(_("復元が終わりました（%(seconds)s 秒）。") % {"seconds": seconds})
        )

    def verify(self, path: Path, staging: Path | None) -> backup.VerifiedArchive:
        archive = backup.verify_archive(path, staging)
        manifest = archive.manifest
        created = datetime.fromisoformat(manifest["created_at"])
        self.step(
            1,
            _(
                "アーカイブ: %(path)s（%(size)s）を %(seconds)s 秒で確かめました。%(members)s 件の中身の"
                "チェックサムはすべて目録と一致します。"
            )
            % {
                "path": path,
                "size": human_size(archive.size),
                "seconds": human_seconds(archive.seconds),
                "members": f"{len(manifest['members']):,}",
            },
        )
        self.stdout.write(
            "      "
            + _(
                "%(created)s に Yakusho %(version)s で作成。データベース %(vendor)s: テーブル %(tables)d 個、"
                "%(rows)s 行。ファイル %(files)s 件、%(bytes)s。"
            )
            % {
                "created": timezone.localtime(created).strftime("%Y-%m-%d %H:%M:%S %Z"),
                "version": manifest.get("yakusho_version", "?"),
                "vendor": archive.vendor,
                "tables": len(manifest["tables"]),
                "rows": f"{sum(int(n) for n in manifest['tables'].values()):,}",
                "files": f"{archive.media_files:,}",
                "bytes": human_size(archive.media_bytes),
            }
        )
        return archive

    def check_version(self, archive: backup.VerifiedArchive, vendor: str) -> backup.Compatibility:
        compatibility = backup.check_compatible(archive.manifest, vendor)
        if compatibility.pending:
            self.step(
                2,
                ngettext(
                    "版: この版にはアーカイブにないマイグレーションが %(count)d 件あります"
                    "（古い版のバックアップ）。復元の後で yakusho upgrade を実行してください: %(names)s",
                    "版: この版にはアーカイブにないマイグレーションが %(count)d 件あります"
                    "（古い版のバックアップ）。復元の後で yakusho upgrade を実行してください: %(names)s",
                    len(compatibility.pending),
                )
                % {"count": len(compatibility.pending), "names": "、".join(compatibility.pending[:10])},
            )
        else:
            self.step(
                2,
                ngettext(
                    "版: アーカイブのマイグレーション %(count)d 件は、すべてこの版にあります。",
                    "版: アーカイブのマイグレーション %(count)d 件は、すべてこの版にあります。",
                    compatibility.applied,
                )
                % {"count": compatibility.applied},
            )
        return compatibility

    def check_target(self, alias: str, media_root: Path) -> None:
        backup.check_target(alias, media_root)
        self.step(
            3,
            _("復元先: データベース「%(alias)s」（%(name)s）は空、%(root)s にファイルはありません。")
            % {"alias": alias, "name": connections[alias].settings_dict.get("NAME"), "root": media_root},
        )

    def restore(self, archive: backup.VerifiedArchive, alias: str, media_root: Path) -> None:
        result = backup.restore_verified(archive, alias, media_root)
        self.step(
            4,
            _(
                "復元しました: データベースを %(seconds)s 秒で、ファイル %(files)s 件（%(bytes)s）を"
                " %(root)s に。行数はテーブル %(tables)d 個、%(rows)s 行とも目録と一致します。"
            )
            % {
                "seconds": human_seconds(result.database_seconds),
                "files": f"{result.files:,}",
                "bytes": human_size(result.file_bytes),
                "root": media_root,
                "tables": len(result.tables),
                "rows": f"{sum(result.tables.values()):,}",
            },
        )
