"""DX plans: editions of a plan, its policy tree, schedules, KPIs, observations and glossary.

A ``Plan`` is the identity (municipality + key); each ``PlanEdition`` (版) holds what that edition
of the document says, so importing a new edition keeps the old one. Nodes, KPIs and schedule
rows carry keys that stay the same across editions, so editions can be compared by key.
National items and standard indicators are global reference data loaded from ``data/``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core.models import ConsortiumOwned, Department, Municipality, TenantOwned


class NationalFramework(models.Model):
    """A version of 総務省「自治体DX推進計画」 (reference data, read-only)."""

    key = models.SlugField(_("キー"), max_length=40, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    version = models.CharField(_("版"), max_length=10)
    published_on = models.DateField(_("公表日"))
    note = models.TextField(_("備考"), blank=True)

    class Meta:
        verbose_name = _("自治体DX推進計画（国）")
        verbose_name_plural = _("自治体DX推進計画（国）")
        ordering = ["published_on"]

    def __str__(self) -> str:
        return self.title


class NationalItem(models.Model):
    framework = models.ForeignKey(NationalFramework, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(_("キー"), max_length=60, unique=True)
    group = models.CharField(_("区分"), max_length=100)
    number = models.CharField(_("番号"), max_length=10)
    title = models.CharField(_("項目"), max_length=200)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("国の重点取組事項等")
        verbose_name_plural = _("国の重点取組事項等")
        ordering = ["framework", "order"]

    def __str__(self) -> str:
        return self.title


class StandardIndicator(models.Model):
    """A kind of KPI that several plans measure (reference data), for comparison across plans."""

    key = models.SlugField(_("キー"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    definition = models.TextField(_("定義"), blank=True)

    class Meta:
        verbose_name = _("標準指標")
        verbose_name_plural = _("標準指標")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class Plan(TenantOwned):
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="plans"
    )
    key = models.SlugField(_("キー"), max_length=80)
    published = models.BooleanField(_("公開"), default=True)
    current_edition = models.ForeignKey(
        "PlanEdition", verbose_name=_("現行版"), on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("DX推進計画")
        verbose_name_plural = _("DX推進計画")
        constraints = [models.UniqueConstraint(fields=["municipality", "key"], name="plan_unique_key")]

    def __str__(self) -> str:
        return self.current_edition.title if self.current_edition else self.key


class DatePrecision(models.TextChoices):
    """How much of a date the plan prints: 「令和5年12月」 is a month, not its 1st day."""

    DAY = "day", _("日")
    MONTH = "month", _("月")


class PlanEdition(TenantOwned):
    """One edition (版) of a plan: everything its document says."""

    plan = models.ForeignKey(Plan, verbose_name=_("計画"), on_delete=models.CASCADE, related_name="editions")
    number = models.CharField(_("版"), max_length=20)
    date = models.DateField(_("日付"), null=True, blank=True)
    date_precision = models.CharField(
        _("日付の精度"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    edition_note = models.TextField(_("改訂内容"), blank=True)
    history = models.JSONField(_("版の履歴"), default=list, blank=True)
    title = models.CharField(_("名称"), max_length=300)
    kind = models.CharField(_("種類"), max_length=40)
    adopted_on = models.DateField(_("策定日"), null=True, blank=True)
    adopted_precision = models.CharField(
        _("策定日の精度"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    first_year = models.PositiveIntegerField(_("計画期間（初年度）"))
    last_year = models.PositiveIntegerField(_("計画期間（最終年度）"))
    level_labels = models.JSONField(_("階層の名称"), default=list)
    vision = models.TextField(_("目指す姿"), blank=True)
    position = models.TextField(_("位置づけ"), blank=True)
    governance = models.TextField(_("推進体制"), blank=True)
    principles = models.TextField(_("原則"), blank=True)
    sections = models.JSONField(_("その他の章"), default=list, blank=True)
    national_framework = models.ForeignKey(
        NationalFramework, verbose_name=_("国の計画の版"), on_delete=models.PROTECT, null=True, blank=True
    )
    framework_cited = models.BooleanField(_("国の計画の版を明記"), default=False)
    note = models.TextField(_("転記メモ"), blank=True)
    digest = models.CharField(max_length=64, editable=False)
    draft = models.BooleanField(
        _("作成中"),
        default=False,
        help_text=_(
            "職員が改訂中の版です。現行版にするまで住民には見えず、計画ファイルの取込でも現行版になりません。"
        ),
    )
    imported_at = models.DateTimeField(_("取込日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("計画の版")
        verbose_name_plural = _("計画の版")
        ordering = ["plan", "date", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="edition_unique_number")]

    def __str__(self) -> str:
        return self.title if f"第{self.number}版" in self.title else f"{self.title}【第{self.number}版】"


class Node(TenantOwned):
    edition = models.ForeignKey(PlanEdition, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    key = models.CharField(_("キー"), max_length=80)
    depth = models.PositiveSmallIntegerField(_("階層"))
    #: what the node is in the plan's own levels (1 = ``level_labels[0]``): usually its depth, but a
    #: plan may put a 取組事項 straight under a 重点項目 (村上市), so a plan file can say so
    level = models.PositiveSmallIntegerField(_("区分"), default=1)
    code = models.CharField(_("番号"), max_length=30, blank=True)
    title = models.CharField(_("名称"), max_length=300)
    description = models.TextField(_("説明"), blank=True)
    current_state = models.TextField(_("現状と課題"), blank=True)
    actions = models.TextField(_("主な取組"), blank=True)
    effects = models.TextField(_("期待される効果"), blank=True)
    department_note = models.CharField(_("担当（課名以外）"), max_length=200, blank=True)
    note = models.TextField(_("転記メモ"), blank=True)
    order = models.PositiveIntegerField(_("順序"))
    departments = models.ManyToManyField(Department, through="NodeDepartment", related_name="plan_nodes")
    national_items = models.ManyToManyField(NationalItem, blank=True, related_name="nodes")

    # Filled by the plan pages' prefetches (``to_attr``), so no queryset is built per node.
    dept_links: list[NodeDepartment]
    items: list[NationalItem]

    class Meta:
        verbose_name = _("計画の項目")
        verbose_name_plural = _("計画の項目")
        ordering = ["edition", "order"]
        constraints = [models.UniqueConstraint(fields=["edition", "key"], name="node_unique_key")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}".strip()


class NodeDepartment(TenantOwned):
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="node_departments")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    lead = models.BooleanField(_("主担当"), default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("担当課")
        verbose_name_plural = _("担当課")
        ordering = ["node", "order"]
        constraints = [models.UniqueConstraint(fields=["node", "department"], name="node_department_unique")]


class ScheduleEntry(TenantOwned):
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="schedule")
    first_year = models.PositiveIntegerField(_("開始年度"))
    #: may lie past the plan period (a bar printed as running on, 「～R12」)
    last_year = models.PositiveIntegerField(_("終了年度"))
    activity = models.TextField(_("内容"))
    phase = models.CharField(_("段階"), max_length=40, blank=True)
    note = models.TextField(_("備考"), blank=True)
    #: where the plan prints this bar when it prints more than one schedule (ロードマップ, 個票 …)
    source = models.CharField(_("出典"), max_length=60, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("工程")
        verbose_name_plural = _("工程表")
        ordering = ["node", "order"]


class Kpi(TenantOwned):
    class Direction(models.TextChoices):
        INCREASE = "increase", _("増やす")
        DECREASE = "decrease", _("減らす")
        KEEP = "keep", _("維持する")
        QUALITATIVE = "qualitative", _("定性")

    class Accumulation(models.TextChoices):
        """How a KPI's figures add up over the years (docs/plan-file-format.md, "Accumulation")."""

        #: that year's actual against that year's target
        PER_YEAR = "per_year", _("年度ごとの値")
        #: the sum of the yearly actuals against a running-total target
        CUMULATIVE = "cumulative", _("累計（各年度の実績の合計）")
        #: actuals reported as the running total itself
        RUNNING_TOTAL = "running_total", _("累計（報告された累計値）")
        #: the latest value: a rate, a count in stock
        POINT_IN_TIME = "point_in_time", _("時点の値（最新の値）")
        #: done once every ``interval_years`` years (「3年ごとに1回」)
        EVERY_N_YEARS = "every_n_years", _("数年ごとの値")

    edition = models.ForeignKey(PlanEdition, on_delete=models.CASCADE, related_name="kpis")
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="kpis")
    key = models.CharField(_("キー"), max_length=80)
    name = models.CharField(_("指標名"), max_length=300)
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    direction = models.CharField(_("方向"), max_length=12, choices=Direction.choices)
    accumulation = models.CharField(_("集計"), max_length=14, choices=Accumulation.choices)
    interval_years = models.PositiveSmallIntegerField(_("何年ごと"), null=True, blank=True)
    baseline_fiscal_year = models.PositiveIntegerField(_("現状値の年度"), null=True, blank=True)
    baseline_date = models.DateField(_("現状値の日付"), null=True, blank=True)
    baseline_date_precision = models.CharField(
        _("現状値の日付の精度"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    baseline_value = models.DecimalField(_("現状値"), max_digits=20, decimal_places=6, null=True, blank=True)
    baseline_text = models.TextField(_("現状値（原文）"), blank=True)
    baseline_note = models.TextField(_("現状値の注記"), blank=True)
    has_baseline = models.BooleanField(default=False)
    reprint_of = models.ForeignKey(
        "self",
        verbose_name=_("再掲元"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reprints",
    )
    metric = models.CharField(_("指標レジストリのキー"), max_length=80, blank=True)
    indicator = models.ForeignKey(
        StandardIndicator, verbose_name=_("標準指標"), on_delete=models.PROTECT, null=True, blank=True
    )
    note = models.TextField(_("備考"), blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPI")
        ordering = ["edition", "order"]
        constraints = [models.UniqueConstraint(fields=["edition", "key"], name="kpi_unique_key")]

    def __str__(self) -> str:
        return self.name


class KpiTarget(TenantOwned):
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="targets")
    fiscal_year = models.PositiveIntegerField(_("年度"), null=True, blank=True)
    value = models.DecimalField(_("目標値"), max_digits=20, decimal_places=6, null=True, blank=True)
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    text = models.TextField(_("目標値（原文）"))
    final = models.BooleanField(_("最終目標"), default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("目標値")
        verbose_name_plural = _("目標値")
        ordering = ["kpi", "order"]


class KpiActual(TenantOwned):
    """The one series of actuals of a KPI: from the plan document, a review, or a metric."""

    class Source(models.TextChoices):
        """Where the figure comes from; shown beside it wherever it appears, with its "as of"."""

        PLAN = "plan", _("計画書")
        REVIEW = "review", _("進捗評価")
        METRIC = "metric", _("計測値")
        DEMO = "demo", _("デモ")

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="actuals")
    fiscal_year = models.PositiveIntegerField(_("年度"))
    value = models.DecimalField(_("実績値"), max_digits=20, decimal_places=6, null=True, blank=True)
    text = models.TextField(_("実績値（原文）"), blank=True)
    #: "as of": the day the figure describes (a plan's 「令和6年3月末現在」, a review's due date,
    #: a measured period's last day)
    date = models.DateField(_("時点"), null=True, blank=True)
    note = models.TextField(_("備考"), blank=True)
    source = models.CharField(_("出典"), max_length=10, choices=Source.choices, default=Source.PLAN)

    class Meta:
        verbose_name = _("実績値")
        verbose_name_plural = _("実績値")
        ordering = ["kpi", "fiscal_year"]
        constraints = [models.UniqueConstraint(fields=["kpi", "fiscal_year"], name="kpi_actual_one_per_year")]


class Observation(TenantOwned):
    edition = models.ForeignKey(PlanEdition, on_delete=models.CASCADE, related_name="observations")
    node = models.ForeignKey(
        Node, on_delete=models.CASCADE, null=True, blank=True, related_name="observations"
    )
    name = models.CharField(_("項目"), max_length=300)
    value = models.DecimalField(_("値"), max_digits=20, decimal_places=6, null=True, blank=True)
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    text = models.TextField(_("原文"), blank=True)
    as_of = models.DateField(_("時点"), null=True, blank=True)
    as_of_precision = models.CharField(
        _("時点の精度"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    as_of_text = models.CharField(_("時点（原文）"), max_length=100, blank=True)
    indicator = models.ForeignKey(StandardIndicator, on_delete=models.PROTECT, null=True, blank=True)
    note = models.TextField(_("備考"), blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("現状の数値")
        verbose_name_plural = _("現状の数値")
        ordering = ["edition", "order"]


class GlossaryTerm(TenantOwned):
    edition = models.ForeignKey(PlanEdition, on_delete=models.CASCADE, related_name="glossary")
    term = models.CharField(_("用語"), max_length=200)
    reading = models.CharField(_("読み"), max_length=200, blank=True)
    definition = models.TextField(_("説明"))
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("用語")
        verbose_name_plural = _("用語集")
        ordering = ["edition", "order"]

    def __str__(self) -> str:
        return self.term


TENANT_MODELS: list[Any] = [
    Plan,
    PlanEdition,
    Node,
    NodeDepartment,
    ScheduleEntry,
    Kpi,
    KpiTarget,
    KpiActual,
    Observation,
    GlossaryTerm,
]


# --- yearly reviews (PDCA) ------------------------------------------------------------------


class ReviewGrade(TenantOwned):
    """One step of the grading scale a municipality uses in its reviews (default A–D)."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="review_grades"
    )
    code = models.CharField(_("評価"), max_length=4)
    label = models.CharField(_("意味"), max_length=60)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("評価の段階")
        verbose_name_plural = _("評価の段階")
        ordering = ["municipality", "order"]
        constraints = [models.UniqueConstraint(fields=["municipality", "code"], name="review_grade_unique")]

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
        ordering = ["edition", "-fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "fiscal_year"], name="review_cycle_unique_year")
        ]

    def __str__(self) -> str:
        return f"{self.edition.title} {self.fiscal_year}"


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


TENANT_MODELS += [ReviewGrade, ReviewCycle, NodeReview, ReviewAmendment, ReviewEvidence]


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


TENANT_MODELS.append(ProgressNote)


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


TENANT_MODELS.append(ReminderLog)


# --- joint goals of a consortium ------------------------------------------------------------


class JointGoal(ConsortiumOwned):
    """A goal a consortium sets for all its members (共通目標), measured by a standard indicator."""

    key = models.SlugField(_("キー"), max_length=60)
    title = models.CharField(_("目標"), max_length=200)
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


TENANT_MODELS += [JointGoal, JointGoalLink]
