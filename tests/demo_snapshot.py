"""The demo for transactional tests on PostgreSQL: loaded once per process, then copied back.

A transactional test (a live server for the browser, threads) commits, so it cannot stand on the kept
demo of ``tests/conftest.py``; pytest-django empties every table after it. Loading the full demo
again costs five to eight seconds a test. Instead every table is copied out with PostgreSQL's
``COPY … TO STDOUT`` once per process and demo state — when the kept demo has just loaded that state
in its open transaction (``keep``), or else by the first such test that loads it — and the
transactional tests put the same rows back
with ``COPY … FROM STDIN`` (well under a second) and set the sequences past them, so each test gets
exactly the data the loaders made, ids included.

Only onto an empty database: if a fixture already wrote rows of its own (anything beyond what
migrations and ``post_migrate`` put there), the demo is loaded the ordinary way instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

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

    with connection.cursor() as cursor:
        # After the flush only the tables post_migrate refills hold rows (``provide`` found every
        # other one empty): DELETE empties those two in milliseconds, where a TRUNCATE of every table
        # took half a second.
        cursor.execute(delete_all_sql(sorted(_post_migrate_tables())))
        raw = cursor.cursor
        for table, data in snapshot.rows.items():
            with raw.copy(f"COPY {_q(table)} FROM STDIN") as copy:
                copy.write(data)
        resets = connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True))
        if resets:  # one round trip for the hundred-odd sequences
            cursor.execute(";\n".join(resets))
    ContentType.objects.clear_cache()  # the restored rows' ids, not those post_migrate made after the flush


def delete_all_sql(tables: list[str]) -> str:
    """One statement list that empties ``tables`` in one round trip: Django's foreign keys on
    PostgreSQL are deferrable, so the order does not matter inside the transaction."""
    return ";\n".join(["SET CONSTRAINTS ALL DEFERRED", *(f"DELETE FROM {_q(t)}" for t in tables)])  # noqa: S608


def use_delete_flush() -> None:
    """Make the flush after each transactional test DELETE rather than TRUNCATE on PostgreSQL.

    pytest-django empties every table after a transactional test with Django's ``flush``, a
    ``TRUNCATE`` of the hundred-odd tables: about 0.6 s here, because PostgreSQL gives every table and
    index a new file. The tests leave a few thousand rows at most, which ``DELETE`` removes in a fraction
    of that. Only the flush without sequence resets is changed (pytest-django's default); the result is
    the same: every table empty, post_migrate run again.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush
    if getattr(original, "deletes", False):
        return

    def sql_flush(
        self: DatabaseOperations,
        style: Any,
        tables: Sequence[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if not tables or reset_sequences:
            return original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [delete_all_sql(list(tables))]

    sql_flush.deletes = True  # type: ignore[attr-defined]
    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign, assignment]


def keep(key: tuple[str, ...]) -> None:
    """Copy the demo state ``key`` out now, if it is not yet: called by the kept demo of
    ``tests/conftest.py`` right after it loaded a layer in its open transaction, which the copy sees.
    The transactional tests run after the others, so they find it instead of loading the demo again."""
    if connection.vendor == "postgresql" and key not in _snapshots:
        _snapshots[key] = _take()


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
