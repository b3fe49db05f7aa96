"""Joint goals of a consortium (共通目標), with targets per year, named lists and text targets."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core import jcal
from yakusho.core.models import ConsortiumOwned, Municipality, TenantOwned
from yakusho.plans.models.plan import Kpi, Observation, Plan, StandardIndicator


class JointGoal(ConsortiumOwned):
    """A goal a consortium sets for all its members (共通目標), measured by a standard indicator."""

    class Kind(models.TextChoices):
        NUMBER = "number", _("数値")
        LIST = "list", _("項目の一覧")
        TEXT = "text", _("文章（達成・未達成）")

    key = models.SlugField(_("キー"), max_length=60)
    title = models.CharField(_("目標"), max_length=200)
    kind = models.CharField(_("目標の種類"), max_length=8, choices=Kind.choices, default=Kind.NUMBER)
    direction = models.CharField(_("方向"), max_length=12, choices=Kpi.Direction.choices, blank=True)
    description = models.TextField(_("説明"), blank=True)
    indicator = models.ForeignKey(
        StandardIndicator, verbose_name=_("標準指標"), on_delete=models.PROTECT, null=True, blank=True
    )
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    target_value = models.DecimalField(_("目標値"), max_digits=20, decimal_places=6, null=True, blank=True)
    target_text = models.CharField(_("目標（原文）"), max_length=200, blank=True)
    target_fiscal_year = models.PositiveIntegerField(_("目標年度"), null=True, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("共通目標")
        verbose_name_plural = _("共通目標")
        ordering = ["consortium", "order"]
        constraints = [models.UniqueConstraint(fields=["consortium", "key"], name="joint_goal_unique_key")]

    def __str__(self) -> str:
        return self.title


class JointGoalLink(TenantOwned):
    """What one member measures a joint goal by: a KPI or an observation of its own plan, or
    nothing (a link with neither records that the member has said it does not measure it)."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="+"
    )
    goal = models.ForeignKey(JointGoal, on_delete=models.CASCADE, related_name="links")
    plan = models.ForeignKey(Plan, verbose_name=_("計画"), on_delete=models.CASCADE, related_name="+")
    kpi = models.ForeignKey(
        Kpi, verbose_name=_("KPI"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    observation = models.ForeignKey(
        Observation,
        verbose_name=_("現状の数値"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("備考"), blank=True)
    #: for a text goal: whether the member has done it (None: not said yet), and since when
    done = models.BooleanField(_("達成"), null=True, blank=True)
    done_on = models.DateField(_("達成日"), null=True, blank=True)

    class Meta:
        verbose_name = _("共通目標の指標")
        verbose_name_plural = _("共通目標の指標")
        constraints = [
            models.UniqueConstraint(fields=["goal", "municipality"], name="joint_goal_link_once"),
            models.CheckConstraint(
                condition=models.Q(kpi__isnull=True) | models.Q(observation__isnull=True),
                name="joint_goal_link_one_measure",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.goal}：{self.plan}"


class JointGoalTarget(ConsortiumOwned):
    """A joint goal's target for one fiscal year (a goal may have one per year)."""

    goal = models.ForeignKey(JointGoal, on_delete=models.CASCADE, related_name="targets")
    fiscal_year = models.PositiveIntegerField(_("年度"))
    value = models.DecimalField(_("目標値"), max_digits=20, decimal_places=6, null=True, blank=True)
    text = models.CharField(_("目標（原文）"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("共通目標の年度別目標")
        verbose_name_plural = _("共通目標の年度別目標")
        ordering = ["goal", "fiscal_year"]
        constraints = [models.UniqueConstraint(fields=["goal", "fiscal_year"], name="joint_goal_target_once")]

    def __str__(self) -> str:
        return f"{self.goal}（{jcal.format_fiscal_year(self.fiscal_year, short=True)}）"


class JointGoalItem(ConsortiumOwned):
    """One named item of a list goal (e.g. one 事務 each member moves online)."""

    goal = models.ForeignKey(JointGoal, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("項目"), max_length=200)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("共通目標の項目")
        verbose_name_plural = _("共通目標の項目")
        ordering = ["goal", "order"]
        constraints = [models.UniqueConstraint(fields=["goal", "name"], name="joint_goal_item_unique")]

    def __str__(self) -> str:
        return self.name


class JointGoalItemStatus(TenantOwned):
    """A member's state on one item of a list goal."""

    class State(models.TextChoices):
        NOT_STARTED = "not_started", _("未着手")
        IN_PROGRESS = "in_progress", _("実施中")
        DONE = "done", _("完了")
        NOT_APPLICABLE = "not_applicable", _("対象外")

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(JointGoalItem, on_delete=models.CASCADE, related_name="statuses")
    state = models.CharField(_("状況"), max_length=16, choices=State.choices, default=State.NOT_STARTED)
    note = models.CharField(_("備考"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("共通目標の項目の状況")
        verbose_name_plural = _("共通目標の項目の状況")
        constraints = [
            models.UniqueConstraint(fields=["item", "municipality"], name="joint_goal_item_status_once")
        ]

    def __str__(self) -> str:
        return f"{self.item}：{self.municipality}"
