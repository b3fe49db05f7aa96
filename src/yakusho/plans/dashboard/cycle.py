"""Dashboards of the yearly review (PDCA), what they all count and one cycle's figures: KPIs
judged and tallied, a cycle by basic policy, by 課 and by national item, the overdue worklist and
the year-over-year movement. A consortium's members side by side are in ``consortium``.

Every figure comes from a fixed number of queries whatever the size of the plan: rows are read
with ``values_list`` (no model instances) and counted in one pass. KPI achievement is decided by
:func:`yakusho.plans.achievement.judge`, the same rule as every other page, at the cycle's fiscal
year and by each KPI's accumulation kind (a cumulative KPI's running total, an every_n_years KPI's
window). What each figure means is in docs/dashboards.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, cast

from django.db.models import Case, DecimalField, IntegerField, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakusho.plans.achievement import LABELS, SERIES, Status, TargetTuple, judge
from yakusho.plans.dashboard.year_over_year import YearOverYear, representative, year_over_year
from yakusho.plans.models import (
    Kpi,
    KpiActual,
    KpiTarget,
    Node,
    NodeReview,
    ReviewCycle,
    ReviewGrade,
)

#: The achievement words that count as "on track": the KPI has reached its final target (達成) or
#: is at or past the path to it for the year (順調).
ON_TRACK = frozenset({Status.ACHIEVED, Status.ON_TRACK})
#: KPIs with a numeric judgement: the denominator of the on-track share. KPIs without an actual
#: for the year (データなし) and qualitative ones (定性) are counted apart, never as behind — save an
#: every_n_years KPI whose window closes in the year without an actual (遅れ: it was not done).
JUDGED = ON_TRACK | {Status.BEHIND}
#: Node reviews still with the 課: not yet submitted (作成中, 差し戻し).
NOT_SUBMITTED = frozenset({NodeReview.State.DRAFT, NodeReview.State.RETURNED})
PROGRESS = list(NodeReview.Progress)
KPI_COLUMNS = [Status.ACHIEVED, Status.ON_TRACK, Status.BEHIND, Status.NO_DATA, Status.QUALITATIVE]

# --- KPIs -------------------------------------------------------------------------------------


class KpiState(NamedTuple):
    id: int
    edition_id: int
    node_id: int
    key: str
    name: str
    unit: str
    direction: str
    actual: Decimal | None
    status: Status


def _targets(ids: list[int], years: dict[int, tuple[int, int, int]]) -> dict[int, list[TargetTuple]]:
    """The targets :func:`judge` can use, per KPI, in two queries.

    ``judge`` reads the target stated for the year and the final one: the greatest by (final
    flag, fiscal year, a target without a year counting as the plan's last year). Every target
    dated before ``threshold`` (no later than any edition's review year and last year) can be
    neither whenever the KPI has a final target, an undated one, or one dated from ``threshold``
    on; so those are read (the first query) and only the KPIs with none of them are read whole
    (the second). An every_n_years KPI is also held to targets stated for earlier years of its
    window: all its targets are read by the first query. The order of each KPI's list is kept, so
    ties fall as they would on all rows.
    """
    threshold = min(min(fy, last) for fy, _first, last in years.values())
    # (re-printed KPIs' targets are read too and left unused: filtering on ``reprint_of`` here
    # leads SQLite to scan every KPI of every municipality by that column's index)
    rows = KpiTarget.objects.filter(kpi__edition_id__in=ids, value__isnull=False)
    recent = rows.filter(
        Q(final=True)
        | Q(fiscal_year__isnull=True)
        | Q(fiscal_year__gte=threshold)
        | Q(kpi__accumulation=Kpi.Accumulation.EVERY_N_YEARS)
    )
    older = rows.filter(fiscal_year__lt=threshold).exclude(kpi_id__in=recent.order_by().values("kpi_id"))
    targets: dict[int, list[TargetTuple]] = {}
    for query in (recent, older):
        ordered = query.order_by("kpi_id", "order", "id")  # KpiTarget's own ordering, without its joins
        for kpi_id, year, value, final in ordered.values_list("kpi_id", "fiscal_year", "value", "final"):
            targets.setdefault(kpi_id, []).append((year, cast(Decimal, value), final))
    return targets


def _series(ids: list[int], years: dict[int, tuple[int, int, int]]) -> dict[int, dict[int, Decimal]]:
    """The actuals up to the review year of the KPIs judged on more than that year's actual
    (cumulative: their sum; every_n_years: the latest of the window), in one query."""
    series: dict[int, dict[int, Decimal]] = {}
    for kpi_id, edition_id, year, value in (
        KpiActual.objects.filter(
            kpi__edition_id__in=ids,
            kpi__accumulation__in=list(SERIES),
            fiscal_year__lte=max(fy for fy, _first, _last in years.values()),
            value__isnull=False,
        )
        .order_by()
        .values_list("kpi_id", "kpi__edition_id", "fiscal_year", "value")
    ):
        if year <= years[edition_id][0]:
            series.setdefault(kpi_id, {})[year] = cast(Decimal, value)
    return series


def kpi_states(years: dict[int, tuple[int, int, int]], *, detail: bool = True) -> list[KpiState]:
    """Every KPI of the given editions judged at a fiscal year, in three queries (four when a KPI
    is cumulative or every_n_years: their earlier actuals).

    ``years`` maps an edition id to (fiscal year, plan's first year, plan's last year). A KPI
    reprinted elsewhere in its plan (再掲) is counted once, where it is first listed. Without
    ``detail`` the key, name and unit are left empty (the consortium's counts need none).
    """
    if not years:
        return []
    ids = list(years)
    targets = _targets(ids, years)
    # The actual of each KPI's review year, read with the KPI (one row per KPI by the unique
    # index on KPI and year) rather than as a separate list of actuals.
    review_year = Case(
        *(When(edition_id=e, then=Value(fy)) for e, (fy, _first, _last) in years.items()),
        output_field=IntegerField(),
    )
    actual = KpiActual.objects.filter(kpi_id=OuterRef("id"), fiscal_year=OuterRef("review_year"))
    kpis = (
        Kpi.objects.filter(edition_id__in=ids)
        .annotate(review_year=review_year)
        .annotate(
            actual=Subquery(
                actual.order_by().values("value")[:1],
                output_field=DecimalField(max_digits=20, decimal_places=6),
            )
        )
        .order_by("edition_id", "order")
    )
    fields = [
        "id",
        "edition_id",
        "node_id",
        "direction",
        "baseline_value",
        "baseline_fiscal_year",
        "actual",
        "accumulation",
        "interval_years",
        "reprint_of_id",
    ]
    rows = list(kpis.values_list(*fields, *(("key", "name", "unit") if detail else ())))
    series = _series(ids, years) if any(row[7] in SERIES and row[9] is None for row in rows) else {}
    out = []
    for row in rows:
        kpi_id, edition_id, node_id, direction, baseline, baseline_year, value, kind, interval, reprint_of = (
            row[:10]
        )
        if reprint_of is not None:
            continue  # counted where it is first listed
        key, name, unit = row[10:] if detail else ("", "", "")
        year, first_year, last_year = years[edition_id]
        status = judge(
            direction,
            baseline,
            baseline_year,
            targets.get(kpi_id, []),
            year,
            series.get(kpi_id, {}) if kind in SERIES else {} if value is None else {year: value},
            first_year,
            last_year,
            kind,
            interval,
        ).status
        out.append(KpiState(kpi_id, edition_id, node_id, key, name, unit, direction, value, status))
    return out


@dataclass
class KpiTally:
    """KPIs by achievement word, and the share on track among those that could be judged."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, status: Status) -> None:
        self.counts[status] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def judged(self) -> int:
        return sum(self.counts[s] for s in JUDGED)

    @property
    def on_track(self) -> int:
        return sum(self.counts[s] for s in ON_TRACK)

    @property
    def percent(self) -> int | None:
        """Share on track in whole per cent; None when no KPI could be judged (not 0)."""
        if not self.judged:
            return None
        return int((Decimal(100 * self.on_track) / self.judged).to_integral_value())

    @property
    def cells(self) -> list[int]:
        return [self.counts[s] for s in KPI_COLUMNS]


def kpi_labels() -> list[str]:
    return [str(LABELS[s]) for s in KPI_COLUMNS]


# --- one cycle ----------------------------------------------------------------------------------


@dataclass
class Group:
    """Node reviews and KPIs of one basic policy, one 課 or one national item."""

    key: str
    title: str
    code: str = ""
    sort: tuple[Any, ...] = ()
    reviews: int = 0
    not_submitted: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    grades: Counter[int | None] = field(default_factory=Counter)
    kpis: KpiTally = field(default_factory=KpiTally)
    nodes: set[int] = field(default_factory=set)
    status_cells: list[int] = field(default_factory=list)
    grade_cells: list[int] = field(default_factory=list)

    def add_review(self, node_id: int, state: str, status: str, grade_id: int | None) -> None:
        self.reviews += 1
        self.nodes.add(node_id)
        self.statuses[status] += 1
        self.grades[grade_id] += 1
        if state in NOT_SUBMITTED:
            self.not_submitted += 1

    def finish(self, grade_ids: list[int | None]) -> None:
        self.status_cells = [self.statuses[p] for p in PROGRESS]
        self.grade_cells = [self.grades[g] for g in grade_ids]

    @property
    def submitted(self) -> int:
        return self.reviews - self.not_submitted


@dataclass(frozen=True)
class Overdue:
    review_id: int
    node_code: str
    node_title: str
    department: str | None
    state: str
    state_label: str
    days: int


@dataclass
class CycleDashboard:
    cycle: ReviewCycle
    today: date
    level_label: str
    grades: list[tuple[int | None, str, str]]  # id, code, label; None last (未評価)
    total: Group
    policies: list[Group]
    departments: list[Group]
    items: list[Group]
    overdue: list[Overdue]
    yoy: YearOverYear | None

    @property
    def is_overdue(self) -> bool:
        return self.today > self.cycle.due_date


def grade_scale(scale_id: int | None) -> list[tuple[int | None, str, str]]:
    rows: list[tuple[int | None, str, str]] = list(
        ReviewGrade.objects.filter(scale_id=scale_id).order_by("order").values_list("id", "code", "label")
    )
    return [*rows, (None, str(_("未評価")), "")]


def cycle_dashboard(cycle: ReviewCycle, today: date | None = None) -> CycleDashboard:
    """Figures of one review cycle. ``cycle`` comes with its edition (select_related)."""
    today = today or timezone.localdate()
    edition = cycle.edition
    nodes = {
        row[0]: row
        for row in Node.objects.filter(edition_id=cycle.edition_id)
        .order_by("order")
        .values_list("id", "parent_id", "key", "code", "title")
    }
    root: dict[int, int] = {}

    def root_of(node_id: int) -> int:
        path = []
        while node_id not in root:
            parent = nodes[node_id][1]
            if parent is None:
                root[node_id] = node_id
                break
            path.append(node_id)
            node_id = parent
        for n in path:
            root[n] = root[node_id]
        return root[node_id]

    own_items: dict[int, set[int]] = {}
    item_info: dict[int, tuple[str, str, str, int, int]] = {}
    for node_id, item_id, key, number, title, order, framework in Node.national_items.through.objects.filter(
        node__edition_id=cycle.edition_id
    ).values_list(
        "node_id",
        "nationalitem_id",
        "nationalitem__key",
        "nationalitem__number",
        "nationalitem__title",
        "nationalitem__order",
        "nationalitem__framework_id",
    ):
        own_items.setdefault(node_id, set()).add(item_id)
        item_info[item_id] = (key, number, title, framework, order)
    inherited: dict[int, set[int]] = {}

    def items_of(node_id: int) -> set[int]:
        """A node counts under the items linked to it or to any node above it."""
        if node_id not in inherited:
            parent = nodes[node_id][1]
            inherited[node_id] = own_items.get(node_id, set()) | (items_of(parent) if parent else set())
        return inherited[node_id]

    grades = grade_scale(cycle.edition.grading_scale_id)
    grade_ids = [g[0] for g in grades]
    total = Group("all", str(_("計画全体")))
    policies: dict[int, Group] = {}
    for node_id, (_id, parent, key, code, title) in nodes.items():
        if parent is None:
            policies[node_id] = Group(key, title, code)
    departments: dict[int | None, Group] = {}
    department_order: dict[int | None, int] = {}
    items: dict[int | None, Group] = {}
    overdue: list[Overdue] = []
    late = today > cycle.due_date
    labels = dict(NodeReview.State.choices)
    per_node: dict[int, list[tuple[bool, int, int | None]]] = {}
    for review_id, node_id, department_id, name, d_order, lead, state, status, grade_id in (
        NodeReview.objects.filter(cycle=cycle)
        .order_by("node__order", "department__order")
        .values_list(
            "id",
            "node_id",
            "department_id",
            "department__name",
            "department__order",
            "lead",
            "state",
            "status",
            "grade_id",
        )
    ):
        total.add_review(node_id, state, status, grade_id)
        policies[root_of(node_id)].add_review(node_id, state, status, grade_id)
        if department_id not in departments:
            departments[department_id] = Group(
                str(department_id or ""), name or str(_("（課の指定なし：事務局）"))
            )
            department_order[department_id] = d_order if d_order is not None else 10**6
        departments[department_id].add_review(node_id, state, status, grade_id)
        linked: set[int] | set[None] = items_of(node_id) or {None}
        for item in linked:
            if item not in items:
                items[item] = _item_group(item_info.get(item) if item else None)
            items[item].add_review(node_id, state, status, grade_id)
        per_node.setdefault(node_id, []).append((lead, d_order or 0, grade_id))
        if late and state in NOT_SUBMITTED:
            overdue.append(
                Overdue(
                    review_id,
                    nodes[node_id][3],
                    nodes[node_id][4],
                    name,
                    state,
                    str(labels[state]),
                    (today - cycle.due_date).days,
                )
            )
    year_range = {cycle.edition_id: (cycle.fiscal_year, edition.first_year, edition.last_year)}
    kpis = kpi_states(year_range)
    groups = [total, *policies.values(), *departments.values(), *items.values()]
    by_node: dict[int, list[Group]] = {}
    for group in groups[1:]:
        for node_id in group.nodes:
            by_node.setdefault(node_id, []).append(group)
    for kpi in kpis:
        total.kpis.add(kpi.status)  # every KPI of the plan, even of a node nobody reviews
        for group in by_node.get(kpi.node_id, []):
            group.kpis.add(kpi.status)
    for group in groups:
        group.finish(grade_ids)
    overdue.sort(key=lambda o: (o.department is None, o.department or "", o.node_code))
    labels_of_levels = edition.level_labels or []
    return CycleDashboard(
        cycle=cycle,
        today=today,
        level_label=labels_of_levels[0] if labels_of_levels else str(_("基本方針")),
        grades=grades,
        total=total,
        policies=list(policies.values()),
        departments=sorted(
            departments.values(), key=lambda g: department_order[int(g.key) if g.key else None]
        ),
        items=sorted(items.values(), key=lambda g: (not g.key, g.sort)),
        overdue=overdue,
        yoy=year_over_year(cycle, {n: representative(r) for n, r in per_node.items()}, nodes, grades, kpis),
    )


def _item_group(info: tuple[str, str, str, int, int] | None) -> Group:
    if info is None:
        return Group("", str(_("（国の項目に対応なし）")))
    key, number, title, framework, order = info
    return Group(key, title, number, sort=(framework, order))
