"""A small chart per KPI: what is judged against the path from the start to the final target.

Drawn as inline SVG by the template from the coordinates computed here (no script, no inline
style); the same figures are given as a table beside it. What is drawn follows the KPI's
accumulation kind (docs/plan-file-format.md, "Achievement"): a cumulative KPI's line is its
running total (the sum of its actuals from the plan's first year) against running-total targets
and a path from 0; every other kind draws the actuals as reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from yakusho.core.jcal import format_fiscal_year
from yakusho.core.templatetags.yakusho import num
from yakusho.plans.achievement import accumulation_label
from yakusho.plans.models import Kpi

WIDTH, HEIGHT, PAD = 320, 160, 28


@dataclass(frozen=True)
class Row:
    year: int
    label: str
    target: Decimal | None  # stated for the year
    path: Decimal | None  # straight line from the start (baseline; 0 for a running total) to the final target
    actual: Decimal | None  # as reported for the year
    total: Decimal | None = None  # cumulative KPIs: the running total at the year (what is drawn)


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
    accumulation: str = Kpi.Accumulation.POINT_IN_TIME
    #: the kind in words (「累計（各年度の実績の合計）」, 「3年ごとの値」 …)
    kind_label: str = ""
    #: the text alternative: what the chart shows, of which KPI, and its kind
    description: str = ""
    #: the key to the marks (破線, □, ●), in words
    legend: str = ""

    @property
    def cumulative(self) -> bool:
        """True when the line is a running total (``Row.total``) rather than the actuals."""
        return self.accumulation == Kpi.Accumulation.CUMULATIVE


def chart(kpi: Kpi) -> Chart | None:
    """None when there is nothing numeric to draw (qualitative KPIs, no numbers)."""
    if kpi.direction == Kpi.Direction.QUALITATIVE:
        return None
    edition = kpi.edition
    cumulative = kpi.accumulation == Kpi.Accumulation.CUMULATIVE
    targets = [t for t in kpi.targets.all() if t.value is not None]
    actuals = {a.fiscal_year: a.value for a in kpi.actuals.all() if a.value is not None}
    if not targets and not actuals:
        return None
    # a running total starts at 0 the year before the plan; any other KPI at its baseline
    start = Decimal(0) if cumulative else kpi.baseline_value
    base_year = edition.first_year - 1 if cumulative else (kpi.baseline_fiscal_year or edition.first_year - 1)
    final = max(targets, key=lambda t: (t.final, t.fiscal_year or edition.last_year)) if targets else None
    final_year = (final.fiscal_year or edition.last_year) if final else edition.last_year
    years = list(
        range(min(base_year, edition.first_year), max(final_year, edition.last_year, *actuals, 0) + 1)
    )
    stated: dict[int, Decimal | None] = {}
    for t in targets:
        if t.fiscal_year:
            stated.setdefault(t.fiscal_year, t.value)  # the first stated for a year, as judged

    def path_at(year: int) -> Decimal | None:
        if start is None or final is None or final.value is None or final_year <= base_year:
            return None
        if not base_year <= year <= final_year:
            return None
        return start + (final.value - start) * Decimal(year - base_year) / (final_year - base_year)

    def total_at(year: int) -> Decimal | None:
        """The running total, at the years with an actual of the plan period (as judged)."""
        if not cumulative or year not in actuals or year < edition.first_year:
            return None
        return sum((v for y, v in actuals.items() if edition.first_year <= y <= year), Decimal(0))

    rows = [
        Row(
            y,
            format_fiscal_year(y, short=True),
            stated.get(y),
            start if y == base_year and start is not None else path_at(y),
            actuals.get(y),
            total_at(y),
        )
        for y in years
    ]
    # the line: the running total of a cumulative KPI, else the actuals as reported
    line = [(r, v) for r in rows if (v := r.total if cumulative else r.actual) is not None]
    values = [v for r in rows for v in (r.target, r.path) if v is not None] + [v for _r, v in line]
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

    def dot_label(r: Row) -> str:
        if cumulative:
            return gettext("%(year)s 累計 %(total)s（この年度 %(actual)s）") % {
                "year": r.label,
                "total": num(r.total),
                "actual": num(r.actual),
            }
        return f"{r.label} {num(r.actual)}"

    kind = accumulation_label(kpi.accumulation, kpi.interval_years)
    if cumulative:
        description = gettext("%(name)s：各年度までの実績の合計（累計）と目標。集計：%(kind)s")
        legend = gettext(
            "破線：0から最終目標への道筋、□：その年度の目標値（累計）、●：その年度までの実績の合計"
        )
    else:
        description = gettext("%(name)s：実績値と目標への道筋。集計：%(kind)s")
        legend = gettext("破線：現状値から最終目標への道筋、□：その年度の目標値、●：実績値")
    return Chart(
        rows=rows,
        path_points=points([(r.year, r.path) for r in rows if r.path is not None]),
        actual_points=points([(r.year, v) for r, v in line]),
        actual_dots=[(x(r.year), y(v), dot_label(r)) for r, v in line],
        target_dots=[
            (x(r.year), y(r.target), f"{r.label} {num(r.target)}") for r in rows if r.target is not None
        ],
        x_labels=[(x(r.year), r.label.replace("令和", "R").replace("年度", "")) for r in rows],
        y_min=y_min,
        y_max=y_max,
        accumulation=kpi.accumulation,
        kind_label=kind,
        description=description % {"name": kpi.name, "kind": kind or "—"},
        legend=legend,
    )
