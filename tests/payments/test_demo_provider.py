"""The demo payment provider as a real HTTP service: its API, hosted page, notifications and knobs.

Each test starts the service on a free port and a small notification receiver on another, and talks
to both over HTTP only — what Yakusho's adapter relies on is the wire, not the Python objects.
Independent of the database (``once``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from yakusho.payments.providers.demo_service import DECLINED_CARD, DemoProviderServer, sign, start, verify

pytestmark = pytest.mark.once

SECRET = "test-secret-of-the-demo-provider-0123"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def call(
    method: str,
    url: str,
    payload: Any = None,
    *,
    token: str | None = SECRET,
    raw: bytes | None = None,
    form: dict[str, str] | None = None,
) -> tuple[int, Message, bytes]:
    """One HTTP request, whatever its answer (no redirect followed, no proxy)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    data = raw
    if payload is not None:
        data = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with OPENER.open(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def answer(result: tuple[int, Message, bytes]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result[2])
    return data


class Receiver:
    """A notification receiver: records every POST; answers the statuses in ``answers`` first, then 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        self.answers: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.received.append((dict(self.headers.items()), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/notify"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[dict[str, str], bytes, int]]:
        """The first ``count`` requests, polling up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} notifications, got {len(self.received)}")

    def delivered(self, count: int) -> list[dict[str, Any]]:
        """The bodies of the first ``count`` successful deliveries, each checked for its signature."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with self.lock:
                ok = [(h, b) for h, b, status in self.received if status == 200]
            if len(ok) >= count:
                for headers, body in ok:
                    assert verify(SECRET, headers["Demo-Signature"], body)
                return [json.loads(body) for _, body in ok]
            time.sleep(0.02)
        raise AssertionError(f"expected {count} deliveries, got {len(self.received)} requests")

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def provider() -> Iterator[DemoProviderServer]:
    server = start(port=0, secret=SECRET)
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def body(receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "amount": 1200,
        "currency": "JPY",
        "reference": "P-0001",
        "description": "住民票の写し <2通>",
        "return_url": "https://town.example/pay/return?from=demo",
        "notify_url": receiver.url,
    }
    data.update(overrides)
    return data


def create(provider: DemoProviderServer, receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    result = call("POST", f"{provider.url}/v1/checkouts", body(receiver, **overrides))
    assert result[0] == 201, result
    return answer(result)


def pay(
    provider: DemoProviderServer, checkout_id: str, action: str = "pay", card: str = "4242424242424242"
) -> tuple[int, Message, bytes]:
    return call("POST", f"{provider.url}/pay/{checkout_id}", form={"action": action, "card_number": card})


def test_create_pay_redirect_and_signed_notification(
    provider: DemoProviderServer, receiver: Receiver
) -> None:
    made = create(provider, receiver)
    assert made["id"].startswith("dp_") and len(made["id"]) == 27
    assert made["status"] == "open"
    assert made["pay_url"] == f"{provider.url}/pay/{made['id']}"
    assert (made["amount"], made["currency"], made["reference"]) == (1200, "JPY", "P-0001")

    status, headers, page = call("GET", made["pay_url"], token=None)
    text = page.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<html lang="ja">' in text and "<h1>お支払い</h1>" in text
    assert "1,200円" in text
    assert "住民票の写し &lt;2通&gt;" in text  # escaped, never raw
    assert '<label for="card_number">' in text and 'id="card_number"' in text
    for label in ("支払う", "カードが使えない（拒否）", "やめる"):
        assert f">{label}</button>" in text
    assert "<script" not in text and "src=" not in text and "<link" not in text

    status, headers, _ = pay(provider, made["id"], card="4242 4242-4242 4242")
    assert status == 303
    assert headers["Location"] == (
        f"https://town.example/pay/return?from=demo&checkout={made['id']}&status=paid"
    )

    [note] = receiver.delivered(1)
    assert note["type"] == "checkout.paid"
    assert note["sequence"] == 1
    assert note["event_id"].startswith("ev_")
    assert (note["checkout_id"], note["reference"], note["amount"], note["currency"]) == (
        made["id"],
        "P-0001",
        1200,
        "JPY",
    )
    assert note["refunded_amount"] == 0

    state = answer(call("GET", f"{provider.url}/v1/checkouts/{made['id']}"))
    assert state["status"] == "paid" and state["paid_at"] and state["refunded_amount"] == 0
    # a second click on the page changes nothing
    status, _, page = pay(provider, made["id"])
    assert status == 409 and "手続き済み" in page.decode()
    assert provider.checkouts[made["id"]]["status"] == "paid"


def test_return_url_without_query_gets_one(provider: DemoProviderServer, receiver: Receiver) -> None:
    made = create(provider, receiver, return_url="http://127.0.0.1:8000/r#top")
    status, headers, _ = pay(provider, made["id"], action="cancel", card="")
    assert status == 303
    assert headers["Location"] == f"http://127.0.0.1:8000/r?checkout={made['id']}&status=canceled#top"


@pytest.mark.parametrize(
    ("action", "card", "status"),
    [("decline", "", "declined"), ("cancel", "", "canceled"), ("pay", DECLINED_CARD, "declined")],
)
def test_decline_cancel_and_the_declined_test_card(
    provider: DemoProviderServer, receiver: Receiver, action: str, card: str, status: str
) -> None:
    made = create(provider, receiver)
    code, headers, _ = pay(provider, made["id"], action=action, card=card)
    assert code == 303 and headers["Location"].endswith(f"&status={status}")
    [note] = receiver.delivered(1)
    assert note["type"] == f"checkout.{status}" and note["sequence"] == 1
    state = answer(call("GET", f"{provider.url}/v1/checkouts/{made['id']}"))
    assert state["status"] == status and state["paid_at"] is None
    # no refund of what was never paid
    refused = call("POST", f"{provider.url}/v1/checkouts/{made['id']}/refunds", {"amount": 100})
    assert refused[0] == 409 and answer(refused)["error"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"action": "pay", "card_number": ""}, "カード番号を入力してください。"),
        ({"action": "pay", "card_number": "4242x<b>"}, "数字で入力してください"),
        ({"action": "pay", "card_number": "1" * 20}, "19桁まで"),
        ({"action": "steal", "card_number": "4242"}, "ボタンを押して"),
    ],
)
def test_pay_page_errors_keep_the_checkout_open(
    provider: DemoProviderServer, receiver: Receiver, form: dict[str, str], message: str
) -> None:
    made = create(provider, receiver)
    status, _, page = call("POST", f"{provider.url}/pay/{made['id']}", form=form)
    text = page.decode()
    assert status == 400
    assert message in text
    assert 'aria-invalid="true"' in text and 'aria-describedby="card_help card_error"' in text
    assert "<b>" not in text  # what was typed comes back escaped
    assert provider.checkouts[made["id"]]["status"] == "open"
    assert receiver.received == []


def test_partial_then_full_refund(provider: DemoProviderServer, receiver: Receiver) -> None:
    made = create(provider, receiver)
    refunds = f"{provider.url}/v1/checkouts/{made['id']}/refunds"
    assert pay(provider, made["id"])[0] == 303

    first = call("POST", refunds, {"amount": 200})
    assert first[0] == 201
    data = answer(first)
    assert data["refund_id"].startswith("rf_")
    assert (data["checkout_id"], data["amount"], data["refunded_amount"], data["status"]) == (
        made["id"],
        200,
        200,
        "paid",
    )

    too_much = call("POST", refunds, {"amount": 1001})
    assert too_much[0] == 409 and "1,000円" in answer(too_much)["error"]

    rest = answer(call("POST", refunds, {"amount": 1000}))
    assert (rest["refunded_amount"], rest["status"]) == (1200, "refunded")
    state = answer(call("GET", f"{provider.url}/v1/checkouts/{made['id']}"))
    assert (state["status"], state["refunded_amount"], len(state["refunds"])) == ("refunded", 1200, 2)

    notes = receiver.delivered(3)
    assert [(n["type"], n["sequence"], n["refunded_amount"]) for n in notes] == [
        ("checkout.paid", 1, 0),
        ("refund.succeeded", 2, 200),
        ("refund.succeeded", 3, 1200),
    ]
    assert [n.get("refund_amount") for n in notes] == [None, 200, 1000]
    assert call("POST", refunds, {"amount": 1})[0] == 409


@pytest.mark.parametrize("payload", [{"amount": 0}, {"amount": -5}, {"amount": "100"}, {"amount": 1.5}, {}])
def test_bad_refund_bodies(provider: DemoProviderServer, receiver: Receiver, payload: dict[str, Any]) -> None:
    made = create(provider, receiver)
    pay(provider, made["id"])
    result = call("POST", f"{provider.url}/v1/checkouts/{made['id']}/refunds", payload)
    assert result[0] == 400 and answer(result)["error"]
    assert provider.checkouts[made["id"]]["refunded_amount"] == 0


def test_a_refund_retried_with_its_idempotency_key_counts_once(
    provider: DemoProviderServer, receiver: Receiver
) -> None:
    made = create(provider, receiver)
    pay(provider, made["id"])
    url = f"{provider.url}/v1/checkouts/{made['id']}/refunds"
    request = urllib.request.Request(  # noqa: S310
        url,
        data=b'{"amount": 300}',
        method="POST",
        headers={"Authorization": f"Bearer {SECRET}", "Idempotency-Key": "refund-1"},
    )
    answers = [json.loads(OPENER.open(request, timeout=5).read()) for _ in range(2)]
    assert answers[0] == answers[1]
    assert provider.checkouts[made["id"]]["refunded_amount"] == 300


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {SECRET}", f"Bearer {SECRET}x", ""])
def test_the_api_needs_the_secret(
    provider: DemoProviderServer, receiver: Receiver, authorization: str | None
) -> None:
    made = create(provider, receiver)
    requests: list[tuple[str, str, bytes | None]] = [
        ("POST", "/v1/checkouts", json.dumps(body(receiver, reference="P-2")).encode()),
        ("GET", f"/v1/checkouts/{made['id']}", None),
        ("POST", f"/v1/checkouts/{made['id']}/refunds", b'{"amount": 1}'),
        ("POST", "/v1/_control", b'{"down": true}'),
    ]
    for method, path, data in requests:
        headers = {"Authorization": authorization} if authorization is not None else {}
        request = urllib.request.Request(provider.url + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            OPENER.open(request, timeout=5)
            raise AssertionError(f"{method} {path} answered without the secret")
        except urllib.error.HTTPError as error:
            assert error.code == 401, (method, path)
            assert "認証" in json.loads(error.read())["error"]
    assert len(provider.checkouts) == 1
    assert provider.control() == {
        "down": False,
        "duplicate": False,
        "reverse_order": False,
        "drop": False,
        "delay": 0.0,
    }


@pytest.mark.parametrize(
    ("change", "raw", "field"),
    [
        ({"amount": -1}, None, "amount"),
        ({"amount": 0}, None, "amount"),
        ({"amount": "1200"}, None, "amount"),
        ({"amount": True}, None, "amount"),
        ({"amount": 100_000_000}, None, "amount"),
        ({"currency": "USD"}, None, "currency"),
        ({"reference": "R" * 65}, None, "reference"),
        ({"reference": "R" * 10_000}, None, "reference"),
        ({"reference": ""}, None, "reference"),
        ({"description": "x" * 201}, None, "description"),
        ({"return_url": "javascript:alert(1)"}, None, "return_url"),
        ({"notify_url": "ftp://town.example/n"}, None, "notify_url"),
        ({"notify_url": "http://"}, None, "notify_url"),
        ({"colour": "red"}, None, "colour"),
        ({}, b"not json", None),
        ({}, b"\xff\xfe", None),
        ({}, b"[1, 2]", None),
    ],
)
def test_bad_checkout_bodies(
    provider: DemoProviderServer,
    receiver: Receiver,
    change: dict[str, Any],
    raw: bytes | None,
    field: str | None,
) -> None:
    payload = None if raw is not None else body(receiver, **change)
    result = call("POST", f"{provider.url}/v1/checkouts", payload, raw=raw)
    assert result[0] == 400
    data = answer(result)
    assert data["error"]
    assert data.get("field") == field
    assert provider.checkouts == {}


@pytest.mark.parametrize(
    "missing", ["amount", "currency", "reference", "description", "return_url", "notify_url"]
)
def test_every_field_is_required(provider: DemoProviderServer, receiver: Receiver, missing: str) -> None:
    payload = body(receiver)
    del payload[missing]
    result = call("POST", f"{provider.url}/v1/checkouts", payload)
    assert result[0] == 400 and missing in answer(result)["error"]
    assert provider.checkouts == {}


def test_a_huge_body_is_refused_unread(provider: DemoProviderServer) -> None:
    result = call("POST", f"{provider.url}/v1/checkouts", raw=b"x" * 100_000)
    assert result[0] == 413 and answer(result)["error"]


def test_the_same_reference_twice(provider: DemoProviderServer, receiver: Receiver) -> None:
    made = create(provider, receiver)
    again = call("POST", f"{provider.url}/v1/checkouts", body(receiver, amount=999))
    assert again[0] == 409
    assert answer(again)["id"] == made["id"] and answer(again)["error"]
    assert len(provider.checkouts) == 1 and provider.checkouts[made["id"]]["amount"] == 1200


@pytest.mark.parametrize(
    "checkout_id", ["dp_" + "0" * 24, "dp_nothing", "..%2F..%2Fetc", "%00", "dp_" + "a" * 500]
)
def test_unknown_checkouts(provider: DemoProviderServer, checkout_id: str) -> None:
    got = call("GET", f"{provider.url}/v1/checkouts/{checkout_id}")
    assert got[0] == 404 and answer(got)["error"]
    refund = call("POST", f"{provider.url}/v1/checkouts/{checkout_id}/refunds", {"amount": 1})
    assert refund[0] == 404
    status, _, page = call("GET", f"{provider.url}/pay/{checkout_id}", token=None)
    assert status == 404 and "見つかりません" in page.decode()
    assert pay(provider, checkout_id)[0] == 404
    assert call("GET", f"{provider.url}/v1/nothing")[0] == 404
    assert call("DELETE", f"{provider.url}/v1/checkouts")[0] == 405


def test_down(provider: DemoProviderServer, receiver: Receiver) -> None:
    made = create(provider, receiver)
    assert provider.control(down=True)["down"] is True
    assert call("POST", f"{provider.url}/v1/checkouts", body(receiver, reference="P-2"))[0] == 503
    assert call("GET", f"{provider.url}/v1/checkouts/{made['id']}")[0] == 503
    assert call("GET", made["pay_url"], token=None)[0] == 503
    assert pay(provider, made["id"])[0] == 503
    assert provider.checkouts[made["id"]]["status"] == "open"
    provider.control(down=False)
    assert call("GET", f"{provider.url}/v1/checkouts/{made['id']}")[0] == 200


def test_knobs_are_checked(provider: DemoProviderServer) -> None:
    for knobs in ({"down": "yes"}, {"delay": -1}, {"delay": 31}, {"delay": True}, {"explode": True}):
        result = call("POST", f"{provider.url}/v1/_control", knobs)
        assert result[0] == 400 and answer(result)["error"], knobs
    assert provider.control(delay=0.25, duplicate=True) == {
        "down": False,
        "duplicate": True,
        "reverse_order": False,
        "drop": False,
        "delay": 0.25,
    }


def test_duplicate_sends_the_same_event_twice(provider: DemoProviderServer, receiver: Receiver) -> None:
    provider.control(duplicate=True)
    made = create(provider, receiver)
    pay(provider, made["id"])
    first, second = receiver.delivered(2)
    assert first == second and first["event_id"].startswith("ev_")


def test_drop_sends_nothing_but_the_state_is_there(provider: DemoProviderServer, receiver: Receiver) -> None:
    provider.control(drop=True)
    made = create(provider, receiver)
    pay(provider, made["id"])
    assert answer(call("GET", f"{provider.url}/v1/checkouts/{made['id']}"))["status"] == "paid"
    provider.control(drop=False)
    call("POST", f"{provider.url}/v1/checkouts/{made['id']}/refunds", {"amount": 100})
    # deliveries go in order: had the paid notification been queued, it would have come first
    [note] = receiver.delivered(1)
    assert (note["type"], note["sequence"]) == ("refund.succeeded", 2)
    assert len(receiver.received) == 1


def test_retried_until_the_receiver_takes_it(provider: DemoProviderServer, receiver: Receiver) -> None:
    receiver.answers = [500, 500]
    made = create(provider, receiver)
    pay(provider, made["id"])
    attempts = receiver.wait_for(3)
    assert [status for _, _, status in attempts] == [500, 500, 200]
    assert len({json.loads(b)["event_id"] for _, b, _ in attempts}) == 1
    for headers, raw, _ in attempts:
        assert verify(SECRET, headers["Demo-Signature"], raw)


def test_an_unreachable_receiver_does_not_stop_the_service(
    provider: DemoProviderServer, receiver: Receiver
) -> None:
    nowhere = create(provider, receiver, reference="P-X", notify_url="http://127.0.0.1:9/none")
    pay(provider, nowhere["id"])
    made = create(provider, receiver)
    pay(provider, made["id"])
    [note] = receiver.delivered(1)
    assert note["checkout_id"] == made["id"]


def test_delay(provider: DemoProviderServer, receiver: Receiver) -> None:
    provider.control(delay=0.3)
    made = create(provider, receiver)
    started = time.monotonic()
    pay(provider, made["id"])
    receiver.delivered(1)
    assert time.monotonic() - started >= 0.3


def test_reverse_order(provider: DemoProviderServer, receiver: Receiver) -> None:
    provider.control(reverse_order=True, delay=0.3)  # the delay widens the hold: not flaky when slow
    made = create(provider, receiver)
    pay(provider, made["id"])
    call("POST", f"{provider.url}/v1/checkouts/{made['id']}/refunds", {"amount": 100})
    notes = receiver.delivered(2)
    assert [(n["type"], n["sequence"]) for n in notes] == [("refund.succeeded", 2), ("checkout.paid", 1)]


def test_verify() -> None:
    raw = b'{"event_id": "ev_1", "amount": 1200}'
    now = 1_700_000_000
    header = sign(SECRET, raw, now)
    assert header.startswith(f"t={now},v1=")
    assert verify(SECRET, header, raw, now=now)
    assert verify(SECRET, header, raw, now=now + 300)
    assert not verify(SECRET, header, raw.replace(b"1200", b"1"), now=now)  # tampered body
    assert not verify(SECRET, header, raw, now=now + 301)  # too old: a replay
    assert not verify(SECRET, header, raw, now=now - 301)  # from the future
    assert not verify("another-secret", header, raw, now=now)
    forged = header.replace(f"t={now}", f"t={now + 100}")  # a fresh timestamp on an old signature
    assert not verify(SECRET, forged, raw, now=now + 100)
    # a rotated secret: any of several signatures may match
    assert verify(SECRET, f"{sign('old-secret', raw, now)},v1={header.split('v1=')[1]}", raw, now=now)
    for bad in (
        None,
        "",
        "garbage",
        "t=abc,v1=00",
        f"t={now}",
        "v1=00",
        f"t={now},t={now},v1=00",
        "t=１,v1=ab",
    ):
        assert not verify(SECRET, bad, raw, now=now), bad
    assert not verify("", sign("", raw, now), raw, now=now)


def test_the_command_serves_until_interrupted(tmp_path: Path) -> None:
    """``yakusho demo-payment-provider`` prints its URL, answers, logs the request, stops on Ctrl-C."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "yakusho.settings_test"}
    script = Path(sys.executable).parent / "yakusho"
    proc = subprocess.Popen(  # noqa: S603
        [str(script), "demo-payment-provider", "--port", "0", "--secret", SECRET],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert first.startswith("demo payment provider: http://127.0.0.1:"), first
        url = first.split(": ", 1)[1]
        assert call("GET", f"{url}/v1/checkouts/dp_{'0' * 24}")[0] == 404
        assert call("GET", f"{url}/v1/checkouts/dp_{'0' * 24}", token="wrong")[0] == 401
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert f"/v1/checkouts/dp_{'0' * 24}" in output and " 404 " in output
    assert "stopped" in output
