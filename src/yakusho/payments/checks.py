"""System checks of payments (``manage.py check``, run by ``yakusho serve`` and ``upgrade``): the
configured payment terminal and payment provider exist and their ``check_config()`` find nothing
wrong."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from yakusho.payments.providers import providers
from yakusho.payments.terminals import terminals


@register()
def check_payment_terminal(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    key = settings.PAYMENT_TERMINAL
    if key not in terminals:
        known = ", ".join(sorted(t.key for t in terminals.all())) or "none"
        return [
            Error(
                f"YAKUSHO_PAYMENT_TERMINAL names {key!r}, which no payment terminal adapter registered "
                f"(registered: {known}).",
                hint="Name a registered terminal, or add its module to YAKUSHO_PAYMENT_TERMINAL_MODULES.",
                id="yakusho.E020",
            )
        ]
    return [
        Error(f"The payment terminal {key!r}: {problem}", id="yakusho.E021")
        for problem in terminals.get(key).check_config()
    ]


@register()
def check_payment_provider(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    key = settings.PAYMENT_PROVIDER
    if key not in providers:
        known = ", ".join(sorted(p.key for p in providers.all())) or "none"
        return [
            Error(
                f"YAKUSHO_PAYMENT_PROVIDER names {key!r}, which no payment provider adapter registered "
                f"(registered: {known}).",
                hint="Name a registered provider, or add its module to YAKUSHO_PAYMENT_PROVIDER_MODULES.",
                id="yakusho.E022",
            )
        ]
    return [
        Error(f"The payment provider {key!r}: {problem}", id="yakusho.E023")
        for problem in providers.get(key).check_config()
    ]
