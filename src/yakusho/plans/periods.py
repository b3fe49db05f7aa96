"""Review periods: a plan reviewed yearly, half-yearly (上半期・下半期) or quarterly (第1〜第4四半期).

Periods run in the fiscal year (April to March). Period 0 is the whole year (a yearly review); a
half-yearly plan's periods are 1 (April–September) and 2 (October–March), a quarterly plan's 1–4.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.translation import gettext as _

from yakusho.core import jcal
from yakusho.metrics.registry import Period

#: how many periods a fiscal year has for each review period (the values of
#: ``plans.models.ReviewPeriod``; this module reads no models, so models may use it)
COUNTS = {"year": 1, "half": 2, "quarter": 4}


def numbers(kind: str) -> list[int]:
    """The period numbers of one fiscal year: [0] yearly, [1, 2] half-yearly, [1, 2, 3, 4] quarterly."""
    count = COUNTS[str(kind)]
    return [0] if count == 1 else list(range(1, count + 1))


def months(kind: str) -> int:
    return 12 // COUNTS[str(kind)]


def bounds(fiscal_year: int, kind: str, number: int) -> tuple[date, date]:
    """The first and last day of a period (both included)."""
    if number == 0:
        return jcal.fiscal_year_bounds(fiscal_year)
    if number not in numbers(kind):
        raise ValueError(f"no period {number} in a {kind} review")
    span = months(kind)
    first_month = 4 + (number - 1) * span  # April is month 4 of the calendar, month 1 of the fiscal year
    start = _month_start(fiscal_year, first_month)
    end = _month_start(fiscal_year, first_month + span) - timedelta(days=1)
    return start, end


def _month_start(fiscal_year: int, month: int) -> date:
    """The 1st of ``month`` counted from January of ``fiscal_year`` (13 is next January)."""
    year, index = divmod(month - 1, 12)
    return date(fiscal_year + year, index + 1, 1)


def period(fiscal_year: int, kind: str, number: int) -> Period:
    start, end = bounds(fiscal_year, kind, number)
    return Period(start, end)


def name(kind: str, number: int) -> str:
    """上半期 / 下半期 / 第2四半期; empty for the whole year."""
    if number == 0:
        return ""
    if str(kind) == "half":
        return _("上半期") if number == 1 else _("下半期")
    return _("第%(n)d四半期") % {"n": number}


def label(fiscal_year: int, kind: str, number: int) -> str:
    """令和8年度 / 令和8年度 上半期 / 令和8年度 第3四半期."""
    year = jcal.format_fiscal_year(fiscal_year, short=True)
    part = name(kind, number)
    return f"{year} {part}" if part else year


def is_last(kind: str, number: int) -> bool:
    """Whether a period closes its fiscal year (then the year's summary is complete)."""
    return number == numbers(kind)[-1]
