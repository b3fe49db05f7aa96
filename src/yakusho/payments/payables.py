"""How a service asks for payment without payments importing it (docs/payments.md "Payables").

A service registers a :class:`Payable` under a key (``procedures.counter_visit``, say): given a
reference of its own (a visit's 受付番号), it says what is owed — lines naming fee items from the
catalogue, with a quantity — and it is told when that is paid or refunded. The till lists what a
visit owes through it; the payment keeps the key and the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from yakusho.core.models import Municipality
from yakusho.core.registry import Registry


@dataclass(frozen=True)
class Owed:
    """One thing owed: a fee item of the catalogue (by key), how many, and what it is for."""

    fee_key: str
    quantity: int = 1
    label: str = ""


class Payable:
    """A service's side of a payment. Subclass and register an instance under a key."""

    label: str = ""

    def owed(self, municipality: Municipality, ref: str) -> list[Owed] | None:
        """What ``ref`` owes, or None when ``ref`` names nothing of this municipality."""
        raise NotImplementedError

    def paid(self, municipality: Municipality, ref: str, payment_code: str) -> None:
        """Told once the payment is taken (inside its transaction)."""

    def refunded(self, municipality: Municipality, ref: str, payment_code: str) -> None:
        """Told once a payment for ``ref`` is voided or refunded in full."""

    def return_path(self, municipality: Municipality, ref: str) -> str:
        """Where a resident who paid ``ref`` online goes back to from the provider's page (a path of
        this site); empty for the payment's own result page."""
        return ""


payables = Registry[Payable]("payable", module="payables", key_pattern=r"^[a-z][a-z0-9_.-]{0,59}$")
