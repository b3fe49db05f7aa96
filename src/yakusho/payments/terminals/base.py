"""The payment-terminal interface: how the till takes a card, QR code or e-money payment.

A municipality's terminal (a card and QR terminal beside the till, POS-connected) is driven by an
adapter: a :class:`PaymentTerminal` subclass registered in
:data:`yakusho.payments.terminals.terminals`. The till asks it to charge an amount and gets an
answer: approved (with the terminal's transaction number), declined (with the terminal's reason) or
timed out (no answer: nothing is recorded, the resident is asked again). Refunds go the same way.
This project ships the demo terminal (:mod:`.demo`), which answers like a real one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from django.utils.functional import Promise


class Outcome:
    APPROVED = "approved"
    DECLINED = "declined"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class TerminalAnswer:
    """What the terminal answered: ``outcome`` (an :class:`Outcome`), its transaction number when
    approved, and its message (shown to staff) when not."""

    outcome: str
    reference: str = ""
    message: str = ""

    @property
    def approved(self) -> bool:
        return self.outcome == Outcome.APPROVED


class TerminalError(Exception):
    """The terminal could not be reached or answered nonsense (shown to staff, nothing recorded)."""


class PaymentTerminal(ABC):
    """One kind of payment terminal. ``key`` names it in the registry and in settings."""

    key: ClassVar[str]
    label: ClassVar[str | Promise]
    #: the methods this terminal takes (values of ``payments.models.Method``)
    methods: ClassVar[frozenset[str]]

    @classmethod
    def check_config(cls) -> list[str]:
        """Problems with this terminal's configuration, in Japanese (empty when ready)."""
        return []

    @abstractmethod
    def charge(self, amount_yen: int, method: str, reference: str) -> TerminalAnswer:
        """Ask the terminal to take ``amount_yen`` by ``method`` for the payment ``reference``."""

    @abstractmethod
    def refund(self, amount_yen: int, terminal_ref: str, reference: str) -> TerminalAnswer:
        """Give ``amount_yen`` back on the terminal's transaction ``terminal_ref``."""
