"""The adapter for the local demo provider (:mod:`.demo_service`), used exactly as a real one:
JSON over HTTP with the API key, notifications checked by their HMAC signature and timestamp."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.payments.providers import providers
from yakusho.payments.providers.base import (
    Checkout,
    InvalidNotification,
    Notification,
    PaymentProvider,
    ProviderError,
    ProviderState,
)
from yakusho.payments.providers.demo_service import verify

TIMEOUT = 5.0  # seconds for one call to the provider
#: no proxy from the environment: the provider is called directly
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
SIGNATURE_HEADER = "Demo-Signature"


def _base_url() -> str:
    return str(settings.PAYMENT_PROVIDER_DEMO_URL).rstrip("/")


def _secret() -> str:
    return str(settings.PAYMENT_PROVIDER_DEMO_SECRET)


class DemoProvider(PaymentProvider):
    key = "demo"
    label = gettext_lazy("デモ決済サービス（実際には決済しません）")

    @classmethod
    def check_config(cls) -> list[str]:
        problems = []
        if not str(settings.PAYMENT_PROVIDER_DEMO_URL).startswith(("http://", "https://")):
            problems.append(_("YAKUSHO_PAYMENT_PROVIDER_DEMO_URL は http:// か https:// で始めてください。"))
        if len(_secret()) < 16:
            problems.append(_("YAKUSHO_PAYMENT_PROVIDER_DEMO_SECRET は16文字以上にしてください。"))
        return problems

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, key: str = ""
    ) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {_secret()}", "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(  # noqa: S310 - the configured provider's http(s) URL
            _base_url() + path, data=data, method=method, headers=headers
        )
        try:
            with _OPENER.open(request, timeout=TIMEOUT) as response:
                answer: dict[str, Any] = json.loads(response.read() or b"{}")
                return answer
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read() or b"{}").get("error", "")
            except ValueError:
                detail = ""
            raise ProviderError(f"HTTP {exc.code} {detail}".strip()) from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise ProviderError(str(getattr(exc, "reason", exc))) from None

    def create_checkout(
        self, *, amount: int, reference: str, description: str, return_url: str, notify_url: str
    ) -> Checkout:
        answer = self._call(
            "POST",
            "/v1/checkouts",
            {
                "amount": amount,
                "currency": "JPY",
                "reference": reference,
                "description": description[:200],
                "return_url": return_url,
                "notify_url": notify_url,
            },
        )
        try:
            return Checkout(str(answer["id"]), str(answer["pay_url"]))
        except KeyError as exc:
            raise ProviderError(f"an answer without {exc}") from None

    def parse_notification(self, headers: dict[str, str], body: bytes) -> Notification:
        signature = headers.get(SIGNATURE_HEADER.lower(), "")
        if not signature or not verify(_secret(), signature, body):
            raise InvalidNotification("signature")
        try:
            data = json.loads(body)
            return Notification(
                event_id=str(data["event_id"]),
                type=str(data["type"]),
                provider_ref=str(data["checkout_id"]),
                amount=int(data["amount"]),
                currency=str(data["currency"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidNotification("body") from exc

    def _state(self, answer: dict[str, Any]) -> ProviderState:
        try:
            return ProviderState(
                provider_ref=str(answer.get("id") or answer["checkout_id"]),
                status=str(answer["status"]),
                amount=int(answer["amount"]),
                currency=str(answer.get("currency", "JPY")),
                refunded_amount=int(answer.get("refunded_amount") or 0),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderError(f"an answer without {exc}") from None

    def fetch(self, provider_ref: str) -> ProviderState:
        return self._state(self._call("GET", f"/v1/checkouts/{provider_ref}"))

    def refund(self, provider_ref: str, amount: int, key: str = "") -> ProviderState:
        self._call("POST", f"/v1/checkouts/{provider_ref}/refunds", {"amount": amount}, key=key)
        return self.fetch(provider_ref)


providers.add(DemoProvider.key, DemoProvider)
