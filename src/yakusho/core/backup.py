"""Backup archives: the database and every stored file in one file, checked member by member.

An archive (``yakusho-backup-20260401T020000Z.tar.gz``) is a gzip-compressed tar with, in order:

- ``database.pgdump`` — PostgreSQL's custom dump format (``pg_dump --format=custom``), or
  ``database.sqlite3`` — a copy made with SQLite's online backup API;
- ``media/…`` — every regular file under ``MEDIA_ROOT`` (submission attachments, review evidence,
  plan figures, uploads of drafts);
- ``manifest.json`` — last, written once every member is in: the format and Yakusho versions,
  when, the database vendor, the applied migrations, the rows of each table, and the size and
  SHA-256 of each member.

The database part is one consistent snapshot: on PostgreSQL, ``pg_dump`` runs in a snapshot exported
by a ``REPEATABLE READ`` transaction in which the rows are also counted; on SQLite the rows are
counted in the copy. The files are read after the snapshot, so a file uploaded meanwhile is in the
archive without its row (harmless), and a file deleted meanwhile may be missing.

A restore reads the whole archive and checks every member against the manifest before it changes
anything, and restores only into an empty database (see :func:`check_target`). docs/backup.md
describes the format, the recovery point, the schedule and the restore.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.loader import MigrationLoader
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

FORMAT = "yakusho-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DATABASE_MEMBERS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
NAME_PATTERN = re.compile(r"^yakusho-backup-\d{8}T\d{6}Z(?:-\d+)?\.tar\.gz$")
COMPRESS_LEVEL = 6
CHUNK = 1024 * 1024
#: a manifest larger than this is not one of ours (a million files would make about 150 MB)
MANIFEST_MAX_BYTES = 256 * 1024 * 1024
#: how long a SQLite backup waits for a writer's lock before it gives up
SQLITE_BUSY_SECONDS = 120
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator."""


class ArchiveError(BackupError):
    """The archive is damaged, truncated, not an archive of Yakusho, or does not fit this version."""


class TargetError(BackupError):
    """The database or MEDIA_ROOT to restore into is not empty or cannot be restored into."""


def human_size(size: float) -> str:
    """``1536`` → ``1.5 KiB`` (binary units, as ``du -h`` counts)."""
    if size < 1024:
        return f"{int(size)} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024 or unit == "TiB":
            break
    return f"{size:.1f} {unit}"


def human_seconds(seconds: float) -> str:
    """``0.034`` → ``0.03``, ``12.345`` → ``12.3``: enough digits to tell short steps apart."""
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def yakusho_version() -> str:
    try:
        return metadata.version("yakusho")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree without install
        return "unknown"


def secret_key_check() -> str:
    """A fingerprint of SECRET_KEY that does not reveal it: a restore warns when the key differs
    (links in mail sent before the backup are signed with the old key)."""
    return salted_hmac("yakusho.backup.secret-key-check", FORMAT).hexdigest()[:16]


class _Hashing:
    """A file object's reads, hashed on the way (tarfile reads a member's content through ``read``)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- the database side ------------------------------------------------------------------------


def _connection(alias: str) -> BaseDatabaseWrapper:
    if alias not in connections:
        raise BackupError(_("データベース「%(alias)s」は設定にありません。") % {"alias": alias})
    connection = connections[alias]
    if connection.vendor not in DATABASE_MEMBERS:
        raise BackupError(
            _("%(vendor)s のデータベースはバックアップできません（PostgreSQL と SQLite だけです）。")
            % {"vendor": connection.vendor}
        )
    return connection


def _postgres_command(tool: str, settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """``tool``'s connection arguments and environment: the password only in ``PGPASSWORD``, never on
    the command line (where ``ps`` shows it) nor in the manifest."""
    _args, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(extra or {})}
    args = [tool, "--no-password"]
    if settings_dict.get("USER"):
        args.append(f"--username={settings_dict['USER']}")
    if settings_dict.get("HOST"):
        args.append(f"--host={settings_dict['HOST']}")
    if settings_dict.get("PORT"):
        args.append(f"--port={settings_dict['PORT']}")
    if settings_dict.get("NAME"):
        args.append(f"--dbname={settings_dict['NAME']}")
    return args, env


def _run(args: list[str], env: dict[str, str]) -> str:
    """Run a PostgreSQL tool; its stderr becomes the error when it fails."""
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            _(
                "%(tool)s が見つかりません。PostgreSQL のクライアント（Debian の postgresql-client）を"
                "入れてください（make install で入ります）。"
            )
            % {"tool": args[0]}
        ) from None
    if done.returncode != 0:
        detail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise BackupError(
            _("%(tool)s が失敗しました（終了コード %(code)d）。\n%(detail)s")
            % {"tool": args[0], "code": done.returncode, "detail": detail}
        )
    return done.stdout


def _tool_version(tool: str) -> str:
    return _run([tool, "--version"], dict(os.environ)).strip()


def _count_rows(cursor: Any, tables: list[str], quote: Callable[[str], str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - names from the catalogue
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _quote_pg(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split(".", 1))


def _quote_sqlite(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_tables(cursor: Any) -> list[str]:
    """Every table outside PostgreSQL's own schemas, as ``table`` (public) or ``schema.table``."""
    cursor.execute(
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname <> 'information_schema' AND left(schemaname, 3) <> 'pg_' ORDER BY 1, 2"
    )
    return [name if schema == "public" else f"{schema}.{name}" for schema, name in cursor.fetchall()]


def _sqlite_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT name FROM sqlite_master "
        "WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name"
    )
    return [row[0] for row in cursor.fetchall()]


def _migrations(cursor: Any, tables: list[str]) -> dict[str, list[str]]:
    if "django_migrations" not in tables:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


@dataclass
class DatabaseDump:
    path: Path
    vendor: str
    server_version: str
    tool: str
    tables: dict[str, int]
    migrations: dict[str, list[str]]
    seconds: float


def dump_database(alias: str, workdir: Path) -> DatabaseDump:
    """Write one consistent copy of the database into ``workdir`` and count its rows."""
    connection = _connection(alias)
    if connection.in_atomic_block:
        raise BackupError(
            _("バックアップはトランザクションの中では取れません（書き込み中の行が入らないため）。")
        )
    clock = time.monotonic()
    if connection.vendor == "postgresql":
        return _dump_postgres(connection, workdir, clock)
    return _dump_sqlite(connection, workdir, clock)


def _dump_postgres(connection: BaseDatabaseWrapper, workdir: Path, clock: float) -> DatabaseDump:
    path = workdir / DATABASE_MEMBERS["postgresql"]
    args, env = _postgres_command("pg_dump", connection.settings_dict)
    tool = _tool_version("pg_dump")
    # Our own connection (not the one Django shares): its transaction exports the snapshot that
    # pg_dump reads, and the rows are counted in the same snapshot.
    own = connection.copy()
    try:
        own.ensure_connection()
        own.set_autocommit(False)
        with own.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            _run([*args, "--format=custom", "--compress=0", f"--snapshot={snapshot}", f"--file={path}"], env)
            tables = _pg_tables(cursor)
            counts = _count_rows(cursor, tables, _quote_pg)
            migrations = _migrations(cursor, tables)
        own.rollback()
    finally:
        own.close()
    return DatabaseDump(
        path, "postgresql", str(server_version), tool, counts, migrations, time.monotonic() - clock
    )


def _dump_sqlite(connection: BaseDatabaseWrapper, workdir: Path, clock: float) -> DatabaseDump:
    path = workdir / DATABASE_MEMBERS["sqlite"]
    connection.ensure_connection()
    source = connection.connection
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS

    def progress(status: int, remaining: int, total: int) -> None:
        # The sqlite3 module retries a locked source for ever; give up after a while instead.
        if status in (_SQLITE_BUSY, _SQLITE_LOCKED) and time.monotonic() > deadline:
            raise BackupError(
                _("SQLite のデータベースが %(seconds)d 秒のあいだロックされたままでした。")
                % {"seconds": SQLITE_BUSY_SECONDS}
            )

    target = sqlite3.connect(path)
    try:
        source.backup(target, progress=progress)  # one step: a consistent snapshot
        cursor = target.cursor()
        tables = _sqlite_tables(cursor)
        counts = _count_rows(cursor, tables, _quote_sqlite)
        migrations = _migrations(cursor, tables)
    finally:
        target.close()
    return DatabaseDump(
        path, "sqlite", sqlite3.sqlite_version, "", counts, migrations, time.monotonic() - clock
    )


def database_tables(alias: str) -> dict[str, int]:
    """The tables of a database and their rows now (what a restore compares with the manifest)."""
    connection = _connection(alias)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = _pg_tables(cursor)
            return _count_rows(cursor, tables, _quote_pg)
        tables = _sqlite_tables(cursor)
        return _count_rows(cursor, tables, _quote_sqlite)


# --- writing an archive -----------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    size: int
    sha256: str
    vendor: str
    database_size: int
    database_seconds: float
    tables: int
    rows: int
    files: int
    file_bytes: int
    media_root: Path
    #: files under MEDIA_ROOT that were not regular files, or vanished while being read
    skipped: list[str] = field(default_factory=list)
    #: older archives removed by ``keep``
    removed: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def default_directory() -> Path:
    return Path(settings.VAR_DIR) / "backups"


def archive_name(now: datetime) -> str:
    return f"yakusho-backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar.gz"


def _target_path(output: str | Path | None, now: datetime, media_root: Path) -> Path:
    """Where the archive goes: a timestamped name in a directory (an existing one, or a path ending
    in ``/``), or else the new file ``output`` names. Never inside MEDIA_ROOT (it would be backed up
    again the next time)."""
    text = "" if output is None else str(output)
    if _is_within(Path(text) if text else default_directory(), media_root):
        raise BackupError(_("アーカイブを MEDIA_ROOT（%(root)s）の中には置けません。") % {"root": media_root})
    if not text or text.endswith(("/", os.sep)) or Path(text).is_dir():
        directory = default_directory() if not text else Path(text)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / archive_name(now)
        number = 1
        while path.exists():
            number += 1
            path = directory / archive_name(now).replace(".tar.gz", f"-{number}.tar.gz")
        return path
    path = Path(text)
    if path.exists():
        raise BackupError(_("%(path)s はすでにあります。上書きはしません。") % {"path": path})
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def media_files(root: Path) -> Iterator[tuple[Path, str]]:
    """(path, name in the archive) of every file under ``root``, sorted; symlinks are not followed."""
    if not root.is_dir():
        return
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory) / name
            yield path, MEDIA_PREFIX + path.relative_to(root).as_posix()


def _add_member(tar: tarfile.TarFile, raw: IO[bytes], name: str, st: os.stat_result) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    info.size = st.st_size
    info.mtime = int(st.st_mtime)
    info.mode = stat.S_IMODE(st.st_mode) & 0o777
    reader = _Hashing(raw)
    tar.addfile(info, reader)  # tarfile only calls read()
    return {"size": reader.size, "sha256": reader.digest.hexdigest()}


def _prune(directory: Path, keep: int, current: Path) -> list[Path]:
    """Remove the oldest archives of our naming in ``directory`` beyond the newest ``keep``."""
    archives = sorted(
        (p for p in directory.iterdir() if NAME_PATTERN.match(p.name) and p.is_file()),
        key=lambda p: p.name,
        reverse=True,
    )
    removed = []
    for old in archives[keep:]:
        if old != current:
            old.unlink()
            removed.append(old)
    return removed


def create_backup(
    alias: str = DEFAULT_DB_ALIAS, output: str | Path | None = None, keep: int | None = None
) -> BackupResult:
    """Write an archive (atomically: a temporary file renamed once complete, mode 0600)."""
    clock = time.monotonic()
    now = datetime.now(UTC)
    media_root = Path(settings.MEDIA_ROOT)
    if keep is not None and keep < 1:
        raise BackupError(_("--keep には 1 以上を指定してください。"))
    target = _target_path(output, now, media_root)
    # The database copy is made next to the archive: /tmp may be small or private to the service.
    with tempfile.TemporaryDirectory(prefix=".yakusho-backup-", dir=target.parent) as workdir:
        dump = dump_database(alias, Path(workdir))
        members: dict[str, dict[str, Any]] = {}
        skipped: list[str] = []
        files = file_bytes = 0
        fd, partial_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        partial = Path(partial_name)
        try:
            with os.fdopen(fd, "wb") as out:
                with tarfile.open(
                    fileobj=out, mode="w:gz", compresslevel=COMPRESS_LEVEL, format=tarfile.PAX_FORMAT
                ) as tar:
                    with dump.path.open("rb") as raw:
                        members[dump.path.name] = _add_member(
                            tar, raw, dump.path.name, os.fstat(raw.fileno())
                        )
                    for path, name in media_files(media_root):
                        try:
                            # not following a symbolic link, not opening a FIFO (it would block)
                            if not stat.S_ISREG(path.lstat().st_mode):
                                skipped.append(name)
                                continue
                            raw = path.open("rb")
                        except FileNotFoundError:  # deleted since the directory was read
                            skipped.append(name)
                            continue
                        with raw:
                            members[name] = _add_member(tar, raw, name, os.fstat(raw.fileno()))
                        files += 1
                        file_bytes += members[name]["size"]
                    manifest = {
                        "format": FORMAT,
                        "format_version": FORMAT_VERSION,
                        "yakusho_version": yakusho_version(),
                        "created_at": now.isoformat(timespec="seconds"),
                        "database": {
                            "vendor": dump.vendor,
                            "member": dump.path.name,
                            "server_version": dump.server_version,
                            "tool": dump.tool,
                        },
                        "migrations": dump.migrations,
                        "latest_migrations": {app: names[-1] for app, names in dump.migrations.items()},
                        "tables": dump.tables,
                        "rows": sum(dump.tables.values()),
                        "media": {"files": files, "bytes": file_bytes},
                        "secret_key_check": secret_key_check(),
                        "members": members,
                    }
                    data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
                    info = tarfile.TarInfo(MANIFEST)
                    info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
                    tar.addfile(info, io.BytesIO(data))
                out.flush()
                os.fsync(out.fileno())
            partial.chmod(0o600)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    _fsync_directory(target.parent)
    removed = _prune(target.parent, keep, target) if keep else []
    return BackupResult(
        path=target,
        size=target.stat().st_size,
        sha256=file_sha256(target),
        vendor=dump.vendor,
        database_size=members[dump.path.name]["size"],
        database_seconds=dump.seconds,
        tables=len(dump.tables),
        rows=sum(dump.tables.values()),
        files=files,
        file_bytes=file_bytes,
        media_root=media_root,
        skipped=skipped,
        removed=removed,
        seconds=time.monotonic() - clock,
    )


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- reading and checking an archive ----------------------------------------------------------


@dataclass
class VerifiedArchive:
    path: Path
    size: int
    manifest: dict[str, Any]
    #: where the members were written (``None`` when only checked)
    staging: Path | None
    seconds: float

    @property
    def vendor(self) -> str:
        return str(self.manifest["database"]["vendor"])

    @property
    def database_member(self) -> str:
        return str(self.manifest["database"]["member"])

    @property
    def media_files(self) -> int:
        return sum(1 for name in self.manifest["members"] if name.startswith(MEDIA_PREFIX))

    @property
    def media_bytes(self) -> int:
        members = self.manifest["members"]
        return sum(int(m["size"]) for name, m in members.items() if name.startswith(MEDIA_PREFIX))


def _damaged(path: Path, detail: str) -> ArchiveError:
    return ArchiveError(
        _("%(path)s は壊れているか、途中で切れています（%(detail)s）。何も変更していません。")
        % {"path": path, "detail": detail}
    )


def _safe_member_name(name: str) -> bool:
    if name == MANIFEST or name in DATABASE_MEMBERS.values():
        return True
    if not name.startswith(MEDIA_PREFIX) or "\\" in name or "\x00" in name:
        return False
    parts = PurePosixPath(name).parts
    return len(parts) >= 2 and all(part not in ("", ".", "..") for part in parts) and not name.endswith("/")


def verify_archive(path: Path, staging: Path | None = None) -> VerifiedArchive:
    """Read the whole archive; check its members against the manifest (sizes, SHA-256, nothing
    missing, nothing more). With ``staging``, the members are written there as they are read
    (``staging/database.…`` and ``staging/media/…``), ready to be moved into place."""
    clock = time.monotonic()
    if not path.is_file():
        raise ArchiveError(_("%(path)s というファイルはありません。") % {"path": path})
    with path.open("rb") as head:
        if head.read(2) != b"\x1f\x8b":
            raise ArchiveError(
                _(
                    "%(path)s は Yakusho のバックアップではありません（gzip の tar ではありません）。"
                    "何も変更していません。"
                )
                % {"path": path}
            )
    seen: dict[str, dict[str, Any]] = {}
    manifest_data: bytes | None = None
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            for member in tar:
                name = member.name
                duplicate = name in seen or (name == MANIFEST and manifest_data is not None)
                if not member.isreg() or not _safe_member_name(name) or duplicate:
                    raise _damaged(path, _("想定外の中身: %(name)s") % {"name": name[:200]})
                source = tar.extractfile(member)
                assert source is not None  # a regular file
                if name == MANIFEST:
                    if member.size > MANIFEST_MAX_BYTES:
                        raise _damaged(path, _("目録が大きすぎます"))
                    manifest_data = source.read()
                    continue
                seen[name] = _copy_member(source, staging / name if staging else None, member)
    except ArchiveError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise _damaged(path, f"{type(exc).__name__}: {str(exc)[:200]}") from None
    if manifest_data is None:
        raise _damaged(path, _("目録 manifest.json がありません"))
    try:
        manifest = json.loads(manifest_data)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError(manifest.get("format") if isinstance(manifest, dict) else None)
    except ValueError:
        raise ArchiveError(
            _("%(path)s は Yakusho のバックアップではありません。何も変更していません。") % {"path": path}
        ) from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(
            _(
                "%(path)s の形式（版 %(version)s）は、この版の Yakusho では読めません"
                "（読めるのは版 %(ours)d）。何も変更していません。"
            )
            % {"path": path, "version": manifest.get("format_version"), "ours": FORMAT_VERSION}
        )
    _check_members(path, manifest, seen)
    return VerifiedArchive(path, path.stat().st_size, manifest, staging, time.monotonic() - clock)


def _copy_member(source: IO[bytes], target: Path | None, member: tarfile.TarInfo) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    out: IO[bytes] | None = None
    if target is not None:
        _make_private_dirs(target.parent)
        out = target.open("xb")
    try:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if out is not None:
                out.write(chunk)
    finally:
        if out is not None:
            out.close()
    if target is not None:
        target.chmod(member.mode & 0o777 or 0o600)
        os.utime(target, (member.mtime, member.mtime))
    return {"size": size, "sha256": digest.hexdigest()}


def _make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and its missing parents, each 0700 (``mkdir(parents=True)`` would give the
    parents the default mode): MEDIA_ROOT holds private files."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def _check_members(path: Path, manifest: dict[str, Any], seen: dict[str, dict[str, Any]]) -> None:
    try:
        listed = {str(k): (int(v["size"]), str(v["sha256"])) for k, v in manifest["members"].items()}
        vendor, member = manifest["database"]["vendor"], manifest["database"]["member"]
        if not isinstance(manifest["tables"], dict) or not isinstance(manifest["migrations"], dict):
            raise TypeError
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _damaged(path, _("目録が不完全です")) from None
    if DATABASE_MEMBERS.get(vendor) != member or member not in listed:
        raise _damaged(path, _("データベースの部分がありません"))
    missing = sorted(set(listed) - set(seen))
    extra = sorted(set(seen) - set(listed))
    if missing or extra:
        names = "、".join((missing or extra)[:5])
        raise _damaged(path, _("目録と中身が合いません: %(names)s") % {"names": names})
    bad = [name for name, (size, sha) in listed.items() if seen[name] != {"size": size, "sha256": sha}]
    if bad:
        raise _damaged(
            path,
            _("チェックサムが合いません: %(names)s") % {"names": "、".join(sorted(bad)[:5])},
        )


# --- what a restore needs of this code and of the target ---------------------------------------


@dataclass
class Compatibility:
    #: migrations this code has that the archive's database has not applied ("app.name")
    pending: list[str]
    applied: int


def check_compatible(manifest: dict[str, Any], vendor: str) -> Compatibility:
    """Refuse an archive of another database vendor, or of a newer Yakusho (a migration this code
    neither has nor replaces); report the migrations an older archive lacks (``yakusho upgrade``)."""
    from yakusho.core.management.commands.upgrade import REMOVED_APPS

    if manifest["database"]["vendor"] != vendor:
        raise ArchiveError(
            _(
                "このアーカイブは %(archive)s のデータベースのもので、復元先は %(target)s です。"
                "同じ種類のデータベースにしか戻せません。何も変更していません。"
            )
            % {"archive": manifest["database"]["vendor"], "target": vendor}
        )
    applied = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update((app, name) for app, name in migration.replaces)
    unknown = sorted(
        f"{app}.{name}" for app, name in applied if (app, name) not in known and app not in REMOVED_APPS
    )
    if unknown:
        raise ArchiveError(
            _(
                "このアーカイブは、より新しい版の Yakusho で作られています。"
                "この版にないマイグレーション: %(names)s。何も変更していません。"
                "アーカイブを作った版（%(version)s）以降の Yakusho で戻してください。"
            )
            % {"names": "、".join(unknown[:10]), "version": manifest.get("yakusho_version", "?")}
        )
    # Replaced by an applied squash, or a squash whose replaced migrations were all applied: not pending.
    covered = set(applied)
    for key, migration in loader.disk_migrations.items():
        replaced = {(str(app), str(name)) for app, name in migration.replaces}
        if replaced and (key in applied or replaced <= applied):
            covered |= {key, *replaced}
    pending = sorted(f"{app}.{name}" for app, name in set(loader.disk_migrations) - covered)
    return Compatibility(pending, len(applied))


def media_root_files(root: Path) -> int:
    return sum(1 for _path in media_files(root))


def check_target(alias: str, media_root: Path) -> None:
    """Refuse a target that is not empty. Empty means: the database has no table at all (outside
    PostgreSQL's own schemas; for SQLite, no file or a file without tables) — as ``createdb`` or a
    new file leaves it, before any ``migrate`` — and MEDIA_ROOT has no file (empty folders are fine)."""
    connection = _connection(alias)
    name = connection.settings_dict.get("NAME")
    in_memory = connection.vendor == "sqlite" and connection.is_in_memory_db()  # type: ignore[attr-defined]
    if connection.vendor == "sqlite" and not in_memory and not Path(str(name)).exists():
        tables = []  # not even created (connecting would create it)
    else:
        tables = database_tables_names(alias)
    if tables:
        raise TargetError(
            _(
                "復元先のデータベース「%(alias)s」（%(name)s）は空ではありません（テーブル %(count)d 個）。"
                "空のデータベースにしか戻せません。何も変更していません。"
                "PostgreSQL なら dropdb と createdb で作り直すか、"
                "新しいデータベースを DATABASE_URL に指定してください。"
                "SQLite ならファイルを別の名前に移してください。"
            )
            % {"alias": alias, "name": name, "count": len(tables)}
        )
    if in_memory:
        raise TargetError(_("メモリ上の SQLite データベースには戻せません。"))
    files = media_root_files(media_root)
    if files:
        raise TargetError(
            _(
                "MEDIA_ROOT（%(root)s）にファイルが %(count)d 件あります。空のフォルダーにしか戻せません。"
                "何も変更していません。別の名前に移してから、もう一度実行してください。"
            )
            % {"root": media_root, "count": files}
        )


def database_tables_names(alias: str) -> list[str]:
    connection = _connection(alias)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _pg_tables(cursor)
        return _sqlite_tables(cursor)


# --- restoring --------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    database_seconds: float
    files: int
    file_bytes: int
    tables: dict[str, int]


def staging_directory(media_root: Path) -> Path:
    """A private folder next to MEDIA_ROOT (same file system: the files are moved, not copied)."""
    parent = media_root.parent
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".yakusho-restore-", dir=parent))


def restore_verified(archive: VerifiedArchive, alias: str, media_root: Path) -> RestoreResult:
    """Put a verified, staged archive in place: the database, then the files; then count the rows."""
    assert archive.staging is not None
    connection = _connection(alias)
    clock = time.monotonic()
    staged = archive.staging / archive.database_member
    if connection.vendor == "postgresql":
        args, env = _postgres_command("pg_restore", connection.settings_dict)
        # One transaction: a failure leaves the database as empty as it was.
        _run([*args, "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error", str(staged)], env)
    else:
        _restore_sqlite(connection, staged)
    database_seconds = time.monotonic() - clock
    staged_media = archive.staging / MEDIA_PREFIX.rstrip("/")
    if staged_media.is_dir():
        media_root.mkdir(parents=True, exist_ok=True, mode=0o750)
        for entry in sorted(staged_media.iterdir()):
            destination = media_root / entry.name
            if destination.is_dir() and not destination.is_symlink():
                _remove_empty_tree(destination)  # checked: only empty folders (else rmdir fails)
            shutil.move(str(entry), str(destination))
    tables = database_tables(alias)
    expected = {str(k): int(v) for k, v in archive.manifest["tables"].items()}
    if tables != expected:
        differ = sorted(t for t in set(tables) | set(expected) if tables.get(t) != expected.get(t))
        raise BackupError(
            _(
                "復元したデータベースの行数がアーカイブの目録と合いません: %(tables)s。"
                "復元先を空に戻して、もう一度実行してください。"
            )
            % {"tables": "、".join(differ[:10])}
        )
    return RestoreResult(database_seconds, archive.media_files, archive.media_bytes, tables)


def _remove_empty_tree(root: Path) -> None:
    for directory, _dirs, _files in os.walk(root, topdown=False):
        os.rmdir(directory)


def _restore_sqlite(connection: BaseDatabaseWrapper, staged: Path) -> None:
    target = Path(connection.settings_dict["NAME"])
    connection.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    partial = Path(partial_name)
    try:
        with os.fdopen(fd, "wb") as out, staged.open("rb") as source:
            shutil.copyfileobj(source, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        # The empty database's journal files must not be applied to the restored one.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)
