"""``yakusho upgrade``: bring the database and the static files up to this version, in order.

1. Refuse a database that a newer Yakusho has migrated: a migration recorded in ``django_migrations``
   that this code does not have (nor replaces), or one of an app this code does not install. Nothing
   is changed then; running an older version over a newer schema loses data or fails half way.
2. The system checks, without the database: a configuration error stops before the schema changes.
3. ``migrate``.
4. ``createcachetable`` (the database caches of ``CACHES``).
5. ``collectstatic``, when ``STATIC_ROOT`` is set.
6. The deployment checks (``check --deploy``) with the database: errors fail the command, warnings
   are printed.

Each step says what it did, so a second run reads "nothing to apply" and changes nothing.
See docs/operations.md "Upgrading".
"""

from __future__ import annotations

import io
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

#: Apps an earlier Yakusho installed and a later one dropped: their rows in django_migrations are
#: left behind by design (as Django leaves them) and do not mean a newer version migrated the database.
REMOVED_APPS: frozenset[str] = frozenset()

STEPS = 6


def migrations_of_a_newer_version(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Migrations recorded in the database that this code neither has nor replaces ("app.name")."""
    connection = connections[alias]
    recorded = MigrationRecorder(connection).applied_migrations()
    loader = MigrationLoader(connection, ignore_no_migrations=True, load=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update((app, name) for app, name in migration.replaces)
    unknown = [key for key in recorded if key not in known and key[0] not in REMOVED_APPS]
    return sorted(f"{app}.{name}" for app, name in unknown)


class Command(BaseCommand):
    help = (
        "Upgrade the database and static files to this version: refuse a database of a newer version, "
        "then system checks, migrate, createcachetable, collectstatic and the deployment checks."
    )
    requires_system_checks: list[str] = []  # run as step 2, after the version check

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias (default: default)")

    def step(self, number: int, text: str) -> None:
        self.stdout.write(f"[{number}/{STEPS}] {text}")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        if alias not in connections:
            raise CommandError(_("データベース「%(alias)s」は設定にありません。") % {"alias": alias})
        self.check_version(alias)
        self.check_configuration()
        self.migrate(alias)
        self.create_cache_tables(alias)
        self.collect_static()
        self.check_deployment(alias)
        self.stdout.write(self.style.SUCCESS(_("更新が終わりました。")))

    def check_version(self, alias: str) -> None:
        newer = migrations_of_a_newer_version(alias)
        if newer:
            raise CommandError(
                _(
                    "このデータベースは、より新しい版の Yakusho で更新されています。"
                    "この版にないマイグレーション: %(names)s。"
                    "何も変更していません。新しい版で yakusho upgrade を実行するか、"
                    "この版で作ったバックアップから戻してください。"
                )
                % {"names": "、".join(newer)}
            )
        recorded = len(MigrationRecorder(connections[alias]).applied_migrations())
        self.step(
            1,
            ngettext(
                "データベースの版: 記録済みのマイグレーション %(count)d 件は、すべてこの版にあります。",
                "データベースの版: 記録済みのマイグレーション %(count)d 件は、すべてこの版にあります。",
                recorded,
            )
            % {"count": recorded},
        )

    def report(self, messages: list[checks.CheckMessage]) -> int:
        """Print the messages that are not silenced; return how many are errors."""
        shown = [m for m in messages if not m.is_silenced()]
        for message in shown:
            style = self.style.ERROR if message.is_serious() else self.style.WARNING
            self.stdout.write(style(f"    {message}"))
        return sum(1 for m in shown if m.is_serious())

    def check_configuration(self) -> None:
        messages = checks.run_checks()
        errors = self.report(messages)
        if errors:
            raise CommandError(
                ngettext(
                    "システムチェックでエラーが %(count)d 件あります。設定を直してから実行してください"
                    "（データベースは変更していません）。",
                    "システムチェックでエラーが %(count)d 件あります。設定を直してから実行してください"
                    "（データベースは変更していません）。",
                    errors,
                )
                % {"count": errors}
            )
        self.step(2, _("システムチェック: エラーはありません。"))

    def migrate(self, alias: str) -> None:
        recorder = MigrationRecorder(connections[alias])
        before = set(recorder.applied_migrations())
        call_command("migrate", database=alias, interactive=False, verbosity=0, stdout=io.StringIO())
        applied = sorted(f"{app}.{name}" for app, name in set(recorder.applied_migrations()) - before)
        if applied:
            self.step(
                3,
                ngettext(
                    "マイグレーション: %(count)d 件を適用しました: %(names)s",
                    "マイグレーション: %(count)d 件を適用しました: %(names)s",
                    len(applied),
                )
                % {"count": len(applied), "names": "、".join(applied)},
            )
        else:
            self.step(3, _("マイグレーション: 適用するものはありませんでした。"))

    def create_cache_tables(self, alias: str) -> None:
        connection = connections[alias]
        configured = cast("dict[str, dict[str, Any]]", settings.CACHES)
        tables = sorted(
            {
                str(conf["LOCATION"])
                for name, conf in configured.items()
                if isinstance(caches[name], BaseDatabaseCache)
            }
        )
        existing = set(connection.introspection.table_names())
        call_command("createcachetable", database=alias, verbosity=0)
        created = [t for t in tables if t not in existing]
        if not tables:
            self.step(4, _("キャッシュ用テーブル: データベースのキャッシュは使っていません。"))
        elif created:
            self.step(4, _("キャッシュ用テーブル: %(names)s を作りました。") % {"names": "、".join(created)})
        else:
            self.step(
                4, _("キャッシュ用テーブル: %(names)s はすでにあります。") % {"names": "、".join(tables)}
            )

    def collect_static(self) -> None:
        if not getattr(settings, "STATIC_ROOT", None) or not apps.is_installed("django.contrib.staticfiles"):
            self.step(5, _("静的ファイル: STATIC_ROOT が設定されていないため、集めませんでした。"))
            return
        from django.contrib.staticfiles.management.commands.collectstatic import Command as Collect

        collect = Collect(stdout=io.StringIO(), stderr=io.StringIO())
        options = vars(collect.create_parser("yakusho", "collectstatic").parse_args([]))
        options.update(interactive=False, verbosity=0)
        collect.set_options(**options)
        collected = collect.collect()
        self.step(
            5,
            _("静的ファイル: %(root)s に %(copied)d 件をコピーしました（変更のないもの %(unchanged)d 件）。")
            % {
                "root": settings.STATIC_ROOT,
                "copied": len(collected["modified"]),
                "unchanged": len(collected["unmodified"]),
            },
        )

    def check_deployment(self, alias: str) -> None:
        messages = checks.run_checks(include_deployment_checks=True, databases=[alias])
        errors = self.report(messages)
        warnings = sum(1 for m in messages if not m.is_silenced()) - errors
        if errors:
            raise CommandError(
                ngettext(
                    "デプロイ用チェックでエラーが %(count)d 件あります（上の一覧）。"
                    "データベースの更新は終わっています。設定を直して、もう一度実行してください。",
                    "デプロイ用チェックでエラーが %(count)d 件あります（上の一覧）。"
                    "データベースの更新は終わっています。設定を直して、もう一度実行してください。",
                    errors,
                )
                % {"count": errors}
            )
        if warnings:
            self.step(
                6,
                ngettext(
                    "デプロイ用チェック: 警告が %(count)d 件あります（上の一覧）。"
                    "本番のサーバーでは docs/operations.md に従って直してください。",
                    "デプロイ用チェック: 警告が %(count)d 件あります（上の一覧）。"
                    "本番のサーバーでは docs/operations.md に従って直してください。",
                    warnings,
                )
                % {"count": warnings},
            )
        else:
            self.step(6, _("デプロイ用チェック: 問題はありません。"))
