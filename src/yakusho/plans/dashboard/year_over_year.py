"""A cycle against the same plan's review a year before: grades moved up or down (by the rank
of the current scale) and KPI figures compared by key, per year or per period."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from yakusho.plans import figures
from yakusho.plans.achievement import Status
from yakusho.plans.models import (
    Kpi,
    KpiActual,
    KpiPeriodActual,
    NodeReview,
    ReviewCycle,
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

if TYPE_CHECKING:
    from yakusho.plans.dashboard.cycle import KpiState


@dataclass(frozen=True)
class GradeMove:
    node_key: str
    code: str
    title: str
    before: str | None
    after: str | None
    move: str  # up / same / down / none


@dataclass(frozen=True)
class KpiMove:
    key: str
    name: str
    unit: str
    before: Decimal | None
    after: Decimal | None
    change: Decimal | None
    judgement: str  # good / bad / same / changed / none
    #: the two actuals compared, each with its source and "as of" (unsaved, read as values)
    before_actual: KpiActual | None = None
    after_actual: KpiActual | None = None

    @property
    def before_text(self) -> str:
        """「120件（進捗評価・令和7年5月31日時点）」, 「—」 without an actual."""
        return _figure(self.before_actual, self.unit)

    @property
    def after_text(self) -> str:
        return _figure(self.after_actual, self.unit)

    @property
    def change_text(self) -> str:
        """「+20件」, 「−1.2ポイント」 (a change of a share is in points); 「—」 when not compared."""
        if self.change is None:
            return figures.MISSING
        sign = "+" if self.change > 0 else "−" if self.change < 0 else "±"
        number = figures.format_number(abs(self.change))
        if self.unit.strip() in figures.PERCENT_UNITS:
            return f"{sign}{number}{_('ポイント')}"
        return f"{sign}{number}{self.unit}"

    @property
    def demo(self) -> bool:
        """Either figure is a demo actual (invented for the demo, marked デモ)."""
        return any(a is not None and figures.is_demo(a) for a in (self.before_actual, self.after_actual))


def _figure(actual: KpiActual | None, unit: str) -> str:
    return figures.MISSING if actual is None else figures.actual_text(actual, unit)


MOVE_LABELS = {
    "up": _("上がった"),
    "same": _("変わらない"),
    "down": _("下がった"),
    "none": _("比べられない"),
}
KPI_MOVE_LABELS = {
    "good": _("改善"),
    "bad": _("悪化"),
    "same": _("変化なし"),
    "changed": _("変化あり（維持が目標）"),
    "none": _("比べられない"),
}


@dataclass
class YearOverYear:
    previous: ReviewCycle
    grades: list[GradeMove]
    grade_counts: dict[str, int]
    kpis: list[KpiMove]
    kpi_counts: dict[str, int]

    @property
    def demo(self) -> int:
        """KPIs compared on a demo actual in either year."""
        return sum(1 for k in self.kpis if k.demo)


def representative(rows: Iterable[tuple[bool, int, int | None]]) -> int | None:
    """A node's grade: its lead 課's, else the first graded review in 課 order."""
    ordered = sorted(rows, key=lambda r: (not r[0], r[1]))
    return next((grade for _lead, _order, grade in ordered if grade is not None), None)


def year_over_year(
    cycle: ReviewCycle,
    node_grades: dict[int, int | None],
    nodes: dict[int, tuple[Any, ...]],
    grades: list[tuple[int | None, str, str]],
    kpis: list[KpiState],
) -> YearOverYear | None:
    """Against the previous fiscal year's cycle of the same plan and period (any edition; nodes and
    KPIs are matched by key; a review per period is compared with the same period a year before,
    on the period's own actuals). None when there is no such cycle."""
    previous = (
        ReviewCycle.objects.filter(
            edition__plan_id=cycle.edition.plan_id, fiscal_year=cycle.fiscal_year - 1, period=cycle.period
        )
        .select_related("edition")
        .first()
    )
    if previous is None:
        return None
    rank = {g[0]: i for i, g in enumerate(grades) if g[0] is not None}
    code = {g[0]: g[1] for g in grades}
    before_rows: dict[str, list[tuple[bool, int, int | None]]] = {}
    for key, lead, d_order, grade_id, grade_code in (
        NodeReview.objects.filter(cycle=previous)
        .order_by()
        .values_list("node__key", "lead", "department__order", "grade_id", "grade__code")
    ):
        before_rows.setdefault(key, []).append((lead, d_order or 0, grade_id))
        if grade_id is not None:
            code.setdefault(grade_id, grade_code)  # a level of the scale the previous edition used
    grade_moves = []
    for node_id, after in node_grades.items():
        _id, _parent, key, node_code, title = nodes[node_id]
        if key not in before_rows:
            continue
        before = representative(before_rows[key])
        if before is None or after is None or before not in rank:
            move = "none"  # not graded, or graded on another scale: no rank to compare
        elif rank[after] < rank[before]:
            move = "up"  # the scale runs best first
        elif rank[after] > rank[before]:
            move = "down"
        else:
            move = "same"
        grade_moves.append(
            GradeMove(
                key,
                node_code,
                title,
                code.get(before) if before else None,
                code.get(after) if after else None,
                move,
            )
        )
    model: Any = KpiPeriodActual if cycle.period else KpiActual
    same = {"period": cycle.period} if cycle.period else {}
    before_actuals = _actuals(
        model.objects.filter(kpi__edition_id=previous.edition_id, fiscal_year=previous.fiscal_year, **same),
        "kpi__key",
    )
    after_actuals = _actuals(
        model.objects.filter(kpi__edition_id=cycle.edition_id, fiscal_year=cycle.fiscal_year, **same),
        "kpi_id",
    )
    kpi_moves = []
    for kpi in kpis:
        if kpi.direction == Kpi.Direction.QUALITATIVE:
            continue
        before_actual = before_actuals.get(kpi.key)
        after_actual = after_actuals.get(kpi.id)
        before_value = before_actual.value if before_actual is not None else None
        after_value = (
            (after_actual.value if after_actual is not None else None) if cycle.period else kpi.actual
        )
        shown = {"before_actual": before_actual, "after_actual": after_actual}
        if before_value is None or after_value is None:
            kpi_moves.append(
                KpiMove(kpi.key, kpi.name, kpi.unit, before_value, after_value, None, "none", **shown)
            )
            continue
        change = after_value - before_value
        if change == 0:
            judgement = "same"
        elif kpi.direction == Kpi.Direction.KEEP:
            judgement = "changed"
        elif (change > 0) == (kpi.direction == Kpi.Direction.INCREASE):
            judgement = "good"
        else:
            judgement = "bad"
        kpi_moves.append(
            KpiMove(kpi.key, kpi.name, kpi.unit, before_value, after_value, change, judgement, **shown)
        )
    return YearOverYear(
        previous=previous,
        grades=grade_moves,
        grade_counts={m: sum(1 for g in grade_moves if g.move == m) for m in MOVE_LABELS},
        kpis=kpi_moves,
        kpi_counts={j: sum(1 for k in kpi_moves if k.judgement == j) for j in KPI_MOVE_LABELS},
    )


def _actuals(rows: Any, by: str) -> dict[Any, KpiActual]:
    """Numeric actuals with their source and "as of", keyed by ``by`` (one query, no instances
    read: unsaved ones are made from the values for ``plans.figures``)."""
    return {
        key: KpiActual(fiscal_year=year, value=value, text=text, source=source, date=day)
        for key, year, value, text, source, day in rows.filter(value__isnull=False)
        .order_by()
        .values_list(by, "fiscal_year", "value", "text", "source", "date")
    }
