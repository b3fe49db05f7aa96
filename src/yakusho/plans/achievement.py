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
    targets = [t for t in kpi.targets.all() if t.value is not None]
    baseline = kpi.baseline_value
    if actual is None or not targets or year is None:
        return Achievement(Status.NO_DATA, None, year, actual, None)
    stated = next((t.value for t in targets if t.fiscal_year == year), None)
    if baseline is None:
        # Without a baseline there is no progress figure, but a stated target can still be met.
        if stated is None:
            return Achievement(Status.NO_DATA, None, year, actual, None)
        reached = _reached(kpi.direction, actual, stated, stated)
        return Achievement(Status.ON_TRACK if reached else Status.BEHIND, None, year, actual, stated)
    edition = kpi.edition
    final = max(targets, key=lambda t: (t.final, t.fiscal_year or edition.last_year))
    final_year = final.fiscal_year or edition.last_year
    assert final.value is not None
    span = final.value - baseline
    progress = (actual - baseline) / span if span else (Decimal(1) if actual == final.value else Decimal(0))
    if stated is not None:
        expected = stated
    else:
        base_year = kpi.baseline_fiscal_year or edition.first_year - 1
        if final_year <= base_year:
            expected = final.value
        else:
            fraction = Decimal(min(max(year - base_year, 0), final_year - base_year)) / (
                final_year - base_year
            )
            expected = baseline + span * fraction
    if _reached(kpi.direction, actual, final.value, baseline):
        status = Status.ACHIEVED
    elif _reached(kpi.direction, actual, expected, baseline):
        status = Status.ON_TRACK
    else:
        status = Status.BEHIND
    return Achievement(status, progress.quantize(Decimal("0.001")), year, actual, expected)


def statuses(edition_id: int) -> dict[int, Status]:
    """The status of every KPI of an edition from three light queries (no model instances).

    Same rules as :func:`evaluate` at each KPI's latest actual; used for summaries and filters
    of plans with thousands of KPIs, where building every KPI object would be too slow.
    """
    from yakusho.plans.models import KpiActual, KpiTarget, PlanEdition

    edition = PlanEdition.objects.only("first_year", "last_year").get(pk=edition_id)
    kpis = Kpi.objects.filter(edition_id=edition_id).values_list(
        "id", "direction", "baseline_value", "baseline_fiscal_year"
    )
    targets: dict[int, list[tuple[int | None, Decimal, bool]]] = {}
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
        out[kpi_id] = _status(
            direction, baseline, baseline_year, targets.get(kpi_id, []), latest.get(kpi_id), edition
        )
    return out


def _status(
    direction: str,
    baseline: Decimal | None,
    baseline_year: int | None,
    targets: list[tuple[int | None, Decimal, bool]],
    latest: tuple[int, Decimal] | None,
    edition: object,
) -> Status:
    if direction == Kpi.Direction.QUALITATIVE:
        return Status.QUALITATIVE
    if latest is None or not targets:
        return Status.NO_DATA
    year, actual = latest
    stated = next((v for y, v, _f in targets if y == year), None)
    if baseline is None:
        if stated is None:
            return Status.NO_DATA
        return Status.ON_TRACK if _reached(direction, actual, stated, stated) else Status.BEHIND
    first_year, last_year = edition.first_year, edition.last_year  # type: ignore[attr-defined]
    final_year, final_value, _final = max(targets, key=lambda t: (t[2], t[0] or last_year))
    final_year = final_year or last_year
    if stated is not None:
        expected = stated
    else:
        base_year = baseline_year or first_year - 1
        span_years = final_year - base_year
        if span_years <= 0:
            expected = final_value
        else:
            fraction = Decimal(min(max(year - base_year, 0), span_years)) / span_years
            expected = baseline + (final_value - baseline) * fraction
    if _reached(direction, actual, final_value, baseline):
        return Status.ACHIEVED
    if _reached(direction, actual, expected, baseline):
        return Status.ON_TRACK
    return Status.BEHIND
