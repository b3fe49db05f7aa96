"""Payment-provider adapters (docs/payments.md "Online payment"): how a resident pays online.

A municipality plugs in the payment service it contracts through an adapter: a
:class:`~yakusho.payments.providers.base.PaymentProvider` subclass registered in :data:`providers`
under its key (shipped: ``demo``, the local demo provider of :mod:`.demo_service`; more from an
app's ``payment_providers.py`` or ``YAKUSHO_PAYMENT_PROVIDER_MODULES``), chosen with
``YAKUSHO_PAYMENT_PROVIDER``. ``manage.py check`` reports its ``check_config()`` problems.
"""

from __future__ import annotations

from django.conf import settings

from yakusho.core.registry import Registry
from yakusho.payments.providers.base import PaymentProvider

BUILTIN_MODULES = ("yakusho.payments.providers.demo",)

providers = Registry[type[PaymentProvider]](
    "payment provider", module="payment_providers", key_pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$"
)


def autodiscover() -> None:
    providers.autodiscover(*BUILTIN_MODULES, *getattr(settings, "PAYMENT_PROVIDER_MODULES", ()))


def current() -> PaymentProvider:
    """The configured provider (``YAKUSHO_PAYMENT_PROVIDER``)."""
    return providers.get(settings.PAYMENT_PROVIDER)()
