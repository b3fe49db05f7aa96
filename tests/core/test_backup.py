"""``yakusho backup`` and ``yakusho restore``: a round trip into a new database, and the refusals.

The round trip runs on the database of the run: SQLite in the SQLite run (the archive restored into
a new database file), PostgreSQL in the PostgreSQL run (into a new database this test creates). The
backup is made in this process (on SQLite the test database lives in memory); the restore runs as
``yakusho restore`` in its own process with production settings, as an operator runs it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from tests.bookings.helpers import contact, make_resource, next_weekday, slot_at
from tests.factories import MunicipalityFactory
from tests.procedures.submission_helpers import PNG
from yakusho.core import backup
from yakusho.core.models import CommandRun
from yakusho.core.scheduling import schedule

YAKUSHO = Path(sys.executable).parent / "yakusho"


def sha256_of_files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def yakusho(*args: str, database_url: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    """``yakusho …`` in its own process with production settings, on another database and var/."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="yakusho.settings",
        DATABASE_URL=database_url,
        YAKUSHO_VAR_DIR=str(var_dir),
        YAKUSHO_SECRET_KEY=settings.SECRET_KEY,  # the test run's, so no warning about another key
    )
    return subprocess.run(  # noqa: S603
        [str(YAKUSHO), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def other_database(name: str) -> BaseDatabaseWrapper:
    """A connection like the test database's, to another database (the restored one)."""
    other = connection.copy(alias="restored")
    other.settings_dict["NAME"] = name
    return other


def tables_and_rows(db: BaseDatabaseWrapper) -> dict[str, int]:
    with db.cursor() as cursor:
        names = db.introspection.table_names(cursor)
        counts = {}
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {db.ops.quote_name(name)}")  # noqa: S608
            counts[name] = cursor.fetchone()[0]
    return counts


def sample_rows(db: BaseDatabaseWrapper, tables: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """The first and last three rows of each table, by its first column (the primary key)."""
    sample = {}
    with db.cursor() as cursor:
        for name in tables:
            rows = []
            for order in ("ASC", "DESC"):
                cursor.execute(f"SELECT * FROM {db.ops.quote_name(name)} ORDER BY 1 {order} LIMIT 3")  # noqa: S608
                rows += [tuple(row) for row in cursor.fetchall()]
            sample[name] = rows
    return sample


@pytest.fixture
def target(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A new, empty database of the run's vendor: (DATABASE_URL, NAME); dropped afterwards."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored" / "yakusho.sqlite3"
        yield f"sqlite:///{path}", str(path)
        return
    s = connection.settings_dict
    name = f"{s['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")
        cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
    yield f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}", name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def add_stored_files() -> None:
    """What the demo lacks: a submission's attachment, a plan figure's image, a booking."""
    from yakusho.plans.models import PlanEdition, PlanFigure
    from yakusho.procedures.models import AttachmentSource, Submission, SubmissionAttachment
    from yakusho.procedures.submissions import files

    submission = Submission.objects.order_by("pk").first()
    assert submission is not None
    name = files.save_temp_upload(ContentFile(PNG * 40, name="cert.png"))
    relative, stored = files.store_temp(submission.municipality, name)
    SubmissionAttachment.objects.create(
        municipality=submission.municipality,
        submission=submission,
        source=AttachmentSource.FORM,
        field_key="certificate",
        name="証明書.png",
        size=stored.stat().st_size,
        content_type="image/png",
        sha256=hashlib.sha256(stored.read_bytes()).hexdigest(),
        path=relative,
    )
    edition = PlanEdition.objects.order_by("pk").first()
    assert edition is not None
    PlanFigure.objects.create(
        municipality=edition.municipality,
        edition=edition,
        key="backup-test",
        image=ContentFile(PNG, name="推進体制図.png"),
        alt="推進体制の図",
    )
    from yakusho.bookings.services import book

    resource = make_resource(submission.municipality, key="backup-room")
    book(slot_at(resource, next_weekday(timezone.localdate())).pk, contact())


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_new_database_has_every_row_and_file(
    demo_with_plans: None, settings, tmp_path: Path, target: tuple[str, str]
) -> None:
    database_url, target_name = target
    settings.MEDIA_ROOT = str(tmp_path / "var" / "media")
    add_stored_files()
    source_rows = tables_and_rows(connection)
    source_files = sha256_of_files(Path(settings.MEDIA_ROOT))
    # data in every app of ours and the libraries that keep data
    for app in ("core", "plans", "procedures", "bookings", "auditlog", "contenttypes", "auth"):
        tables = {m._meta.db_table for m in apps.get_app_config(app).get_models()}
        assert any(source_rows[t] for t in tables), app
    assert len(source_files) >= 2 and any(f.startswith("private/submissions/") for f in source_files)
    backups = tmp_path / "backups"
    backups.mkdir()
    for stamp in ("20200101T020000Z", "20200102T020000Z", "20200103T020000Z"):
        (backups / f"yakusho-backup-{stamp}.tar.gz").write_bytes(b"old")
    (backups / "notes.txt").write_text("not an archive of ours")

    out = io.StringIO()
    call_command("backup", output=f"{backups}/", keep=2, stdout=out)

    printed = out.getvalue()
    archives = sorted(backups.glob("yakusho-backup-*.tar.gz"))
    assert [a.name for a in archives[:1]] == ["yakusho-backup-20200103T020000Z.tar.gz"]
    assert len(archives) == 2 and (backups / "notes.txt").exists()
    archive = archives[-1]
    assert archive.stat().st_mode & 0o777 == 0o600
    vendor = connection.vendor
    assert f"データベース（{vendor}）: テーブル {len(source_rows)} 個" in printed
    assert f"ファイル: {settings.MEDIA_ROOT} から {len(source_files)} 件" in printed
    assert f"アーカイブ: {archive}（" in printed and backup.file_sha256(archive) in printed
    assert "古いアーカイブを 2 件消しました（--keep 2）" in printed
    assert printed.splitlines()[-1].startswith("バックアップが終わりました（")
    run = CommandRun.objects.get(name="backup")
    assert run.last_succeeded_at is not None and run.consecutive_failures == 0

    manifest = read_manifest(archive)
    with tarfile.open(archive) as tar:
        assert tar.getnames()[-1] == "manifest.json"
    assert manifest["database"]["vendor"] == vendor
    assert manifest["yakusho_version"] == backup.yakusho_version()
    assert manifest["latest_migrations"]["core"] == max(manifest["migrations"]["core"])
    assert manifest["media"] == {"files": len(source_files), "bytes": manifest["media"]["bytes"]}
    listed = {k.removeprefix("media/"): v["sha256"] for k, v in manifest["members"].items()}
    assert listed.items() >= source_files.items()
    assert "PASSWORD" not in json.dumps(manifest).upper()
    # the rows counted in the backup's snapshot: the backup's own run record was written before it
    assert {k: v for k, v in manifest["tables"].items() if k != "core_commandrun"} == {
        k: v for k, v in source_rows.items() if k != "core_commandrun"
    }

    var_dir = tmp_path / "restored"
    stray = var_dir / "media" / "private" / "stray.txt"
    stray.parent.mkdir(parents=True)
    stray.write_text("left from another install")
    refused = yakusho("restore", str(archive), database_url=database_url, var_dir=var_dir)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "ファイルが 1 件あります" in refused.stderr and "何も変更していません" in refused.stderr
    stray.unlink()  # media/private/ stays, empty: the restored private/ goes in its place
    if connection.vendor == "sqlite":
        assert not Path(target_name).exists()  # not even created by the check
    assert not [p for p in var_dir.iterdir() if p.name.startswith(".yakusho-restore-")]

    restored = yakusho("restore", str(archive), database_url=database_url, var_dir=var_dir)

    assert restored.returncode == 0, restored.stdout + restored.stderr
    lines = restored.stdout.splitlines()
    assert lines[0].startswith(f"[1/4] アーカイブ: {archive}（")
    assert "チェックサムはすべて目録と一致します" in lines[0]
    assert f"データベース {vendor}: テーブル {len(manifest['tables'])} 個" in lines[1]
    assert lines[2].startswith("[2/4] 版: アーカイブのマイグレーション ")
    assert lines[3].startswith("[3/4] 復元先: ")
    assert lines[4].startswith("[4/4] 復元しました: ") and "目録と一致します" in lines[4]
    assert lines[-1].startswith("復元が終わりました（")
    assert "SECRET_KEY" not in restored.stdout
    other = other_database(target_name)
    try:
        restored_rows = tables_and_rows(other)
        assert restored_rows == manifest["tables"]
        filled = sorted(t for t, n in source_rows.items() if n and t != "core_commandrun")
        assert sample_rows(other, filled) == sample_rows(connection, filled)
    finally:
        other.close()
    assert sha256_of_files(var_dir / "media") == source_files
    # and this test's own database, in use, is no target
    assert_refused(archive, "は空ではありません", "何も変更していません")


# --- refusals ------------------------------------------------------------------------------------

#: The refusals below do not depend on the database: they run in the SQLite run, where a backup costs
#: little. The round trip above covers what differs on PostgreSQL (pg_dump, pg_restore, an empty
#: target, a target in use) in the PostgreSQL run.
sqlite_run = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="independent of the database: runs in the SQLite run"
)


@pytest.fixture
def archive(transactional_db: None, settings, tmp_path: Path) -> Path:
    """A small genuine archive of the test database (one municipality, one stored file)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    MunicipalityFactory()
    (tmp_path / "media" / "private").mkdir(parents=True)
    (tmp_path / "media" / "private" / "file.pdf").write_bytes(b"%PDF-1.7 evidence")
    call_command("backup", output=str(tmp_path / "archive.tar.gz"), stdout=io.StringIO())
    return tmp_path / "archive.tar.gz"


def read_manifest(path: Path) -> dict[str, Any]:
    with tarfile.open(path) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest: dict[str, Any] = json.load(member)
    return manifest


def repack(
    source: Path,
    path: Path,
    *,
    rename: dict[str, str] | None = None,
    media: dict[str, bytes] | None = None,
    **changes: Any,
) -> Path:
    """A copy of ``source`` with members (``media/…`` → bytes) or manifest entries changed; the
    manifest's checksums stay as they were unless ``rename`` moves a member (then they follow)."""
    rename = rename or {}
    with tarfile.open(source) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    manifest = json.loads(members.pop("manifest.json"))
    for old, new in rename.items():
        members[new] = members.pop(old)
        manifest["members"][new] = manifest["members"].pop(old)
    members.update(media or {})
    manifest.update(changes)
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def restore(path: Path, *options: str) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *options, stdout=out)
    return out.getvalue()


def assert_refused(path: Path, *expected: str) -> None:
    """Refused with these words; the database, MEDIA_ROOT and its folder are as they were."""
    media = Path(settings.MEDIA_ROOT)
    before = (tables_and_rows(connection), sha256_of_files(media), sorted(media.parent.iterdir()))
    with pytest.raises(CommandError) as refused:
        restore(path)
    for words in expected:
        assert words in str(refused.value), (path.name, str(refused.value))
    assert (tables_and_rows(connection), sha256_of_files(media), sorted(media.parent.iterdir())) == before


@sqlite_run
def test_damaged_archives_are_refused_before_anything_changes(archive: Path, tmp_path: Path) -> None:
    data = archive.read_bytes()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    (tmp_path / "flipped.tar.gz").write_bytes(bytes(flipped))
    (tmp_path / "truncated.tar.gz").write_bytes(data[: len(data) * 2 // 3])
    (tmp_path / "notes.tar.gz").write_text("not an archive")

    assert_refused(tmp_path / "flipped.tar.gz", "壊れているか、途中で切れています", "何も変更していません")
    assert_refused(tmp_path / "truncated.tar.gz", "壊れているか、途中で切れています")
    assert_refused(tmp_path / "notes.tar.gz", "Yakusho のバックアップではありません")
    assert_refused(tmp_path / "missing.tar.gz", "というファイルはありません")
    changed = repack(
        archive, tmp_path / "changed.tar.gz", media={"media/private/file.pdf": b"%PDF-1.7 forged"}
    )
    assert_refused(changed, "チェックサムが合いません: media/private/file.pdf")
    added = repack(archive, tmp_path / "added.tar.gz", media={"media/private/extra.pdf": b"%PDF"})
    assert_refused(added, "目録と中身が合いません: media/private/extra.pdf")


@sqlite_run
def test_mismatched_archives_and_a_target_in_use_are_refused_but_an_older_one_is_not(
    archive: Path, tmp_path: Path
) -> None:
    vendor = connection.vendor
    other = "postgresql" if vendor == "sqlite" else "sqlite"
    manifest = read_manifest(archive)
    database = {**manifest["database"], "vendor": other, "member": backup.DATABASE_MEMBERS[other]}
    foreign = repack(
        archive,
        tmp_path / "foreign.tar.gz",
        rename={backup.DATABASE_MEMBERS[vendor]: backup.DATABASE_MEMBERS[other]},
        database=database,
    )
    assert_refused(foreign, f"{other} のデータベースのもので、復元先は {vendor} です")
    migrations = {**manifest["migrations"], "core": [*manifest["migrations"]["core"], "9999_from_the_future"]}
    newer = repack(archive, tmp_path / "newer.tar.gz", migrations=migrations)
    assert_refused(newer, "より新しい版の Yakusho", "core.9999_from_the_future")
    # the archive itself is fine: the target (this test's database) is not empty
    assert_refused(archive, "は空ではありません", "何も変更していません")

    # an archive of an older version is accepted, with advice to upgrade after the restore
    latest = manifest["migrations"]["core"][-1]
    migrations = {**manifest["migrations"], "core": manifest["migrations"]["core"][:-1]}
    older = repack(archive, tmp_path / "older.tar.gz", migrations=migrations)

    checked = restore(older, "--check")

    assert "[1/4] アーカイブ: " in checked
    assert f"古い版のバックアップ）。復元の後で yakusho upgrade を実行してください: core.{latest}" in checked
    assert checked.splitlines()[-1] == "アーカイブに問題はありません（何も変更していません）。"


@pytest.mark.django_db
def test_a_backup_inside_a_transaction_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="トランザクションの中では取れません"):
        call_command("backup", output=f"{tmp_path}/", stdout=io.StringIO())
    assert not list(tmp_path.iterdir())  # not even a partial file


def test_the_backup_is_scheduled_daily_and_sizes_read_well() -> None:
    job = schedule.get("backup")
    assert job.on_calendar.startswith("*-*-* 02:00:00") and job.late_after == timedelta(hours=26)
    assert job.args == ("--keep", "7")
    assert [backup.human_size(n) for n in (0, 1023, 1536, 5 * 1024**2, 3 * 1024**4)] == [
        "0 B",
        "1023 B",
        "1.5 KiB",
        "5.0 MiB",
        "3.0 TiB",
    ]


def test_the_database_password_goes_to_pg_dump_through_its_environment_only() -> None:
    args, env = backup._postgres_command(
        "pg_dump",
        {
            "NAME": "yakusho",
            "USER": "yakusho",
            "PASSWORD": "s3cret-p@ss",
            "HOST": "db",
            "PORT": 5433,
            "OPTIONS": {},
        },
    )
    assert args == [
        "pg_dump",
        "--no-password",
        "--username=yakusho",
        "--host=db",
        "--port=5433",
        "--dbname=yakusho",
    ]
    assert env["PGPASSWORD"] == "s3cret-p@ss"
    assert not any("s3cret" in arg for arg in args)
