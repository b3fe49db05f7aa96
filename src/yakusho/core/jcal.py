"""The Japanese calendar: 和暦 eras, fiscal years (年度, April–March) and their parsing.

Fiscal year ``Y`` runs from 1 April ``Y`` to 31 March ``Y+1`` and is named after the 和暦 of
calendar year ``Y`` — the era in force on 31 December of ``Y`` — so 2019年度 is 令和元年度 and
1989年度 is 平成元年度, as government documents name them. Parsing also accepts the old era's
count for a year that changed era (平成31年度 → 2019). Dates before 1 January 1873 (明治6年, when
Japan adopted the Gregorian calendar) are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.utils.translation import gettext as _

from yakusho.core.validators import normalize_text


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    start: date

    @property
    def first_year(self) -> int:
        return self.start.year


ERAS: tuple[Era, ...] = (
    Era("明治", "M", date(1868, 10, 23)),
    Era("大正", "T", date(1912, 7, 30)),
    Era("昭和", "S", date(1926, 12, 25)),
    Era("平成", "H", date(1989, 1, 8)),
    Era("令和", "R", date(2019, 5, 1)),
)
EARLIEST = date(1873, 1, 1)
#: the last day Yakusho reads from people (and in URLs): past it, date arithmetic would leave
#: Python's calendar (year 9999) and nothing a town books or plans is that far away
LATEST = date(2199, 12, 31)
_BY_NAME = {e.name: e for e in ERAS} | {e.letter: e for e in ERAS}


class JapaneseDateError(ValueError):
    """Raised with a Japanese message naming the input that could not be read."""


def era_of(day: date) -> Era:
    if day < EARLIEST:
        raise JapaneseDateError(_("1873年（明治6年）より前の日付は扱えません。"))
    for era in reversed(ERAS):
        if day >= era.start:
            return era
    raise JapaneseDateError(_("和暦に変換できない日付です。"))  # pragma: no cover


def _era_end(era: Era) -> date | None:
    index = ERAS.index(era)
    return ERAS[index + 1].start if index + 1 < len(ERAS) else None


def _year_label(n: int) -> str:
    return "元" if n == 1 else str(n)


def format_wareki_date(day: date) -> str:
    """2026-04-01 → 令和8年4月1日."""
    era = era_of(day)
    return f"{era.name}{_year_label(day.year - era.first_year + 1)}年{day.month}月{day.day}日"


def format_wareki_month(day: date) -> str:
    """2023-12-01 → 令和5年12月 (a date the plan gives only to the month)."""
    era = era_of(day)
    return f"{era.name}{_year_label(day.year - era.first_year + 1)}年{day.month}月"


def era_of_year(year: int) -> Era:
    """The era that names calendar year ``year`` (in force on its 31 December)."""
    return era_of(date(year, 12, 31))


def format_wareki_year(year: int) -> str:
    era = era_of_year(year)
    return f"{era.name}{_year_label(year - era.first_year + 1)}年"


def fiscal_year_of(day: date) -> int:
    """The fiscal year (年度) a date falls in: April–March."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(year: int) -> tuple[date, date]:
    return date(year, 4, 1), date(year + 1, 3, 31)


@lru_cache(maxsize=512)
def format_fiscal_year(year: int, *, short: bool = False) -> str:
    """2026 → 令和8年度（2026年度）; with ``short``, 令和8年度."""
    era = era_of_year(year)
    label = f"{era.name}{_year_label(year - era.first_year + 1)}年度"
    return label if short else f"{label}（{year}年度）"


def _era_year_to_gregorian(era: Era, n: int, source: str) -> int:
    if n < 1:
        raise JapaneseDateError(_("「%(value)s」の年が正しくありません。") % {"value": source})
    year = era.first_year + n - 1
    end = _era_end(era)
    if end is not None and year > end.year:
        raise JapaneseDateError(
            _("「%(value)s」：%(era)sは%(last)s年までです。")
            % {"value": source, "era": era.name, "last": end.year - era.first_year + 1}
        )
    return year


_ERA_NAMES = "|".join(e.name for e in ERAS)
_ERA_LETTERS = "".join(e.letter for e in ERAS)
_ERA = rf"(?P<era>{_ERA_NAMES}|[{_ERA_LETTERS}])"
_N = r"(?P<n>元|\d{1,3})"
_FY_PATTERNS = (
    re.compile(rf"^{_ERA}\.?{_N}(?:年度?)?$", re.IGNORECASE),
    re.compile(r"^(?:FY)?(?P<year>\d{4})(?:年度?)?$", re.IGNORECASE),
)

_FY_BOTH = re.compile(r"^(?P<era_part>[^()]+)\((?P<year>\d{4})年度\)$")


def parse_fiscal_year(value: str) -> int:
    """Read a fiscal year: ``R8``, ``令和8年度``, ``令和元年度``, ``2026年度``, ``2026``, ``FY2026``,
    or the display form ``令和8年度（2026年度）``."""
    text = normalize_text(value).replace(" ", "")
    both = _FY_BOTH.match(text)
    if both:
        # 令和8年度（2026年度）: both halves must name the same year.
        year = parse_fiscal_year(both["era_part"])
        if year != int(both["year"]):
            raise JapaneseDateError(_("「%(value)s」の和暦と西暦が一致しません。") % {"value": value})
        return year
    for pattern in _FY_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        groups = m.groupdict()
        if groups.get("year"):
            year = int(groups["year"])
        else:
            era = _BY_NAME[groups["era"].upper() if groups["era"].isascii() else groups["era"]]
            n = 1 if groups["n"] == "元" else int(groups["n"])
            year = _era_year_to_gregorian(era, n, value)
        if not 1873 <= year <= 2200:
            break
        return year
    raise JapaneseDateError(
        _("「%(value)s」を年度として読み取れません（例：令和8年度、R8、2026年度）。") % {"value": value}
    )


_DATE_PATTERNS = (
    re.compile(rf"^{_ERA}\.?{_N}[年./\-](?P<m>\d{{1,2}})[月./\-](?P<d>\d{{1,2}})日?$", re.IGNORECASE),
    re.compile(r"^(?P<year>\d{4})[年./\-](?P<m>\d{1,2})[月./\-](?P<d>\d{1,2})日?$"),
)


def parse_japanese_date(value: str) -> date:
    """Read a date: ``令和8年4月1日``, ``R8.4.1``, ``R8/4/1``, ``2026年4月1日``, ``2026-04-01``."""
    text = normalize_text(value).replace(" ", "")
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        groups = m.groupdict()
        era: Era | None = None
        if groups.get("year"):
            year = int(groups["year"])
        else:
            era = _BY_NAME[groups["era"].upper() if groups["era"].isascii() else groups["era"]]
            n = 1 if groups["n"] == "元" else int(groups["n"])
            year = _era_year_to_gregorian(era, n, value)
        try:
            day = date(year, int(groups["m"]), int(groups["d"]))
        except ValueError:
            raise JapaneseDateError(_("「%(value)s」は存在しない日付です。") % {"value": value}) from None
        if day < EARLIEST:
            raise JapaneseDateError(_("1873年（明治6年）より前の日付は扱えません。"))
        if day > LATEST:
            raise JapaneseDateError(_("2199年より後の日付は扱えません。"))
        if era is not None:
            end = _era_end(era)
            if day < era.start or (end is not None and day >= end):
                raise JapaneseDateError(
                    _("「%(value)s」は%(era)sの期間外です（%(era)sは%(start)sから）。")
                    % {"value": value, "era": era.name, "start": format_wareki_date(era.start)}
                    if day < era.start
                    else _("「%(value)s」は%(era)sの期間外です（%(next)sから%(next_era)sです）。")
                    % {
                        "value": value,
                        "era": era.name,
                        "next": end.isoformat() if end else "",
                        "next_era": era_of(end).name if end else "",
                    }
                )
        return day
    raise JapaneseDateError(
        _("「%(value)s」を日付として読み取れません（例：令和8年4月1日、R8.4.1、2026-04-01）。")
        % {"value": value}
    )


def parse_iso_day(value: str) -> date:
    """A day written ``2026-04-01`` (as in URLs and query strings), between :data:`EARLIEST` and
    :data:`LATEST`; :class:`JapaneseDateError` otherwise."""
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise JapaneseDateError(_("日付は 2026-04-01 の形で書いてください。"))
    if not EARLIEST <= day <= LATEST:
        raise JapaneseDateError(_("1873年から2199年までの日付にしてください。"))
    return day


def parse_iso_month(value: str) -> date:
    """A month written ``2026-04``: its first day (same range and error as :func:`parse_iso_day`)."""
    return parse_iso_day(f"{value}-01" if len(value) == 7 else "")
