"""Taking payments, voids and refunds, and the daily close (docs/payments.md).

Every function that writes does so in one transaction and either records everything or nothing.
Counting twice is prevented in three places: a payment and a reversal carry the form's key
(``request_key``, unique per municipality), so a second press of 会計 finds the first; a cashless
payment is written as *pending* before the terminal is asked, so a concurrent second press sees it
and charges nothing; and the municipality's row is locked while a payment is given its business
day and while a day is closed, so a payment lands either in a day's close or after it, never in
neither.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from yakusho.core import shortcodes
from yakusho.core.models import Municipality, Role, User
from yakusho.core.normalize import normalize_number
from yakusho.core.workflow import Transition, TransitionRefused, Workflow
from yakusho.payments import terminals
from yakusho.payments.models import (
    CASHLESS,
    TERMINAL_METHODS,
    Channel,
    DailyClose,
    FeeItem,
    FeeRate,
    Method,
    Payment,
    PaymentLine,
    PaymentStatus,
    Reversal,
    ReversalKind,
    ReversalStatus,
)
from yakusho.payments.payables import Owed, payables
from yakusho.payments.providers import current as current_provider
from yakusho.payments.providers import providers
from yakusho.payments.providers.base import InvalidNotification, ProviderError, ProviderState
from yakusho.payments.terminals.base import Outcome, TerminalError

#: how long a payment may wait for the terminal's answer: a close waits for younger ones (an
#: older one is a terminal that never answered; it counts nowhere, docs/payments.md)
TERMINAL_WAIT = timedelta(minutes=10)
#: the largest amount a till takes in one payment (a typo guard: ten million yen)
MAX_YEN = 10_000_000
_YEN_RE = re.compile(r"^-?[0-9]+$")


class PaymentError(TransitionRefused):
    """A payment, reversal or close refused; the message says why, in Japanese, and ``field``
    names the form field it concerns (empty for the whole form)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


#: who may decide a void or refund above the limit (a second member of staff: never the requester)
APPROVERS = frozenset({Role.ADMIN})
#: who may void or refund a payment (the till's staff; above the limit an approver decides)
TILL_STAFF = frozenset({Role.ADMIN, Role.COUNTER})

#: a void or refund waiting for its approval (docs/payments.md "Voids and refunds")
REVERSALS = Workflow(
    {
        "approve": Transition(N_("承認する"), {ReversalStatus.PENDING}, ReversalStatus.DONE, APPROVERS),
        "reject": Transition(N_("却下する"), {ReversalStatus.PENDING}, ReversalStatus.REJECTED, APPROVERS),
    },
    model=Reversal,
    error=PaymentError,
    wrong_state=N_("この取消・返金は承認待ちではありません（%(action)s）。"),
)
#: a payment voided or refunded in full
PAYMENTS = Workflow(
    {
        "void": Transition(N_("取消"), {PaymentStatus.PAID}, PaymentStatus.VOIDED, TILL_STAFF),
        "refund": Transition(N_("返金"), {PaymentStatus.PAID}, PaymentStatus.REFUNDED, TILL_STAFF),
    },
    model=Payment,
    error=PaymentError,
    wrong_state=N_("この支払は取消・返金できる状況ではありません（%(action)s）。"),
)


def parse_yen(value: Any, label: str, field: str = "") -> int:
    """An amount as typed: full-width digits, commas, 「円」 and 「¥」 accepted; negative and
    non-numbers refused with a message naming ``label``."""
    text = normalize_number(str(value if value is not None else "")).removesuffix("円").lstrip("¥￥")
    if not text:
        raise PaymentError(_("%(label)sを入力してください。") % {"label": label}, field)
    if not _YEN_RE.match(text):
        raise PaymentError(_("%(label)sは数字で入力してください（例：1,000）。") % {"label": label}, field)
    if text.startswith("-"):
        raise PaymentError(_("%(label)sに負の金額は入力できません。") % {"label": label}, field)
    if len(text) > 9 or int(text) > MAX_YEN:
        raise PaymentError(
            _("%(label)sが大きすぎます（%(max)s円まで）。") % {"label": label, "max": f"{MAX_YEN:,}"}, field
        )
    return int(text)


def today() -> date:
    return timezone.localdate()


# The fee catalogue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A line to be charged: the item, the rate in force, how many, and the amount."""

    item: FeeItem
    rate: FeeRate
    quantity: int
    unit_yen: int
    exemption: str = ""

    @property
    def amount_yen(self) -> int:
        return 0 if self.exemption else self.unit_yen * self.quantity


def quote(
    item: FeeItem, quantity: int = 1, *, day: date | None = None, resident: bool = True, exemption: str = ""
) -> Line:
    """What ``quantity`` of ``item`` costs on ``day`` by the rate then in force."""
    day = day or today()
    rate = item.rate_on(day)
    if rate is None:
        raise PaymentError(
            _("「%(item)s」には%(day)s時点の料金が登録されていません。")
            % {"item": item.name, "day": f"{day:%Y年%m月%d日}"}
        )
    if quantity < 1:
        raise PaymentError(_("「%(item)s」の数量は1以上にしてください。") % {"item": item.name})
    if quantity > rate.max_quantity:
        raise PaymentError(
            _("「%(item)s」は1回に%(max)s%(unit)sまでです。")
            % {"item": item.name, "max": rate.max_quantity, "unit": _unit_counter(rate.unit)}
        )
    if exemption and exemption not in rate.exemptions:
        raise PaymentError(
            _("「%(item)s」に「%(reason)s」の減免はありません。") % {"item": item.name, "reason": exemption}
        )
    return Line(item, rate, quantity, rate.unit_yen(resident), exemption)


def _unit_counter(unit: str) -> str:
    return {"copy": _("通"), "hour": _("時間"), "item": _("点")}.get(unit, _("件"))


def owed_lines(municipality: Municipality, payable: str, ref: str, *, day: date | None = None) -> list[Line]:
    """What a service says ``ref`` owes, priced from the catalogue."""
    owed = payables.get(payable).owed(municipality, ref)
    if owed is None:
        raise PaymentError(_("支払の対象が見つかりません。"))
    return price_owed(municipality, owed, day=day)


def price_owed(municipality: Municipality, owed: Sequence[Owed], *, day: date | None = None) -> list[Line]:
    """``owed`` priced from the municipality's catalogue on ``day`` (today)."""
    items = {
        i.key: i
        for i in FeeItem.objects.for_municipality(municipality)
        .filter(key__in=[o.fee_key for o in owed])
        .prefetch_related("rates")
    }
    lines = []
    for o in owed:
        if o.fee_key not in items:
            raise PaymentError(_("手数料「%(key)s」が手数料一覧にありません。") % {"key": o.fee_key})
        lines.append(quote(items[o.fee_key], o.quantity, day=day))
    return lines


# Business days ----------------------------------------------------------------------------------


def business_day(municipality: Municipality, now: datetime | None = None) -> date:
    """The day a payment or reversal taken now counts in: today, or, once today is closed, the day
    after the last close (a closed day is never changed)."""
    day = timezone.localdate(now) if now else today()
    last = (
        DailyClose.objects.for_municipality(municipality)
        .filter(business_day__gte=day)
        .order_by("-business_day")
        .values_list("business_day", flat=True)
        .first()
    )
    return last + timedelta(days=1) if last else day


def is_closed(municipality: Municipality, day: date) -> bool:
    return DailyClose.objects.for_municipality(municipality).filter(business_day=day).exists()


def _lock(municipality: Municipality) -> None:
    """Serialise business-day decisions and closes of one municipality (a row lock on PostgreSQL;
    SQLite serialises writers anyway)."""
    Municipality.objects.select_for_update().filter(pk=municipality.pk).values_list("pk").first()


# Taking a payment -------------------------------------------------------------------------------


def take(
    municipality: Municipality,
    lines: Sequence[Line],
    *,
    method: str,
    request_key: str,
    staff: User | None = None,
    tendered: int | None = None,
    till: str = "",
    channel: str = Channel.COUNTER,
    payable: str = "",
    payable_ref: str = "",
) -> Payment:
    """Take one payment of ``lines`` by ``method``. The same ``request_key`` twice gives the first
    payment back (a double click counts once). Cashless methods go through the configured terminal;
    a decline or a time-out raises :class:`PaymentError` and counts nothing."""
    if not lines:
        raise PaymentError(_("会計する項目がありません。"))
    if method not in Method.values:
        raise PaymentError(_("支払方法を選んでください。"), "method")
    if not request_key or len(request_key) > 64:
        raise PaymentError(_("画面を読み込み直してから、もう一度会計してください。"))
    refused = [line.item.name for line in lines if not line.item.accepts(method)]
    if refused:
        raise PaymentError(
            _("%(items)sは%(method)sでは支払えません。")
            % {"items": "、".join(f"「{n}」" for n in refused), "method": Method(method).label},
            "method",
        )
    if any(line.item.municipality_id != municipality.pk for line in lines):
        raise PaymentError(_("ほかの団体の手数料は会計できません。"))
    total = sum(line.amount_yen for line in lines)
    change = 0
    if method == Method.CASH:
        if tendered is None:
            raise PaymentError(_("お預かり金額を入力してください。"), "tendered")
        if tendered < total:
            raise PaymentError(
                _("お預かり金額が合計（%(total)s円）より少なくなっています。") % {"total": f"{total:,}"},
                "tendered",
            )
        change = tendered - total
    elif tendered is not None and tendered != total:
        raise PaymentError(_("キャッシュレス決済では、お預かり金額は入力しません。"), "tendered")
    existing = Payment.objects.for_municipality(municipality).filter(request_key=request_key).first()
    if existing is not None:
        return _same_request(existing)
    through_terminal = method in TERMINAL_METHODS and total > 0
    try:
        with transaction.atomic():
            if not through_terminal:  # cash (or nothing to pay): taken at once, in one transaction
                _lock(municipality)
            payment = Payment.objects.create(
                municipality=municipality,
                code=_new_code(municipality),
                channel=channel,
                method=method,
                status=PaymentStatus.PENDING if through_terminal else PaymentStatus.PAID,
                total_yen=total,
                tendered_yen=tendered if method == Method.CASH else None,
                change_yen=change,
                business_day=None if through_terminal else business_day(municipality),
                paid_at=timezone.now(),
                staff=staff,
                till=till[:40],
                request_key=request_key,
                payable=payable,
                payable_ref=payable_ref,
            )
            _write_lines(payment, lines)
            if not through_terminal and payable:
                payables.get(payable).paid(municipality, payable_ref, payment.code)
    except IntegrityError:  # the same key pressed twice at once: the other press wrote it
        existing = Payment.objects.for_municipality(municipality).filter(request_key=request_key).first()
        if existing is None:
            raise
        return _same_request(existing)
    if not through_terminal:
        return payment
    try:
        answer = _ask_terminal(lambda t: t.charge(total, method, payment.code))
    except PaymentError as exc:  # the terminal could not be reached: nothing was charged
        Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.FAILED, failure=exc.message[:200])
        raise
    if not answer.approved:
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.FAILED, failure=answer.message[:200]
        )
        if answer.outcome == Outcome.TIMEOUT:
            raise PaymentError(
                _("決済端末から応答がありませんでした。支払は記録していません。もう一度お試しください。")
            )
        raise PaymentError(_("決済できませんでした：%(why)s") % {"why": answer.message})
    payment.terminal = settings.PAYMENT_TERMINAL
    payment.terminal_ref = answer.reference
    with transaction.atomic():
        _lock(municipality)
        payment.business_day = business_day(municipality)
        payment.status = PaymentStatus.PAID
        payment.paid_at = timezone.now()
        payment.save(update_fields=["business_day", "status", "paid_at", "terminal", "terminal_ref"])
        if payable:
            payables.get(payable).paid(municipality, payable_ref, payment.code)
    return payment


def _same_request(existing: Payment) -> Payment:
    if existing.status == PaymentStatus.PENDING:
        raise PaymentError(_("この会計は処理中です。決済端末の表示をお待ちください。"))
    if existing.status == PaymentStatus.FAILED:
        raise PaymentError(
            _("この会計は成立しませんでした。画面を読み込み直してから、もう一度会計してください。")
        )
    return existing


def _ask_terminal(call: Any) -> Any:
    try:
        return call(terminals.current())
    except TerminalError as exc:
        raise PaymentError(_("決済端末に接続できません：%(why)s") % {"why": exc}) from exc


def _new_code(municipality: Municipality) -> str:
    for _attempt in range(10):
        code = shortcodes.generate()
        if not Payment.objects.for_municipality(municipality).filter(code=code).exists():
            return code
    raise RuntimeError("no free payment code")  # pragma: no cover - 20^7 codes


# Voids and refunds ------------------------------------------------------------------------------


def refunded_yen(payment: Payment) -> int:
    done = payment.reversals.filter(status=ReversalStatus.DONE).aggregate(total=Sum("amount_yen"))
    return int(done["total"] or 0)


def request_reversal(
    payment: Payment, *, kind: str, amount: int, reason: str, staff: User, request_key: str
) -> Reversal:
    """A void (the whole payment, while its day is open) or a refund (at most what is left).
    Above ``PAYMENTS_APPROVAL_YEN`` it waits for a second member of staff; else it is done now."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(_("理由を入力してください。"), "reason")
    if kind not in ReversalKind.values:
        raise PaymentError(_("取消か返金かを選んでください。"), "kind")
    existing = Reversal.objects.for_municipality(payment.municipality).filter(request_key=request_key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.PAID:
            raise PaymentError(
                _("この支払は%(status)sのため、取消・返金できません。")
                % {"status": payment.get_status_display()}
            )
        if payment.reversals.filter(status=ReversalStatus.PENDING).exists():
            raise PaymentError(_("この支払には承認待ちの取消・返金があります。"))
        left = payment.total_yen - refunded_yen(payment)
        if kind == ReversalKind.VOID:
            if payment.business_day is None or is_closed(payment.municipality, payment.business_day):
                raise PaymentError(
                    _("締めた日の支払は取消できません。返金してください（翌日の計上になります）。"), "kind"
                )
            if left != payment.total_yen:
                raise PaymentError(_("一部を返金済みの支払は取消できません。"), "kind")
            amount = payment.total_yen
        elif amount <= 0:
            raise PaymentError(_("返金額は1円以上にしてください。"), "amount")
        elif amount > left:
            raise PaymentError(
                _("返金額が支払額の残り（%(left)s円）を超えています。") % {"left": f"{left:,}"}, "amount"
            )
        reversal = Reversal.objects.create(
            municipality=payment.municipality,
            payment=payment,
            kind=kind,
            amount_yen=amount,
            reason=reason[:200],
            requested_by=staff,
            requested_at=timezone.now(),
            request_key=request_key[:64],
        )
    if amount <= settings.PAYMENTS_APPROVAL_YEN:
        _execute(reversal, approver=None)
    return reversal


def approve(reversal: Reversal, staff: User, role: str = Role.ADMIN) -> Reversal:
    """A second member of staff approves a pending void or refund; it is then done."""
    REVERSALS.check("approve", state=reversal.status, actor=role)
    if reversal.requested_by_id == staff.pk:
        raise PaymentError(_("申請した職員とは別の職員が承認してください。"))
    return _execute(reversal, approver=staff)


def reject(reversal: Reversal, staff: User, role: str = Role.ADMIN) -> Reversal:
    REVERSALS.check("reject", state=reversal.status, actor=role)
    with transaction.atomic():
        updated = Reversal.objects.filter(pk=reversal.pk, status=ReversalStatus.PENDING).update(
            status=REVERSALS["reject"].target, approved_by=staff, decided_at=timezone.now()
        )
    if not updated:
        raise REVERSALS.refuse(REVERSALS.wrong_state, "reject")
    reversal.refresh_from_db()
    return reversal


def _execute(reversal: Reversal, approver: User | None) -> Reversal:
    """Do a void or refund: the reversal's row is claimed first (a second approval of the same one
    waits, then finds it done), then the terminal gives the money back for a cashless payment, then
    it counts in the open business day. A terminal that refuses leaves it waiting, nothing changed."""
    payment = reversal.payment
    with transaction.atomic():
        claimed = Reversal.objects.select_for_update().filter(pk=reversal.pk, status=ReversalStatus.PENDING)
        if claimed.first() is None:
            raise PaymentError(_("この取消・返金は既に処理されています。"))
        if payment.method in TERMINAL_METHODS and reversal.amount_yen:
            answer = _ask_terminal(
                lambda t: t.refund(reversal.amount_yen, payment.terminal_ref, payment.code)
            )
            if not answer.approved:
                raise PaymentError(_("決済端末で返金できませんでした：%(why)s") % {"why": answer.message})
        if payment.method == Method.ONLINE and payment.provider_ref and reversal.amount_yen:
            try:
                providers.get(payment.provider)().refund(
                    payment.provider_ref, reversal.amount_yen, key=f"{payment.code}-{reversal.pk}"
                )
            except (ProviderError, KeyError) as exc:
                raise PaymentError(_("決済サービスで返金できませんでした：%(why)s") % {"why": exc}) from exc
        _lock(payment.municipality)
        claimed.update(
            status=REVERSALS["approve"].target,
            approved_by=approver,
            decided_at=timezone.now(),
            business_day=business_day(payment.municipality),
        )
        full = refunded_yen(payment) >= payment.total_yen
        if full:
            status = PAYMENTS["void" if reversal.kind == ReversalKind.VOID else "refund"].target
            Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PAID).update(status=status)
            if payment.payable:
                payables.get(payment.payable).refunded(
                    payment.municipality, payment.payable_ref, payment.code
                )
    reversal.refresh_from_db()
    return reversal


# The day's totals and the close (日計) -----------------------------------------------------------


@dataclass
class DaySummary:
    """A business day's figures: payments in, reversals out, by method, item and accounting code."""

    day: date
    count: int = 0
    total_yen: int = 0
    by_method: dict[str, dict[str, int]] = field(default_factory=dict)
    by_item: list[dict[str, Any]] = field(default_factory=list)
    by_account: list[dict[str, Any]] = field(default_factory=list)
    reversals_count: int = 0
    reversals_yen: int = 0
    expected_cash_yen: int = 0
    cashless_count: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "total_yen": self.total_yen,
            "by_method": self.by_method,
            "by_item": self.by_item,
            "by_account": self.by_account,
            "reversals_count": self.reversals_count,
            "reversals_yen": self.reversals_yen,
            "expected_cash_yen": self.expected_cash_yen,
            "cashless_count": self.cashless_count,
        }


def day_summary(municipality: Municipality, day: date) -> DaySummary:
    """A day's figures in five aggregate queries, whatever the number of payments."""
    payments = Payment.objects.for_municipality(municipality).filter(
        business_day=day, status__in=(PaymentStatus.PAID, PaymentStatus.VOIDED, PaymentStatus.REFUNDED)
    )
    reversals = Reversal.objects.for_municipality(municipality).filter(
        business_day=day, status=ReversalStatus.DONE
    )
    summary = DaySummary(day)
    methods: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "in_yen": 0, "out_yen": 0})
    for row in payments.values("method").annotate(n=Count("pk"), yen=Sum("total_yen")):
        methods[row["method"]]["count"] = row["n"]
        methods[row["method"]]["in_yen"] = int(row["yen"] or 0)
        summary.count += row["n"]
        summary.total_yen += int(row["yen"] or 0)
        if row["method"] in CASHLESS:
            summary.cashless_count += row["n"]
    for row in reversals.values("payment__method").annotate(n=Count("pk"), yen=Sum("amount_yen")):
        methods[row["payment__method"]]["out_yen"] = int(row["yen"] or 0)
        summary.reversals_count += row["n"]
        summary.reversals_yen += int(row["yen"] or 0)
    summary.by_method = {m: methods[m] for m in Method.values if m in methods}
    cash = methods.get(Method.CASH)
    summary.expected_cash_yen = (cash["in_yen"] - cash["out_yen"]) if cash else 0
    lines = PaymentLine.objects.filter(payment__in=payments)
    summary.by_item = [
        {
            "item": r["name"],
            "account_code": r["account_code"],
            "count": r["n"],
            "quantity": r["q"],
            "yen": r["yen"],
        }
        for r in lines.values("name", "account_code")
        .annotate(n=Count("pk"), q=Sum("quantity"), yen=Sum("amount_yen"))
        .order_by("account_code", "name")
    ]
    summary.by_account = [
        {
            "account_code": r["account_code"],
            "method": r["payment__method"],
            "count": r["n"],
            "yen": int(r["yen"] or 0),
        }
        for r in lines.values("account_code", "payment__method")
        .annotate(n=Count("pk"), yen=Sum("amount_yen"))
        .order_by("account_code", "payment__method")
    ]
    return summary


# Payments the terminal never answered ----------------------------------------------------------

#: as long as ``Payment.terminal_ref``
MAX_TERMINAL_REF = 80
#: how many stuck payments a page lists (oldest first; there should never be more than a few)
STUCK_LISTED = 50


def stuck_at_terminal(municipality: Municipality) -> QuerySet[Payment]:
    """The municipality's payments at the till or the self-checkout still pending after
    ``TERMINAL_WAIT``: the server stopped while the terminal was asked, so nobody knows here
    whether the resident was charged (online payments have ``reconcile`` instead). Oldest first."""
    return (
        Payment.objects.for_municipality(municipality)
        .filter(
            status=PaymentStatus.PENDING,
            channel__in=(Channel.COUNTER, Channel.SELF),
            paid_at__lt=timezone.now() - TERMINAL_WAIT,
        )
        .select_related("staff")
        .order_by("paid_at", "pk")
    )


def is_stuck(payment: Payment) -> bool:
    """Whether ``payment`` is one :func:`stuck_at_terminal` lists, from its own fields (no query)."""
    return (
        payment.status == PaymentStatus.PENDING
        and payment.channel in (Channel.COUNTER, Channel.SELF)
        and payment.paid_at < timezone.now() - TERMINAL_WAIT
    )


def settle_from_terminal(payment: Payment, *, charged: bool, terminal_ref: str, staff: User) -> Payment:
    """Record what the terminal's own journal says of a payment stuck at it: ``charged`` (with the
    journal's transaction number) makes it paid, counted on the business day it is recorded (today,
    or the next open day once today is closed: a closed day never changes) and its payable told;
    not charged makes it failed. Only a stuck payment moves, once; ``staff`` is its audit actor."""
    terminal_ref = (terminal_ref or "").strip()
    if charged and not terminal_ref:
        raise PaymentError(
            _("決済端末の記録（利用明細・ジャーナル）にある取引番号を入力してください。"), "terminal_ref"
        )
    if len(terminal_ref) > MAX_TERMINAL_REF:
        raise PaymentError(
            _("取引番号は%(limit)s文字以内で入力してください（いま%(length)s文字）。")
            % {"limit": MAX_TERMINAL_REF, "length": len(terminal_ref)},
            "terminal_ref",
        )
    municipality = payment.municipality
    with transaction.atomic():
        _lock(municipality)
        locked = stuck_at_terminal(municipality).select_for_update(of=("self",)).filter(pk=payment.pk).first()
        if locked is None:
            current = Payment.objects.get(pk=payment.pk)
            if current.channel == Channel.ONLINE:
                raise PaymentError(
                    _("オンライン決済の結果は決済サービスから届きます。ここでは記録できません。")
                )
            if current.status == PaymentStatus.PENDING:
                raise PaymentError(
                    _("この会計はまだ決済端末の処理中です。端末の表示が終わるまでお待ちください。")
                )
            raise PaymentError(
                _("この会計は既に「%(status)s」です。結果は変えられません。")
                % {"status": current.get_status_display()}
            )
        if charged:
            locked.status = PaymentStatus.PAID
            locked.business_day = business_day(municipality)
            locked.terminal = locked.terminal or settings.PAYMENT_TERMINAL
            locked.terminal_ref = terminal_ref
            locked.failure = ""
            locked.save(update_fields=["status", "business_day", "terminal", "terminal_ref", "failure"])
            if locked.payable:
                payables.get(locked.payable).paid(municipality, locked.payable_ref, locked.code)
        else:
            locked.status = PaymentStatus.FAILED
            locked.failure = str(
                _("決済端末の応答がなく、端末の記録で決済されていないことを%(name)sが確かめました。")
                % {"name": staff}
            )[:200]
            locked.save(update_fields=["status", "failure"])
    return locked


def close_day(
    municipality: Municipality, day: date, *, counted_cash: int, reason: str, staff: User
) -> DailyClose:
    """Close ``day``: its figures frozen with the cash counted; a difference needs a reason. A day
    is closed once: a second close, even at the same moment from another till, is refused."""
    if day > today():
        raise PaymentError(_("まだ来ていない日は締められません。"), "day")
    reason = (reason or "").strip()
    try:
        with transaction.atomic():
            _lock(municipality)
            if is_closed(municipality, day):
                raise PaymentError(_("%(day)sは既に締められています。") % {"day": f"{day:%Y年%m月%d日}"})
            waiting = Payment.objects.for_municipality(municipality).filter(
                status=PaymentStatus.PENDING, paid_at__gte=timezone.now() - TERMINAL_WAIT
            )
            if waiting.exists():
                raise PaymentError(_("決済端末の処理中の会計があります。終わってから締めてください。"))
            summary = day_summary(municipality, day)
            if counted_cash != summary.expected_cash_yen and not reason:
                raise PaymentError(
                    _("現金が予定額（%(expected)s円）と%(diff)s円違います。理由を入力してください。")
                    % {
                        "expected": f"{summary.expected_cash_yen:,}",
                        "diff": f"{counted_cash - summary.expected_cash_yen:+,}",
                    },
                    "reason",
                )
            return DailyClose.objects.create(
                municipality=municipality,
                business_day=day,
                expected_cash_yen=summary.expected_cash_yen,
                counted_cash_yen=counted_cash,
                difference_reason=reason[:200],
                totals=summary.as_json(),
                closed_by=staff,
                closed_at=timezone.now(),
            )
    except IntegrityError as exc:  # closed by another till at the same moment
        raise PaymentError(_("%(day)sは既に締められています。") % {"day": f"{day:%Y年%m月%d日}"}) from exc


def cashless_share(
    municipality: Municipality, start: date, end: date, channel: str = Channel.COUNTER
) -> tuple[int, int]:
    """(cashless payments, all payments) taken through ``channel`` between two days (inclusive)."""
    qs = (
        Payment.objects.for_municipality(municipality)
        .filter(
            channel=channel,
            business_day__gte=start,
            business_day__lte=end,
            status__in=(PaymentStatus.PAID, PaymentStatus.REFUNDED, PaymentStatus.VOIDED),
        )
        .exclude(status=PaymentStatus.VOIDED)
    )
    counts = qs.aggregate(all=Count("pk"), cashless=Count("pk", filter=Q(method__in=CASHLESS)))
    return int(counts["cashless"]), int(counts["all"])


# Online payment (docs/payments.md "Online payment") -------------------------------------------------


class NotificationRefused(PaymentError):
    """A provider's notification that must not be applied (a tampered amount, a bad signature)."""


def start_online(
    municipality: Municipality,
    lines: Sequence[Line],
    *,
    request_key: str,
    return_url: str,
    notify_url: str,
    description: str = "",
    payable: str = "",
    payable_ref: str = "",
) -> tuple[Payment, str]:
    """Open an online payment of ``lines``: a pending payment and a checkout at the configured
    provider; returns the payment and where to send the resident. The same ``request_key`` twice
    gives the first payment and its checkout back."""
    if not lines:
        raise PaymentError(_("支払う項目がありません。"))
    refused = [line.item.name for line in lines if not line.item.accepts(Method.ONLINE)]
    if refused:
        raise PaymentError(
            _("%(items)sはオンラインでは支払えません。") % {"items": "、".join(f"「{n}」" for n in refused)}
        )
    if not request_key or len(request_key) > 64:
        raise PaymentError(_("画面を読み込み直してから、もう一度お試しください。"))
    provider_key = settings.PAYMENT_PROVIDER
    existing = Payment.objects.for_municipality(municipality).filter(request_key=request_key).first()
    if existing is not None and existing.status == PaymentStatus.PENDING and existing.provider_ref:
        return existing, existing.checkout_url
    if existing is not None and existing.status == PaymentStatus.FAILED:
        raise PaymentError(
            _("このお支払いは完了していません。画面を読み込み直してから、もう一度お支払いください。")
        )
    if existing is not None:
        return _same_request(existing), ""
    total = sum(line.amount_yen for line in lines)
    with transaction.atomic():
        payment = Payment.objects.create(
            municipality=municipality,
            code=_new_code(municipality),
            channel=Channel.ONLINE,
            method=Method.ONLINE,
            status=PaymentStatus.PENDING,
            total_yen=total,
            paid_at=timezone.now(),
            request_key=request_key,
            payable=payable,
            payable_ref=payable_ref,
            provider=provider_key,
        )
        _write_lines(payment, lines)
    try:
        checkout = current_provider().create_checkout(
            amount=total,
            reference=payment.code,
            description=description or "、".join(line.item.name for line in lines),
            return_url=return_url,
            notify_url=notify_url,
        )
    except ProviderError as exc:
        Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.FAILED, failure=str(exc)[:200])
        raise PaymentError(
            _(
                "決済サービスに接続できませんでした。支払は記録していません。時間をおいてもう一度お試しください。"
            )
        ) from exc
    Payment.objects.filter(pk=payment.pk).update(
        provider_ref=checkout.provider_ref, checkout_url=checkout.redirect_url
    )
    payment.provider_ref = checkout.provider_ref
    payment.checkout_url = checkout.redirect_url
    return payment, checkout.redirect_url


def _write_lines(payment: Payment, lines: Sequence[Line]) -> None:
    PaymentLine.objects.bulk_create(
        PaymentLine(
            payment=payment,
            item=line.item,
            rate=line.rate,
            name=line.item.name,
            unit_yen=line.unit_yen,
            quantity=line.quantity,
            amount_yen=line.amount_yen,
            exemption=line.exemption,
            account_code=line.item.account_code,
            order=n,
        )
        for n, line in enumerate(lines)
    )


def apply_provider_state(payment: Payment, state: ProviderState) -> Payment:
    """Apply what the provider says of the payment's checkout. Only a pending payment moves (to
    paid, or to failed when declined or canceled); any other combination — a duplicate, a
    notification out of order, a replay — changes nothing. An amount or currency other than what
    was asked is refused (:class:`NotificationRefused`) and changes nothing."""
    if state.amount != payment.total_yen or state.currency != "JPY":
        raise NotificationRefused(
            _("決済サービスの金額（%(amount)s %(currency)s）が支払額（%(total)s円）と一致しません。")
            % {"amount": state.amount, "currency": state.currency, "total": f"{payment.total_yen:,}"}
        )
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != PaymentStatus.PENDING:
            return locked
        if state.status in ("paid", "refunded"):
            _lock(locked.municipality)
            locked.status = PaymentStatus.PAID
            locked.business_day = business_day(locked.municipality)
            locked.paid_at = timezone.now()
            locked.save(update_fields=["status", "business_day", "paid_at"])
            if locked.payable:
                payables.get(locked.payable).paid(locked.municipality, locked.payable_ref, locked.code)
        elif state.status in ("declined", "canceled"):
            locked.status = PaymentStatus.FAILED
            locked.failure = {
                "declined": _("決済サービスで決済できませんでした。"),
                "canceled": _("支払をやめました。"),
            }[state.status]
            locked.save(update_fields=["status", "failure"])
        return locked


def handle_notification(provider_key: str, headers: dict[str, str], body: bytes) -> str:
    """A provider's notification: verified, matched to its payment by the provider's id, then the
    provider is asked for the checkout's state, which is applied. Returns what was done (``applied``,
    ``unknown``). :class:`InvalidNotification` for a bad signature, :class:`NotificationRefused`
    for a tampered amount, :class:`ProviderError` when the provider cannot be asked (it retries)."""
    if provider_key not in providers:
        raise InvalidNotification("provider")
    provider = providers.get(provider_key)()
    note = provider.parse_notification(headers, body)
    payment = Payment.objects.filter(provider=provider_key, provider_ref=note.provider_ref).first()
    if payment is None:
        return "unknown"
    if note.amount != payment.total_yen or note.currency != "JPY":
        raise NotificationRefused(_("通知の金額が支払額と一致しません。"))
    apply_provider_state(payment, provider.fetch(note.provider_ref))
    return "applied"


def reconcile(older_than: timedelta = timedelta(minutes=2)) -> dict[str, int]:
    """Ask the provider for every online payment still pending after ``older_than`` (a notification
    that never came) and apply what it says; a provider that cannot answer is asked next time."""
    counts = {"checked": 0, "paid": 0, "failed": 0, "unanswered": 0}
    pending = Payment.objects.filter(
        channel=Channel.ONLINE, status=PaymentStatus.PENDING, paid_at__lt=timezone.now() - older_than
    ).exclude(provider_ref="")
    for payment in pending.order_by("pk")[:500]:
        counts["checked"] += 1
        try:
            state = providers.get(payment.provider)().fetch(payment.provider_ref)
            after = apply_provider_state(payment, state)
        except (ProviderError, NotificationRefused, KeyError):
            counts["unanswered"] += 1
            continue
        if after.status == PaymentStatus.PAID:
            counts["paid"] += 1
        elif after.status == PaymentStatus.FAILED:
            counts["failed"] += 1
    return counts
