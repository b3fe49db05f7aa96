"""``yakusho upgrade``: refuses a database of a newer version, then migrates, checks, and is idempotent."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder


@pytest.fixture(autouse=True)
def _async_unsafe_is_the_test_runs(settings: Any) -> None:
    """The browser tests' session sets DJANGO_ALLOW_ASYNC_UNSAFE for the rest of its worker's run
    (Playwright's event loop stays in the thread, so it cannot be unset), which the deployment
    checks rightly report (async.E001): silenced here, where it is the test run's, not the site's."""
    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "async.E001"]


def upgrade() -> str:
    out = io.StringIO()
    call_command("upgrade", stdout=out)
    return out.getvalue()


def upgrade_ok() -> str:
    """An upgrade that must succeed; its output is in the failure message otherwise."""
    out = io.StringIO()
    try:
        call_command("upgrade", stdout=out)
    except CommandError as exc:
        raise AssertionError(f"{exc}\n{out.getvalue()}") from None
    return out.getvalue()


@pytest.mark.parametrize(
    ("app", "name"),
    [
        ("core", "9999_from_a_newer_yakusho"),  # an app of this version, a migration it does not have
        ("reports", "0001_initial"),  # an app this version does not install at all
    ],
)
def test_a_database_of_a_newer_version_is_refused_before_anything_changes(
    db: None, settings, tmp_path: Path, app: str, name: str
) -> None:
    settings.STATIC_ROOT = str(tmp_path / "static")
    recorder = MigrationRecorder(connection)
    # A migration left to apply: were the refusal not first, migrate would record it again.
    recorder.record_unapplied("sessions", "0001_initial")
    recorder.record_applied(app, name)

    with pytest.raises(CommandError) as refused:
        upgrade()

    message = str(refused.value)
    assert f"{app}.{name}" in message
    assert "より新しい版" in message and "何も変更していません" in message
    assert "sessions.0001_initial" not in message  # only what this code lacks is named
    assert ("sessions", "0001_initial") not in recorder.applied_migrations()
    assert not (tmp_path / "static").exists()


def test_migrations_this_version_has_are_not_refused(db: None, settings, tmp_path: Path) -> None:
    settings.STATIC_ROOT = str(tmp_path / "static")
    output = upgrade()
    recorded = len(MigrationRecorder(connection).applied_migrations())
    assert f"記録済みのマイグレーション {recorded} 件は、すべてこの版にあります" in output
    assert "マイグレーション: 適用するものはありませんでした。" in output


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_applies_what_is_missing_and_a_second_run_changes_nothing(
    settings, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = str(tmp_path / "static")
    # An older database: without the sessions table (a migration to apply) and without the cache table.
    call_command("migrate", "sessions", "zero", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE yakusho_cache")
    assert "django_session" not in connection.introspection.table_names()

    first = upgrade_ok()

    lines = first.splitlines()
    assert lines[0].startswith("[1/6] ")
    assert "[3/6] マイグレーション: 1 件を適用しました: sessions.0001_initial" in first
    assert "[4/6] キャッシュ用テーブル: yakusho_cache を作りました。" in first
    found = re.search(
        r"\[5/6\] 静的ファイル: (\S+) に (\d+) 件をコピーしました（変更のないもの 0 件）", first
    )
    assert found and found[1] == str(tmp_path / "static")
    copied = int(found[2])
    assert copied > 0
    assert (tmp_path / "static" / "yakusho").is_dir()
    assert "[6/6] デプロイ用チェック" in first and lines[-1] == "更新が終わりました。"
    tables = connection.introspection.table_names()
    assert "django_session" in tables and "yakusho_cache" in tables

    second = upgrade_ok()

    assert "[3/6] マイグレーション: 適用するものはありませんでした。" in second
    assert "[4/6] キャッシュ用テーブル: yakusho_cache はすでにあります。" in second
    assert f"0 件をコピーしました（変更のないもの {copied} 件）" in second
    assert second.splitlines()[-1] == "更新が終わりました。"
