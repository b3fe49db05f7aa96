"""A municipality's business-day calendar (開庁日): weekends, public holidays, 年末年始, closures.

Public holidays come from the ``holidays`` package (its Japanese calendar, kept current by its
maintainers and pinned in ``pyproject.toml``). Later modules use :meth:`add_business_days` for
標準処理期間 and booking windows.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cached_property, lru_cache

import holidays
from django.utils.translation import gettext as _

from yakusho.core.models import Closure, Municipality

_WEEKDAY_NAMES = {5: "土曜日", 6: "日曜日"}


def is_year_end_holiday(day: date) -> bool:
    """年末年始: 29 December to 3 January."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def japanese_holidays(years: range | list[int]) -> holidays.HolidayBase:
    return _holidays_for(tuple(years))


@lru_cache(maxsize=32)
def _holidays_for(years: tuple[int, ...]) -> holidays.HolidayBase:
    # Public holidays are fixed by law for a given library version: computing them once per
    # process is safe (nothing here is shared state that another process would need).
    return holidays.country_holidays("JP", years=list(years), language="ja")


def default_years(today: date | None = None) -> range:
    """The span a calendar loads unless told otherwise: last year to two years ahead."""
    today = today or date.today()
    return range(today.year - 1, today.year + 3)


def warm_up() -> None:
    """Load the holiday tables of the default span now (the ``holidays`` package imports every
    country's module on first use, about 0.15 s): ``yakusho serve`` calls this before its workers
    start, so no resident's request pays it."""
    japanese_holidays(default_years())


class BusinessCalendar:
    """Business days of one municipality over a span of years (closures loaded once)."""

    def __init__(self, municipality: Municipality, years: range | None = None) -> None:
        self.municipality = municipality
        self.years = years or default_years()

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return japanese_holidays(self.years)

    @cached_property
    def _closures(self) -> dict[date, str]:
        start, stop = date(self.years.start, 1, 1), date(self.years.stop, 1, 1)
        prefetched = getattr(self.municipality, "_prefetched_objects_cache", {}).get("closures")
        if prefetched is not None:  # e.g. the staff home, which loads every municipality's at once
            return {c.date: c.reason for c in prefetched if start <= c.date < stop}
        qs = Closure.objects.for_municipality(self.municipality).filter(
            date__gte=date(self.years.start, 1, 1), date__lt=date(self.years.stop, 1, 1)
        )
        return dict(qs.values_list("date", "reason"))

    def _in_range(self, day: date) -> None:
        if day.year not in self.years:
            # Widen lazily rather than answer wrongly for a date outside the loaded span.
            self.years = range(min(self.years.start, day.year), max(self.years.stop, day.year + 1))
            self.__dict__.pop("_holidays", None)
            self.__dict__.pop("_closures", None)

    def closed_reason(self, day: date, *, weekends: bool = True) -> str | None:
        """Why the offices are closed on ``day``, or None on a business day.

        ``weekends=False`` leaves Saturdays and Sundays to the caller (a facility with its own
        opening hours, see ``bookings``): only holidays, 年末年始 and closures count then.
        """
        self._in_range(day)
        if day in self._closures:
            return self._closures[day]
        holiday = self._holidays.get(day)
        if holiday:
            return str(holiday)
        if self.municipality.closes_year_end and is_year_end_holiday(day):
            return _("年末年始")
        if weekends and day.weekday() in _WEEKDAY_NAMES:
            return _(_WEEKDAY_NAMES[day.weekday()])
        return None

    def is_business_day(self, day: date) -> bool:
        return self.closed_reason(day) is None

    def next_business_day(self, day: date) -> date:
        """``day`` itself if it is a business day, else the first one after it."""
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def add_business_days(self, start: date, n: int) -> date:
        """The n-th business day after ``start`` (``start`` itself not counted); n=0 → next open day."""
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0:
            return self.next_business_day(start)
        day = start
        while n:
            day += timedelta(days=1)
            if self.is_business_day(day):
                n -= 1
        return day

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in (start, end]."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count += 1
        return count
