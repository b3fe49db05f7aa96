"""Date bounds of date fields: a fixed ISO date or ``today`` with an offset in days or years."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
_RELATIVE = re.compile(r"^today(?:(?P<sign>[+-])(?P<n>\d{1,5})(?P<unit>[dy]))?$")


def today_in_japan() -> date:
    return datetime.now(TOKYO).date()


@dataclass(frozen=True)
class Bound:
    fixed: date | None = None
    days: int = 0
    years: int = 0

    def resolve(self, today: date) -> date:
        if self.fixed is not None:
            return self.fixed
        day = today + timedelta(days=self.days)
        if self.years:
            year = day.year + self.years
            try:
                day = day.replace(year=year)
            except ValueError:  # 29 February in a year without one
                day = day.replace(year=year, day=28)
        return day


def parse_bound(text: str) -> Bound:
    """``2026-04-01``, ``today``, ``today+14d``, ``today-18y``; ValueError otherwise."""
    m = _RELATIVE.match(text)
    if m:
        if not m["sign"]:
            return Bound()
        n = int(m["n"]) * (1 if m["sign"] == "+" else -1)
        return Bound(days=n) if m["unit"] == "d" else Bound(years=n)
    return Bound(fixed=date.fromisoformat(text))
