"""The no-writing counter (書かない窓口): visits, the procedures done in them, one-stop rules.

A ``CounterVisit`` is one resident served at the counter: arrival, identification through a
card-reader adapter (``identity``), the chosen procedures (``CounterVisitItem``, each with the
current form of its procedure and the answers staff entered), the resident's confirmation on a
second screen and the finish, which turns each item into an ordinary ``Submission`` with
``channel=counter``. ``OneStopRule`` says which procedures a life event proposes (ワンストップ),
per municipality. The rules of all this live in ``yakusho.procedures.counter.services``.

Personal data (the identity read from the card, the facts, the answers) is kept out of the audit
trail: the history of a visit holds its status and times, and ``yakusho discard-counter-visits``
can erase the personal data without leaving a copy in the log.

Imported at the bottom of ``procedures/models.py``; registered with the audit trail here.
"""

from __future__ import annotations

from typing import Any

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core import shortcodes
from yakusho.core.models import Municipality, TenantOwned
from yakusho.procedures.models.catalogue import FormDefinition, LifeEvent, Procedure
from yakusho.procedures.models.submissions import Submission


class VisitStatus(models.TextChoices):
    OPEN = "open", _("対応中")
    CONFIRMING = "confirming", _("本人確認待ち")
    FINISHED = "finished", _("完了")
    ABANDONED = "abandoned", _("中断・破棄")


class CounterVisit(TenantOwned):
    """窓口での1回の来庁: one resident served at the counter, from arrival to finish."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="counter_visits"
    )
    code = models.CharField(_("受付番号"), max_length=shortcodes.LENGTH)
    status = models.CharField(_("状況"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.OPEN)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当職員"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    arrived_at = models.DateTimeField(_("来庁日時"))
    started_at = models.DateTimeField(_("対応開始日時"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    abandoned_at = models.DateTimeField(_("中断日時"), null=True, blank=True)
    life_event = models.CharField(_("ライフイベント"), max_length=20, choices=LifeEvent.choices, blank=True)
    identity = models.JSONField(_("本人確認情報"), default=dict, blank=True)
    address_flagged = models.BooleanField(
        _("住所が他団体"), default=False, help_text=_("カードの住所がこの団体の住所ではない")
    )
    facts = models.JSONField(_("入力済みの事実"), default=dict, blank=True)
    confirm_token = models.CharField(_("確認画面の鍵"), max_length=64, blank=True, editable=False)
    confirmed_at = models.DateTimeField(_("本人確認日時"), null=True, blank=True)
    #: the 領収番号 of the till's payment for this visit's fees (payments), blank until paid
    payment_code = models.CharField(_("領収番号"), max_length=shortcodes.LENGTH, blank=True)

    class Meta:
        verbose_name = _("窓口の来庁")
        verbose_name_plural = _("窓口の来庁")
        ordering = ["-arrived_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="counter_visit_unique_code"),
        ]
        indexes = [
            models.Index(fields=["municipality", "arrived_at"], name="counter_visit_arrived_idx"),
            models.Index(fields=["status", "arrived_at"], name="counter_visit_status_idx"),
            models.Index(fields=["confirm_token"], name="counter_visit_token_idx"),
        ]

    def __str__(self) -> str:
        return shortcodes.format_code(self.code)

    @property
    def display_code(self) -> str:
        return shortcodes.format_code(self.code)

    @property
    def payment_display_code(self) -> str:
        return shortcodes.format_code(self.payment_code) if self.payment_code else ""

    @property
    def is_active(self) -> bool:
        return self.status in (VisitStatus.OPEN, VisitStatus.CONFIRMING)


class CounterVisitItem(TenantOwned):
    """One procedure done in a visit: its form (the version chosen) and the answers entered."""

    visit = models.ForeignKey(CounterVisit, on_delete=models.CASCADE, related_name="items")
    procedure = models.ForeignKey(
        Procedure, verbose_name=_("手続"), on_delete=models.PROTECT, related_name="counter_items"
    )
    form = models.ForeignKey(
        FormDefinition,
        verbose_name=_("フォーム定義（版）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="counter_items",
    )
    answers = models.JSONField(_("入力内容"), default=dict, blank=True, help_text=_("入力名 → 値の一覧"))
    cleaned = models.JSONField(_("確認済みの内容"), default=dict, blank=True)
    complete = models.BooleanField(_("入力完了"), default=False)
    submission = models.ForeignKey(
        Submission,
        verbose_name=_("申請"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="counter_items",
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    overrides = models.JSONField(
        _("職員の判断による例外"),
        default=dict,
        blank=True,
        help_text=_("オンライン申請向けの規則を窓口で例外扱いにした項目（入力名 → 規則と理由）"),
    )

    class Meta:
        verbose_name = _("窓口で行う手続")
        verbose_name_plural = _("窓口で行う手続")
        ordering = ["visit", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "procedure"], name="counter_item_unique_procedure"),
        ]

    def __str__(self) -> str:
        return f"{self.visit}：{self.procedure}"


class OneStopRule(TenantOwned):
    """ワンストップ: a procedure that a life event proposes at this municipality's counter."""

    life_event = models.CharField(_("ライフイベント"), max_length=20, choices=LifeEvent.choices)
    procedure = models.ForeignKey(
        Procedure, verbose_name=_("手続"), on_delete=models.CASCADE, related_name="one_stop_rules"
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    min_age = models.PositiveSmallIntegerField(
        _("対象の年齢（以上）"), null=True, blank=True, help_text=_("来庁者がこの年齢以上のときだけ提案する")
    )
    max_age = models.PositiveSmallIntegerField(
        _("対象の年齢（以下）"), null=True, blank=True, help_text=_("来庁者がこの年齢以下のときだけ提案する")
    )

    class Meta:
        verbose_name = _("ワンストップの設定")
        verbose_name_plural = _("ワンストップの設定")
        ordering = ["municipality", "life_event", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "life_event", "procedure"],
                name="one_stop_rule_unique",
                violation_error_message=_("このライフイベントにこの手続はすでに設定されています。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_life_event_display()}：{self.procedure}"


class CounterScreen(TenantOwned):
    """A screen paired to a clerk's desk (a tablet facing the resident): it shows the visit of
    that clerk which waits for the resident's confirmation, so nobody types an address."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="counter_screens"
    )
    name = models.CharField(_("画面の名前"), max_length=60, help_text=_("例：1番窓口のタブレット"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("つないだ職員"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    token_hash = models.CharField(_("画面の鍵（ハッシュ）"), max_length=64, editable=False)
    paired_at = models.DateTimeField(_("つないだ日時"))
    last_seen_at = models.DateTimeField(_("最後に表示した日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("確認用の画面")
        verbose_name_plural = _("確認用の画面")
        ordering = ["municipality", "name", "pk"]
        indexes = [models.Index(fields=["token_hash"], name="counter_screen_token_idx")]

    def __str__(self) -> str:
        return self.name


COUNTER_MODELS: list[Any] = [CounterVisit, CounterVisitItem, OneStopRule, CounterScreen]

for _model, _exclude in (
    # The card's identity and the facts are personal data: the log keeps status and times only.
    (CounterVisit, ["identity", "facts", "confirm_token"]),
    (CounterVisitItem, ["answers", "cleaned"]),
    (OneStopRule, []),
    (CounterScreen, ["token_hash", "last_seen_at"]),
):
    if not auditlog.contains(_model):
        auditlog.register(_model, exclude_fields=_exclude)

__all__ = [
    "COUNTER_MODELS",
    "CounterScreen",
    "CounterVisit",
    "CounterVisitItem",
    "OneStopRule",
    "VisitStatus",
]
