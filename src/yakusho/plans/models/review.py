"""Reviews (PDCA): grading scales, cycles per period, node reviews, amendments, evidence, notes,
reminders, actuals per period, KPI grades and external evaluation."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core import jcal
from yakusho.core.models import Department, Municipality, TenantOwned
from yakusho.plans.models.plan import Kpi, Node, Plan, PlanEdition
from yakusho.plans.periods import label as period_label


class GradingScale(TenantOwned):
    """A plan's grading scale: any number of levels, worded as the municipality words them. A scale
    that has been used is retired, never deleted; an edition names the scale its reviews use."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="grading_scales"
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("計画"), on_delete=models.CASCADE, related_name="grading_scales"
    )
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("説明"), blank=True)
    retired = models.BooleanField(
        _("使用終了"), default=False, help_text=_("使用を終えた段階は、新しい評価では選べません。")
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("評価の段階")
        verbose_name_plural = _("評価の段階")
        ordering = ["plan", "created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "name"], name="grading_scale_unique_name")]

    def __str__(self) -> str:
        return self.name


class ReviewGrade(TenantOwned):
    """One level of a grading scale (「A 順調」), with the municipality's own description."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="review_grades"
    )
    scale = models.ForeignKey(
        GradingScale, verbose_name=_("評価の段階"), on_delete=models.PROTECT, related_name="levels"
    )
    code = models.CharField(_("記号"), max_length=4)
    label = models.CharField(_("意味"), max_length=60)
    description = models.TextField(_("説明"), blank=True)
    order = models.PositiveSmallIntegerField(_("順序"), default=0)

    class Meta:
        verbose_name = _("評価の段階の区分")
        verbose_name_plural = _("評価の段階の区分")
        ordering = ["scale", "order"]
        constraints = [models.UniqueConstraint(fields=["scale", "code"], name="review_grade_unique_in_scale")]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class ReviewCycle(TenantOwned):
    """The yearly review (進捗評価) of one plan edition for one fiscal year."""

    class State(models.TextChoices):
        OPEN = "open", _("実施中")
        FINALISED = "finalised", _("確定")

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="review_cycles"
    )
    edition = models.ForeignKey(
        PlanEdition, verbose_name=_("計画の版"), on_delete=models.PROTECT, related_name="reviews"
    )
    fiscal_year = models.PositiveIntegerField(_("対象年度"))
    #: 0 for a yearly review; 1–2 (上半期・下半期) or 1–4 (四半期) in the plan's review period
    period = models.PositiveSmallIntegerField(_("期"), default=0)
    due_date = models.DateField(_("提出期限"))
    state = models.CharField(_("状態"), max_length=10, choices=State.choices, default=State.OPEN)
    opened_by = models.ForeignKey(
        "core.User", verbose_name=_("開始者"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("開始日時"), auto_now_add=True)
    demo = models.BooleanField(
        _("デモデータ"),
        default=False,
        help_text=_("デモ用に作った評価で、団体が公表したものではありません。"),
    )

    class Meta:
        verbose_name = _("進捗評価")
        verbose_name_plural = _("進捗評価")
        ordering = ["edition", "-fiscal_year", "-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "fiscal_year", "period"], name="review_cycle_unique_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.edition.title} {self.label}"

    @property
    def label(self) -> str:
        """令和8年度, or 令和8年度 上半期 for a period of a half-yearly or quarterly review."""
        return period_label(self.fiscal_year, self.edition.review_period, self.period)


class NodeReview(TenantOwned):
    """One department's review of one node in a cycle (a node with several 課 has one per 課)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("作成中")
        SUBMITTED = "submitted", _("提出済み")
        RETURNED = "returned", _("差し戻し")
        ACCEPTED = "accepted", _("受理")
        FINALISED = "finalised", _("確定")

    class Progress(models.TextChoices):
        NOT_STARTED = "not_started", _("未着手")
        STUDYING = "studying", _("検討中")
        IN_PROGRESS = "in_progress", _("実施中")
        DONE = "done", _("完了")
        DELAYED = "delayed", _("遅延")
        STOPPED = "stopped", _("中止")
        REVISING = "revising", _("見直し")

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="node_reviews"
    )
    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="node_reviews")
    node = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="reviews")
    department = models.ForeignKey(
        Department,
        verbose_name=_("担当課"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lead = models.BooleanField(_("主担当"), default=False)
    state = models.CharField(_("状態"), max_length=10, choices=State.choices, default=State.DRAFT)
    status = models.CharField(
        _("進捗状況"), max_length=12, choices=Progress.choices, default=Progress.NOT_STARTED
    )
    progress = models.PositiveSmallIntegerField(_("進捗率（%）"), null=True, blank=True)
    grade = models.ForeignKey(
        ReviewGrade, verbose_name=_("評価"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    achievements = models.TextField(_("実績"), blank=True)
    issues = models.TextField(_("課題"), blank=True)
    next_steps = models.TextField(_("今後の方向性"), blank=True)
    evidence = models.TextField(_("根拠資料（リンク等）"), blank=True)
    comment = models.TextField(_("提出・差戻し・受理のコメント"), blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("項目の評価")
        verbose_name_plural = _("項目の評価")
        ordering = ["cycle", "node__order", "department__order"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "node", "department"], name="node_review_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.node}（{self.department}）" if self.department_id else str(self.node)


class ReviewAmendment(TenantOwned):
    """A correction of a finalised node review: the changed values and the reason, kept visible."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey(NodeReview, on_delete=models.CASCADE, related_name="amendments")
    reason = models.TextField(_("訂正の理由"))
    changes = models.JSONField(_("訂正内容"))
    made_by = models.ForeignKey("core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("評価の訂正")
        verbose_name_plural = _("評価の訂正")
        ordering = ["review", "made_at"]

    def __str__(self) -> str:
        return str(_("%(review)s の訂正") % {"review": self.review})


def evidence_path(instance: ReviewEvidence, filename: str) -> str:
    """Under MEDIA_ROOT, which is never served: files go out only through the staff view."""
    return f"private/reviews/{instance.municipality_id}/{instance.sha256[:2]}/{instance.sha256}"


class ReviewEvidence(TenantOwned):
    """A file attached to a node review as evidence (根拠資料), checked by content on upload."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey(NodeReview, on_delete=models.CASCADE, related_name="evidence_files")
    file = models.FileField(_("ファイル"), upload_to=evidence_path, max_length=200)
    name = models.CharField(_("ファイル名"), max_length=200)
    kind = models.CharField(_("種類"), max_length=10)
    size = models.PositiveIntegerField(_("大きさ（バイト）"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("根拠資料のファイル")
        verbose_name_plural = _("根拠資料のファイル")
        ordering = ["review", "uploaded_at"]

    def __str__(self) -> str:
        return self.name


class ProgressNote(TenantOwned):
    """A dated note on a node between reviews (the node's timeline). Kept by plan and node key,
    so a node carried into a new edition keeps its notes."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="progress_notes")
    node_key = models.CharField(_("項目のキー"), max_length=80)
    date = models.DateField(_("日付"))
    text = models.TextField(_("内容"))
    author = models.ForeignKey("core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("進捗メモ")
        verbose_name_plural = _("進捗メモ")
        ordering = ["plan", "node_key", "-date", "-created_at"]
        indexes = [models.Index(fields=["plan", "node_key"], name="progress_note_node")]

    def __str__(self) -> str:
        text = self.text if len(self.text) <= 30 else f"{self.text[:30]}…"
        return f"{jcal.format_date(self.date)}：{text}"


class ReminderLog(TenantOwned):
    """One reminder sent: the key makes `send-reminders` safe to run any number of times."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="reminders")
    key = models.CharField(max_length=120)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("督促の記録")
        verbose_name_plural = _("督促の記録")
        constraints = [models.UniqueConstraint(fields=["cycle", "key"], name="reminder_once")]

    def __str__(self) -> str:
        return str(_("%(cycle)s の督促") % {"cycle": self.cycle})


class KpiPeriodActual(TenantOwned):
    """A KPI's actual for one period of a half-yearly or quarterly review. The year's actual
    (``KpiActual``) is built from these: the sum of the periods for figures that add up within a
    year, the latest period's figure for a level or a running total."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="period_actuals")
    fiscal_year = models.PositiveIntegerField(_("年度"))
    period = models.PositiveSmallIntegerField(_("期"))
    value = models.DecimalField(_("実績値"), max_digits=20, decimal_places=6, null=True, blank=True)
    text = models.TextField(_("実績値（原文）"), blank=True)
    date = models.DateField(_("時点"), null=True, blank=True)
    note = models.TextField(_("備考"), blank=True)
    source = models.CharField(_("出典"), max_length=10, default="review")

    class Meta:
        verbose_name = _("期ごとの実績値")
        verbose_name_plural = _("期ごとの実績値")
        ordering = ["kpi", "fiscal_year", "period"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "fiscal_year", "period"], name="kpi_period_actual_once")
        ]

    def __str__(self) -> str:
        when = period_label(self.fiscal_year, self.kpi.edition.review_period, self.period)
        return str(_("%(kpi)s の実績値（%(period)s）") % {"kpi": self.kpi, "period": when})


class KpiGrade(TenantOwned):
    """A KPI's grade in a cycle, for plans that grade each KPI."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="kpi_grades")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="grades")
    grade = models.ForeignKey(
        ReviewGrade, verbose_name=_("評価"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("KPIの評価")
        verbose_name_plural = _("KPIの評価")
        ordering = ["cycle", "kpi__order"]
        constraints = [models.UniqueConstraint(fields=["cycle", "kpi"], name="kpi_grade_once")]

    def __str__(self) -> str:
        return str(_("%(kpi)s の評価（%(cycle)s）") % {"kpi": self.kpi, "cycle": self.cycle.label})


class ExternalEvaluation(TenantOwned):
    """A comment of an outside body (外部評価委員会・有識者会議) on a cycle, or on one item in it,
    entered by the secretariat and shown in the report apart from the secretariat's own comments."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="external_evaluations")
    node = models.ForeignKey(
        Node,
        verbose_name=_("項目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="external_evaluations",
    )
    body = models.CharField(_("評価した会議・委員会"), max_length=200)
    date = models.DateField(_("日付"))
    text = models.TextField(_("意見"))
    entered_by = models.ForeignKey("core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("外部評価")
        verbose_name_plural = _("外部評価")
        ordering = ["cycle", "node__order", "date", "pk"]

    def __str__(self) -> str:
        return f"{self.body}（{jcal.format_date(self.date)}）"
