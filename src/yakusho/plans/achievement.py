"""How far a KPI has come: progress toward its final target and whether it is on track.

The formula is documented in docs/plan-file-format.md ("Achievement"). Statuses are words, shown
with the number, never a colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import cast

from django.utils.translation import gettext_lazy as _

from yakusho.plans.models import Kpi


class Status(StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NO_DATA = "no_data"
    QUALITATIVE = "qualitative"


LABELS = {
    Status.ACHIEVED: _("達成"),
    Status.ON_TRACK: _("順調"),
    Status.BEHIND: _("遅れ"),
    Status.NO_DATA: _("データなし"),
    Status.QUALITATIVE: _("定性（評価で判断）"),
}


@dataclass(frozen=True)
class Achievement:
    status: Status
    progress: Decimal | None  # 0 = baseline, 1 = final target
    year: int | None
    actual: Decimal | None
    expected: Decimal | None  # the stated or path target for ``year``

    @property
    def label(self) -> str:
        return str(LABELS[self.status])

    @property
    def percent(self) -> int | None:
        return None if self.progress is None else int((self.progress * 100).to_integral_value())


def _reached(direction: str, actual: Decimal, target: Decimal, baseline: Decimal) -> bool:
    if direction == Kpi.Direction.DECREASE:
        return actual <= target
    if direction == Kpi.Direction.KEEP:
        return actual >= target if target >= baseline else actual <= target
    return actual >= target


TargetTuple = tuple[int | None, Decimal, bool]  # fiscal year (None: final), value, final


def judge(
    direction: str,
    baseline: Decimal | None,
    baseline_year: int | None,
    targets: list[TargetTuple],
    year: int | None,
    actual: Decimal | None,
    first_year: int,
    last_year: int,
) -> Achievement:
    """The rule of docs/plan-file-format.md ("Achievement"), on plain values."""
    if direction == Kpi.Direction.QUALITATIVE:
        return Achievement(Status.QUALITATIVE, None, year, None, None)
    if actual is None or not targets or year is None:
        return Achievement(Status.NO_DATA, None, year, actual, None)
    stated = next((value for y, value, _final in targets if y == year), None)
    if baseline is None:
        # Without a baseline there is no progress figure, but a stated target can still be met.
        if stated is None:
            return Achievement(Status.NO_DATA, None, year, actual, None)
        reached = _reached(direction, actual, stated, stated)
        return Achievement(Status.ON_TRACK if reached else Status.BEHIND, None, year, actual, stated)
    final_year, final_value, _final = max(targets, key=lambda t: (t[2], t[0] or last_year))
    final_year = final_year or last_year
    span = final_value - baseline
    progress = (actual - baseline) / span if span else (Decimal(1) if actual == final_value else Decimal(0))
    if stated is not None:
        expected = stated
    else:
        base_year = baseline_year or first_year - 1
        if final_year <= base_year:
            expected = final_value
        else:
            fraction = Decimal(min(max(year - base_year, 0), final_year - base_year)) / (
                final_year - base_year
            )
            expected = baseline + span * fraction
    if _reached(direction, actual, final_value, baseline):
        status = Status.ACHIEVED
    elif _reached(direction, actual, expected, baseline):
        status = Status.ON_TRACK
    else:
        status = Status.BEHIND
    return Achievement(status, progress.quantize(Decimal("0.001")), year, actual, expected)


def evaluate(kpi: Kpi, year: int | None = None) -> Achievement:
    """Achievement of ``kpi`` in fiscal ``year`` (default: the latest year with an actual).

    Uses the KPI's prefetched ``targets`` and ``actuals`` when present, so a list of KPIs costs
    no query per KPI.
    """
    if kpi.direction == Kpi.Direction.QUALITATIVE:
        return Achievement(Status.QUALITATIVE, None, year, None, None)
    actuals = [a for a in kpi.actuals.all() if a.value is not None]
    if year is None and actuals:
        year = max(a.fiscal_year for a in actuals)
    actual = next((a.value for a in actuals if a.fiscal_year == year), None)
    targets = [
        (t.fiscal_year, cast(Decimal, t.value), t.final) for t in kpi.targets.all() if t.value is not None
    ]
    edition = kpi.edition
    return judge(
        kpi.direction,
        kpi.baseline_value,
        kpi.baseline_fiscal_year,
        targets,
        year,
        actual,
        edition.first_year,
        edition.last_year,
    )


def statuses(edition_id: int) -> dict[int, Status]:
    """The status of every KPI of an edition from three light queries (no model instances).

    The same rule as :func:`evaluate` at each KPI's latest actual; for summaries and filters of
    plans with thousands of KPIs, where building every KPI object would be too slow.
    """
    from yakusho.plans.models import KpiActual, KpiTarget, PlanEdition

    edition = PlanEdition.objects.only("first_year", "last_year").get(pk=edition_id)
    kpis = Kpi.objects.filter(edition_id=edition_id).values_list(
        "id", "direction", "baseline_value", "baseline_fiscal_year"
    )
    targets: dict[int, list[TargetTuple]] = {}
    for kpi_id, year, value, final in KpiTarget.objects.filter(
        kpi__edition_id=edition_id, value__isnull=False
    ).values_list("kpi_id", "fiscal_year", "value", "final"):
        targets.setdefault(kpi_id, []).append((year, cast(Decimal, value), final))  # not null: filtered
    latest: dict[int, tuple[int, Decimal]] = {}
    for kpi_id, year, value in KpiActual.objects.filter(
        kpi__edition_id=edition_id, value__isnull=False
    ).values_list("kpi_id", "fiscal_year", "value"):
        if kpi_id not in latest or year > latest[kpi_id][0]:
            latest[kpi_id] = (year, cast(Decimal, value))
    out: dict[int, Status] = {}
    for kpi_id, direction, baseline, baseline_year in kpis:
        year, actual = latest.get(kpi_id, (None, None))
        out[kpi_id] = judge(
            direction,
            baseline,
            baseline_year,
            targets.get(kpi_id, []),
            year,
            actual,
            edition.first_year,
            edition.last_year,
        ).status
    return out
