"""The fee catalogue, payments and the daily close (docs/payments.md).

A layer below the services: a procedure, a bookable resource or a counter item names a
:class:`FeeItem`; what it costs on a day is the item's :class:`FeeRate` in force that day (a change
is a new rate from a date, never an edit of the old one), and a :class:`Payment` keeps, line by line,
the rate, amount and accounting code it was taken at, so a later change rewrites nothing paid.
Payments belong to a business day (営業日, Asia/Tokyo); a :class:`DailyClose` (日計) freezes a day,
after which a void or refund of one of its payments is a new entry dated the next open day.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yakusho.core import shortcodes
from yakusho.core.models import Department, Municipality, TenantOwned


class Method(models.TextChoices):
    """How a fee is paid (the catalogue says which each item takes)."""

    CASH = "cash", _("現金")
    CARD = "card", _("クレジットカード")
    QR = "qr", _("QRコード決済")
    EMONEY = "emoney", _("電子マネー")
    CONVENIENCE = "convenience", _("コンビニ納付")
    TRANSFER = "transfer", _("口座振替・銀行振込")
    TICKET = "ticket", _("処理券（事前購入）")
    ONLINE = "online", _("オンライン決済")


#: the methods that count as cashless in the counter's cashless share (美郷町's, 潟上市's measure)
CASHLESS = frozenset({Method.CARD, Method.QR, Method.EMONEY})
#: the methods a till takes through a payment terminal
TERMINAL_METHODS = CASHLESS


class FeeKind(models.TextChoices):
    FEE = "fee", _("手数料")
    CHARGE = "charge", _("使用料・利用料")
    TAX = "tax", _("税・保険料")


class Unit(models.TextChoices):
    """What the amount of a rate pays for."""

    FIXED = "fixed", _("1件")
    COPY = "copy", _("1通")
    HOUR = "hour", _("1時間")
    ITEM = "item", _("1点")


class FeeItem(TenantOwned):
    """A fee or charge of the municipality (証明書交付手数料, 粗大ごみ処理手数料, 施設使用料 …)."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="fee_items"
    )
    key = models.SlugField(_("キー"), max_length=40, help_text=_("英小文字・数字・ハイフン。例：juminhyo"))
    name = models.CharField(_("名称"), max_length=80)
    kind = models.CharField(_("種別"), max_length=10, choices=FeeKind.choices, default=FeeKind.FEE)
    department = models.ForeignKey(
        Department,
        verbose_name=_("担当課"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fee_items",
    )
    legal_basis = models.CharField(
        _("根拠条例"), max_length=120, blank=True, help_text=_("例：大江町手数料条例 第2条")
    )
    account_code = models.CharField(
        _("歳入科目コード"), max_length=40, blank=True, help_text=_("財務会計システムの科目コード")
    )
    account_name = models.CharField(_("歳入科目"), max_length=80, blank=True)
    methods = models.JSONField(_("支払方法"), default=list, blank=True)
    note = models.CharField(_("備考"), max_length=200, blank=True)
    counted_as = models.CharField(
        _("集計上の項目"),
        max_length=80,
        blank=True,
        help_text=_(
            "いくつかの手数料をまとめて1項目と数えるときの名前（例：各種証明書発行手数料）。"
            "空欄ならこの手数料だけで1項目です。"
        ),
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    public = models.BooleanField(_("公開"), default=True)
    is_demo = models.BooleanField(_("デモデータ"), default=False)

    class Meta:
        verbose_name = _("手数料・使用料")
        verbose_name_plural = _("手数料・使用料")
        ordering = ("municipality", "order", "name")
        constraints = [
            models.UniqueConstraint(fields=("municipality", "key"), name="payments_feeitem_unique_key")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def cashless(self) -> bool:
        return any(m in CASHLESS for m in self.methods)

    def accepts(self, method: str) -> bool:
        return method in self.methods

    def method_labels(self) -> list[str]:
        return [str(Method(m).label) for m in Method.values if m in self.methods]

    def rate_on(self, day: date) -> FeeRate | None:
        """The rate in force on ``day`` (None before the first)."""
        rates = getattr(self, "_prefetched_objects_cache", {}).get("rates")
        if rates is not None:
            found = [r for r in rates if r.valid_from <= day]
            return max(found, key=lambda r: r.valid_from) if found else None
        return self.rates.filter(valid_from__lte=day).order_by("-valid_from").first()


class FeeRate(models.Model):
    """What a fee item costs from a date on: a new amount is a new rate, the old one stays."""

    item = models.ForeignKey(
        FeeItem, verbose_name=_("手数料"), on_delete=models.CASCADE, related_name="rates"
    )
    valid_from = models.DateField(_("適用開始日"))
    unit = models.CharField(_("単位"), max_length=10, choices=Unit.choices, default=Unit.FIXED)
    amount_yen = models.PositiveIntegerField(_("金額（円）"))
    non_resident_yen = models.PositiveIntegerField(
        _("町外・市外の方の金額（円）"), null=True, blank=True, help_text=_("空欄なら同じ金額")
    )
    max_quantity = models.PositiveSmallIntegerField(_("1回の上限数量"), default=99)
    exemptions = models.JSONField(
        _("減免の理由"), default=list, blank=True, help_text=_("例：生活保護受給者、公用")
    )

    class Meta:
        verbose_name = _("料金")
        verbose_name_plural = _("料金")
        ordering = ("item", "valid_from")
        constraints = [
            models.UniqueConstraint(fields=("item", "valid_from"), name="payments_feerate_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.amount_yen:,}円（{self.valid_from:%Y-%m-%d}〜）"

    def unit_yen(self, resident: bool = True) -> int:
        if not resident and self.non_resident_yen is not None:
            return self.non_resident_yen
        return self.amount_yen


class Channel(models.TextChoices):
    COUNTER = "counter", _("窓口")
    SELF = "self", _("セルフレジ")
    ONLINE = "online", _("オンライン")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("処理中")  # waiting for the terminal; counts nowhere
    FAILED = "failed", _("不成立")  # declined or timed out at the terminal; counts nowhere
    PAID = "paid", _("支払済み")
    VOIDED = "voided", _("取消")
    REFUNDED = "refunded", _("返金済み")


#: the states of a payment that has a 領収書 (a voided or refunded one says so on it)
RECEIPT_STATUSES = (PaymentStatus.PAID, PaymentStatus.VOIDED, PaymentStatus.REFUNDED)


class Payment(TenantOwned):
    """One payment taken (会計): its lines, method, and for cash what was tendered and given back."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="payments"
    )
    code = models.CharField(_("領収番号"), max_length=shortcodes.LENGTH)
    channel = models.CharField(_("窓口・経路"), max_length=10, choices=Channel.choices)
    method = models.CharField(_("支払方法"), max_length=12, choices=Method.choices)
    status = models.CharField(
        _("状況"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PAID
    )
    failure = models.CharField(_("不成立の理由"), max_length=200, blank=True)
    total_yen = models.PositiveIntegerField(_("合計（円）"))
    tendered_yen = models.PositiveIntegerField(_("お預かり（円）"), null=True, blank=True)
    change_yen = models.PositiveIntegerField(_("おつり（円）"), default=0)
    business_day = models.DateField(_("計上日"), null=True, blank=True)
    paid_at = models.DateTimeField(_("支払日時"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当職員"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    till = models.CharField(_("レジ"), max_length=40, blank=True)
    terminal = models.CharField(_("決済端末"), max_length=40, blank=True)
    terminal_ref = models.CharField(_("端末の取引番号"), max_length=80, blank=True)
    #: online: the payment provider (its registry key) and its id of the checkout
    provider = models.CharField(_("決済サービス"), max_length=40, blank=True)
    provider_ref = models.CharField(_("決済サービスの取引番号"), max_length=80, blank=True)
    checkout_url = models.URLField(
        _("決済ページのアドレス"), max_length=500, blank=True, help_text=_("オンライン決済で住民を送る先")
    )
    #: the till's form key: a second press of 会計 with the same key finds this payment, not a new one
    request_key = models.CharField(_("送信キー"), max_length=64, editable=False)
    #: what the payment is for, in the paying service's words (``procedures.counter_visit``, a code)
    payable = models.CharField(_("支払の対象の種類"), max_length=60, blank=True)
    payable_ref = models.CharField(_("支払の対象"), max_length=60, blank=True)
    is_demo = models.BooleanField(_("デモデータ"), default=False)

    class Meta:
        verbose_name = _("支払")
        verbose_name_plural = _("支払")
        ordering = ("-paid_at",)
        constraints = [
            models.UniqueConstraint(fields=("municipality", "code"), name="payments_payment_unique_code"),
            models.UniqueConstraint(
                fields=("municipality", "request_key"), name="payments_payment_unique_request"
            ),
            # one payment per checkout of a provider: a notification finds exactly one
            models.UniqueConstraint(
                fields=("provider", "provider_ref"),
                condition=~Q(provider_ref=""),
                name="payments_payment_unique_checkout",
            ),
        ]
        indexes = [models.Index(fields=("municipality", "business_day"), name="payments_payment_day")]

    def __str__(self) -> str:
        return shortcodes.format_code(self.code)

    @property
    def display_code(self) -> str:
        return shortcodes.format_code(self.code)

    @property
    def cashless(self) -> bool:
        return self.method in CASHLESS


class PaymentLine(models.Model):
    """One item of a payment, as it was charged: the rate, the amount and the accounting code then."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("支払"), on_delete=models.CASCADE, related_name="lines"
    )
    item = models.ForeignKey(FeeItem, verbose_name=_("手数料"), on_delete=models.PROTECT, related_name="+")
    rate = models.ForeignKey(FeeRate, verbose_name=_("料金"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("名称"), max_length=80)
    unit_yen = models.PositiveIntegerField(_("単価（円）"))
    quantity = models.PositiveSmallIntegerField(_("数量"), default=1)
    amount_yen = models.PositiveIntegerField(_("金額（円）"))
    exemption = models.CharField(_("減免の理由"), max_length=80, blank=True)
    account_code = models.CharField(_("歳入科目コード"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(_("順"), default=0)

    class Meta:
        verbose_name = _("支払の明細")
        verbose_name_plural = _("支払の明細")
        ordering = ("payment", "order")

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class ReversalKind(models.TextChoices):
    VOID = "void", _("取消")
    REFUND = "refund", _("返金")


class ReversalStatus(models.TextChoices):
    PENDING = "pending", _("承認待ち")
    DONE = "done", _("実行済み")
    REJECTED = "rejected", _("却下")


class Reversal(TenantOwned):
    """A void (the whole payment, the same day) or a refund (all or part, later), with its reason;
    above ``PAYMENTS_APPROVAL_YEN`` a second member of staff approves it before it counts."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("支払"), on_delete=models.PROTECT, related_name="reversals"
    )
    kind = models.CharField(_("種類"), max_length=10, choices=ReversalKind.choices)
    status = models.CharField(
        _("状況"), max_length=10, choices=ReversalStatus.choices, default=ReversalStatus.PENDING
    )
    amount_yen = models.PositiveIntegerField(_("金額（円）"))
    reason = models.CharField(_("理由"), max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申請した職員"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申請日時"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承認した職員"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("承認・却下日時"), null=True, blank=True)
    business_day = models.DateField(_("計上日"), null=True, blank=True)
    request_key = models.CharField(_("送信キー"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("取消・返金")
        verbose_name_plural = _("取消・返金")
        ordering = ("-requested_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("municipality", "request_key"), name="payments_reversal_unique_request"
            ),
            # one void or pending request per payment at a time
            models.UniqueConstraint(
                fields=("payment",),
                condition=Q(status="pending"),
                name="payments_reversal_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_yen:,}円"


class DailyClose(TenantOwned):
    """日計: a business day's totals, frozen, with the cash counted against what was expected."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="daily_closes"
    )
    business_day = models.DateField(_("計上日"))
    expected_cash_yen = models.IntegerField(_("現金の予定額（円）"))
    counted_cash_yen = models.IntegerField(_("現金の実査額（円）"))
    difference_reason = models.CharField(_("過不足の理由"), max_length=200, blank=True)
    totals = models.JSONField(_("集計"), default=dict)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("締めた職員"), on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("締めた日時"))

    class Meta:
        verbose_name = _("日計")
        verbose_name_plural = _("日計")
        ordering = ("-business_day",)
        constraints = [
            models.UniqueConstraint(
                fields=("municipality", "business_day"), name="payments_dailyclose_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.business_day:%Y-%m-%d}"

    @property
    def difference_yen(self) -> int:
        return self.counted_cash_yen - self.expected_cash_yen


class SelfCheckoutKiosk(TenantOwned):
    """A self-checkout (セルフレジ): a tablet beside a payment terminal, kept open in kiosk mode on
    an address that carries an unguessable token — only its SHA-256 is stored. The resident scans
    the QR code of their counter slip and pays by a cashless method (docs/payments.md
    "Self-checkout"); a retired kiosk's address leads nowhere."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="selfcheckout_kiosks"
    )
    #: also the payment's ``till`` (40 characters at most)
    name = models.CharField(_("セルフレジの名前"), max_length=40, help_text=_("例：1階ロビーのセルフレジ"))
    token_hash = models.CharField(_("画面の鍵（ハッシュ）"), max_length=64, editable=False)
    paired_at = models.DateTimeField(_("登録日時"))
    paired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登録した職員"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_seen_at = models.DateTimeField(_("最後に使われた日時"), null=True, blank=True)
    active = models.BooleanField(_("使用中"), default=True)

    class Meta:
        verbose_name = _("セルフレジ")
        verbose_name_plural = _("セルフレジ")
        ordering = ("municipality", "-active", "name", "pk")
        indexes = [models.Index(fields=["token_hash"], name="payments_kiosk_token_idx")]

    def __str__(self) -> str:
        return self.name
