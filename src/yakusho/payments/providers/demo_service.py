"""The demo payment provider: a small, real web service that behaves like an online payment provider.

Yakusho talks to it exactly as it would talk to a real provider (docs: the provider protocol): it
creates a checkout through a JSON API, sends the resident's browser to the hosted payment page, gets
the browser back on its return URL, receives signed server-to-server notifications (with retries),
asks for the state when a notification went missing, and refunds. Because it is a separate HTTP
service rather than a function call, the Yakusho side meets the failures a real provider brings:
the service down, a notification late, twice, out of order or never.

Only the standard library is used, and nothing of Yakusho is imported: the service runs in its own
process (``yakusho demo-payment-provider``) or, in tests, in a daemon thread of the test process
(:func:`start`). The two settings (``PAYMENT_PROVIDER_DEMO_SECRET``, ``PAYMENT_PROVIDER_DEMO_URL``)
are read through ``django.conf.settings`` only when Django is configured; explicit arguments win.

State lives in memory (a dict guarded by a lock): restarting the service forgets every checkout.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

#: the protocol's defaults, used when neither an argument nor a Django setting gives a value
DEFAULT_SECRET = "demo-provider-secret-0123456789"  # noqa: S105 - the protocol's published demo value
DEFAULT_URL = "http://127.0.0.1:8010"

#: the card number that is declined like a card brand's test number
DECLINED_CARD = "4000000000000002"
#: a card number that is paid (shown on the page so a person testing by hand need not invent one)
TEST_CARD = "4242424242424242"

CURRENCY = "JPY"
MAX_AMOUNT = 99_999_999
MAX_REFERENCE = 64
MAX_DESCRIPTION = 200
MAX_URL = 2000
#: request bodies above this are refused (413) without being read: the API's bodies are tiny
MAX_BODY = 64 * 1024
#: a notification is retried this many times after the first attempt (0.2 s, 0.4 s, … between)
RETRIES = 5
FIRST_BACKOFF = 0.2
#: with the ``reverse_order`` knob, how long a notification waits for the next one to overtake it
REVERSE_HOLD = 0.5
NOTIFY_TIMEOUT = 5.0
#: the signature's timestamp may be this old (or this far ahead) before ``verify`` refuses it
TOLERANCE = 300

CHECKOUT_ID = re.compile(r"dp_[0-9a-f]{24}")
STATUSES = ("open", "paid", "declined", "canceled", "refunded")
KNOB_FLAGS = ("down", "duplicate", "reverse_order", "drop")
MAX_DELAY = 30.0


# --- signatures ------------------------------------------------------------------------------------


def _mac(secret: str, body: bytes, t: int) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, t: int) -> str:
    """The ``Demo-Signature`` header of a notification body sent at unix time ``t``.

    The timestamp is inside the MAC so that a captured notification cannot be replayed later with a
    fresh timestamp; ``verify`` refuses timestamps outside its tolerance.
    """
    return f"t={t},v1={_mac(secret, body, t)}"


def verify(
    secret: str, header: str | None, body: bytes, tolerance: int = TOLERANCE, now: float | None = None
) -> bool:
    """Whether ``header`` is a valid ``Demo-Signature`` of ``body``, made recently with ``secret``.

    Never raises: a missing or malformed header is simply not valid. Several ``v1=`` entries are
    accepted (the way a provider rotates its secret); each is compared in constant time.
    """
    if not header or not secret:
        return False
    stamp: int | None = None
    macs: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return False
        if key == "t":
            if stamp is not None or not value.isascii() or not value.isdigit() or len(value) > 12:
                return False
            stamp = int(value)
        elif key == "v1":
            macs.append(value)
    if stamp is None or not macs:
        return False
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        return False
    expected = _mac(secret, body, stamp)
    valid = False
    for candidate in macs:
        # every candidate is compared (no early exit), bytes so non-ASCII input cannot raise
        valid |= hmac.compare_digest(expected.encode(), candidate.encode("utf-8", "replace"))
    return valid


# --- settings ----------------------------------------------------------------------------------------


def setting(name: str, default: str) -> str:
    """A Django setting when Django is importable and configured, else ``default``.

    The service must run without Django (and tests must not depend on settings), so every failure
    to read the setting falls back to the protocol's default.
    """
    try:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured
    except ImportError:  # pragma: no cover - Django is always installed alongside Yakusho
        return default
    try:
        value = getattr(settings, name, default)
    except ImproperlyConfigured:
        return default
    return str(value) if value else default


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- the store ---------------------------------------------------------------------------------------


@dataclass
class Refund:
    refund_id: str
    amount: int
    created_at: str


@dataclass
class Checkout:
    id: str
    amount: int
    currency: str
    reference: str
    description: str
    return_url: str
    notify_url: str
    created_at: str
    status: str = "open"
    paid_at: str | None = None
    refunded_amount: int = 0
    refunds: list[Refund] = field(default_factory=list)
    #: the last notification sequence number given out for this checkout (1, 2, … per checkout)
    sequence: int = 0

    def public(self) -> dict[str, Any]:
        """The checkout as ``GET /v1/checkouts/<id>`` shows it."""
        return {
            "id": self.id,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "reference": self.reference,
            "description": self.description,
            "refunded_amount": self.refunded_amount,
            "paid_at": self.paid_at,
            "created_at": self.created_at,
            "refunds": [
                {"refund_id": r.refund_id, "amount": r.amount, "created_at": r.created_at}
                for r in self.refunds
            ],
        }


@dataclass
class Knobs:
    """Test knobs (``POST /v1/_control``): failures a real provider produces, on demand.

    ``down``: every /v1 and /pay request answers 503 (the control endpoint still works, or the knob
    could never be turned off). ``duplicate``: each notification is sent twice, same event id.
    ``drop``: notifications are not sent at all. ``delay``: seconds before each is sent.
    ``reverse_order``: a notification is held for 0.5 s (plus ``delay``: a test on a slow machine
    widens the window with it); one queued meanwhile overtakes it, so a refund's notification
    arrives before the payment's. Knobs apply to notifications queued after they are set.
    """

    down: bool = False
    duplicate: bool = False
    reverse_order: bool = False
    drop: bool = False
    delay: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "down": self.down,
            "duplicate": self.duplicate,
            "reverse_order": self.reverse_order,
            "drop": self.drop,
            "delay": self.delay,
        }


# --- notifications -----------------------------------------------------------------------------------


@dataclass(eq=False)
class _Delivery:
    url: str
    body: bytes
    due: float
    order: int
    attempt: int = 0
    #: held back by ``reverse_order`` until the next notification is queued (or the hold runs out)
    held: bool = False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect answering a notification is a failure (retried), never followed: following a POST
    redirect would turn it into a GET without the body."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Notifier:
    """Sends notifications from one background thread, retrying each with a growing backoff.

    Deliveries wait in a list ordered by (due time, order); a failed one goes back with a later due
    time, so one unreachable receiver never holds back the notifications of other checkouts for long.
    """

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._items: list[_Delivery] = []
        self._cond = threading.Condition()
        self._order = itertools.count()
        self._stopping = False
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        self._thread = threading.Thread(target=self._run, name="demo-provider-notifier", daemon=True)
        self._thread.start()

    def queue(self, url: str, body: bytes, knobs: Knobs) -> None:
        """Queue one notification as the knobs say (dropped, delayed, doubled, held for reordering)."""
        if knobs.drop:
            return
        now = time.monotonic()
        with self._cond:
            for _ in range(2 if knobs.duplicate else 1):
                item = _Delivery(url=url, body=body, due=now + knobs.delay, order=next(self._order))
                held = [d for d in self._items if d.held]
                if knobs.reverse_order and held:
                    # the newcomer overtakes every held notification; they follow it, newest first
                    for waiting in sorted(held, key=lambda d: d.order, reverse=True):
                        waiting.held = False
                        waiting.due = item.due
                        waiting.order = next(self._order)
                elif knobs.reverse_order:
                    item.held = True
                    item.due += REVERSE_HOLD
                self._items.append(item)
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout=2)

    def _next(self) -> _Delivery | None:
        with self._cond:
            while not self._stopping:
                if self._items:
                    item = min(self._items, key=lambda d: (d.due, d.order))
                    wait = item.due - time.monotonic()
                    if wait <= 0:
                        self._items.remove(item)
                        return item
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def _run(self) -> None:
        while (item := self._next()) is not None:
            if self._send(item) or item.attempt >= RETRIES:
                continue
            item.attempt += 1
            with self._cond:
                item.due = time.monotonic() + FIRST_BACKOFF * 2 ** (item.attempt - 1)
                item.held = False
                self._items.append(item)
                self._cond.notify()

    def _send(self, item: _Delivery) -> bool:
        """One attempt; signed afresh so the timestamp is that of this attempt."""
        request = urllib.request.Request(  # noqa: S310 - the URL was checked to be http(s) on creation
            item.url,
            data=item.body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "YakushoDemoProvider/1",
                "Demo-Signature": sign(self.secret, item.body, int(time.time())),
            },
        )
        try:
            with self._opener.open(request, timeout=NOTIFY_TIMEOUT) as response:
                response.read()
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError, ValueError):
            return False


# --- the hosted payment page -------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — デモ決済</title>
<style>
body {{ font-family: sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.7;
  color: #1a1a1a; background: #fff; }}
.brand {{ font-size: .9rem; color: #444; border-bottom: 1px solid #ccc; padding-bottom: .5rem; }}
.amount {{ font-size: 2rem; font-weight: bold; margin: .5rem 0; }}
label {{ display: block; font-weight: bold; margin-top: 1rem; }}
input {{ font-size: 1.1rem; padding: .5rem; width: 100%; box-sizing: border-box; border: 2px solid #555; }}
input[aria-invalid="true"] {{ border-color: #b00020; }}
.help {{ font-size: .9rem; color: #444; margin: .25rem 0; }}
.error {{ color: #b00020; font-weight: bold; }}
.actions {{ display: flex; flex-direction: column; gap: .75rem; margin-top: 1.5rem; }}
button, .link {{ font-size: 1.1rem; padding: .75rem; border: 2px solid #1a1a1a; background: #fff;
  color: #1a1a1a; cursor: pointer; text-align: center; }}
button.primary {{ background: #0b5394; border-color: #0b5394; color: #fff; }}
button:focus-visible, input:focus-visible, .link:focus-visible {{ outline: 3px solid #f9a825;
  outline-offset: 2px; }}
</style>
</head>
<body>
<p class="brand">デモ決済サービス（テスト用・実際の請求は行われません）</p>
<main>
{content}
</main>
</body>
</html>
"""

_FORM = """<h1>お支払い</h1>
<dl>
<dt>内容</dt><dd>{description}</dd>
<dt>お支払い金額</dt><dd class="amount">{amount}</dd>
</dl>
{error_summary}<form method="post" action="{action}">
<label for="card_number">カード番号</label>
<p class="help" id="card_help">「支払う」のときだけ入力してください（数字のみ。空白とハイフンは無視します）。
テスト用: {test_card} は成功、{declined_card} は拒否されます。</p>
{error}<input id="card_number" name="card_number" type="text" inputmode="numeric" autocomplete="cc-number"
 maxlength="30" value="{card_number}" aria-describedby="{describedby}"{invalid}>
<div class="actions">
<button type="submit" name="action" value="pay" class="primary">支払う</button>
<button type="submit" name="action" value="decline">カードが使えない（拒否）</button>
<button type="submit" name="action" value="cancel">やめる</button>
</div>
</form>
"""


def _yen(amount: int) -> str:
    return f"{amount:,}円"


def _with_result(return_url: str, checkout_id: str, status: str) -> str:
    """``return_url`` with ``checkout`` and ``status`` added to its query (before any fragment)."""
    parts = urllib.parse.urlsplit(return_url)
    extra = urllib.parse.urlencode({"checkout": checkout_id, "status": status})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _page(title: str, content: str) -> bytes:
    return _PAGE.format(title=html.escape(title), content=content).encode()


# --- the WSGI application ----------------------------------------------------------------------------


class ApiError(Exception):
    """An answer other than success, raised anywhere in a handler and turned into JSON."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


_REASONS = {
    200: "OK",
    201: "Created",
    303: "See Other",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    503: "Service Unavailable",
}

_Response = tuple[int, list[tuple[str, str]], bytes]

_HTML_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    # no form-action: the form's answer redirects to the shop's return URL, which it would block
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
]


def _json(status: int, payload: dict[str, Any], headers: Iterable[tuple[str, str]] = ()) -> _Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return status, [("Content-Type", "application/json; charset=utf-8"), *headers], body


def _html(status: int, title: str, content: str) -> _Response:
    return status, list(_HTML_HEADERS), _page(title, content)


def _message_page(status: int, title: str, message: str, link: tuple[str, str] | None = None) -> _Response:
    content = f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(message)}</p>\n"
    if link:
        content += f'<p><a class="link" href="{html.escape(link[0])}">{html.escape(link[1])}</a></p>\n'
    return _html(status, title, content)


def _is_web_url(value: Any) -> bool:
    if not isinstance(value, str) or not value or len(value) > MAX_URL or not value.isascii():
        return False
    if any(c.isspace() or ord(c) < 32 for c in value):
        return False
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _positive_amount(value: Any, limit: int, name: str = "amount") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{name} は整数（円）で指定してください。", field=name)
    if value <= 0:
        raise ApiError(400, f"{name} は 1 以上で指定してください。", field=name)
    if value > limit:
        raise ApiError(400, f"{name} は {limit:,} 以下で指定してください。", field=name)
    return value


class DemoProvider:
    """The WSGI application: the JSON API, the hosted page, the control endpoint, the store."""

    def __init__(self, secret: str, base_url: str = "") -> None:
        if not secret:
            raise ValueError("the demo provider needs a non-empty secret")
        self.secret = secret
        self.base_url = base_url.rstrip("/")
        self.lock = threading.Lock()
        self.checkouts: dict[str, Checkout] = {}
        self.by_reference: dict[str, str] = {}
        #: Idempotency-Key → (checkout id, refund answer): a refund retried after a timeout counts once
        self.refund_keys: dict[tuple[str, str], _Response] = {}
        self.knobs = Knobs()
        self.notifier = Notifier(secret)

    # -- plumbing

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            status, headers, body = self.dispatch(environ)
        except ApiError as error:
            status, headers, body = _json(error.status, {"error": error.message, **error.extra})
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {_REASONS.get(status, 'Unknown')}", headers)
        return [body]

    def dispatch(self, environ: WSGIEnvironment) -> _Response:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/v1/_control":
            self._authorise(environ)
            self._allow(method, "POST")
            return self.control(self._json_body(environ))
        if path.startswith("/v1/"):
            if self.knobs.down:
                raise ApiError(503, "一時的に利用できません（down）。")
            self._authorise(environ)
            return self.api(method, path[len("/v1/") :], environ)
        if path.startswith("/pay/"):
            if self.knobs.down:
                return _message_page(
                    503, "ただいま利用できません", "しばらくしてからもう一度お試しください。"
                )
            return self.pay(method, path[len("/pay/") :], environ)
        if path == "/" and method == "GET":
            return _json(200, {"service": "yakusho demo payment provider", "api": f"{self.base_url}/v1/"})
        raise ApiError(404, "そのようなページはありません。")

    def _authorise(self, environ: WSGIEnvironment) -> None:
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        given = token.strip().encode("utf-8", "replace")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, self.secret.encode()):
            raise ApiError(401, "認証に失敗しました（Authorization: Bearer <secret> が必要です）。")

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise ApiError(405, f"{method} はここでは使えません。", allowed=list(allowed))

    @staticmethod
    def _raw_body(environ: WSGIEnvironment, limit: int = MAX_BODY) -> bytes:
        raw_length = environ.get("CONTENT_LENGTH") or "0"
        if not raw_length.isdigit():
            raise ApiError(400, "Content-Length が正しくありません。")
        length = int(raw_length)
        if length > limit:
            raise ApiError(413, f"本文が大きすぎます（{limit:,} バイトまで）。")
        data: bytes = environ["wsgi.input"].read(length) if length else b""
        return data

    def _json_body(self, environ: WSGIEnvironment) -> dict[str, Any]:
        raw = self._raw_body(environ)
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "本文は UTF-8 の JSON にしてください。") from None
        if not isinstance(payload, dict):
            raise ApiError(400, "本文は JSON のオブジェクトにしてください。")
        return payload

    def _get(self, checkout_id: str) -> Checkout:
        checkout = self.checkouts.get(checkout_id) if CHECKOUT_ID.fullmatch(checkout_id) else None
        if checkout is None:
            raise ApiError(404, "その決済はありません。", id=checkout_id[:40])
        return checkout

    # -- the API

    def api(self, method: str, rest: str, environ: WSGIEnvironment) -> _Response:
        if rest == "checkouts":
            self._allow(method, "POST")
            return self.create(self._json_body(environ))
        parts = rest.split("/")
        if len(parts) == 2 and parts[0] == "checkouts":
            self._allow(method, "GET")
            with self.lock:
                return _json(200, self._get(parts[1]).public())
        if len(parts) == 3 and parts[0] == "checkouts" and parts[2] == "refunds":
            self._allow(method, "POST")
            key = environ.get("HTTP_IDEMPOTENCY_KEY", "")[:100]
            return self.refund(parts[1], self._json_body(environ), key)
        raise ApiError(404, "そのような API はありません。")

    def create(self, body: dict[str, Any]) -> _Response:
        expected = {"amount", "currency", "reference", "description", "return_url", "notify_url"}
        missing = sorted(expected - body.keys())
        if missing:
            raise ApiError(400, f"必須の項目がありません: {', '.join(missing)}", field=missing[0])
        unknown = sorted(body.keys() - expected)
        if unknown:
            raise ApiError(400, f"知らない項目があります: {', '.join(unknown)[:200]}", field=unknown[0][:64])
        amount = _positive_amount(body["amount"], MAX_AMOUNT)
        if body["currency"] != CURRENCY:
            raise ApiError(400, f"currency は {CURRENCY} のみ使えます。", field="currency")
        reference = body["reference"]
        if not isinstance(reference, str) or not reference.strip():
            raise ApiError(400, "reference は空でない文字列で指定してください。", field="reference")
        if len(reference) > MAX_REFERENCE:
            raise ApiError(400, f"reference は {MAX_REFERENCE} 文字以内にしてください。", field="reference")
        description = body["description"]
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            raise ApiError(
                400, f"description は {MAX_DESCRIPTION} 文字以内の文字列にしてください。", field="description"
            )
        for name in ("return_url", "notify_url"):
            if not _is_web_url(body[name]):
                raise ApiError(400, f"{name} は http(s):// で始まる URL にしてください。", field=name)
        with self.lock:
            existing = self.by_reference.get(reference)
            if existing is not None:
                raise ApiError(409, "その reference の決済はすでにあります。", id=existing)
            checkout = Checkout(
                id=f"dp_{secrets.token_hex(12)}",
                amount=amount,
                currency=CURRENCY,
                reference=reference,
                description=description,
                return_url=body["return_url"],
                notify_url=body["notify_url"],
                created_at=_now_iso(),
            )
            self.checkouts[checkout.id] = checkout
            self.by_reference[reference] = checkout.id
        return _json(
            201,
            {
                "id": checkout.id,
                "status": checkout.status,
                "pay_url": f"{self.base_url}/pay/{checkout.id}",
                "amount": checkout.amount,
                "currency": checkout.currency,
                "reference": checkout.reference,
            },
        )

    def refund(self, checkout_id: str, body: dict[str, Any], key: str) -> _Response:
        unknown = sorted(body.keys() - {"amount"})
        if unknown:
            raise ApiError(400, f"知らない項目があります: {', '.join(unknown)[:200]}")
        if "amount" not in body:
            raise ApiError(400, "必須の項目がありません: amount", field="amount")
        amount = _positive_amount(body["amount"], MAX_AMOUNT)
        with self.lock:
            checkout = self._get(checkout_id)
            if key and (checkout.id, key) in self.refund_keys:
                return self.refund_keys[(checkout.id, key)]
            if checkout.status != "paid":
                raise ApiError(409, f"返金できるのは支払済みの決済だけです（いまは {checkout.status}）。")
            left = checkout.amount - checkout.refunded_amount
            if amount > left:
                raise ApiError(
                    409, f"返金額が残額（{left:,}円）を超えています。", field="amount", refundable=left
                )
            made = Refund(refund_id=f"rf_{secrets.token_hex(12)}", amount=amount, created_at=_now_iso())
            checkout.refunds.append(made)
            checkout.refunded_amount += amount
            if checkout.refunded_amount == checkout.amount:
                checkout.status = "refunded"
            answer = _json(
                201,
                {
                    "refund_id": made.refund_id,
                    "checkout_id": checkout.id,
                    "amount": amount,
                    "refunded_amount": checkout.refunded_amount,
                    "status": checkout.status,
                },
            )
            if key:
                self.refund_keys[(checkout.id, key)] = answer
            self._notify(checkout, "refund.succeeded", refund=made)
        return answer

    def control(self, body: dict[str, Any]) -> _Response:
        changes: dict[str, Any] = {}
        for name, value in body.items():
            if name in KNOB_FLAGS:
                if not isinstance(value, bool):
                    raise ApiError(400, f"{name} は true か false にしてください。", field=name)
            elif name == "delay":
                if (
                    isinstance(value, bool)
                    or not isinstance(value, int | float)
                    or not 0 <= value <= MAX_DELAY
                ):
                    raise ApiError(400, f"delay は 0 から {MAX_DELAY:g} 秒の数にしてください。", field=name)
                value = float(value)
            else:
                raise ApiError(400, f"知らない設定です: {name[:64]}", field=name[:64])
            changes[name] = value
        with self.lock:
            for name, value in changes.items():
                setattr(self.knobs, name, value)
            return _json(200, self.knobs.as_dict())

    def _notify(self, checkout: Checkout, kind: str, refund: Refund | None = None) -> None:
        """Queue a notification; called with the lock held so sequence numbers follow the changes."""
        checkout.sequence += 1
        payload: dict[str, Any] = {
            "event_id": f"ev_{secrets.token_hex(12)}",
            "type": kind,
            "checkout_id": checkout.id,
            "reference": checkout.reference,
            "status": checkout.status,
            "amount": checkout.amount,
            "currency": checkout.currency,
            "refunded_amount": checkout.refunded_amount,
            "paid_at": checkout.paid_at,
            "sequence": checkout.sequence,
            "created_at": _now_iso(),
        }
        if refund is not None:
            payload["refund_id"] = refund.refund_id
            payload["refund_amount"] = refund.amount
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.notifier.queue(checkout.notify_url, body, Knobs(**self.knobs.as_dict()))

    # -- the hosted page

    def pay(self, method: str, checkout_id: str, environ: WSGIEnvironment) -> _Response:
        with self.lock:
            checkout = self.checkouts.get(checkout_id) if CHECKOUT_ID.fullmatch(checkout_id) else None
        if checkout is None:
            return _message_page(404, "お支払いが見つかりません", "このお支払いのページはありません。")
        if method == "GET":
            if checkout.status != "open":
                return self._closed_page(200, checkout)
            return self._form(200, checkout)
        if method != "POST":
            status, headers, body = _message_page(405, "使えない操作です", f"{method} は使えません。")
            return status, [*headers, ("Allow", "GET, POST")], body
        try:
            raw = self._raw_body(environ, limit=8 * 1024).decode("utf-8")
            form = urllib.parse.parse_qs(raw, max_num_fields=10)
        except (ApiError, UnicodeDecodeError, ValueError):
            return _message_page(400, "送信内容が正しくありません", "もう一度お試しください。")
        action = (form.get("action") or [""])[0]
        card_typed = (form.get("card_number") or [""])[0]
        if action not in ("pay", "decline", "cancel"):
            return self._form(400, checkout, card_typed, "ボタンを押して操作を選んでください。")
        card = re.sub(r"[\s-]", "", card_typed)
        if action == "pay":
            if not card:
                return self._form(400, checkout, card_typed, "カード番号を入力してください。")
            if not (card.isascii() and card.isdigit()) or len(card) > 19:
                return self._form(400, checkout, card_typed, "カード番号は19桁までの数字で入力してください。")
        new_status = {"pay": "declined" if card == DECLINED_CARD else "paid", "decline": "declined"}.get(
            action, "canceled"
        )
        with self.lock:
            if checkout.status != "open":
                return self._closed_page(409, checkout)
            checkout.status = new_status
            if new_status == "paid":
                checkout.paid_at = _now_iso()
            self._notify(checkout, f"checkout.{new_status}")
        location = _with_result(checkout.return_url, checkout.id, new_status)
        return 303, [("Location", location), ("Cache-Control", "no-store")], b""

    def _form(self, status: int, checkout: Checkout, card_number: str = "", error: str = "") -> _Response:
        error_html = f'<p class="error" id="card_error">{html.escape(error)}</p>\n' if error else ""
        summary = (
            f'<p class="error" role="alert">入力を確かめてください：{html.escape(error)}</p>\n'
            if error
            else ""
        )
        content = _FORM.format(
            description=html.escape(checkout.description or checkout.reference),
            amount=html.escape(_yen(checkout.amount)),
            action=html.escape(f"/pay/{checkout.id}"),
            test_card=TEST_CARD,
            declined_card=DECLINED_CARD,
            error_summary=summary,
            error=error_html,
            card_number=html.escape(card_number[:30]),
            describedby="card_help card_error" if error else "card_help",
            invalid=' aria-invalid="true"' if error else "",
        )
        return _html(status, "入力エラー：お支払い" if error else "お支払い", content)

    def _closed_page(self, status: int, checkout: Checkout) -> _Response:
        words = {
            "paid": "お支払い済みです",
            "declined": "カードが使えませんでした",
            "canceled": "取り消されました",
            "refunded": "返金済みです",
        }
        back = _with_result(checkout.return_url, checkout.id, checkout.status)
        return _message_page(
            status,
            "手続き済みのお支払いです",
            f"このお支払い（{_yen(checkout.amount)}）は{words.get(checkout.status, checkout.status)}。",
            link=(back, "お申し込み元に戻る"),
        )


# --- serving -----------------------------------------------------------------------------------------


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _ThreadingWSGIServer6(_ThreadingWSGIServer):
    address_family = socket.AF_INET6


class _Handler(WSGIRequestHandler):
    """Logs one line per request through the server's ``log`` callable (silent when it is None)."""

    def log_message(self, format: str, *args: Any) -> None:
        log: Callable[[str], None] | None = getattr(self.server, "log", None)
        if log is not None:
            log(f"{self.address_string()} {format % args}")


class DemoProviderServer:
    """A running demo provider: its URL, its control knobs, a read-only look at its checkouts."""

    def __init__(self, httpd: _ThreadingWSGIServer, app: DemoProvider) -> None:
        self.httpd = httpd
        self.app = app
        self.url = app.base_url
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        # a short poll so that stop() returns at once (tests start and stop one server each)
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-provider", daemon=True
        )
        self._thread.start()

    @property
    def secret(self) -> str:
        return self.app.secret

    @property
    def checkouts(self) -> dict[str, dict[str, Any]]:
        """A snapshot of every checkout as the API shows it (plus the URLs), keyed by id."""
        with self.app.lock:
            return {
                key: {**c.public(), "return_url": c.return_url, "notify_url": c.notify_url}
                for key, c in self.app.checkouts.items()
            }

    def control(self, **knobs: Any) -> dict[str, Any]:
        """Set test knobs through ``POST /v1/_control`` (the same door other processes use)."""
        request = urllib.request.Request(  # noqa: S310 - our own http:// URL
            f"{self.url}/v1/_control",
            data=json.dumps(knobs).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {self.secret}", "Content-Type": "application/json"},
        )
        with self._opener.open(request, timeout=5) as response:
            answer: dict[str, Any] = json.loads(response.read())
        return answer

    def wait(self) -> None:
        """Block until the server stops (the command's foreground)."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.app.notifier.stop()
        self._thread.join(timeout=2)


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    secret: str | None = None,
    base_url: str | None = None,
    log: Callable[[str], None] | None = None,
) -> DemoProviderServer:
    """Serve the demo provider in a daemon thread; ``port=0`` picks a free port (tests).

    ``base_url`` is what the pay URLs start with; by default the address actually bound, which is
    right unless the service sits behind a proxy or in a container.
    """
    secret = secret or setting("PAYMENT_PROVIDER_DEMO_SECRET", DEFAULT_SECRET)
    app = DemoProvider(secret)
    server_class = _ThreadingWSGIServer6 if ":" in host else _ThreadingWSGIServer
    httpd = make_server(host, port, app, server_class=server_class, handler_class=_Handler)
    httpd.log = log  # type: ignore[attr-defined]
    bound = httpd.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    app.base_url = (base_url or f"http://{shown}:{bound}").rstrip("/")
    return DemoProviderServer(httpd, app)
