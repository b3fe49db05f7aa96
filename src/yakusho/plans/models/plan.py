"""Plans: editions of a plan, its policy tree, schedules, KPIs, observations, glossary, figures,
lists and lineage (see the package docstring)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core import jcal
from yakusho.core.models import Department, Municipality, TenantOwned


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
    #: the plan this one follows (第1期 → 第2期); its successors are ``plan.successors``
    predecessor = models.ForeignKey(
        "self",
        verbose_name=_("前の計画"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
    )
    #: the previous plan's name when it is not kept in Yakusho (「第1期潟上市DX推進計画」)
    predecessor_title = models.CharField(_("前の計画の名称"), max_length=300, blank=True)

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


class ReviewPeriod(models.TextChoices):
    """How often a plan is reviewed; a year's summary is built from its periods."""

    YEAR = "year", _("年度ごと")
    HALF = "half", _("半期ごと")
    QUARTER = "quarter", _("四半期ごと")


class GradedItem(models.TextChoices):
    """What a review grades: each 課's part of an initiative, the initiative, or each KPI."""

    DEPARTMENT = "department", _("取組ごと・担当課ごと")
    NODE = "node", _("取組ごと")
    KPI = "kpi", _("KPIごと")


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
    review_period = models.CharField(
        _("進捗評価の周期"), max_length=8, choices=ReviewPeriod.choices, default=ReviewPeriod.YEAR
    )
    graded = models.CharField(
        _("評価の対象"), max_length=10, choices=GradedItem.choices, default=GradedItem.DEPARTMENT
    )
    grading_scale = models.ForeignKey(
        "GradingScale",
        verbose_name=_("評価の段階"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="editions",
    )
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

    def __str__(self) -> str:
        return f"{self.node}（{self.department}）"


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

    def __str__(self) -> str:
        first = jcal.format_fiscal_year(self.first_year, short=True)
        last = jcal.format_fiscal_year(self.last_year, short=True)
        years = first if first == last else f"{first}〜{last}"
        return f"{self.node}：{years}"


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

    def __str__(self) -> str:
        if self.fiscal_year is None:
            return str(_("%(kpi)s の目標値") % {"kpi": self.kpi})
        year = jcal.format_fiscal_year(self.fiscal_year, short=True)
        return str(_("%(kpi)s の目標値（%(year)s）") % {"kpi": self.kpi, "year": year})


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

    def __str__(self) -> str:
        year = jcal.format_fiscal_year(self.fiscal_year, short=True)
        return str(_("%(kpi)s の実績値（%(year)s）") % {"kpi": self.kpi, "year": year})


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

    def __str__(self) -> str:
        return self.name


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


class PlanFigure(TenantOwned):
    """A diagram the plan prints (推進体制図, a map of the systems), with the words that say what
    it shows for people who cannot see it."""

    edition = models.ForeignKey(PlanEdition, on_delete=models.CASCADE, related_name="figures")
    node = models.ForeignKey(Node, on_delete=models.CASCADE, null=True, blank=True, related_name="figures")
    key = models.CharField(_("キー"), max_length=80)
    image = models.FileField(_("画像"), upload_to="plans/figures/", max_length=200, blank=True)
    alt = models.TextField(_("代替テキスト"))
    caption = models.CharField(_("表題"), max_length=300, blank=True)
    source = models.CharField(_("出典"), max_length=200, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("図")
        verbose_name_plural = _("図")
        ordering = ["edition", "order"]
        constraints = [models.UniqueConstraint(fields=["edition", "key"], name="plan_figure_unique_key")]

    def __str__(self) -> str:
        return self.caption or self.key


class PlanList(TenantOwned):
    """A list the plan prints (procedures to put online, systems to migrate) kept as data: named
    columns and rows of text, shown as a table and exported."""

    edition = models.ForeignKey(PlanEdition, on_delete=models.CASCADE, related_name="lists")
    node = models.ForeignKey(Node, on_delete=models.CASCADE, null=True, blank=True, related_name="lists")
    key = models.CharField(_("キー"), max_length=80)
    title = models.CharField(_("表題"), max_length=300)
    columns = models.JSONField(_("列"), default=list)
    rows = models.JSONField(_("行"), default=list)
    note = models.TextField(_("注記"), blank=True)
    source = models.CharField(_("出典"), max_length=200, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("一覧表")
        verbose_name_plural = _("一覧表")
        ordering = ["edition", "order"]
        constraints = [models.UniqueConstraint(fields=["edition", "key"], name="plan_list_unique_key")]

    def __str__(self) -> str:
        return self.title


class NodeContinuation(TenantOwned):
    """An initiative carried on from the previous plan: the node of this plan (by key) and the node
    of the predecessor plan it continues (by key), so either plan can link to the other."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="continuations")
    node_key = models.CharField(_("項目のキー"), max_length=80)
    previous_plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="continued_in")
    previous_node_key = models.CharField(_("前計画の項目のキー"), max_length=80)
    note = models.TextField(_("備考"), blank=True)

    class Meta:
        verbose_name = _("継続する取組")
        verbose_name_plural = _("継続する取組")
        ordering = ["plan", "node_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "node_key", "previous_node_key"], name="node_continuation_unique"
            )
        ]

    def __str__(self) -> str:
        return str(
            _("%(key)s（%(plan)s の %(previous)s から継続）")
            % {"key": self.node_key, "plan": self.previous_plan, "previous": self.previous_node_key}
        )


class ClosingReview(TenantOwned):
    """The closing review of a plan period (総括): of the whole plan (no node key) or of one of its
    items; kept with the plan it reviews, also after its successor is adopted."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="closing_reviews")
    #: blank when it reviews ``plan`` itself; the reviewed plan's name when ``plan``'s document prints
    #: the closing review of a predecessor not kept in Yakusho (潟上市's table of its previous plan)
    reviewed_plan_title = models.CharField(_("総括した計画"), max_length=300, blank=True)
    node_key = models.CharField(_("項目のキー"), max_length=80, blank=True)
    title = models.CharField(_("項目"), max_length=300, blank=True)
    text = models.TextField(_("総括"))
    date = models.DateField(_("日付"), null=True, blank=True)
    date_precision = models.CharField(
        _("日付の精度"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    source = models.CharField(_("出典"), max_length=200, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("総括")
        verbose_name_plural = _("総括")
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "reviewed_plan_title", "node_key", "title"], name="closing_review_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.reviewed_plan_title or str(_("%(plan)s の総括") % {"plan": self.plan})
