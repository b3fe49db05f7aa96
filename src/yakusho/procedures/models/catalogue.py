"""The procedure catalogue (手続): procedures, their channels, form definitions and the national list.

A ``Procedure`` is what a resident does (転入届, 児童手当の認定請求 …); its ``ProcedureChannel`` rows
say where it can be done (online in Yakusho, an external online service, the counter, a
convenience store, by post) and whether that is available now or planned for a fiscal year.
Its form is the newest ``FormDefinition`` (versioned JSON, validated by the form engine).
``PriorityProcedure`` is national reference data (global, versioned), loaded from
``data/national/priority-procedures-*.yaml``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core.models import Department, Municipality, TenantOwned


class LifeEvent(models.TextChoices):
    """ライフイベント: the fixed vocabulary residents browse procedures by."""

    BIRTH = "birth", _("出生")
    MOVING_IN = "moving-in", _("転入")
    MOVING_OUT = "moving-out", _("転出")
    MOVING_WITHIN = "moving-within", _("引越し（市内）")
    MARRIAGE = "marriage", _("婚姻")
    DIVORCE = "divorce", _("離婚")
    DEATH = "death", _("死亡")
    CARE = "care", _("介護")
    CHILDCARE = "childcare", _("子育て")
    SCHOOL = "school", _("就学")
    DISASTER = "disaster", _("被災")
    BUSINESS = "business", _("事業")
    HOUSING = "housing", _("住まい")
    WASTE = "waste", _("ごみ")
    PETS = "pets", _("ペット")
    EMPLOYMENT = "employment", _("就職")
    HEALTH = "health", _("健康")
    TAX = "tax", _("税金")
    FACILITIES = "facilities", _("施設の利用")


#: What each life event page is about, in the words a resident would use.
LIFE_EVENT_TITLES: dict[str, Any] = {
    LifeEvent.BIRTH: _("子どもが生まれたときの手続"),
    LifeEvent.MOVING_IN: _("引っ越してきたときの手続"),
    LifeEvent.MOVING_OUT: _("引っ越すときの手続"),
    LifeEvent.MOVING_WITHIN: _("同じ市町村の中で引っ越すときの手続"),
    LifeEvent.MARRIAGE: _("結婚したときの手続"),
    LifeEvent.DIVORCE: _("離婚したときの手続"),
    LifeEvent.DEATH: _("家族が亡くなったときの手続"),
    LifeEvent.CARE: _("介護が必要になったときの手続"),
    LifeEvent.CHILDCARE: _("子育てに関する手続"),
    LifeEvent.SCHOOL: _("入園・入学に関する手続"),
    LifeEvent.DISASTER: _("災害にあったときの手続"),
    LifeEvent.BUSINESS: _("事業者の手続"),
    LifeEvent.HOUSING: _("住まいに関する手続"),
    LifeEvent.WASTE: _("ごみを出すときの手続"),
    LifeEvent.PETS: _("ペットを飼うときの手続"),
    LifeEvent.EMPLOYMENT: _("仕事を探すとき・働くときの手続"),
    LifeEvent.HEALTH: _("健診・予防など健康に関する手続"),
    LifeEvent.TAX: _("税金に関する手続"),
    LifeEvent.FACILITIES: _("施設を利用するときの手続"),
}


class PaymentTiming(models.TextChoices):
    """When a resident applying online pays a fee that the fee catalogue lets them pay online."""

    BEFORE = "before", _("申請の時に支払う（支払が済むまで受け付けません）")
    LATER = "later", _("申請の後に支払う（申請の状況ページから）")


class PriorityProcedure(models.Model):
    """A procedure of the national list of procedures to put online first (reference data, global).

    「特に国民の利便性向上に資する手続」 of 自治体DX推進計画; versioned like the plan versions, so a
    later list does not rewrite an earlier one.
    """

    version = models.CharField(_("版"), max_length=40, help_text=_("一覧の版（ファイル名の版）"))
    group = models.CharField(_("分類"), max_length=40, help_text=_("子育て・介護・被災者支援・引越し など"))
    number = models.PositiveSmallIntegerField(_("番号"))
    key = models.SlugField(_("キー"), max_length=60)
    title = models.CharField(_("手続名"), max_length=200)
    note = models.TextField(_("備考"), blank=True)
    order = models.PositiveIntegerField(_("表示順"), default=0)

    class Meta:
        verbose_name = _("国の優先的にオンライン化を推進すべき手続")
        verbose_name_plural = _("国の優先的にオンライン化を推進すべき手続")
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="priority_procedure_unique_key"),
            models.UniqueConstraint(
                fields=["version", "group", "number"], name="priority_procedure_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.number}. {self.title}"


class Procedure(TenantOwned):
    """手続: one thing a resident or business asks of the municipality."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="procedures"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("担当課"), on_delete=models.PROTECT, related_name="procedures"
    )
    key = models.SlugField(_("キー"), max_length=80, help_text=_("URLと手続ファイルで使う英数字の名前"))
    name = models.CharField(_("手続名"), max_length=200)
    kana = models.CharField(_("よみがな"), max_length=300, blank=True)
    summary = models.CharField(_("概要"), max_length=300, blank=True)
    description = models.TextField(_("説明（住民向け、Markdown）"), blank=True)
    audience = models.TextField(_("対象となる人"), blank=True)
    fee_yen = models.PositiveIntegerField(
        _("手数料（円）"), null=True, blank=True, help_text=_("空欄は未設定、0は無料")
    )
    fee_text = models.CharField(
        _("手数料の説明"), max_length=300, blank=True, help_text=_("1通300円など、金額だけで表せない場合")
    )
    documents = models.JSONField(_("必要なもの"), default=list, blank=True)
    legal_basis = models.CharField(_("根拠法令"), max_length=300, blank=True)
    processing_days = models.PositiveSmallIntegerField(
        _("標準処理期間（開庁日）"), null=True, blank=True, help_text=_("受付から処理までの開庁日数")
    )
    retention_years = models.PositiveSmallIntegerField(_("保存期間（年）"), default=5)
    priority = models.ForeignKey(
        PriorityProcedure,
        verbose_name=_("国の優先手続"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="procedures",
    )
    published = models.BooleanField(_("公開"), default=True)
    issues_certificate = models.BooleanField(
        _("証明書の交付"), default=False, help_text=_("証明書を交付する手続（交付部数を数えます）")
    )
    paper_at_counter = models.BooleanField(
        _("窓口で紙の様式が必要"), default=False, help_text=_("窓口で受け付けたとき記入済みの様式を印刷する")
    )
    payment_timing = models.CharField(
        _("オンライン決済の時期"),
        max_length=10,
        choices=PaymentTiming.choices,
        default=PaymentTiming.BEFORE,
        help_text=_(
            "フォームの手数料が手数料一覧の項目で、その項目がオンライン決済を受け付けるときの支払の時期"
        ),
    )
    order = models.PositiveIntegerField(_("表示順"), default=0)
    note = models.TextField(_("備考（職員用）"), blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("手続")
        verbose_name_plural = _("手続")
        ordering = ["municipality", "order", "kana", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "key"],
                name="procedure_unique_key_per_municipality",
                violation_error_message=_("同じキーの手続がすでにあります。"),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProcedureLifeEvent(TenantOwned):
    """A procedure's life event (one row per event: indexed filtering on any database)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="life_event_links")
    event = models.CharField(_("ライフイベント"), max_length=20, choices=LifeEvent.choices)

    class Meta:
        verbose_name = _("手続のライフイベント")
        verbose_name_plural = _("手続のライフイベント")
        constraints = [
            models.UniqueConstraint(fields=["procedure", "event"], name="procedure_life_event_unique")
        ]
        indexes = [models.Index(fields=["municipality", "event"], name="procedure_event_idx")]

    def __str__(self) -> str:
        return self.get_event_display()


class ChannelKind(models.TextChoices):
    YAKUSHO = "yakusho", _("オンライン（このサイト）")
    EXTERNAL = "external", _("オンライン（外部サービス）")
    COUNTER = "counter", _("窓口")
    CONVENIENCE_STORE = "convenience-store", _("コンビニ")
    POST = "post", _("郵送")


ONLINE_KINDS = (ChannelKind.YAKUSHO, ChannelKind.EXTERNAL)


class ChannelStatus(models.TextChoices):
    AVAILABLE = "available", _("利用できます")
    PLANNED = "planned", _("準備中")


class ProcedureChannel(TenantOwned):
    """Where a procedure can be done, and whether it can be now or is planned for a fiscal year."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(_("方法"), max_length=20, choices=ChannelKind.choices)
    status = models.CharField(
        _("状況"), max_length=10, choices=ChannelStatus.choices, default=ChannelStatus.AVAILABLE
    )
    target_fiscal_year = models.PositiveSmallIntegerField(
        _("開始予定年度"), null=True, blank=True, help_text=_("準備中のとき、開始を予定している年度")
    )
    service_name = models.CharField(
        _("サービス名"), max_length=100, blank=True, help_text=_("マイナポータル、LoGoフォーム など")
    )
    url = models.URLField(_("URL"), blank=True)
    note = models.CharField(_("補足"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        verbose_name = _("手続の方法")
        verbose_name_plural = _("手続の方法")
        ordering = ["procedure", "order", "pk"]
        indexes = [models.Index(fields=["municipality", "kind", "status"], name="procedure_channel_idx")]

    def __str__(self) -> str:
        return f"{self.procedure}：{self.get_kind_display()}（{self.get_status_display()}）"

    @property
    def is_online(self) -> bool:
        return self.kind in ONLINE_KINDS

    @property
    def is_available(self) -> bool:
        return self.status == ChannelStatus.AVAILABLE


class FormDefinition(TenantOwned):
    """One version of a procedure's form (JSON of the form engine). The current one is the highest.

    Create through :func:`yakusho.procedures.catalogue.services.add_form_definition`, which validates with
    the engine first; a definition is never edited, a new version is added.
    """

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="form_definitions")
    version = models.PositiveIntegerField(_("版"))
    definition = models.JSONField(_("定義（JSON）"))
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    created_by = models.ForeignKey(
        "core.User",
        verbose_name=_("登録者"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("取込元"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("申請フォーム定義")
        verbose_name_plural = _("申請フォーム定義")
        ordering = ["procedure", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "version"],
                name="form_definition_unique_version",
                violation_error_message=_("この版のフォーム定義はすでにあります。"),
            )
        ]

    def __str__(self) -> str:
        return str(
            _("%(procedure)s 第%(version)s版") % {"procedure": self.procedure, "version": self.version}
        )

    @property
    def title(self) -> str:
        return str(self.definition.get("title", "")) if isinstance(self.definition, dict) else ""


TENANT_MODELS: list[Any] = [Procedure, ProcedureLifeEvent, ProcedureChannel, FormDefinition]

__all__ = [
    "LIFE_EVENT_TITLES",
    "ONLINE_KINDS",
    "TENANT_MODELS",
    "ChannelKind",
    "ChannelStatus",
    "FormDefinition",
    "LifeEvent",
    "PaymentTiming",
    "PriorityProcedure",
    "Procedure",
    "ProcedureChannel",
    "ProcedureLifeEvent",
]
