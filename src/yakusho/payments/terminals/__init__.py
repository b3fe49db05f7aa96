"""Payment-terminal adapters (docs/payments.md "Terminals"): the registry and how one is chosen.

An adapter is registered once under its key::

    from yakusho.payments.terminals import terminals
    terminals.add("my-terminal", MyTerminal)

At start-up the payments app imports the shipped demo terminal, a ``payment_terminals`` module of
every installed app and the modules in ``YAKUSHO_PAYMENT_TERMINAL_MODULES``. The till uses the
terminal named by ``YAKUSHO_PAYMENT_TERMINAL`` (default ``demo``); ``manage.py check`` reports its
``check_config()`` problems.
"""

from __future__ import annotations

from django.conf import settings

from yakusho.core.registry import Registry
from yakusho.payments.terminals.base import PaymentTerminal

BUILTIN_MODULES = ("yakusho.payments.terminals.demo",)


terminals = Registry[type[PaymentTerminal]](
    "payment terminal", module="payment_terminals", key_pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$"
)


def autodiscover() -> None:
    terminals.autodiscover(*BUILTIN_MODULES, *getattr(settings, "PAYMENT_TERMINAL_MODULES", ()))


def current() -> PaymentTerminal:
    """The configured terminal (``YAKUSHO_PAYMENT_TERMINAL``)."""
    return terminals.get(settings.PAYMENT_TERMINAL)()
