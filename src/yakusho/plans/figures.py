"""Figures as people read them, each with its source: the one formatting helper of the plan pages,
the report and the exports (the template filters of ``plans.templatetags.plan_figures`` call it).

- A number is written as its unit needs: thousands separators, no trailing zeros of the stored
  Decimal (``63.000000`` → ``63``), and a computed value (a yearly 目安, the straight-line path)
  rounded to whole numbers for counts (件, 人 …) and to one decimal for shares (%).
- An actual is shown with where it comes from and its "as of" right beside it:
  ``120件（進捗評価・令和7年5月31日時点）``; a demo actual says デモ in the same place.
- Progress is never shown below 0 %: a KPI that has moved away from its target says so in words.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from yakusho.core.jcal import era_of_year, format_fiscal_year, format_wareki_date, format_wareki_month
from yakusho.plans.achievement import Achievement, Status, accumulation_label
from yakusho.plans.charts import Chart
from yakusho.plans.models import DatePrecision, Kpi, KpiActual, Observation
from yakusho.plans.review.services import COUNT_UNITS

#: Units counted in whole numbers: a computed value in them is rounded to an integer.
WHOLE_UNITS = frozenset(COUNT_UNITS) | {"団体", "手続き", "手続", "回/3年", "課", "施設", "社", "店舗"}
#: Units of shares: a computed value in them is rounded to one decimal.
PERCENT_UNITS = frozenset({"%", "％", "パーセント"})
#: Where a number is missing from a cell or a sentence.
MISSING = "—"


def places_for(unit: str) -> int:
    """Decimal places a computed value in ``unit`` is rounded to: 0 for counts, 1 otherwise."""
    return 0 if unit.strip() in WHOLE_UNITS else 1


def to_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def plain(value: Decimal) -> Decimal:
    """The value without the stored trailing zeros and never in exponent form (100, not 1E+2)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def rounded(value: Decimal, unit: str) -> Decimal:
    """A computed value as its unit needs it (whole counts, shares to one decimal)."""
    places = places_for(unit)
    return plain(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def format_number(value: Any, unit: str = "", *, computed: bool = False) -> str:
    """``4900.000000`` → ``4,900``; ``14.400`` → ``14.4``; a computed value (``computed``) rounded
    as the unit needs; None → —. Text that is not a number is returned as it is."""
    number = to_decimal(value)
    if number is None:
        return MISSING if value is None or value == "" else str(value)
    number = rounded(number, unit) if computed else plain(number)
    return f"{number:,f}"


def format_figure(value: Any, unit: str = "", *, computed: bool = False) -> str:
    """A number with its unit: ``1,970件``, ``3.7%``; None → —."""
    text = format_number(value, unit, computed=computed)
    return text if text == MISSING else f"{text}{unit}"


def excel_number(value: Any, unit: str = "", *, computed: bool = False) -> Decimal | None:
    """The number an Excel or CSV cell holds: no stored trailing zeros, computed values rounded."""
    number = to_decimal(value)
    if number is None:
        return None
    return rounded(number, unit) if computed else plain(number)


def excel_format(unit: str) -> str:
    """The Excel number format of figures in ``unit``: separators, one decimal for shares."""
    if unit.strip() in PERCENT_UNITS:
        return "#,##0.0##"
    if unit.strip() in WHOLE_UNITS:
        return "#,##0"
    return "#,##0.###"


# --- sources ------------------------------------------------------------------------------------


def source_label(actual: KpiActual) -> str:
    """計画書, 進捗評価, 計測値 or デモ."""
    try:
        return str(KpiActual.Source(actual.source).label)
    except ValueError:
        return actual.source


def as_of_text(day: date | None, precision: str = DatePrecision.DAY) -> str:
    """「令和7年5月31日時点」; 「令和5年12月時点」 for a date known only to the month."""
    if day is None:
        return ""
    shown = format_wareki_month(day) if precision == DatePrecision.MONTH else format_wareki_date(day)
    return _("%(date)s時点") % {"date": shown}


def provenance(actual: KpiActual) -> str:
    """Where an actual comes from and its "as of": ``進捗評価・令和7年5月31日時点``, ``計画書``."""
    parts = [source_label(actual), as_of_text(actual.date)]
    return "・".join(p for p in parts if p)


def is_demo(actual: KpiActual) -> bool:
    return actual.source == KpiActual.Source.DEMO


def actual_value(actual: KpiActual, unit: str) -> str:
    """The figure itself: the words the source printed, else the number with its unit."""
    return actual.text or format_figure(actual.value, unit)


def actual_text(actual: KpiActual, unit: str) -> str:
    """The figure with its source beside it: ``120件（進捗評価・令和7年5月31日時点）``."""
    return f"{actual_value(actual, unit)}（{provenance(actual)}）"


def actual_with_year(actual: KpiActual, unit: str) -> str:
    """``令和6年度：63件（計画書）``."""
    return f"{format_fiscal_year(actual.fiscal_year, short=True)}：{actual_text(actual, unit)}"


def observation_provenance(observation: Observation) -> str:
    """Observations are printed in the plan: ``計画書・令和6年2月1日時点`` (or the plan's words)."""
    when = (
        as_of_text(observation.as_of, observation.as_of_precision)
        if observation.as_of
        else observation.as_of_text
    )
    return "・".join(p for p in (str(KpiActual.Source.PLAN.label), when) if p)


def observation_text(observation: Observation) -> str:
    value = observation.text or format_figure(observation.value, observation.unit)
    return f"{value}（{observation_provenance(observation)}）"


# --- progress and status ---------------------------------------------------------------------------


def behind_baseline(achievement: Achievement) -> bool:
    """The actual has moved away from the target, past the baseline (a negative progress)."""
    return achievement.progress is not None and achievement.progress < 0


def shown_percent(achievement: Achievement) -> int | None:
    """Progress in %, never below 0 (a KPI behind its baseline says so in words instead)."""
    percent = achievement.percent
    return None if percent is None else max(percent, 0)


def progress_text(achievement: Achievement, direction: str = "") -> str:
    """``45%``; 「現状値を下回っています」 rather than ``-50%``; empty without a figure."""
    if achievement.progress is None:
        return ""
    if behind_baseline(achievement):
        if direction == Kpi.Direction.DECREASE:
            return _("現状値を上回っています（目標から遠ざかっています）")
        if direction == Kpi.Direction.INCREASE:
            return _("現状値を下回っています（目標から遠ざかっています）")
        return _("現状値より目標から遠ざかっています")
    return f"{shown_percent(achievement)}%"


def status_text(achievement: Achievement) -> str:
    """The status in words; an actual that cannot be judged (no target or baseline to compare it
    with) is not 「データなし」."""
    has_figure = achievement.actual is not None or achievement.judged_value is not None
    if achievement.status == Status.NO_DATA and has_figure:
        return _("判定できません（比べる目標値・現状値がありません）")
    return achievement.label


def clamped(achievement: Achievement) -> Achievement:
    """The achievement with its progress not below 0, for tables that show the number only."""
    if behind_baseline(achievement):
        return replace(achievement, progress=Decimal(0))
    return achievement


def accumulation_text(kpi: Kpi) -> str:
    """How the KPI's figures add up, in words: 「時点の値（最新の値）」, 「3年ごとの値」."""
    return accumulation_label(kpi.accumulation, kpi.interval_years)


# --- the KPI chart --------------------------------------------------------------------------------


def labelled_chart(kpi: Kpi, drawn: Chart | None) -> Chart | None:
    """``charts.chart(kpi)`` with the dots' tooltips written for people: the figure with its unit
    and, for an actual, its source and "as of" (the chart gives the stored values)."""
    if drawn is None:
        return None
    actuals = {a.fiscal_year: a for a in kpi.actuals.all()}
    unit = kpi.unit
    # the dots are drawn in the rows' order, one per row with a value on the line
    on_line = [r for r in drawn.rows if (r.total if drawn.cumulative else r.actual) is not None]
    with_target = [r for r in drawn.rows if r.target is not None]

    def actual_label(year: int, value: Decimal | None) -> str:
        actual = actuals.get(year)
        return actual_text(actual, unit) if actual is not None else format_figure(value, unit)

    def dot_label(r: Any) -> str:
        if drawn.cumulative:
            return _("%(year)s 累計 %(total)s（この年度 %(actual)s）") % {
                "year": r.label,
                "total": format_figure(r.total, unit),
                "actual": actual_label(r.year, r.actual),
            }
        return f"{r.label} {actual_label(r.year, r.actual)}"

    return replace(
        drawn,
        actual_dots=[
            (x, y, dot_label(r)) for (x, y, _label), r in zip(drawn.actual_dots, on_line, strict=True)
        ],
        target_dots=[
            (x, y, f"{r.label} {_('目標値')} {format_figure(r.target, unit)}")
            for (x, y, _label), r in zip(drawn.target_dots, with_target, strict=True)
        ],
    )


def chart_sources(kpi: Kpi) -> str:
    """The sources of the plotted actuals for the chart's caption: 「令和6年度 計画書、令和7年度
    デモ・令和8年5月29日時点」."""
    return "、".join(
        f"{format_fiscal_year(a.fiscal_year, short=True)} {provenance(a)}"
        for a in kpi.actuals.all()
        if a.value is not None
    )


# --- what a KPI is judged on, in words (pages, exports, report, PDFs) ---------------------------


def years_text(first: int, last: int) -> str:
    """Fiscal years written short: 「令和6〜8年度」, 「平成30年度〜令和2年度」 across eras, 「令和6年度」
    for one year."""
    start = format_fiscal_year(first, short=True)
    if first == last:
        return start
    end = format_fiscal_year(last, short=True)
    era = era_of_year(last).name
    if era_of_year(first).name == era:
        return f"{start.removesuffix('年度')}〜{end.removeprefix(era)}"
    return f"{start}〜{end}"


def window_text(achievement: Achievement) -> str:
    """The N-year window of an every_n_years KPI in words: 「令和6〜8年度に1回」; empty for others."""
    if achievement.window is None:
        return ""
    return _("%(years)sに1回") % {"years": years_text(*achievement.window)}


def judged_kind(achievement: Achievement, first_year: int) -> str:
    """What the judged figure is, when it is not simply the year's actual: 「累計（令和6〜7年度の合計）」
    for a cumulative KPI, the window of an every_n_years KPI (「令和6〜8年度に1回」) with the year of
    its actual when that is an earlier year of the window (「令和6年度の値・令和6〜8年度に1回」)."""
    if achievement.judged_value is None or achievement.year is None:
        return ""
    if achievement.cumulative:
        return _("累計（%(years)sの合計）") % {"years": years_text(first_year, achievement.year)}
    words = window_text(achievement)
    carried = achievement.judged_year
    if carried is not None and carried != achievement.year:
        value_of = _("%(year)sの値") % {"year": format_fiscal_year(carried, short=True)}
        return "・".join(w for w in (value_of, words) if w)
    return words


def judged_text(kpi: Kpi, achievement: Achievement, first_year: int) -> str:
    """The figure judged, in words, where it is not the judged year's own actual (empty when it is):
    a cumulative KPI's running total 「累計 230件（令和6〜7年度の合計）」, an every_n_years KPI's
    latest actual of its window from an earlier year with its source and "as of"
    「令和6年度の値で判定：45.5%（計画書・令和6年12月1日時点）」 (the plan pages' words)."""
    value, year = achievement.judged_value, achievement.year
    if value is None or year is None:
        return ""
    if achievement.cumulative:
        return _("累計 %(total)s（%(years)sの合計）") % {
            "total": format_figure(value, kpi.unit),
            "years": years_text(first_year, year),
        }
    if achievement.judged_year is not None and achievement.judged_year != year:
        actual = next((a for a in kpi.actuals.all() if a.fiscal_year == achievement.judged_year), None)
        if actual is not None:
            return _("%(year)sの値で判定：%(actual)s") % {
                "year": format_fiscal_year(actual.fiscal_year, short=True),
                "actual": actual_text(actual, kpi.unit),
            }
    return ""
