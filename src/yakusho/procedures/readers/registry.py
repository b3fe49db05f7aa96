"""The card-reader registry: adapters register here; the counter and the back-office list them.

An adapter is a :class:`~yakusho.procedures.readers.base.CardReader` subclass::

    from yakusho.procedures.readers.base import CardReader
    from yakusho.procedures.readers.registry import registry

    @registry.register
    class MyReader(CardReader):
        key = "my-reader"
        label = _("私のリーダー")
        def read(self, request_data): ...

Keys are unique: registering a key twice raises :class:`AlreadyRegistered`. At start-up the
procedures app's ``ready()`` calls :func:`autodiscover`, which imports the shipped adapters, a
``card_readers`` module of every installed app, and the modules named in the
``YAKUSHO_CARD_READER_MODULES`` setting. Tests use :func:`isolated_registry`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module

from django.conf import settings
from django.utils.module_loading import autodiscover_modules

from yakusho.procedures.readers.base import CardReader

#: the adapters shipped with Yakusho
BUILTIN_MODULES = ("yakusho.procedures.readers.simulated", "yakusho.procedures.readers.manual")
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class AlreadyRegistered(Exception):
    pass


class NotRegistered(KeyError):
    pass


class ReaderRegistry:
    def __init__(self) -> None:
        self._readers: dict[str, type[CardReader]] = {}

    def register(self, reader: type[CardReader]) -> type[CardReader]:
        """Register an adapter class (usable as a class decorator)."""
        key = getattr(reader, "key", "")
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise ValueError(f"card reader key {key!r} must match {_KEY_RE.pattern}")
        if not getattr(reader, "label", ""):
            raise ValueError(f"card reader {key!r} needs a label")
        if key in self._readers:
            raise AlreadyRegistered(f"card reader {key!r} is already registered")
        self._readers[key] = reader
        return reader

    def get(self, key: str) -> type[CardReader]:
        try:
            return self._readers[key]
        except KeyError:
            raise NotRegistered(key) from None

    def __contains__(self, key: object) -> bool:
        return key in self._readers

    def all(self) -> list[type[CardReader]]:
        """Every adapter, the shipped ones first in their order, then the others by key."""
        order = {"simulated": 0, "manual": 1}
        return sorted(self._readers.values(), key=lambda r: (order.get(r.key, 2), r.key))

    def _swap(self, readers: dict[str, type[CardReader]]) -> dict[str, type[CardReader]]:
        old, self._readers = self._readers, readers
        return old


registry = ReaderRegistry()


def autodiscover() -> None:
    """Import the modules that register adapters (each import registers once)."""
    for module in (*BUILTIN_MODULES, *getattr(settings, "YAKUSHO_CARD_READER_MODULES", ())):
        import_module(module)
    autodiscover_modules("card_readers")


@contextmanager
def isolated_registry(*, keep: bool = False) -> Iterator[ReaderRegistry]:
    """Within the block the global registry is empty (or a copy, with ``keep``); restored after."""
    saved = registry._swap(dict(registry._readers) if keep else {})
    try:
        yield registry
    finally:
        registry._swap(saved)
