"""One way to write a registry: apps contribute entries under a key, the rest of the project looks them up.

Every extension point of Yakusho (metric providers, card readers, staff home panels, public links,
consortium sections, and the coming FAQ and payment adapters) is a :class:`Registry`::

    readers = Registry[type[CardReader]]("card reader", module="card_readers",
                                         key_pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    readers.add("simulated", SimulatedReader)
    readers.get("simulated")          # NotRegistered for an unknown key
    with readers.isolated():          # tests: an empty registry, restored after the block
        ...

At start-up an app's ``ready()`` calls :meth:`Registry.autodiscover`, which imports the module of the
registry's name from every installed app, as Django's admin does with ``admin.py``. A key is
registered once: a second registration raises :class:`AlreadyRegistered`, whichever registry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import Any, Generic, Self, TypeVar

from django.utils.module_loading import autodiscover_modules

T = TypeVar("T")


class AlreadyRegistered(ValueError):
    """A key registered twice in one registry."""


class NotRegistered(KeyError):
    """A key no app registered."""


class Registry(Generic[T]):
    """Entries by key, in the order ``sort_key`` gives (by key if none)."""

    def __init__(
        self,
        kind: str,
        *,
        module: str | None = None,
        key_pattern: str | None = None,
        sort_key: Callable[[str, T], Any] | None = None,
    ) -> None:
        self.kind = kind
        self.module = module
        self._pattern = re.compile(key_pattern) if key_pattern else None
        self._sort_key = sort_key or (lambda key, _entry: key)
        self._entries: dict[str, T] = {}

    def add(self, key: str, entry: T) -> T:
        if not isinstance(key, str) or (self._pattern and not self._pattern.match(key)):
            pattern = self._pattern.pattern if self._pattern else "a string"
            raise ValueError(f"{self.kind} key {key!r} must match {pattern}")
        if key in self._entries:
            raise AlreadyRegistered(f"{self.kind} {key!r} is already registered")
        self._entries[key] = entry
        return entry

    def get(self, key: str) -> T:
        try:
            return self._entries[key]
        except KeyError:
            raise NotRegistered(key) from None

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def all(self) -> list[T]:
        return [entry for key, entry in sorted(self._entries.items(), key=lambda kv: self._sort_key(*kv))]

    def autodiscover(self, *extra_modules: str) -> None:
        """Import the named modules, then the registry's module of every installed app."""
        for name in extra_modules:
            import_module(name)
        if self.module:
            autodiscover_modules(self.module)

    @contextmanager
    def isolated(self, *, keep: bool = False) -> Iterator[Self]:
        """Within the block the registry is empty (or a copy, with ``keep``); restored after."""
        saved, self._entries = self._entries, (dict(self._entries) if keep else {})
        try:
            yield self
        finally:
            self._entries = saved
