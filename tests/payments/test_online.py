"""Online payment through the real local demo provider (issue 25's foundation): a pending payment
and a checkout, the provider's signed notification applied once whatever comes twice, out of order
or tampered, the provider down, reconciliation when no notification comes, refunds through it."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.payments.conftest import item, member
from yakusho.core.models import Municipality
from yakusho.payments import services
from yakusho.payments.models import FeeItem, Method, Payment, PaymentStatus
from yakusho.payments.providers.demo_service import DemoProviderServer, sign, start
from yakusho.payments.services import PaymentError

pytestmark = pytest.mark.django_db
SECRET = "test-provider-secret-0123456789"
RETURN = "https://town.example/m/testtown/return/"
NOTIFY = "http://127.0.0.1:9/payments/notify/demo/"  # no notification reaches the tests' database


@pytest.fixture
def provider() -> Iterator[DemoProviderServer]:
    server = start(secret=SECRET)
    server.control(drop=True)  # notifications are posted by the tests themselves, signed as it would
    with override_settings(PAYMENT_PROVIDER_DEMO_URL=server.url, PAYMENT_PROVIDER_DEMO_SECRET=SECRET):
        yield server
    server.stop()


@pytest.fixture
def online(town: Municipality) -> Municipality:
    FeeItem.objects.filter(municipality=town, key__in=["juminhyo", "sodai"]).update(
        methods=["cash", "online"]
    )
    return town


def begin(town: Municipality, key: str = "k") -> tuple[Payment, str]:
    return services.start_online(
        town,
        [services.quote(item(town, "juminhyo"), 2)],
        request_key=key,
        return_url=RETURN,
        notify_url=NOTIFY,
    )


def resident(server: DemoProviderServer, checkout: str, action: str = "pay") -> None:
    """The resident's click on the provider's hosted page."""
    data = urllib.parse.urlencode({"action": action, "card_number": "4242424242424242"}).encode()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as redirect:  # 303 back to Yakusho, not followed
        opener.open(urllib.request.Request(f"{server.url}/pay/{checkout}", data=data, method="POST"))  # noqa: S310
    assert redirect.value.code == 303


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def notify(client: Client, payment: Payment, *, amount: int | None = None, kind: str = "checkout.paid",
           secret: str = SECRET, at: int | None = None) -> tuple[int, dict[str, object]]:  # fmt: skip
    body = json.dumps(
        {"event_id": f"ev_{time.monotonic_ns()}", "type": kind, "checkout_id": payment.provider_ref,
         "reference": payment.code, "amount": payment.total_yen if amount is None else amount,
         "currency": "JPY", "refunded_amount": 0, "sequence": 1, "created_at": "2026-12-07T10:00:00+09:00"}
    ).encode()  # fmt: skip
    response = client.post(
        reverse("payments:notify", args=["demo"]),
        body,
        content_type="application/json",
        HTTP_DEMO_SIGNATURE=sign(secret, body, at or int(time.time())),
    )
    return response.status_code, response.json()


def test_a_payment_opens_a_checkout_and_is_paid_once_by_its_notification(
    online: Municipality, provider: DemoProviderServer, client: Client
) -> None:
    payment, redirect = begin(online)
    assert (
        payment.status == PaymentStatus.PENDING and payment.channel == "online" and payment.total_yen == 600
    )
    assert redirect == f"{provider.url}/pay/{payment.provider_ref}"
    assert provider.checkouts[payment.provider_ref]["amount"] == 600
    assert begin(online)[0].pk == payment.pk  # the same press again: the same payment
    assert notify(client, payment) == (200, {"result": "applied"})  # not paid yet at the provider
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING  # the provider's own state decides, not the message
    resident(provider, payment.provider_ref)
    for _ in range(2):  # and a duplicate
        assert notify(client, payment) == (200, {"result": "applied"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.business_day is not None
    assert Payment.objects.filter(municipality=online).count() == 1
    assert services.day_summary(online, payment.business_day).total_yen == 600


def test_bad_signatures_tampered_amounts_and_unknown_checkouts_change_nothing(
    online: Municipality, provider: DemoProviderServer, client: Client
) -> None:
    payment, _redirect = begin(online)
    resident(provider, payment.provider_ref)
    assert notify(client, payment, secret="wrong-secret-0123456789")[0] == 400
    assert notify(client, payment, at=int(time.time()) - 3600)[0] == 400  # replayed an hour later
    assert notify(client, payment, amount=1)[0] == 400  # tampered amount
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    stranger = Payment(provider_ref="dp_nobody", code="ACEF3467", total_yen=600)
    assert notify(client, stranger) == (200, {"result": "unknown"})
    assert client.get(reverse("payments:notify", args=["demo"])).status_code == 405
    junk = client.post(reverse("payments:notify", args=["nosuch"]), b"{}", content_type="application/json")
    assert junk.status_code == 400


def test_a_declined_payment_fails_and_the_provider_down_is_said(
    online: Municipality, provider: DemoProviderServer, client: Client
) -> None:
    payment, _redirect = begin(online)
    resident(provider, payment.provider_ref, "decline")
    assert notify(client, payment)[0] == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    provider.control(down=True)
    with pytest.raises(PaymentError, match="決済サービスに接続できませんでした"):
        begin(online, "k2")
    assert Payment.objects.get(municipality=online, request_key="k2").status == PaymentStatus.FAILED


def test_reconciliation_finds_the_state_when_no_notification_comes(
    online: Municipality, provider: DemoProviderServer, client: Client
) -> None:
    payment, _redirect = begin(online)
    resident(provider, payment.provider_ref)
    provider.control(down=True)
    assert notify(client, payment)[0] == 503  # the provider cannot be asked back: it retries later
    assert services.reconcile(older_than=services.timedelta(0))["unanswered"] == 1
    provider.control(down=False)
    assert services.reconcile(older_than=services.timedelta(0)) == {
        "checked": 1,
        "paid": 1,
        "failed": 0,
        "unanswered": 0,
    }
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert services.reconcile(older_than=services.timedelta(0))["checked"] == 0


def test_a_refund_goes_through_the_provider_and_a_late_notification_changes_nothing(
    online: Municipality, provider: DemoProviderServer, client: Client
) -> None:
    payment, _redirect = begin(online)
    resident(provider, payment.provider_ref)
    notify(client, payment)
    reversal = services.request_reversal(
        Payment.objects.get(pk=payment.pk), kind="refund", amount=600, reason="申請取り下げ",
        staff=member(online), request_key="r",
    )  # fmt: skip
    assert reversal.status == "done"
    assert provider.checkouts[payment.provider_ref]["refunded_amount"] == 600
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert notify(client, payment, kind="refund.succeeded")[0] == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


def test_an_item_not_payable_online_is_refused(town: Municipality, provider: DemoProviderServer) -> None:
    with pytest.raises(PaymentError, match="オンラインでは支払えません"):
        services.start_online(
            town,
            [services.quote(item(town, "koseki"))],
            request_key="x",
            return_url=RETURN,
            notify_url=NOTIFY,
        )
    assert Method.ONLINE == "online"


def test_a_failed_payment_is_not_tried_again_under_the_same_key(
    online: Municipality, provider: DemoProviderServer
) -> None:
    provider.control(down=True)
    with pytest.raises(PaymentError):
        begin(online, "once")
    provider.control(down=False)
    with pytest.raises(PaymentError) as again:
        begin(online, "once")
    assert "もう一度お支払いください" in again.value.message
    assert Payment.objects.filter(municipality=online).count() == 1
    payment, url = begin(online, "twice")  # a new key (a reloaded page): a new try
    assert url.startswith(provider.url) and payment.status == PaymentStatus.PENDING


@pytest.fixture
def silent_provider() -> Iterator[str]:
    """A provider that accepts the connection and never answers (a time-out, not a refusal)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_provider_that_times_out_counts_nothing_and_a_pending_payment_waits_for_its_answer(
    online: Municipality, provider: DemoProviderServer, silent_provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yakusho.payments import online as online_payments
    from yakusho.payments.providers import demo

    monkeypatch.setattr(demo, "TIMEOUT", 0.5)
    with override_settings(PAYMENT_PROVIDER_DEMO_URL=silent_provider):
        with pytest.raises(PaymentError) as timed_out:  # opening the checkout times out
            begin(online, "slow")
        assert "接続できませんでした" in timed_out.value.message
    assert Payment.objects.get(request_key="slow").status == PaymentStatus.FAILED
    payment, _url = begin(online, "later")
    resident(provider, payment.provider_ref)
    with override_settings(PAYMENT_PROVIDER_DEMO_URL=silent_provider):
        # back from the provider while it does not answer: still pending, nothing applied
        assert online_payments.refresh(payment).status == PaymentStatus.PENDING
        assert services.reconcile(older_than=timedelta(0))["unanswered"] == 1
    assert services.reconcile(older_than=timedelta(0))["paid"] == 1  # it answers again: paid, once
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == 1
