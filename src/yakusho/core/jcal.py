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
from datetime import date, datetime
from functools import lru_cache

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yakusho.core.normalize import HYPHENS
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
    # 令和8年12月14日, R8.12.14, and the display forms 令和8年(2026年)12月14日 / 令和8年12月14日(2026年)
    re.compile(
        rf"^{_ERA}\.?{_N}[年./\-](?:\((?P<both>\d{{4}})年?\))?"
        r"(?P<m>\d{1,2})[月./\-](?P<d>\d{1,2})日?(?:\((?P<both_after>\d{4})年?\))?$",
        re.IGNORECASE,
    ),
    re.compile(r"^(?P<year>\d{4})[年./\-](?P<m>\d{1,2})[月./\-](?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<year>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),  # 20261214
    re.compile(r"^(?P<m>\d{1,2})[月/](?P<d>\d{1,2})日?$"),  # 12月14日, 12/14: the year is inferred
    # 14 December 2026, 14 Dec, December 14, 2026, Dec. 14 (spaces are gone by then)
    re.compile(r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?(?P<mon>[a-z]{3,9})\.?(?:[,/.]?(?P<year>\d{4}))?$", re.I),
    re.compile(r"^(?P<mon>[a-z]{3,9})\.?(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:[,/.]?(?P<year>\d{4}))?$", re.I),
)

WEEKDAYS_JA = "月火水木金土日"
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_BY_NAME = {name.lower(): n for n, name in enumerate(MONTHS_EN, 1)} | {
    name[:3].lower(): n for n, name in enumerate(MONTHS_EN, 1)
}
_MONTH_BY_NAME["sept"] = 9
_WEEKDAY_BY_NAME = {name.lower(): n for n, name in enumerate(WEEKDAYS_EN)} | {
    name[:3].lower(): n for n, name in enumerate(WEEKDAYS_EN)
}
_WEEKDAY_BY_NAME |= {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}
_WEEKDAY_JA_SUFFIX = re.compile(r"\((?P<wd>[月火水木金土日])(?:曜日?)?\)$")
_WEEKDAY_EN_PREFIX = re.compile(
    r"^(?P<wd>" + "|".join(sorted(_WEEKDAY_BY_NAME, key=len, reverse=True)) + r")\.?,?(?=[0-9a-z])", re.I
)
#: hyphen-like characters people type between digits (2026ー12ー14, 2026−12−14); see core.normalize
_DIGIT_HYPHEN = re.compile(f"(?<=[0-9])[{re.escape(HYPHENS)}](?=[0-9])")


def _date_text(value: str) -> tuple[str, int | None]:
    """The typed text as the patterns read it, and the weekday it names (0 = Monday), if any:
    NFKC (全角 → 半角), hyphen-like characters between digits made ``-``, spaces between digits
    made ``/`` and other spaces dropped, a weekday (（月）, Mon) taken off."""
    text = _DIGIT_HYPHEN.sub("-", normalize_text(value))
    text = re.sub(r"(?<=\d)\s+(?=\d)", "/", text)
    text = re.sub(r"\s+", "", text)
    weekday: int | None = None
    ja = _WEEKDAY_JA_SUFFIX.search(text)
    if ja and ja.start() > 0:
        weekday, text = WEEKDAYS_JA.index(ja["wd"]), text[: ja.start()]
    else:
        en = _WEEKDAY_EN_PREFIX.match(text)
        if en:
            weekday, text = _WEEKDAY_BY_NAME[en["wd"].lower()], text[en.end() :]
    return text, weekday


def _infer_year(
    month: int, day: int, source: str, *, today: date, earliest: date | None, latest: date | None
) -> date:
    """The date of a month and day typed without a year, by the rule of the field:

    - a lower bound on or after today (a date to come: 収集希望日): the first such date on or
      after that bound;
    - else an upper bound on or before today (a date gone by: 生年月日, 転入日): the last such date
      on or before that bound;
    - else the such date nearest to today (between the bounds when there is one there; the later
      of two equally near).

    When the first date to come is past the upper bound too (12月10日 typed on 7 December for a
    collection from 14 December to 5 February), the one before the lower bound is taken instead,
    so that the message says what is wrong with the date meant (too early, not next year's);
    and the other way round for a date gone by.
    """
    if (
        not (1 <= month <= 12 and 1 <= day <= 31)
        or (month, day) in ((2, 30), (2, 31))
        or (day == 31 and month in (4, 6, 9, 11))
    ):
        raise JapaneseDateError(_("「%(value)s」は存在しない日付です。") % {"value": source})
    years = [d.year for d in (today, earliest, latest) if d is not None]
    candidates = []
    for year in range(max(min(years) - 9, 1), min(max(years) + 10, 10000)):
        try:
            candidates.append(date(year, month, day))
        except ValueError:  # 29 February in a year without one
            continue
    if earliest is not None and earliest >= today:
        after = [d for d in candidates if d >= earliest]
        before = [d for d in candidates if d < earliest]
        if after and (latest is None or after[0] <= latest or not before):
            return after[0]
        return before[-1]
    if latest is not None and latest <= today:
        upto = [d for d in candidates if d <= latest]
        later = [d for d in candidates if d > latest]
        if upto and (earliest is None or upto[-1] >= earliest or not later):
            return upto[-1]
        return later[0]
    inside = [
        d for d in candidates if (earliest is None or d >= earliest) and (latest is None or d <= latest)
    ]
    return min(inside or candidates, key=lambda d: (abs((d - today).days), -d.toordinal()))


def parse_japanese_date(
    value: str,
    *,
    today: date | None = None,
    earliest: date | None = None,
    latest: date | None = None,
) -> date:
    """Read a date as people type it: ``令和8年12月14日``, ``R8.12.14``, ``R8/12/14``, ``令和元年5月1日``,
    ``2026年12月14日``, ``2026-12-14`` (what a date picker posts), ``2026/12/14``, ``20261214``,
    full-width digits (``１２月１４日``), the display forms of :func:`format_date` in either
    language (``令和8年（2026年）12月14日（月）``, ``14 December 2026``), and a month and day alone
    (``12月14日``, ``12/14``, ``14 Dec``).

    A month and day alone take their year from ``earliest`` and ``latest`` — the bounds of the
    field, which this function does not enforce — and ``today`` (default: today in Japan), as
    :func:`_infer_year` says.
    """
    text, weekday = _date_text(value)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        groups = m.groupdict()
        month = _MONTH_BY_NAME.get(groups["mon"].lower(), 0) if groups.get("mon") else int(groups["m"])
        if not month:
            continue  # not a month's name: perhaps another pattern reads it
        era: Era | None = None
        if groups.get("year"):
            year = int(groups["year"])
        elif groups.get("era"):
            era = _BY_NAME[groups["era"].upper() if groups["era"].isascii() else groups["era"]]
            n = 1 if groups["n"] == "元" else int(groups["n"])
            year = _era_year_to_gregorian(era, n, value)
            both = groups.get("both") or groups.get("both_after")
            if both and int(both) != year:
                raise JapaneseDateError(_("「%(value)s」の和暦と西暦が一致しません。") % {"value": value})
        else:
            year = 0  # a month and day alone
        if year:
            try:
                day = date(year, month, int(groups["d"]))
            except ValueError:
                raise JapaneseDateError(_("「%(value)s」は存在しない日付です。") % {"value": value}) from None
        else:
            day = _infer_year(
                month,
                int(groups["d"]),
                value,
                today=today or timezone.localdate(),
                earliest=earliest,
                latest=latest,
            )
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
        if weekday is not None and day.weekday() != weekday:
            raise JapaneseDateError(
                _("「%(value)s」：%(date)sは%(weekday)sです。")
                % {"value": value, "date": format_date(day), "weekday": weekday_name(day)}
            )
        return day
    raise JapaneseDateError(
        _("「%(value)s」を日付として読み取れません（例：12月14日、令和8年12月14日、R8.12.14、2026-12-14）。")
        % {"value": value}
    )


# --- dates as people read them: one way per language ----------------------------------------------


def _english(language: str | None) -> bool:
    return (language or get_language() or settings.LANGUAGE_CODE).startswith("en")


def format_date(
    value: date | datetime,
    *,
    style: str = "day",
    weekday: bool = False,
    language: str | None = None,
) -> str:
    """A date as Yakusho shows it, one way per language (the active one unless ``language``):

    ========= ============================ =========================
    ``style``  Japanese                      English
    ========= ============================ =========================
    day        令和8年（2026年）12月14日        14 December 2026
    month      令和8年（2026年）12月            December 2026
    short      12月14日                        14 Dec
    ========= ============================ =========================

    ``weekday`` adds the day of the week: 令和8年（2026年）12月14日（月）, Monday 14 December 2026.
    A datetime is shown as its day in Japan. Before 1873 (no 和暦 date) Japanese shows 西暦 only.
    :func:`parse_japanese_date` reads every form back (but ``month``).
    """
    if isinstance(value, datetime):
        day = (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    else:
        day = value
    if _english(language):
        if style == "short":
            text = f"{day.day} {MONTHS_EN[day.month - 1][:3]}"
        elif style == "month":
            text = f"{MONTHS_EN[day.month - 1]} {day.year}"
        else:
            text = f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
        return f"{WEEKDAYS_EN[day.weekday()]} {text}" if weekday else text
    if style == "short":
        text = f"{day.month}月{day.day}日"
    else:
        year = f"{day.year}年"
        if day >= EARLIEST:
            era = era_of(day)
            year = f"{era.name}{_year_label(day.year - era.first_year + 1)}年（{day.year}年）"
        text = f"{year}{day.month}月" if style == "month" else f"{year}{day.month}月{day.day}日"
    return f"{text}（{WEEKDAYS_JA[day.weekday()]}）" if weekday else text


def weekday_name(day: date, *, language: str | None = None) -> str:
    """月曜日; Monday."""
    return WEEKDAYS_EN[day.weekday()] if _english(language) else f"{WEEKDAYS_JA[day.weekday()]}曜日"


def format_datetime(value: datetime, *, language: str | None = None) -> str:
    """A moment in Japan's time: 令和8年（2026年）12月14日 09:05; 14 December 2026, 09:05."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if _english(language):
        return f"{format_date(local.date(), language='en')}, {local:%H:%M}"
    return f"{format_date(local.date(), language='ja')} {local:%H:%M}"


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
