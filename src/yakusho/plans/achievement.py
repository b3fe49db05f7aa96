"""How far a KPI has come: progress toward its final target and whether it is on track.

The formula is documented in docs/plan-file-format.md ("Achievement"). Statuses are words, shown
with the number, never a colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

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
