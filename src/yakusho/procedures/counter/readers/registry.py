"""The card-reader registry: adapters register here; the counter and the back-office list them.

An adapter is a :class:`~yakusho.procedures.counter.readers.base.CardReader` subclass::

    from yakusho.procedures.counter.readers.base import CardReader
    from yakusho.procedures.counter.readers.registry import registry

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

from contextlib import AbstractContextManager

from django.conf import settings

from yakusho.core.registry import AlreadyRegistered as AlreadyRegistered
from yakusho.core.registry import NotRegistered as NotRegistered
from yakusho.core.registry import Registry
from yakusho.procedures.counter.readers.base import CardReader

#: the adapters shipped with Yakusho
BUILTIN_MODULES = (
    "yakusho.procedures.counter.readers.simulated",
    "yakusho.procedures.counter.readers.manual",
)
_SHIPPED_ORDER = {"simulated": 0, "manual": 1}


class ReaderRegistry(Registry[type[CardReader]]):
    """Card-reader adapter classes by key; the shipped ones first in their order, then by key."""

    def __init__(self) -> None:
        super().__init__(
            "card reader",
            module="card_readers",
            key_pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$",
            sort_key=lambda key, _reader: (_SHIPPED_ORDER.get(key, 2), key),
        )

    def register(self, reader: type[CardReader]) -> type[CardReader]:
        """Register an adapter class (usable as a class decorator)."""
        key = getattr(reader, "key", "")
        if isinstance(key, str) and not getattr(reader, "label", ""):
            raise ValueError(f"card reader {key!r} needs a label")
        return self.add(key, reader)


registry = ReaderRegistry()


def autodiscover() -> None:
    """Import the modules that register adapters (each import registers once)."""
    registry.autodiscover(*BUILTIN_MODULES, *getattr(settings, "YAKUSHO_CARD_READER_MODULES", ()))


def isolated_registry(*, keep: bool = False) -> AbstractContextManager[ReaderRegistry]:
    """Within the block the global registry is empty (or a copy, with ``keep``); restored after."""
    return registry.isolated(keep=keep)
