"""The self-checkout (セルフレジ, docs/payments.md "Self-checkout"): a kiosk where the resident scans
the QR code of their counter slip (控え) and pays what the visit owes by a cashless method through the
payment terminal.

A kiosk is registered by staff (:func:`register`): its tablet opens an address carrying an
unguessable token and keeps it open in kiosk mode; only the token's SHA-256 is stored, and a retired
kiosk's address leads nowhere. The slip's QR code holds a short payload (:func:`payload`)::

    YAKUSHO-PAY:<全国地方公共団体コード>:<受付番号>      e.g. YAKUSHO-PAY:054348:ACEFHJKM

and :func:`parse_scan` reads it, or the bare code typed by hand (full-width, any case, with or
without the hyphen) — the visit's 受付番号, printed on the slip as 「お支払い番号」 so that it is not
taken for a procedure's own 受付番号. What the visit owes comes from the
``procedures.counter_visit`` payable, priced by the catalogue as the till prices it; the payment is
taken by :func:`yakusho.payments.services.take` with ``channel=SELF`` and the kiosk's name as its
till, so a double press pays once (the form's ``request_key``), a decline or time-out counts
nothing, and the visit is told it is paid.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.core import shortcodes
from yakusho.core.models import Municipality, User
from yakusho.core.validators import normalize_text
from yakusho.payments import services, terminals
from yakusho.payments.models import (
    CASHLESS,
    RECEIPT_STATUSES,
    Channel,
    Method,
    Payment,
    PaymentStatus,
    SelfCheckoutKiosk,
)
from yakusho.payments.payables import payables
from yakusho.payments.services import Line, PaymentError

#: the payable a counter visit registers (procedures/counter/payment.py)
VISIT_PAYABLE = "procedures.counter_visit"
#: the payload's first word; what follows is the municipality's code and the visit's 受付番号
PREFIX = "YAKUSHO-PAY"
NAME_MAX = 40
#: the longest scan read at all (a payload is 27 characters; a scanner may add a few)
SCAN_MAX = 100
#: how long after paying the kiosk shows the payment and its 領収書 (then it forgets it)
RECEIPT_MINUTES = 10
#: the done screen returns to the start by itself after this many seconds
DONE_SECONDS = 30
#: a screen left alone (the lines, a failure) returns to the start after this many seconds
IDLE_SECONDS = 90

# YAKUSHO-PAY, then ':' (or what a scanner set up for another keyboard layout types for it:
# '+' or '*'), an optional six-digit municipality code and the same separator, then the code
_PAYLOAD = re.compile(r"^YAKUSHO[-_]?PAY[:+*](?:(?P<town>[0-9]{6})[:+*])?(?P<code>[^:+*]*)$")
_KEY = re.compile(r"^sc(?P<kiosk>[0-9]{1,12})-[A-Za-z0-9_-]{16,40}$")


class SelfCheckoutError(PaymentError):
    """A kiosk refused (registration, a scan, a payment): the message says why, in Japanese."""


# The kiosk device -------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(f"yakusho.selfcheckout-kiosk:{token}".encode()).hexdigest()


def kiosks_of(municipality: Municipality) -> QuerySet[SelfCheckoutKiosk]:
    return (
        SelfCheckoutKiosk.objects.for_municipality(municipality)
        .select_related("paired_by")
        .order_by("-active", "name", "pk")
    )


def register(municipality: Municipality, staff: User, name: str) -> tuple[SelfCheckoutKiosk, str]:
    """A new kiosk and the token of its address (shown once, never stored)."""
    name = " ".join(normalize_text(name or "").split())
    if not name:
        raise SelfCheckoutError(
            _("セルフレジの名前を入力してください（例：1階ロビーのセルフレジ）。"), "name"
        )
    if len(name) > NAME_MAX:
        raise SelfCheckoutError(
            _("セルフレジの名前は%(max)d文字以内にしてください。") % {"max": NAME_MAX}, "name"
        )
    if kiosks_of(municipality).filter(active=True, name=name).exists():
        raise SelfCheckoutError(
            _("「%(name)s」という名前のセルフレジは既に使用中です。別の名前にしてください。")
            % {"name": name},
            "name",
        )
    token = secrets.token_urlsafe(24)
    kiosk = SelfCheckoutKiosk.objects.create(
        municipality=municipality,
        name=name,
        token_hash=_digest(token),
        paired_at=timezone.now(),
        paired_by=staff,
    )
    return kiosk, token


def retire(kiosk: SelfCheckoutKiosk) -> bool:
    """Stop the kiosk: its address leads nowhere from now on. False when it was retired already."""
    if not kiosk.active:
        return False
    kiosk.active = False
    kiosk.save(update_fields=["active"])  # saved (not updated) so the audit trail says who and when
    return True


def by_token(token: str) -> SelfCheckoutKiosk | None:
    """The active kiosk of this address's token, or None (unknown, retired, its town suspended)."""
    if not token or len(token) > 100:
        return None
    kiosk = (
        SelfCheckoutKiosk.objects.select_related("municipality")
        .filter(token_hash=_digest(token), active=True, municipality__suspended_at__isnull=True)
        .first()
    )
    if kiosk is not None:
        now = timezone.now()
        if kiosk.last_seen_at is None or now - kiosk.last_seen_at > timedelta(minutes=1):
            SelfCheckoutKiosk.objects.filter(pk=kiosk.pk).update(last_seen_at=now)
    return kiosk


def new_request_key(kiosk: SelfCheckoutKiosk) -> str:
    """The one-time key of a payment form shown on this kiosk (its prefix names the kiosk)."""
    return f"sc{kiosk.pk}-{secrets.token_urlsafe(16)}"


def key_is_for(kiosk: SelfCheckoutKiosk, key: str) -> bool:
    found = _KEY.match(key or "")
    return found is not None and int(found.group("kiosk")) == kiosk.pk


# The slip's payload and the scan ----------------------------------------------------------------


def payload(municipality: Municipality, visit_code: str) -> str:
    """What the slip's QR code holds: ``YAKUSHO-PAY:<団体コード>:<受付番号>`` (upper case, no
    hyphen: a QR code's alphanumeric mode)."""
    return f"{PREFIX}:{municipality.code}:{visit_code}"


@dataclass(frozen=True)
class Scan:
    """What a scan (or a code typed by hand) says: the 受付番号, or why it cannot be read."""

    code: str = ""
    municipality_code: str = ""
    error: str = ""


def parse_scan(text: str) -> Scan:
    """The 受付番号 in a scanned payload or typed by hand. A scanner types the payload and Enter;
    a person types the code (全角, lower case, hyphens and spaces are all right)."""
    raw = text or ""
    if not raw.strip():
        return Scan(error=_("控えのQRコードをかざすか、お支払い番号を入力してください。"))
    if len(raw) > SCAN_MAX:
        return Scan(error=_("読み取った内容が長すぎます。控えのQRコードをもう一度かざしてください。"))
    value = normalize_text(raw).upper().replace(" ", "")
    town = ""
    found = _PAYLOAD.match(value)
    if found is not None:
        value, town = found.group("code"), found.group("town") or ""
    elif value.startswith(("YAKUSHO", "HTTP")):
        return Scan(error=_("このQRコードは、お支払いの控えのものではありません。"))
    code = shortcodes.normalize(value)
    if code is None:
        return Scan(
            municipality_code=town,
            error=_(
                "お支払い番号を読み取れませんでした。控えのQRコードをもう一度かざすか、番号を確かめてください。"
            ),
        )
    return Scan(code=code, municipality_code=town)


# What a visit owes, and paying it -----------------------------------------------------------------


def kiosk_methods() -> list[str]:
    """The cashless methods the configured terminal takes, in the catalogue's order (no cash)."""
    try:
        taken = terminals.current().methods
    except KeyError:  # no terminal configured: manage.py check says so (E020)
        return []
    return [m for m in Method.values if m in CASHLESS and m in taken]


@dataclass
class Lookup:
    """What the kiosk says of a 受付番号. ``state``: ``owes`` (``lines``, ``total``, ``methods``),
    ``paid`` (``payment``), ``pending``, ``nothing`` (owes nothing), ``no_cashless`` (its items
    take no method this kiosk takes), ``not_found`` (unknown here, or another municipality's) or
    ``error`` (``message``: the catalogue cannot price it)."""

    state: str
    code: str
    lines: list[Line] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    payment: Payment | None = None
    message: str = ""

    @property
    def total(self) -> int:
        return sum(line.amount_yen for line in self.lines)

    @property
    def display_code(self) -> str:
        return shortcodes.format_code(self.code)


def payments_for(municipality: Municipality, code: str) -> QuerySet[Payment]:
    return Payment.objects.for_municipality(municipality).filter(payable=VISIT_PAYABLE, payable_ref=code)


def look_up(municipality: Municipality, code: str) -> Lookup:
    """What the visit ``code`` (a normalised 受付番号) owes at the kiosk, or why it cannot be paid."""
    if VISIT_PAYABLE not in payables:
        return Lookup("not_found", code)
    paid = payments_for(municipality, code).filter(status=PaymentStatus.PAID).order_by("-paid_at").first()
    if paid is not None:
        return Lookup("paid", code, payment=paid)
    try:
        lines = services.owed_lines(municipality, VISIT_PAYABLE, code)
    except PaymentError as exc:
        if payables.get(VISIT_PAYABLE).owed(municipality, code) is None:
            return Lookup("not_found", code)
        return Lookup("error", code, message=exc.message)
    if not lines or sum(line.amount_yen for line in lines) == 0:
        return Lookup("nothing", code, lines=lines)
    waiting = payments_for(municipality, code).filter(
        status=PaymentStatus.PENDING, paid_at__gte=timezone.now() - services.TERMINAL_WAIT
    )
    if waiting.exists():
        return Lookup("pending", code, lines=lines)
    methods = [m for m in kiosk_methods() if all(line.item.accepts(m) for line in lines)]
    if not methods:
        return Lookup("no_cashless", code, lines=lines)
    return Lookup("owes", code, lines=lines, methods=methods)


def pay(kiosk: SelfCheckoutKiosk, code: str, method: str, request_key: str) -> Payment:
    """Pay what the visit ``code`` owes by ``method`` at ``kiosk``. The same ``request_key`` twice
    gives the first payment back; a decline or time-out raises :class:`PaymentError` with the
    terminal's message and counts nothing."""
    municipality = kiosk.municipality
    if not key_is_for(kiosk, request_key):
        raise SelfCheckoutError(_("画面を最初からやり直してください。"))
    same = Payment.objects.for_municipality(municipality).filter(request_key=request_key).first()
    if same is not None:  # a second press of the same form
        if same.status == PaymentStatus.PENDING:
            raise SelfCheckoutError(_("お支払いの処理中です。決済端末の表示をお待ちください。"))
        if same.status != PaymentStatus.PAID:
            raise SelfCheckoutError(_("このお支払いは完了しませんでした。「もう一度」を押してください。"))
        return same
    found = look_up(municipality, code)
    if found.state == "paid" and found.payment is not None:
        raise SelfCheckoutError(
            _("この受付の料金は、お支払い済みです（領収番号 %(code)s）。")
            % {"code": found.payment.display_code}
        )
    if found.state == "pending":
        raise SelfCheckoutError(_("この受付のお支払いは処理中です。決済端末の表示をお待ちください。"))
    if found.state != "owes":
        raise SelfCheckoutError(
            found.message or _("この受付はセルフレジでは支払えません。窓口でお支払いください。")
        )
    if method == Method.CASH:
        raise SelfCheckoutError(_("現金でのお支払いは窓口へお越しください。"), "method")
    if method not in found.methods:
        raise SelfCheckoutError(_("支払方法を選んでください。"), "method")
    return services.take(
        municipality,
        found.lines,
        method=method,
        request_key=request_key,
        till=kiosk.name,
        channel=Channel.SELF,
        payable=VISIT_PAYABLE,
        payable_ref=code,
    )


def recent_payment(kiosk: SelfCheckoutKiosk, payment_code: str) -> Payment | None:
    """A payment this kiosk took in the last :data:`RECEIPT_MINUTES` (the done screen and its
    領収書); None for anything else — another kiosk's, the till's, an older one."""
    code = shortcodes.normalize(payment_code) if len(payment_code or "") <= 20 else None
    if code is None:
        return None
    return (
        Payment.objects.for_municipality(kiosk.municipality)
        .filter(
            code=code,
            channel=Channel.SELF,
            request_key__startswith=f"sc{kiosk.pk}-",
            status__in=RECEIPT_STATUSES,
            paid_at__gte=timezone.now() - timedelta(minutes=RECEIPT_MINUTES),
        )
        .first()
    )


# The counter slip -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlipPayment:
    """What the counter slip prints for the self-checkout: the QR payload, the code, the total."""

    payload: str
    display_code: str
    total: int


def slip_payment(municipality: Municipality, visit_code: str) -> SlipPayment | None:
    """What the slip of the visit ``visit_code`` prints for the self-checkout, or None when there is
    nothing to pay there: the municipality has no kiosk in use, the visit owes nothing, is paid,
    or owes what no kiosk method takes."""
    if not SelfCheckoutKiosk.objects.for_municipality(municipality).filter(active=True).exists():
        return None
    code = shortcodes.normalize(visit_code or "")
    if code is None:
        return None
    found = look_up(municipality, code)
    if found.state != "owes":
        return None
    return SlipPayment(payload(municipality, code), found.display_code, found.total)
