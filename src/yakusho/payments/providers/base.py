"""The payment-provider interface: what Yakusho asks of the service a municipality contracts.

Online payment goes: Yakusho asks the provider for a checkout of an amount (``create_checkout``)
and sends the resident to the provider's page; the provider sends the resident back and, server to
server, a signed notification. Yakusho trusts no notification by itself: it checks the signature
(``parse_notification``), then asks the provider for the checkout's state (``fetch``) and applies
that, checking amount and currency against what it asked — so a duplicate, an out-of-order or a
replayed notification changes nothing, and a notification that never comes is made up for by
asking (``yakusho reconcile-payments``). Refunds go through ``refund``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from django.utils.functional import Promise


class ProviderError(Exception):
    """The provider could not be reached or refused the request (the message says why, for staff
    and logs; residents are told to try again)."""


class InvalidNotification(Exception):
    """A notification whose signature, timestamp or body does not check out."""


@dataclass(frozen=True)
class Checkout:
    """A checkout the provider opened: its id and where to send the resident."""

    provider_ref: str
    redirect_url: str


@dataclass(frozen=True)
class ProviderState:
    """What the provider says of a checkout. ``status``: open, paid, declined, canceled, refunded."""

    provider_ref: str
    status: str
    amount: int
    currency: str
    refunded_amount: int = 0


@dataclass(frozen=True)
class Notification:
    """A verified notification: which event, of which checkout."""

    event_id: str
    type: str
    provider_ref: str
    amount: int
    currency: str


class PaymentProvider(ABC):
    key: ClassVar[str]
    label: ClassVar[str | Promise]

    @classmethod
    def check_config(cls) -> list[str]:
        """Problems with this provider's configuration, in Japanese (empty when ready)."""
        return []

    @abstractmethod
    def create_checkout(
        self, *, amount: int, reference: str, description: str, return_url: str, notify_url: str
    ) -> Checkout:
        """Open a checkout of ``amount`` yen for the payment ``reference``."""

    @abstractmethod
    def parse_notification(self, headers: dict[str, str], body: bytes) -> Notification:
        """Verify and read a notification; :class:`InvalidNotification` when it does not check out."""

    @abstractmethod
    def fetch(self, provider_ref: str) -> ProviderState:
        """Ask the provider for a checkout's state (:class:`ProviderError` when it cannot answer)."""

    @abstractmethod
    def refund(self, provider_ref: str, amount: int, key: str = "") -> ProviderState:
        """Give ``amount`` yen back on a paid checkout; the state after it. ``key`` makes a retried
        refund count once at the provider."""
