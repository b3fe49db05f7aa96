"""The demo for transactional tests on PostgreSQL: loaded once per process, then copied back.

A transactional test (a live server for the browser, threads) commits, so it cannot stand on the kept
demo of ``tests/conftest.py``; pytest-django empties every table after it. Loading the full demo
again costs five to eight seconds a test. Instead, the first such test of a process loads it and
copies every table out with PostgreSQL's ``COPY … TO STDOUT``; the next ones put the same rows back
with ``COPY … FROM STDIN`` (well under a second) and set the sequences past them, so each test gets
exactly the data the loaders made, ids included.

Only onto an empty database: if a fixture already wrote rows of its own (anything beyond what
migrations and ``post_migrate`` put there), the demo is loaded the ordinary way instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connection, transaction


@dataclass
class Snapshot:
    #: table → its rows as COPY text
    rows: dict[str, bytes] = field(default_factory=dict)


#: tables that Django refills after every flush (content types, permissions), by process
_base_tables: set[str] | None = None
_snapshots: dict[tuple[str, ...], Snapshot] = {}


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def _post_migrate_tables() -> set[str]:
    """The tables that Django's own post_migrate handlers fill after every flush (content types and
    permissions: no app of ours has a post_migrate handler) — rows there are not a fixture's."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    return {ContentType._meta.db_table, Permission._meta.db_table}


def _non_empty(tables: list[str]) -> set[str]:
    if not tables:
        return set()
    # table names come from Django's own introspection, quoted by its backend
    query = " UNION ALL ".join(f"(SELECT %s WHERE EXISTS (SELECT 1 FROM {_q(t)}))" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query, tables)
        return {row[0] for row in cursor.fetchall()}


def _q(table: str) -> str:
    return connection.ops.quote_name(table)


def _take() -> Snapshot:
    snapshot = Snapshot()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for table in _tables():
            data = bytearray()
            with raw.copy(f"COPY {_q(table)} TO STDOUT") as copy:
                for block in copy:
                    data += block
            if data:
                snapshot.rows[table] = bytes(data)
    return snapshot


@transaction.atomic
def _restore(snapshot: Snapshot) -> None:
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    tables = _tables()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(_q(t) for t in tables)} CASCADE")
        raw = cursor.cursor
        for table, data in snapshot.rows.items():
            with raw.copy(f"COPY {_q(table)} FROM STDIN") as copy:
                copy.write(data)
        for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True)):
            cursor.execute(sql)
    ContentType.objects.clear_cache()  # the restored rows' ids, not those post_migrate made after the flush


def provide(key: tuple[str, ...], load: Callable[[], None]) -> None:
    """Make the database hold the demo state ``key``; ``load`` makes it the ordinary way."""
    global _base_tables
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        load()
        return
    tables = _tables()
    if _base_tables is None:
        _base_tables = _post_migrate_tables()
    if _non_empty([t for t in tables if t not in _base_tables]):
        load()  # a fixture wrote rows of its own first: keep them
        return
    snapshot = _snapshots.get(key)
    if snapshot is None:
        load()
        _snapshots[key] = _take()
    else:
        _restore(snapshot)
