"""Bookable resources, their slots, bookings and waitlists (予約).

The capacity promise lives in the database: a :class:`Slot` row carries ``capacity`` and
``booked`` (the places held by its bookings) with a check constraint ``booked <= capacity``.
Every change of ``booked`` happens in the transaction that changes the booking, after the slot row
was locked (``select_for_update``), so no interleaving of requests can hold more places than the
slot has — and if a code path forgot the lock, the constraint would still refuse the row.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakusho.core import jcal, shortcodes, wording
from yakusho.core.models import Department, Municipality, TenantOwned


class ResourceKind(models.TextChoices):
    ROOM = "room", _("施設・部屋")
    COUNTER = "counter", _("窓口の来庁予約")
    CONSULTATION = "consultation", _("相談")
    HEALTH_CHECK = "health_check", _("健診・検診")
    CLASS = "class", _("教室・イベント")


class Schedule(models.TextChoices):
    SLOTS = "slots", _("開館時間を一定の長さの枠に区切る")
    SESSIONS = "sessions", _("日時を決めた回（教室・健診日など）")


class Audience(models.TextChoices):
    ANYONE = "anyone", _("どなたでも")
    RESIDENTS = "residents", _("町内・市内に住所・勤務先・通学先がある方")
    STAFF = "staff", _("職員のみが受け付け（電話・窓口で予約）")


def audience_label(value: str, municipality: Municipality | None) -> str:
    """Who may book, in the municipality's words: the choice's label names both 町内 and 市内 (a
    label change would need a migration), so pages show 「町内に住所・勤務先・通学先がある方」 in a
    町, 「市内に…」 in a 市 (:mod:`yakusho.core.wording`)."""
    if value == Audience.RESIDENTS:
        return str(_("%(area)sに住所・勤務先・通学先がある方") % {"area": wording.area_word(municipality)})
    labels = dict(Audience.choices)
    return str(labels.get(value, value))


def audience_choices(municipality: Municipality | None) -> list[tuple[str, str]]:
    """(value, label) of every audience in the municipality's words (for a form's choices)."""
    return [(value, audience_label(value, municipality)) for value in Audience.values]


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("現金")
    CARD = "card", _("クレジットカード")
    QR = "qr", _("QRコード決済")
    EMONEY = "emoney", _("電子マネー")
    TRANSFER = "transfer", _("口座振込")


class FeeUnit(models.TextChoices):
    """What one fee pays for: 「1回 300円」「1時間あたり 500円」「1人 1,000円」."""

    BOOKING = "booking", _("1回")
    HOUR = "hour", _("1時間あたり")
    PERSON = "person", _("1人")


CASHLESS = frozenset({PaymentMethod.CARD, PaymentMethod.QR, PaymentMethod.EMONEY, PaymentMethod.TRANSFER})
#: the fee catalogue's units (payments.Unit) as a booking's: an hour is an hour, anything else a booking
CATALOGUE_UNITS = {
    "hour": FeeUnit.HOUR,
    "fixed": FeeUnit.BOOKING,
    "item": FeeUnit.BOOKING,
    "copy": FeeUnit.BOOKING,
}

#: Monday = "0" … Sunday = "6"; each a list of ["HH:MM", "HH:MM"] ranges.
WEEKDAYS_JA = ("月", "火", "水", "木", "金", "土", "日")


class Resource(TenantOwned):
    """A bookable thing: a room, a counter, a consultation, a health check, a class."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="booking_resources"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="booking_resources"
    )
    key = models.SlugField(_("URL名"), max_length=60)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("種類"), max_length=20, choices=ResourceKind.choices)
    description = models.TextField(_("説明"), blank=True, help_text=_("Markdownで書けます"))
    location = models.CharField(_("場所"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("1枠の定員"), default=1)
    schedule = models.CharField(
        _("枠の決め方"), max_length=10, choices=Schedule.choices, default=Schedule.SLOTS
    )
    slot_minutes = models.PositiveSmallIntegerField(_("1枠の長さ（分）"), default=60)
    opening_hours = models.JSONField(
        _("曜日ごとの受付時間"),
        default=dict,
        blank=True,
        help_text=_('例：{"0": [["09:00", "12:00"]]}（0＝月曜）'),
    )
    closed_on_holidays = models.BooleanField(_("祝日は休み"), default=True)
    opens_days_ahead = models.PositiveSmallIntegerField(_("何日前から予約できるか"), default=60)
    closes_hours_before = models.PositiveSmallIntegerField(_("何時間前まで予約できるか"), default=24)
    limit_active = models.PositiveSmallIntegerField(
        _("1人が同時に持てる予約の数"), default=2, help_text=_("0は制限なし")
    )
    limit_per_day = models.PositiveSmallIntegerField(
        _("1人が1日に予約できる数"), default=1, help_text=_("0は制限なし")
    )
    fee_item = models.ForeignKey(
        "payments.FeeItem",
        verbose_name=_("手数料一覧の項目"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("選ぶと、料金と支払方法は手数料一覧のものを表示します（下の料金・支払方法は使いません）"),
    )
    fee_yen = models.PositiveIntegerField(_("料金（円）"), default=0)
    fee_unit = models.CharField(
        _("料金の単位"),
        max_length=10,
        choices=FeeUnit.choices,
        default=FeeUnit.BOOKING,
        help_text=_("「1回 300円」「1時間あたり 500円」のように、料金と並べて表示します"),
    )
    payment_methods = models.JSONField(_("支払方法"), default=list, blank=True)
    audience = models.CharField(
        _("予約できる人"), max_length=10, choices=Audience.choices, default=Audience.ANYONE
    )
    what_to_bring = models.TextField(
        _("持ち物"),
        blank=True,
        help_text=_("予約先のページ、予約の確認画面と確認メールに載せます"),
    )
    allow_without_email = models.BooleanField(
        _("メールアドレスのない方も電話番号で予約できる"),
        default=True,
        help_text=_(
            "予約番号を画面に表示して確定します。職員の画面には「メール未確認（電話番号のみ）」と出ます"
        ),
    )
    limit_phone_per_day = models.PositiveSmallIntegerField(
        _("メールなしの予約：1つの電話番号から1日に受け付ける数"), default=2, help_text=_("0は制限なし")
    )
    limit_network_per_day = models.PositiveSmallIntegerField(
        _("メールなしの予約：1つの接続元（IPアドレス）から1日に受け付ける数"),
        default=5,
        help_text=_("0は制限なし。家族や施設で回線を共有する方がいるので、少なくしすぎないでください"),
    )
    waitlist = models.BooleanField(_("満員のとき空き待ちを受け付ける"), default=True)
    offer_hours = models.PositiveSmallIntegerField(
        _("空き枠を空き待ちの方に確保する時間（時間）"), default=24
    )
    is_active = models.BooleanField(_("予約を受け付ける"), default=True)
    is_demo = models.BooleanField(_("デモデータ"), default=False)
    order = models.PositiveIntegerField(_("表示順"), default=0)

    class Meta:
        verbose_name = _("予約できる施設・窓口")
        verbose_name_plural = _("予約できる施設・窓口")
        ordering = ["municipality", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "key"], name="booking_resource_unique_key"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="booking_resource_capacity_positive"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="booking_resource_slot_minutes"),
        ]

    def __str__(self) -> str:
        return self.name

    def hours_for(self, weekday: int) -> list[tuple[time, time]]:
        """Opening ranges on a weekday (0 = Monday)."""
        ranges = (self.opening_hours or {}).get(str(weekday), [])
        return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in ranges]

    @property
    def cashless(self) -> bool:
        return any(m in CASHLESS for m in self.payment_methods)

    def audience_label(self) -> str:
        """予約できる人 in the municipality's words (:func:`audience_label`)."""
        return audience_label(self.audience, self.municipality)

    def payment_labels(self) -> list[str]:
        if self.fee_item_id is not None and self.fee_item is not None:
            return self.fee_item.method_labels()
        labels = dict(PaymentMethod.choices)
        return [str(labels[m]) for m in self.payment_methods if m in labels]

    def charge(self) -> tuple[int, str]:
        """(yen, unit) of today: the fee catalogue's rate when the resource names its item (the
        catalogue is the one place fees are kept, docs/payments.md), else the resource's own fields."""
        if self.fee_item_id is not None and self.fee_item is not None:
            rate = self.fee_item.rate_on(timezone.localdate())
            if rate is None:
                return 0, self.fee_unit
            return rate.amount_yen, CATALOGUE_UNITS.get(rate.unit, FeeUnit.BOOKING)
        return self.fee_yen, self.fee_unit

    @property
    def charged_yen(self) -> int:
        return self.charge()[0]

    def fee_text(self) -> str:
        """「無料」「1回 300円」「1時間あたり 500円（1枠2時間で1,000円）」: the fee and what it pays for."""
        fee_yen, fee_unit = self.charge()
        if not fee_yen:
            return str(_("無料"))
        text = _("%(unit)s %(fee)s円") % {"unit": FeeUnit(fee_unit).label, "fee": f"{fee_yen:,}"}
        if fee_unit == FeeUnit.HOUR and self.schedule == Schedule.SLOTS and self.slot_minutes != 60:
            per_slot, rest = divmod(fee_yen * self.slot_minutes, 60)
            if not rest:
                text += _("（1枠%(length)sで%(fee)s円）") % {
                    "length": self.slot_length_text(),
                    "fee": f"{per_slot:,}",
                }
        return str(text)

    def slot_length_text(self) -> str:
        """「30分」「2時間」「1時間30分」."""
        hours, minutes = divmod(self.slot_minutes, 60)
        if hours and minutes:
            return str(_("%(h)s時間%(m)s分") % {"h": hours, "m": minutes})
        if hours:
            return str(_("%(h)s時間") % {"h": hours})
        return str(_("%(m)s分") % {"m": minutes})

    def hours_text(self) -> list[tuple[str, str]]:
        rows = []
        for i, name in enumerate(WEEKDAYS_JA):
            ranges = self.hours_for(i)
            text = "、".join(f"{a:%H:%M}〜{b:%H:%M}" for a, b in ranges) if ranges else str(_("休み"))
            rows.append((name, text))
        return rows


class ResourceClosure(TenantOwned):
    """A day one resource is closed (点検, 行事): on top of the municipality's closed days."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("休館日"))
    reason = models.CharField(_("理由"), max_length=100)

    class Meta:
        verbose_name = _("施設の臨時休館日")
        verbose_name_plural = _("施設の臨時休館日")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "date"], name="resource_closure_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.resource} {jcal.format_date(self.date)} {self.reason}"


class Slot(TenantOwned):
    """One bookable time of a resource, with its places. ``booked`` counts the held places."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("開始"))
    ends_at = models.DateTimeField(_("終了"))
    capacity = models.PositiveIntegerField(_("定員"))
    booked = models.PositiveIntegerField(_("予約済み"), default=0)
    is_blocked = models.BooleanField(_("受付停止"), default=False)
    block_reason = models.CharField(_("受付停止の理由"), max_length=100, blank=True)
    title = models.CharField(_("回の名前"), max_length=100, blank=True, help_text=_("教室の回など"))

    class Meta:
        verbose_name = _("予約枠")
        verbose_name_plural = _("予約枠")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "starts_at"], name="slot_unique_start"),
            # the promise: never more places held than the slot has
            models.CheckConstraint(condition=Q(booked__lte=models.F("capacity")), name="slot_not_overbooked"),
            models.CheckConstraint(condition=Q(booked__gte=0), name="slot_booked_not_negative"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["municipality", "starts_at"], name="slot_municipality_start")]

    def __str__(self) -> str:
        return f"{self.resource} {jcal.format_datetime(self.starts_at)}"

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.booked, 0)


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("メール確認待ち")
    CONFIRMED = "confirmed", _("確定")
    WAITING = "waiting", _("空き待ち")
    OFFERED = "offered", _("空きのご案内中")
    ATTENDED = "attended", _("出席")
    NO_SHOW = "no_show", _("無断欠席")
    CANCELLED = "cancelled", _("取消")
    EXPIRED = "expired", _("期限切れ")


#: statuses that hold one of the slot's places (``Slot.booked`` counts exactly these)
HOLDING = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.OFFERED,
    BookingStatus.ATTENDED,
    BookingStatus.NO_SHOW,
)
#: statuses in which a person is on the slot's list (holding or waiting)
ACTIVE = (*HOLDING, BookingStatus.WAITING)


class Channel(models.TextChoices):
    ONLINE = "online", _("オンライン")
    PHONE = "phone", _("電話")
    COUNTER = "counter", _("窓口")


class Booking(TenantOwned):
    """A person's booking of one place in a slot, or their place on its waitlist."""

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="bookings")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    code = models.CharField(_("予約番号"), max_length=8)
    status = models.CharField(_("状態"), max_length=12, choices=BookingStatus.choices)
    channel = models.CharField(_("受付方法"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    name = models.CharField(_("氏名"), max_length=60)
    kana = models.CharField(_("フリガナ"), max_length=80, blank=True)
    email = models.EmailField(_("メールアドレス"), blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    note = models.TextField(_("連絡事項"), blank=True)
    created_at = models.DateTimeField(_("受付日時"), auto_now_add=True)
    created_by = models.ForeignKey(
        "core.User",
        verbose_name=_("受け付けた職員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("メール確認日時"), null=True, blank=True)
    hold_until = models.DateTimeField(_("確認・回答の期限"), null=True, blank=True)
    offered_at = models.DateTimeField(_("空きを案内した日時"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消の理由"), max_length=200, blank=True)
    payment_state = models.CharField(
        _("オンライン決済"),
        max_length=10,
        blank=True,
        default="",
        choices=[
            ("", _("なし")),
            ("due", _("未払い")),
            ("paid", _("支払済み")),
            ("late", _("期限後に支払（要返金）")),
            ("refunded", _("返金済み")),
        ],
        help_text=_(
            "料金をオンライン決済で払う予約：払うまで枠を仮押さえし、期限までに払わなければ取り消します"
        ),
    )
    payment_code = models.CharField(_("領収番号"), max_length=20, blank=True)
    source = models.CharField(
        _("送信元（IPアドレスの要約）"),
        max_length=16,
        blank=True,
        help_text=_("メールなしの予約の受付数を接続元ごとに数えるための値（IPアドレスそのものは残しません）"),
    )

    class Meta:
        verbose_name = _("予約")
        verbose_name_plural = _("予約")
        ordering = ["slot__starts_at", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="booking_unique_code"),
            # one place per address and slot: a double submit stores one booking
            models.UniqueConstraint(
                fields=["slot", "email"],
                condition=Q(status__in=[s.value for s in ACTIVE]) & ~Q(email=""),
                name="booking_once_per_address_and_slot",
            ),
            # without e-mail the phone number is the person: a double submit stores one booking
            models.UniqueConstraint(
                fields=["slot", "phone"],
                condition=Q(status__in=[s.value for s in ACTIVE])
                & Q(email="")
                & Q(channel="online")
                & ~Q(phone=""),
                name="booking_once_per_phone_and_slot",
            ),
        ]
        indexes = [
            models.Index(fields=["slot", "status"], name="booking_slot_status"),
            models.Index(fields=["resource", "email", "status"], name="booking_resource_email"),
        ]

    def __str__(self) -> str:
        return f"{self.display_code} {self.name}"

    @property
    def display_code(self) -> str:
        return shortcodes.format_code(self.code)

    @property
    def holds_place(self) -> bool:
        return self.status in HOLDING

    @property
    def phone_only(self) -> bool:
        """Booked online without an e-mail address: nobody proved the contact details (未確認)."""
        return self.channel == Channel.ONLINE and not self.email

    def get_additional_data(self) -> dict[str, Any]:
        return {"municipality": self.municipality_id}


class BookingMail(TenantOwned):
    """One notice sent about a booking (reminder, closure): the unique key makes sending idempotent."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(max_length=40)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("予約の通知記録")
        verbose_name_plural = _("予約の通知記録")
        constraints = [models.UniqueConstraint(fields=["booking", "kind"], name="booking_mail_once")]

    def __str__(self) -> str:
        return str(_("%(booking)s への通知（%(kind)s）") % {"booking": self.booking, "kind": self.kind})


TENANT_MODELS: list[type[TenantOwned]] = [Resource, ResourceClosure, Slot, Booking, BookingMail]


from yakusho.bookings.queue.models import *  # noqa: E402, F403  (queue tickets: 整理券)
