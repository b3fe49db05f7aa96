"""Work collected over a transaction and done once when it commits: a bulk change of many rows
writes the page versions (``core.pagecache``) and search versions (``core.searchversion``) once,
not once a row."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.db import transaction


def once_on_commit(
    name: str, item: Hashable, flush: Callable[[tuple[Any, ...]], None], using: str = "default"
) -> None:
    """Add ``item`` to the connection's set ``name``; when the transaction commits (at once outside
    one), the first of the commit callbacks calls ``flush`` with every item collected and the others
    find nothing left. A rolled-back transaction's items are flushed by the next commit: work done
    once more, never lost."""
    connection = transaction.get_connection(using)
    pending: set[Hashable] = connection.__dict__.setdefault(name, set())
    pending.add(item)

    def run() -> None:
        items = tuple(pending)
        pending.clear()
        if items:
            flush(items)

    transaction.on_commit(run, using=using)


def forget(name: str, using: str = "default") -> None:
    """Drop the connection's set ``name`` (tests: data loaded in a transaction never committed)."""
    transaction.get_connection(using).__dict__.pop(name, None)
