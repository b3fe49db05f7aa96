"""進捗状況報告書: what one yearly review says about a plan, gathered once for HTML, PDF and Excel.

:func:`build` reads a cycle's report with a fixed number of queries whatever the size of the plan
(the cycle's edition, nodes, node reviews, grades, KPIs with targets and actuals), and every
format renders the same :class:`Report`, so the page, the PDF and the workbook always agree.

Rules of the summary (also in docs/progress-reports.md):

- A node's status, progress and grade are those of its lead 課's review; a node without a lead
  takes the review of its first 課 in the plan's order (a node with no 課 has one review, by the
  secretariat). Each 課's own review is still shown under the node.
- A KPI's achievement is :func:`achievement.evaluate` in the cycle's fiscal year, on the figure
  its accumulation kind judges: the year's actual, the running total of a cumulative KPI (shown as
  「累計」, its 目安 a running total too), the latest actual of an every_n_years KPI's window
  (shown with the window in words, 「令和6〜8年度に1回」). A KPI without that figure is
  「データなし」 — save an every_n_years KPI whose window closed without one (遅れ).
- The share on track is (達成 + 順調) / (達成 + 順調 + 遅れ): KPIs without data and qualitative
  KPIs are left out of both sides, and their counts are shown beside it.
- The grade summary (:class:`GradeSummary`) counts the items the plan actually grades
  (``PlanEdition.graded``): each 課's review with a grade (department), one grade per item — the
  lead 課's, else the first graded review's (node) — or each KPI graded in the cycle (kpi). Its
  percentages are over the items graded only, one decimal, largest remainders first so they add
  up to 100; the items not graded are counted apart. With nothing graded it says so, never 0 %.
- External evaluations (外部評価) are shown apart from the reviews: beside their item, and those
  about the whole cycle in their own section.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core.jcal import format_fiscal_year, format_wareki_date
from yakusho.plans import figures
from yakusho.plans.achievement import LABELS, Achievement, Status, evaluate
from yakusho.plans.models import (
    ExternalEvaluation,
    GradedItem,
    Kpi,
    KpiActual,
    KpiGrade,
    KpiTarget,
    Node,
    NodeReview,
    ReviewAmendment,
    ReviewCycle,
    ReviewGrade,
)
from yakusho.plans.report.grades import NO_GRADE, GradeSummary, grade_summary
from yakusho.plans.review.external import ExternalEntry
from yakusho.plans.review.external import entry as external_entry

DEMO_BANNER = gettext_lazy("デモデータ：この評価はデモ用に作成したもので、団体が公表したものではありません")


@dataclass(frozen=True)
class Count:
    """One bar of a chart and one row of its table."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class DepartmentReview:
    department: str
    lead: bool
    state: str
    status: str
    status_label: str
    progress: int | None
    grade: str
    grade_label: str
    achievements: str
    issues: str
    next_steps: str
    amendments: list[str]  # 「訂正」 notes: when, why and what changed

    @property
    def amendment_text(self) -> str:
        return "\n".join(self.amendments)


@dataclass(frozen=True)
class NodeEntry:
    key: str
    code: str
    title: str
    depth: int
    level_label: str
    departments: list[str]  # lead first
    status: str
    status_label: str
    progress: int | None
    grade: str
    grade_label: str
    reviews: list[DepartmentReview]
    #: what outside bodies said about this item (外部評価), apart from the reviews
    external: tuple[ExternalEntry, ...] = ()


@dataclass(frozen=True)
class KpiEntry:
    name: str
    unit: str
    node_code: str
    node_title: str
    baseline: str
    #: for the cycle's year: stated, or the straight-line path (目安) rounded as the unit needs; for a
    #: cumulative KPI the path is a running total (「累計の目安」)
    target: str
    final_target: str
    #: the year's actual with its source and "as of" beside it: 「120件（進捗評価・令和7年5月31日時点）」
    actual: str
    #: its progress never below 0 (``behind_baseline`` says when it was)
    achievement: Achievement
    grade: str  # of its node
    actual_figure: str = ""  # the figure alone: 「120件」
    actual_source: str = ""  # 計画書, 進捗評価, 計測値 or デモ
    actual_as_of: date | None = None
    actual_value: Decimal | None = None
    demo_actual: bool = False
    behind_baseline: bool = False
    status_text: str = ""  # the status in words (an actual that cannot be judged is not データなし)
    progress_text: str = ""  # 「45%」 or the words for a KPI behind its baseline
    kind_label: str = ""  # how the KPI's figures add up, in words: 「累計（各年度の実績の合計）」
    cumulative: bool = False
    #: the numbers of the Excel sheet (the texts above are "as printed"): no stored trailing zeros,
    #: a 目安 rounded as the unit needs
    baseline_value: Decimal | None = None
    target_value: Decimal | None = None
    target_guide: bool = False  # ``target`` is the straight-line path, not a stated target
    final_target_value: Decimal | None = None
    #: the figure judged when it is not the year's own actual: 「累計 230件（令和6〜7年度の合計）」, an
    #: every_n_years KPI's earlier actual of its window 「令和6年度の値で判定：45.5%（計画書）」
    judged_text: str = ""
    judged_value: Decimal | None = None  # the figure judged (the actual, running total or window's latest)
    judged_year: int | None = None
    #: what the figure judged is, as the plan's workbook says it: 「累計（令和6〜7年度の合計）」,
    #: 「令和6年度の値・令和6〜8年度に1回」; empty for a year's own actual
    judged_kind: str = ""
    window_text: str = ""  # every_n_years: 「令和6〜8年度に1回」


@dataclass(frozen=True)
class Report:
    cycle: ReviewCycle
    title: str
    plan_title: str
    municipality: str
    fiscal_year: int
    fiscal_year_label: str
    finalised: bool
    demo: bool
    status_counts: list[Count]
    grade_counts: list[Count]
    kpi_counts: list[Count]
    nodes: list[NodeEntry]
    kpis: list[KpiEntry]
    #: the cycle's period: 令和6年度, or 令和8年度 上半期 for a period of a half-yearly review
    period_label: str
    graded: str  # what the plan grades (GradedItem)
    grade_summary: GradeSummary
    #: external evaluations about the whole cycle (those about an item are on its NodeEntry)
    external: list[ExternalEntry]

    @property
    def node_total(self) -> int:
        return len(self.nodes)

    @property
    def kpi_judged(self) -> int:
        """KPIs with a numeric judgement for the year (達成・順調・遅れ)."""
        judged = {Status.ACHIEVED, Status.ON_TRACK, Status.BEHIND}
        return sum(c.count for c in self.kpi_counts if c.key in judged)

    @property
    def kpi_on_track(self) -> int:
        return sum(c.count for c in self.kpi_counts if c.key in {Status.ACHIEVED, Status.ON_TRACK})

    @property
    def on_track_percent(self) -> int | None:
        if not self.kpi_judged:
            return None
        return int((Decimal(100 * self.kpi_on_track) / self.kpi_judged).to_integral_value())

    @property
    def state_label(self) -> str:
        return _("確定") if self.finalised else _("未確定")

    @property
    def grade_chart_title(self) -> str:
        return _("評価別のKPI数") if self.graded == GradedItem.KPI else _("評価別の項目数")

    @property
    def kpi_grade_note(self) -> str:
        if self.graded == GradedItem.KPI:
            return _("評価はそのKPIの評価です。")
        return _("評価はそのKPIの項目の評価です。")

    @property
    def has_external(self) -> bool:
        return bool(self.external) or any(n.external for n in self.nodes)


def _level_label(labels: list[str], level: int) -> str:
    """The plan's own name of a node's level (``Node.level``, not its depth in the tree)."""
    return labels[level - 1] if 0 < level <= len(labels) else ""


def _value_text(value: Decimal | None, unit: str, *, computed: bool = False) -> str:
    return "" if value is None else figures.format_figure(value, unit, computed=computed)


def _target_text(target: KpiTarget, unit: str) -> str:
    text = target.text or _value_text(target.value, target.unit or unit)
    if target.fiscal_year and format_fiscal_year(target.fiscal_year, short=True) not in text:
        return f"{text}（{format_fiscal_year(target.fiscal_year, short=True)}）"
    return text


def _amendment_note(amendment: ReviewAmendment) -> str:
    changes = "、".join(
        f"{field}：{old or '—'}→{new or '—'}" for field, (old, new) in amendment.changes.items()
    )
    return _("訂正（%(date)s）%(reason)s［%(changes)s］") % {
        "date": format_wareki_date(timezone.localtime(amendment.made_at).date()),
        "reason": amendment.reason,
        "changes": changes,
    }


def _department_review(review: NodeReview, note: str) -> DepartmentReview:
    name = review.department.name if review.department else (note or _("（課の指定なし）"))
    return DepartmentReview(
        department=name,
        lead=review.lead,
        state=review.get_state_display(),
        status=review.status,
        status_label=review.get_status_display(),
        progress=review.progress,
        grade=review.grade.code if review.grade else NO_GRADE,
        grade_label=review.grade.label if review.grade else "",
        achievements=review.achievements,
        issues=review.issues,
        next_steps=review.next_steps,
        amendments=[_amendment_note(a) for a in review.amendments.all()],
    )


def _kpi_entry(kpi: Kpi, year: int, node: NodeEntry | None, own_grade: str | None = None) -> KpiEntry:
    achievement = evaluate(kpi, year)
    targets = list(kpi.targets.all())
    stated = next((t for t in targets if t.fiscal_year == year), None)
    numeric = [t for t in targets if t.value is not None]
    last_year = kpi.edition.last_year
    final = max(numeric or targets, key=lambda t: (t.final, t.fiscal_year or last_year), default=None)
    target_value: Decimal | None = None
    guide = False
    if stated is not None:
        target = _target_text(stated, kpi.unit)
        target_value = figures.excel_number(stated.value)
    elif achievement.expected is not None:
        words = _("%(value)s（累計の目安）") if achievement.cumulative else _("%(value)s（目安）")
        target = words % {"value": _value_text(achievement.expected, kpi.unit, computed=True)}
        target_value = figures.excel_number(achievement.expected, kpi.unit, computed=True)
        guide = True
    else:
        target = ""
    actual = next((a for a in kpi.actuals.all() if a.fiscal_year == year), None)
    judged_value = achievement.judged_value
    return KpiEntry(
        name=kpi.name,
        unit=kpi.unit,
        node_code=node.code if node else "",
        node_title=node.title if node else "",
        baseline=kpi.baseline_text or _value_text(kpi.baseline_value, kpi.unit),
        target=target,
        final_target=_target_text(final, kpi.unit) if final is not None else "",
        actual=figures.actual_text(actual, kpi.unit) if actual else "",
        achievement=figures.clamped(achievement),
        grade=own_grade if own_grade is not None else (node.grade if node else NO_GRADE),
        actual_figure=figures.actual_value(actual, kpi.unit) if actual else "",
        actual_source=figures.source_label(actual) if actual else "",
        actual_as_of=actual.date if actual else None,
        actual_value=figures.excel_number(actual.value) if actual else None,
        demo_actual=bool(actual and figures.is_demo(actual)),
        behind_baseline=figures.behind_baseline(achievement),
        status_text=figures.status_text(achievement),
        progress_text=figures.progress_text(achievement, kpi.direction),
        kind_label=achievement.kind_label,
        cumulative=achievement.cumulative,
        baseline_value=figures.excel_number(kpi.baseline_value),
        target_value=target_value,
        target_guide=guide,
        final_target_value=figures.excel_number(final.value) if final is not None else None,
        judged_text=figures.judged_text(kpi, achievement, kpi.edition.first_year),
        judged_value=figures.excel_number(judged_value),
        judged_year=achievement.judged_year if judged_value is not None else None,
        judged_kind=figures.judged_kind(achievement, kpi.edition.first_year),
        window_text=figures.window_text(achievement),
    )


def build(cycle: ReviewCycle) -> Report:
    """The report of ``cycle`` (a fixed number of queries; pass a cycle loaded with
    ``select_related("edition__plan", "municipality")`` to save two more)."""
    edition = cycle.edition
    year = cycle.fiscal_year
    graded = edition.graded
    labels = list(edition.level_labels or [])
    nodes = list(
        Node.objects.filter(edition=edition)
        .only("id", "key", "code", "title", "depth", "level", "department_note", "order")
        .order_by("order")
    )
    by_node: dict[int, list[NodeReview]] = {}
    for r in (
        NodeReview.objects.filter(cycle=cycle)
        .select_related("department", "grade")
        .prefetch_related(Prefetch("amendments", queryset=ReviewAmendment.objects.order_by("made_at")))
    ):
        by_node.setdefault(r.node_id, []).append(r)
    grades = list(ReviewGrade.objects.filter(scale_id=cycle.edition.grading_scale_id).order_by("order"))
    node_by_pk = {n.pk: n for n in nodes}
    external_by_node: dict[int, list[ExternalEntry]] = {}
    cycle_external: list[ExternalEntry] = []
    for evaluation in ExternalEvaluation.objects.filter(
        cycle=cycle, municipality_id=cycle.municipality_id
    ).order_by("date", "pk"):
        if evaluation.node_id in node_by_pk:
            node = node_by_pk[evaluation.node_id]
            external_by_node.setdefault(node.pk, []).append(external_entry(evaluation, node))
        else:
            cycle_external.append(external_entry(evaluation))

    entries: dict[int, NodeEntry] = {}
    for node in nodes:
        reviews = sorted(
            by_node.get(node.pk, []),
            key=lambda r: (not r.lead, r.department.order if r.department else -1, r.department_id or 0),
        )
        shown = [_department_review(r, node.department_note) for r in reviews]
        main = shown[0] if shown else None
        graded_review = main
        if graded == GradedItem.NODE:
            # the lead 課's grade, else the first graded review's (lead first in ``shown``)
            graded_review = next((d for d in shown if d.grade != NO_GRADE), main)
        entries[node.pk] = NodeEntry(
            key=node.key,
            code=node.code,
            title=node.title,
            depth=node.depth,
            level_label=_level_label(labels, node.level),
            departments=[d.department for d in shown],
            status=main.status if main else "",
            status_label=main.status_label if main else "—",
            progress=main.progress if main else None,
            grade=graded_review.grade if graded_review else NO_GRADE,
            grade_label=graded_review.grade_label if graded_review else "",
            reviews=shown,
            external=tuple(external_by_node.get(node.pk, ())),
        )
    node_list = [entries[n.pk] for n in nodes if entries[n.pk].reviews]
    for node in nodes:
        if not entries[
            node.pk
        ].reviews:  # an item not reviewed is not listed: its comments go with the cycle's
            cycle_external += entries[node.pk].external
    cycle_external.sort(key=lambda e: e.date)
    status_counter = Counter(n.status for n in node_list)
    status_counts = [Count(s.value, str(s.label), status_counter[s.value]) for s in NodeReview.Progress]

    kpis = list(
        Kpi.objects.filter(edition=edition)
        .prefetch_related(
            Prefetch("targets", queryset=KpiTarget.objects.order_by("order")),
            Prefetch("actuals", queryset=KpiActual.objects.order_by("fiscal_year")),
        )
        .order_by("order")
    )
    kpi_grades = {
        g.kpi_id: g.grade
        for g in KpiGrade.objects.filter(cycle=cycle, grade__isnull=False).select_related("grade")
        if g.grade is not None
    }
    kpi_entries = []
    kpi_items: list[tuple[str, str]] = []
    listed = {kpi.pk for kpi in kpis}
    for kpi in kpis:
        if kpi.reprint_of_id in listed:
            continue  # a reprint (再掲) is the same KPI again: listed and counted once, as its original
        kpi.edition = edition  # evaluate() reads the plan period from it: no query per KPI
        own = kpi_grades.get(kpi.pk)
        kpi_items.append((own.code, own.label) if own else (NO_GRADE, ""))
        kpi_entries.append(
            _kpi_entry(
                kpi,
                year,
                entries.get(kpi.node_id),
                (own.code if own else NO_GRADE) if graded == GradedItem.KPI else None,
            )
        )
    kpi_counter = Counter(k.achievement.status for k in kpi_entries)
    kpi_counts = [Count(s.value, str(label), kpi_counter[s]) for s, label in LABELS.items()]

    if graded == GradedItem.KPI:
        items = kpi_items
    elif graded == GradedItem.NODE:
        items = [(n.grade, n.grade_label) for n in node_list]
    else:
        items = [(r.grade, r.grade_label) for n in node_list for r in n.reviews]
    # the chart: items per grade (one grade per item, as the item table shows), or KPIs per grade
    charted = items if graded == GradedItem.KPI else [(n.grade, n.grade_label) for n in node_list]
    grade_counter = Counter(code for code, _label in charted)
    grade_counts = [Count(g.code, f"{g.code}（{g.label}）", grade_counter[g.code]) for g in grades]
    grade_counts.append(Count(NO_GRADE, _("未評価"), grade_counter[NO_GRADE]))

    plan_title = edition.title
    period_label = cycle.label
    return Report(
        cycle=cycle,
        title=_("%(plan)s %(year)s 進捗状況報告書") % {"plan": plan_title, "year": period_label},
        plan_title=plan_title,
        municipality=cycle.municipality.name,
        fiscal_year=year,
        fiscal_year_label=_("%(label)s（%(year)d年度）") % {"label": period_label, "year": year},
        finalised=cycle.state == ReviewCycle.State.FINALISED,
        demo=cycle.demo,
        status_counts=status_counts,
        grade_counts=grade_counts,
        kpi_counts=kpi_counts,
        nodes=node_list,
        kpis=kpi_entries,
        period_label=period_label,
        graded=graded,
        grade_summary=grade_summary(graded, grades, items),
        external=cycle_external,
    )


# --- charts: horizontal bars as inline SVG, each followed by the same figures as a table ----------

BAR_WIDTH, LABEL_WIDTH, ROW_HEIGHT, VALUE_WIDTH, BAR_HEIGHT = 340, 210, 28, 50, 18


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y: int  # top of the bar
    width: float
    text_y: int  # baseline of the label and the number
    value_x: float  # where the number is written, just after the bar


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    width: int
    height: int
    label_x: int = LABEL_WIDTH - 8
    bar_x: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def bar_chart(title: str, counts: list[Count]) -> BarChart:
    """Coordinates for the template: one labelled bar per count, its number written beside it
    (so the chart reads without colour, and the table after it gives the same figures)."""
    top = max((c.count for c in counts), default=0) or 1
    bars = []
    for i, c in enumerate(counts):
        width = round(BAR_WIDTH * c.count / top, 1)
        y = i * ROW_HEIGHT + 5
        bars.append(Bar(c.label, c.count, y, width, y + BAR_HEIGHT - 4, LABEL_WIDTH + width + 6))
    return BarChart(title, bars, LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH, max(len(counts), 1) * ROW_HEIGHT + 10)


def charts(report: Report) -> list[tuple[BarChart, list[Count]]]:
    return [
        (bar_chart(_("進捗状況別の項目数"), report.status_counts), report.status_counts),
        (bar_chart(report.grade_chart_title, report.grade_counts), report.grade_counts),
        (bar_chart(_("KPIの達成状況"), report.kpi_counts), report.kpi_counts),
    ]


def context(report: Report) -> dict[str, Any]:
    """What the HTML templates need beside the report itself."""
    return {"report": report, "charts": charts(report), "demo_banner": str(DEMO_BANNER)}
