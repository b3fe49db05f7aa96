"""What a resident who pays online meets on Yakusho's side (docs/payments.md "Paying online").

A service (a submission, a booking) starts the payment with :func:`start` and sends the resident to
the provider's page; the provider sends them back to the return address of the request, where the
provider is asked for the state at once (the notification may come a moment later, or never) and
the resident is passed on to the service's own page (``Payable.return_path``). The 領収書 is a PDF
at an address carrying a key derived from the secret key and the payment (:func:`receipt_path`),
given only to the payer (their page, their mail), so no one reads another's receipt by its number.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from yakusho.core.models import Municipality
from yakusho.payments import services
from yakusho.payments.models import Method, Payment, PaymentStatus
from yakusho.payments.providers import providers
from yakusho.payments.providers.base import ProviderError
from yakusho.payments.services import Line, NotificationRefused

#: what a request key of an online payment looks like (it is part of the return address)
REQUEST_KEY_RE = re.compile(r"\A[A-Za-z0-9_-]{16,64}\Z")


def payable_online(lines: Sequence[Line]) -> bool:
    """Every line's item takes online payment (and there is something to pay)."""
    return (
        bool(lines)
        and all(line.item.accepts(Method.ONLINE) for line in lines)
        and (sum(line.amount_yen for line in lines) > 0)
    )


def start(
    municipality: Municipality,
    lines: Sequence[Line],
    *,
    request_key: str,
    site: str,
    description: str,
    payable: str,
    payable_ref: str,
) -> tuple[Payment, str]:
    """Open the payment and its checkout (``services.start_online``) and return it with the address
    of the provider's page. ``site`` is this site's address (scheme and host) the provider sends the
    resident and its notification back to; the resident comes back to ``payments:return`` of the
    request key (the payment's code is made only once it is stored). The same ``request_key`` gives
    the same payment and page back."""
    if not REQUEST_KEY_RE.match(request_key or ""):
        raise services.PaymentError(_("画面を読み込み直してから、もう一度お試しください。"))
    site = site.rstrip("/")
    return services.start_online(
        municipality,
        lines,
        request_key=request_key,
        return_url=site + reverse("payments:return", args=[municipality.slug, request_key]),
        notify_url=site + reverse("payments:notify", args=[settings.PAYMENT_PROVIDER]),
        description=description,
        payable=payable,
        payable_ref=payable_ref,
    )


def start_payable(
    municipality: Municipality, payable: str, ref: str, *, request_key: str, site: str, description: str
) -> str:
    """Open the online payment of what ``ref`` owes (its payable's lines, priced today) and return
    the address of the provider's page. :class:`PaymentError` when there is nothing to pay, the
    provider cannot be reached, or this request key's payment is over (a stale page)."""
    lines = services.owed_lines(municipality, payable, ref)
    _payment, url = start(
        municipality,
        lines,
        request_key=request_key,
        site=site,
        description=description,
        payable=payable,
        payable_ref=ref,
    )
    if not url:
        raise services.PaymentError(_("このお支払いはすでに手続き済みです。画面を読み込み直してください。"))
    return url


def new_request_key() -> str:
    """A key for one press of 「支払う」 (a form carries it, so a second press opens no second payment)."""
    return secrets.token_urlsafe(24)


def refresh(payment: Payment) -> Payment:
    """Ask the provider for a pending online payment's state and apply it (idempotent; a provider
    that cannot answer leaves it pending, for the notification or the reconciliation)."""
    if (
        payment.status != PaymentStatus.PENDING
        or not payment.provider_ref
        or payment.provider not in providers
    ):
        return payment
    try:
        state = providers.get(payment.provider)().fetch(payment.provider_ref)
        return services.apply_provider_state(payment, state)
    except (ProviderError, NotificationRefused):
        return payment


def receipt_key(payment: Payment) -> str:
    return salted_hmac(
        "yakusho.payments.receipt", f"{payment.municipality_id}:{payment.code}", algorithm="sha256"
    ).hexdigest()[:32]


def receipt_key_matches(payment: Payment, key: str) -> bool:
    return hmac.compare_digest(receipt_key(payment).encode(), (key or "")[:64].encode())


def receipt_path(payment: Payment) -> str:
    """The resident's address of the payment's 領収書 (PDF)."""
    path = reverse("payments:receipt", args=[payment.municipality.slug, payment.code])
    return f"{path}?k={receipt_key(payment)}"
