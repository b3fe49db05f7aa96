"""The consortium dashboard: each member's published plans with their latest review in headline
figures, side by side, from a fixed number of queries (counted as in ``cycle``; see
docs/dashboards.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.cache import caches
from django.db.models import Count, Q
from django.utils import timezone

from yakusho.plans.dashboard.cycle import NOT_SUBMITTED, PROGRESS, KpiTally, kpi_states
from yakusho.plans.models import Kpi, NodeReview, ReviewCycle, ReviewGrade

# --- consortium -------------------------------------------------------------------------------


@dataclass
class PlanFigures:
    """A member plan's latest review in headline figures (None where there is nothing to show)."""

    plan: Any
    cycle: ReviewCycle | None = None
    reviews: int = 0
    not_submitted: int = 0
    overdue: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    grades: list[tuple[str, int]] = field(default_factory=list)
    ungraded: int = 0
    kpis: KpiTally = field(default_factory=KpiTally)
    status_cells: list[int] = field(default_factory=list)
    plan_kpis: int = 0  # KPIs of the plan's current edition (re-prints apart), cycle or not

    @property
    def submitted(self) -> int:
        return self.reviews - self.not_submitted

    @property
    def submitted_percent(self) -> int | None:
        if not self.reviews:
            return None
        return int((Decimal(100 * self.submitted) / self.reviews).to_integral_value())


@dataclass
class MemberFigures:
    municipality: Any
    plans: list[PlanFigures]


def _tally_kpis(cycles: list[ReviewCycle], by_cycle: dict[int, PlanFigures]) -> None:
    """KPIs by achievement word for each cycle's year. A finalised cycle's tally cannot change
    (its edition is fixed and its year's actuals are refused after finalisation), so it is kept
    per process and judged again only by a new process; open cycles are judged every time."""
    cache = caches["pages"]
    keys = {c.pk: f"plans:kpi-tally:{c.pk}" for c in cycles if c.state == ReviewCycle.State.FINALISED}
    stored = cache.get_many(list(keys.values())) if keys else {}
    todo: dict[int, ReviewCycle] = {}
    for c in cycles:
        tally = stored.get(keys.get(c.pk, ""))
        if tally is None:
            todo[c.edition_id] = c
        else:
            by_cycle[c.pk].kpis.counts.update(tally)
    years = {e: (c.fiscal_year, c.edition.first_year, c.edition.last_year) for e, c in todo.items()}
    for kpi in kpi_states(years, detail=False):
        by_cycle[todo[kpi.edition_id].pk].kpis.add(kpi.status)
    cache.set_many(
        {keys[c.pk]: dict(by_cycle[c.pk].kpis.counts) for c in todo.values() if c.pk in keys},
        timeout=FINALISED_TALLY_SECONDS,
    )


#: how long a process keeps a finalised cycle's KPI tally (it never changes; this bounds memory)
FINALISED_TALLY_SECONDS = 6 * 60 * 60


def consortium_dashboard(consortium: Any, today: date | None = None) -> list[MemberFigures]:
    """Each member's published plans with their latest review, side by side (fixed queries)."""
    from yakusho.plans.compare import member_plans

    today = today or timezone.localdate()
    members = list(consortium.members.order_by("code"))
    plans = list(
        member_plans(consortium)
        .order_by("municipality__code", "key")
        .only(
            "id",
            "key",
            "municipality_id",
            "current_edition__id",
            "current_edition__title",
            "municipality__id",
        )
    )
    latest: dict[int, ReviewCycle] = {}
    for cycle in (
        ReviewCycle.objects.filter(edition__plan__in=[p.pk for p in plans])
        .select_related("edition")
        .only(
            "id",
            "fiscal_year",
            "due_date",
            "state",
            "demo",
            "municipality_id",
            "edition__id",
            "edition__plan_id",
            "edition__grading_scale_id",
            "edition__review_period",
            "period",
            "edition__title",
            "edition__first_year",
            "edition__last_year",
        )
        .order_by("-fiscal_year")
    ):
        latest.setdefault(cycle.edition.plan_id, cycle)
    figures = {p.pk: PlanFigures(p, latest.get(p.pk)) for p in plans}
    by_edition = {p.current_edition_id: figures[p.pk] for p in plans}
    for edition_id, n in (
        Kpi.objects.filter(edition_id__in=list(by_edition))
        .values("edition_id")
        .annotate(n=Count("id", filter=Q(reprint_of__isnull=True)))
        .values_list("edition_id", "n")
        .order_by()
    ):
        by_edition[edition_id].plan_kpis = n
    by_cycle = {c.pk: figures[plan_id] for plan_id, c in latest.items()}
    grade_rows: dict[int, list[tuple[int, str]]] = {}
    scales = {c.edition.grading_scale_id for c in latest.values()} - {None}
    for grade_id, scale_id, code in (
        ReviewGrade.objects.filter(scale_id__in=scales)
        .order_by("order")
        .values_list("id", "scale_id", "code")
    ):
        grade_rows.setdefault(scale_id, []).append((grade_id, code))
    grade_counts: dict[int, Counter[int | None]] = {c: Counter() for c in by_cycle}
    for cycle_id, state, status, grade_id, n in (
        NodeReview.objects.filter(cycle_id__in=list(by_cycle))
        .values("cycle_id", "state", "status", "grade_id")
        .annotate(n=Count("id"))
        .values_list("cycle_id", "state", "status", "grade_id", "n")
        .order_by()
    ):
        f = by_cycle[cycle_id]
        f.reviews += n
        f.statuses[status] += n
        grade_counts[cycle_id][grade_id] += n
        if state in NOT_SUBMITTED:
            f.not_submitted += n
            assert f.cycle is not None
            if today > f.cycle.due_date:
                f.overdue += n
    _tally_kpis(list(latest.values()), by_cycle)
    for cycle_id, f in by_cycle.items():
        counts = grade_counts[cycle_id]
        assert f.cycle is not None
        scale_rows = grade_rows.get(f.cycle.edition.grading_scale_id or 0, [])
        f.grades = [(code, counts[g]) for g, code in scale_rows]
        f.ungraded = counts[None]
        f.status_cells = [f.statuses[p] for p in PROGRESS]
    per_member: dict[int, list[PlanFigures]] = {}
    for p in plans:
        per_member.setdefault(p.municipality_id, []).append(figures[p.pk])
    return [MemberFigures(m, per_member.get(m.pk, [])) for m in members]
