"""A cache backend for django-ratelimit's counters: one SQL statement per operation.

django-ratelimit counts requests with ``cache.add(key, 0, timeout)`` and then ``cache.incr(key)``.
Django's database cache does each of those in several statements (a ``COUNT(*)`` of the whole
table for culling, a read, then a write, inside a savepoint) — about ten round trips on every
rate-limited POST. Here ``add`` is one ``INSERT … ON CONFLICT DO UPDATE … WHERE expired`` and
``incr`` one ``UPDATE … RETURNING``, both atomic, so the counters are exact under concurrency
(unlike the database cache, whose increment is a read then a write) and still shared by every
server process through the database (``core.RateCounter``). PostgreSQL and SQLite (3.35 or newer)
both understand the statements.

Only integer counters are stored: this backend is for ``RATELIMIT_USE_CACHE``, not a general cache.
Expired rows are removed by ``add``, at most once every ``CULL_SECONDS`` per process (so a request
that pays for it is rare and predictable).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import connection

from yakusho.core.models import RateCounter

CULL_SECONDS = 60
#: when this process next removes expired rows (Unix time)
_next_cull = 0.0


def _schedule_cull(now: float) -> None:
    global _next_cull  # one timestamp per process
    _next_cull = now + CULL_SECONDS


class RateCounterCache(BaseCache):
    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.table = connection.ops.quote_name(RateCounter._meta.db_table)

    def _expiry(self, timeout: Any) -> int:
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None:
            return 2**62
        return int(time.time() + float(timeout))

    @staticmethod
    def _int(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("RateCounterCache stores integers only")
        return value

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        now = int(time.time())
        with connection.cursor() as cursor:
            if now >= _next_cull:
                _schedule_cull(now)
                cursor.execute(f"DELETE FROM {self.table} WHERE expires <= %s", [now])  # noqa: S608
            cursor.execute(
                f'INSERT INTO {self.table} ("key", count, expires) VALUES (%s, %s, %s) '  # noqa: S608
                f'ON CONFLICT ("key") DO UPDATE SET count = excluded.count, expires = excluded.expires '
                f'WHERE {self.table}.expires <= %s RETURNING "key"',
                [key, self._int(value), self._expiry(timeout), now],
            )
            return cursor.fetchone() is not None

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        key = self.make_and_validate_key(key, version=version)
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO {self.table} ("key", count, expires) VALUES (%s, %s, %s) '  # noqa: S608
                f'ON CONFLICT ("key") DO UPDATE SET count = excluded.count, expires = excluded.expires',
                [key, self._int(value), self._expiry(timeout)],
            )

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT count FROM {self.table} WHERE "key" = %s AND expires > %s',  # noqa: S608
                [key, int(time.time())],
            )
            row = cursor.fetchone()
        return default if row is None else row[0]

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {self.table} SET count = count + %s "  # noqa: S608
                f'WHERE "key" = %s AND expires > %s RETURNING count',
                [self._int(delta), key, int(time.time())],
            )
            row = cursor.fetchone()
        if row is None:
            raise ValueError(f"Key '{key}' not found")
        return int(row[0])

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE {self.table} SET expires = %s WHERE "key" = %s AND expires > %s',  # noqa: S608
                [self._expiry(timeout), key, int(time.time())],
            )
            return cursor.rowcount > 0

    def delete(self, key: Any, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with connection.cursor() as cursor:
            cursor.execute(f'DELETE FROM {self.table} WHERE "key" = %s', [key])  # noqa: S608
            return cursor.rowcount > 0

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self.get(key, version=version) is not None

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table}")  # noqa: S608
