"""A small chart per KPI: actuals against the path from the baseline to the final target.

Drawn as inline SVG by the template from the coordinates computed here (no script, no inline
style); the same figures are given as a table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from yakusho.core.jcal import format_fiscal_year
from yakusho.plans.models import Kpi

WIDTH, HEIGHT, PAD = 320, 160, 28


@dataclass(frozen=True)
class Row:
    year: int
    label: str
    target: Decimal | None  # stated for the year
    path: Decimal | None  # straight line from baseline to final target
    actual: Decimal | None


@dataclass(frozen=True)
class Chart:
    rows: list[Row]
    path_points: str
    actual_points: str
    actual_dots: list[tuple[float, float, str]]
    target_dots: list[tuple[float, float, str]]
    x_labels: list[tuple[float, str]]
    y_min: Decimal
    y_max: Decimal
    width: int = WIDTH
    height: int = HEIGHT


def chart(kpi: Kpi) -> Chart | None:
    """None when there is nothing numeric to draw (qualitative KPIs, no numbers)."""
    if kpi.direction == Kpi.Direction.QUALITATIVE:
        return None
    edition = kpi.edition
    targets = [t for t in kpi.targets.all() if t.value is not None]
    actuals = {a.fiscal_year: a.value for a in kpi.actuals.all() if a.value is not None}
    if not targets and not actuals:
        return None
    base_year = kpi.baseline_fiscal_year or edition.first_year - 1
    final = max(targets, key=lambda t: (t.final, t.fiscal_year or edition.last_year)) if targets else None
    final_year = (final.fiscal_year or edition.last_year) if final else edition.last_year
    years = list(
        range(min(base_year, edition.first_year), max(final_year, edition.last_year, *actuals, 0) + 1)
    )
    stated = {t.fiscal_year: t.value for t in targets if t.fiscal_year}

    def path_at(year: int) -> Decimal | None:
        if kpi.baseline_value is None or final is None or final.value is None or final_year <= base_year:
            return None
        if not base_year <= year <= final_year:
            return None
        return kpi.baseline_value + (final.value - kpi.baseline_value) * Decimal(year - base_year) / (
            final_year - base_year
        )

    rows = [
        Row(
            y,
            format_fiscal_year(y, short=True),
            stated.get(y),
            kpi.baseline_value if y == base_year and kpi.baseline_value is not None else path_at(y),
            actuals.get(y),
        )
        for y in years
    ]
    values = [v for r in rows for v in (r.target, r.path, r.actual) if v is not None]
    if not values:
        return None
    y_min, y_max = min([*values, Decimal(0)]), max(values)
    if y_max == y_min:
        y_max = y_min + 1

    def x(year: int) -> float:
        return PAD + (WIDTH - 2 * PAD) * (years.index(year) / max(len(years) - 1, 1))

    def y(value: Decimal) -> float:
        return float(HEIGHT - PAD - (HEIGHT - 2 * PAD) * float((value - y_min) / (y_max - y_min)))

    def points(pairs: list[tuple[int, Decimal]]) -> str:
        return " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in pairs)

    return Chart(
        rows=rows,
        path_points=points([(r.year, r.path) for r in rows if r.path is not None]),
        actual_points=points([(r.year, r.actual) for r in rows if r.actual is not None]),
        actual_dots=[(x(r.year), y(r.actual), f"{r.label} {r.actual}") for r in rows if r.actual is not None],
        target_dots=[(x(r.year), y(r.target), f"{r.label} {r.target}") for r in rows if r.target is not None],
        x_labels=[(x(r.year), r.label.replace("令和", "R").replace("年度", "")) for r in rows],
        y_min=y_min,
        y_max=y_max,
    )
