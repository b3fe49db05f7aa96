"""How far a KPI has come: progress toward its final target and whether it is on track.

The rule is documented in docs/plan-file-format.md ("Achievement"): what is judged depends on the
KPI's accumulation kind (a year's own figure, the sum of the yearly figures, the latest figure of
an N-year window). Statuses are words, shown with the number, never a colour alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import cast

from django.utils.translation import gettext
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

Accumulation = Kpi.Accumulation
#: the kinds judged on more than the year's own actual: they need the KPI's earlier actuals
SERIES = frozenset({Accumulation.CUMULATIVE, Accumulation.EVERY_N_YEARS})


def accumulation_label(accumulation: str, interval_years: int | None = None) -> str:
    """The kind in words: 「累計（各年度の実績の合計）」, 「3年ごとの値」 …; empty when unknown."""
    if accumulation == Accumulation.EVERY_N_YEARS and interval_years:
        return gettext("%(n)s年ごとの値") % {"n": interval_years}
    if accumulation in Accumulation.values:
        return str(Accumulation(accumulation).label)
    return ""


def window(first_year: int, interval_years: int, year: int) -> tuple[int, int]:
    """The N-year window of an ``every_n_years`` KPI holding ``year``: windows run from the plan's
    first year in steps of ``interval_years`` (and back from it before the plan period)."""
    start = first_year + (year - first_year) // interval_years * interval_years
    return start, start + interval_years - 1


@dataclass(frozen=True)
class Achievement:
    status: Status
    progress: Decimal | None  # 0 = start (baseline; 0 for a cumulative KPI), 1 = final target
    year: int | None  # the fiscal year judged
    actual: Decimal | None  # the actual reported for ``year`` itself
    expected: Decimal | None  # the stated or path target the judged value is held against
    #: the figure judged: ``actual``, the running total of a cumulative KPI (the sum of its
    #: actuals from the plan's first year to ``year``), the latest actual of an every_n_years
    #: KPI's window (perhaps of an earlier year than ``year``)
    judged_value: Decimal | None = None
    judged_year: int | None = None  # the fiscal year of ``judged_value``'s latest actual
    accumulation: str = Accumulation.POINT_IN_TIME
    interval_years: int | None = None
    window: tuple[int, int] | None = None  # every_n_years: the fiscal years of ``year``'s window

    @property
    def label(self) -> str:
        return str(LABELS[self.status])

    @property
    def percent(self) -> int | None:
        return None if self.progress is None else int((self.progress * 100).to_integral_value())

    @property
    def kind_label(self) -> str:
        """The accumulation kind in words (what ``judged_value`` is)."""
        return accumulation_label(self.accumulation, self.interval_years)

    @property
    def cumulative(self) -> bool:
        """True when ``judged_value`` is a sum of yearly actuals, not a reported figure."""
        return self.accumulation == Accumulation.CUMULATIVE


def _ceiling(direction: str, target: Decimal, start: Decimal) -> bool:
    """True when ``target`` is a ceiling (stay at or below), False for a floor."""
    if direction == Kpi.Direction.DECREASE:
        return True
    return direction == Kpi.Direction.KEEP and target < start


def _reached(direction: str, actual: Decimal, target: Decimal, start: Decimal) -> bool:
    return actual <= target if _ceiling(direction, target, start) else actual >= target


TargetTuple = tuple[int | None, Decimal, bool]  # fiscal year (None: final), value, final


def judge(
    direction: str,
    baseline: Decimal | None,
    baseline_year: int | None,
    targets: list[TargetTuple],
    year: int | None,
    actuals: Mapping[int, Decimal],
    first_year: int,
    last_year: int,
    accumulation: str = Accumulation.POINT_IN_TIME,
    interval_years: int | None = None,
) -> Achievement:
    """The rule of docs/plan-file-format.md ("Achievement"), on plain values.

    ``actuals`` maps fiscal years to the KPI's numeric actuals: at least ``year``'s, and for the
    kinds in :data:`SERIES` every one up to ``year`` (later ones are ignored).
    """

    def result(
        status: Status,
        progress: Decimal | None = None,
        expected: Decimal | None = None,
        value: Decimal | None = None,
        value_year: int | None = None,
        span: tuple[int, int] | None = None,
    ) -> Achievement:
        return Achievement(
            status,
            progress,
            year,
            actuals.get(year) if year is not None else None,
            expected,
            value,
            value_year,
            accumulation,
            interval_years,
            span,
        )

    if direction == Kpi.Direction.QUALITATIVE:
        return result(Status.QUALITATIVE)
    if year is None:
        return result(Status.NO_DATA)
    cumulative = accumulation == Accumulation.CUMULATIVE
    stated: dict[int, Decimal] = {}
    for y, v, _final in targets:
        if y is not None:
            stated.setdefault(y, v)  # the first stated for a year, as listed

    # The figure judged (and its year), the target stated for it, and the year of the path
    span: tuple[int, int] | None = None
    value_year: int | None = year
    value = actuals.get(year)
    target = stated.get(year)
    path_year = year
    if accumulation == Accumulation.EVERY_N_YEARS and interval_years:
        # the latest actual of the window so far, against a target stated for its year, else for
        # another year of the window, else the path at the window's end
        span = window(first_year, interval_years, year)
        value_year = max((y for y in actuals if span[0] <= y <= year), default=None)
        value = actuals[value_year] if value_year is not None else None
        in_window = [y for y in stated if span[0] <= y <= span[1]]
        target_year = value_year if value_year in stated else max(in_window, default=None)
        target = stated[target_year] if target_year is not None else None
        path_year = span[1]
    elif cumulative and value is not None:
        # the running total of the plan period: every actual from the first year to this one
        in_period = [v for y, v in actuals.items() if first_year <= y <= year]
        value = sum(in_period, Decimal(0)) if year >= first_year else None
    if not targets:
        return result(Status.NO_DATA, None, None, value, value_year, span)

    final_year, final_value, _final = max(targets, key=lambda t: (t[2], t[0] or last_year))
    final_year = final_year or last_year
    # Where the path to the final target starts: a running total at 0 the year before the plan,
    # any other KPI at its baseline (without one there is no path and no progress figure)
    start = Decimal(0) if cumulative else baseline
    start_year = first_year - 1 if cumulative else (baseline_year or first_year - 1)
    expected = target
    if expected is None and start is not None:
        if final_year <= start_year:
            expected = final_value
        else:
            elapsed = min(max(path_year - start_year, 0), final_year - start_year)
            expected = start + (final_value - start) * Decimal(elapsed) / (final_year - start_year)

    if value is None:
        if span is not None and first_year <= span[1] <= year:
            return result(Status.BEHIND, None, expected, span=span)  # the window closed without it
        return result(Status.NO_DATA, span=span)
    achieved = _reached(direction, value, final_value, final_value if start is None else start)
    if cumulative and year < final_year and _ceiling(direction, final_value, Decimal(0)):
        achieved = False  # a running total only grows: under a ceiling it is met at the end
    progress: Decimal | None = None
    if start is not None:
        if final_value != start:
            progress = ((value - start) / (final_value - start)).quantize(Decimal("0.001"))
        else:
            progress = Decimal(1 if _reached(direction, value, final_value, start) else 0)
    if achieved:
        status = Status.ACHIEVED
    elif expected is None:
        status = Status.NO_DATA  # no baseline and no target stated for the year: nothing to hold it to
    elif _reached(direction, value, expected, expected if start is None else start):
        status = Status.ON_TRACK
    else:
        status = Status.BEHIND
    return result(status, progress, expected, value, value_year, span)


def evaluate(kpi: Kpi, year: int | None = None) -> Achievement:
    """Achievement of ``kpi`` in fiscal ``year`` (default: the latest year with an actual).

    Uses the KPI's prefetched ``targets`` and ``actuals`` when present, so a list of KPIs costs
    no query per KPI.
    """
    if kpi.direction == Kpi.Direction.QUALITATIVE:
        return judge(kpi.direction, None, None, [], year, {}, 0, 0, kpi.accumulation, kpi.interval_years)
    actuals = {a.fiscal_year: a.value for a in kpi.actuals.all() if a.value is not None}
    if year is None and actuals:
        year = max(actuals)
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
        actuals,
        edition.first_year,
        edition.last_year,
        kpi.accumulation,
        kpi.interval_years,
    )


def statuses(edition_id: int) -> dict[int, Status]:
    """The status of every KPI of an edition from three light queries (no model instances).

    The same rule as :func:`evaluate` at each KPI's latest actual; for summaries and filters of
    plans with thousands of KPIs, where building every KPI object would be too slow.
    """
    from yakusho.plans.models import KpiActual, KpiTarget, PlanEdition

    edition = PlanEdition.objects.only("first_year", "last_year").get(pk=edition_id)
    kpis = Kpi.objects.filter(edition_id=edition_id).values_list(
        "id", "direction", "baseline_value", "baseline_fiscal_year", "accumulation", "interval_years"
    )
    targets: dict[int, list[TargetTuple]] = {}
    for kpi_id, year, value, final in KpiTarget.objects.filter(
        kpi__edition_id=edition_id, value__isnull=False
    ).values_list("kpi_id", "fiscal_year", "value", "final"):
        targets.setdefault(kpi_id, []).append((year, cast(Decimal, value), final))  # not null: filtered
    actuals: dict[int, dict[int, Decimal]] = {}
    for kpi_id, year, value in KpiActual.objects.filter(
        kpi__edition_id=edition_id, value__isnull=False
    ).values_list("kpi_id", "fiscal_year", "value"):
        actuals.setdefault(kpi_id, {})[year] = cast(Decimal, value)
    out: dict[int, Status] = {}
    for kpi_id, direction, baseline, baseline_year, accumulation, interval_years in kpis:
        series = actuals.get(kpi_id, {})
        out[kpi_id] = judge(
            direction,
            baseline,
            baseline_year,
            targets.get(kpi_id, []),
            max(series, default=None),
            series,
            edition.first_year,
            edition.last_year,
            accumulation,
            interval_years,
        ).status
    return out
