"""Queue tickets (整理券, 「待たない窓口」): services with windows, a day counter, tickets.

Rules (issuing, the transition table, estimates) live in ``bookings.queue``; these are the records.
Numbers restart every day per service: ``QueueDayCounter`` is the one row per (service, day) that
issuing increments, and a unique constraint on (service, day, number) keeps them unique even if
code went wrong. See docs/queue.md.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core import jcal
from yakusho.core.models import Department, Municipality, TenantOwned

__all__ = ["QueueDayCounter", "QueueKind", "QueueService", "QueueTicket", "TicketChannel", "TicketStatus"]


class QueueKind(models.TextChoices):
    """What a queue serves. Metrics are registered per kind (the registry's keys are fixed at start-up)."""

    TAX_CONSULTATION = "tax_consultation", _("申告相談")
    RESIDENT_COUNTER = "resident_counter", _("住民窓口（届出・証明書）")
    WELFARE = "welfare", _("福祉・介護の相談")
    CHILDCARE = "childcare", _("子育ての相談・手続")
    OTHER = "other", _("その他")


class QueueService(TenantOwned):
    """A counter service that hands out numbered tickets, e.g. 申告相談 or 住民窓口."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="queue_services"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("担当課"),
        on_delete=models.PROTECT,
        related_name="queue_services",
        null=True,
        blank=True,
    )
    key = models.SlugField(_("識別子"), max_length=40)
    name = models.CharField(_("窓口の名前"), max_length=60)
    kind = models.CharField(_("種類"), max_length=20, choices=QueueKind.choices, default=QueueKind.OTHER)
    location = models.CharField(_("場所"), max_length=80, blank=True)
    prefix = models.CharField(
        _("番号の頭文字"),
        max_length=1,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]$", _("番号の頭文字は半角英大文字1字にしてください。"))],
    )
    windows = models.JSONField(_("窓口"), default=list, help_text=_("窓口1、窓口2 … の名前の一覧"))
    opens_at = models.TimeField(_("受付開始"), default=time(8, 30))
    closes_at = models.TimeField(_("受付終了"), default=time(17, 0))
    default_service_minutes = models.PositiveSmallIntegerField(
        _("1人あたりの標準対応時間（分）"),
        default=10,
        help_text=_("対応の実績が少ないうちは、待ち時間の目安にこの時間を使います"),
    )
    kiosk_enabled = models.BooleanField(_("発券機で発券する"), default=True)
    is_active = models.BooleanField(_("運用中"), default=True)
    order = models.PositiveIntegerField(_("表示順"), default=0)

    class Meta:
        verbose_name = _("整理券の窓口")
        verbose_name_plural = _("整理券の窓口")
        ordering = ["municipality", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "key"],
                name="queue_service_unique_key",
                violation_error_message=_("同じ識別子の窓口がすでにあります。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def window_labels(self) -> list[str]:
        return [str(w) for w in self.windows] or [str(_("窓口1"))]


class QueueDayCounter(models.Model):
    """The last number issued by one service on one day; issuing increments it under its row lock."""

    service = models.ForeignKey(QueueService, on_delete=models.CASCADE, related_name="day_counters")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("整理券の番号カウンタ")
        constraints = [models.UniqueConstraint(fields=["service", "day"], name="queue_counter_unique_day")]

    def __str__(self) -> str:
        return str(
            _("%(service)s %(day)s（%(n)s番まで発行）")
            % {"service": self.service, "day": jcal.format_date(self.day), "n": self.last_number}
        )


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("お待ちください")
    CALLED = "called", _("呼出中")
    SERVING = "serving", _("対応中")
    SERVED = "served", _("対応済み")
    SKIPPED = "skipped", _("不在（呼出に応答なし）")
    TRANSFERRED = "transferred", _("他の窓口へ案内")
    CANCELLED = "cancelled", _("取消")


class TicketChannel(models.TextChoices):
    KIOSK = "kiosk", _("発券機")
    STAFF = "staff", _("職員")
    TRANSFER = "transfer", _("他の窓口から案内")


class QueueTicket(TenantOwned):
    """One numbered ticket. ``wait_seconds`` and ``service_seconds`` are measured once, when known."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="queue_tickets"
    )
    service = models.ForeignKey(
        QueueService, verbose_name=_("窓口"), on_delete=models.PROTECT, related_name="tickets"
    )
    day = models.DateField(_("日付"))
    number = models.PositiveIntegerField(_("番号"))
    code = models.CharField(_("確認コード"), max_length=8)
    status = models.CharField(
        _("状況"), max_length=12, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    channel = models.CharField(_("発券"), max_length=10, choices=TicketChannel.choices)
    priority = models.BooleanField(
        _("優先"), default=False, help_text=_("他の窓口から案内された方は、通常の番号より先に呼びます")
    )
    window = models.CharField(_("呼出窓口"), max_length=30, blank=True)
    issued_at = models.DateTimeField(_("発券日時"))
    called_at = models.DateTimeField(_("最初の呼出日時"), null=True, blank=True)
    last_called_at = models.DateTimeField(_("最後の呼出日時"), null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(_("呼出回数"), default=0)
    served_at = models.DateTimeField(_("対応開始日時"), null=True, blank=True)
    finished_at = models.DateTimeField(_("終了日時"), null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(_("待ち時間（秒）"), null=True, blank=True)
    service_seconds = models.PositiveIntegerField(_("対応時間（秒）"), null=True, blank=True)
    transferred_from = models.OneToOneField(
        "self",
        verbose_name=_("案内元の整理券"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transferred_to",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("対応した職員"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("整理券")
        verbose_name_plural = _("整理券")
        ordering = ["service", "day", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "day", "number"],
                name="queue_ticket_unique_number",
                violation_error_message=_("この番号はすでに発券されています。"),
            ),
            models.UniqueConstraint(fields=["municipality", "code"], name="queue_ticket_unique_code"),
        ]
        indexes = [models.Index(fields=["service", "day", "status"], name="queue_ticket_day_status")]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        """What the ticket and the hall's screen show: the prefix and three digits, e.g. ``A012``."""
        return f"{self.service.prefix}{self.number:03d}"
