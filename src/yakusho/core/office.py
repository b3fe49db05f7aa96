"""Whether a municipality's offices are open now, from its hours and business-day calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Municipality


@dataclass(frozen=True)
class OfficeStatus:
    is_open: bool
    today_closed_reason: str | None
    closes_at: time | None  # when open now
    next_open_day: date | None  # when closed now
    opens_at: time


def office_status(
    municipality: Municipality, now: datetime | None = None, calendar: BusinessCalendar | None = None
) -> OfficeStatus:
    local = timezone.localtime(now or timezone.now())
    calendar = calendar or BusinessCalendar(municipality)
    today = local.date()
    reason = calendar.closed_reason(today)
    opens, closes = municipality.office_opens, municipality.office_closes
    if reason is None and opens <= local.time() < closes:
        return OfficeStatus(True, None, closes, None, opens)
    next_day = today if reason is None and local.time() < opens else calendar.add_business_days(today, 1)
    return OfficeStatus(False, reason, None, next_day, opens)


def upcoming_days(
    municipality: Municipality, days: int = 14, calendar: BusinessCalendar | None = None
) -> list[tuple[date, str | None]]:
    calendar = calendar or BusinessCalendar(municipality)
    today = timezone.localdate()
    return [
        (today + timedelta(days=i), calendar.closed_reason(today + timedelta(days=i))) for i in range(days)
    ]


def office_phase(slug: str, now: datetime | None = None) -> str:
    """What, besides its data, a page showing the office's state now depends on: the date and
    whether the time is before, within or after the opening hours (one small query). A cached page
    keyed on it changes at opening, at closing and at midnight (core.pagecache's ``vary``)."""
    hours = Municipality.objects.filter(slug=slug).values_list("office_opens", "office_closes").first()
    if hours is None:
        return ""
    local = timezone.localtime(now or timezone.now())
    opens, closes = hours
    phase = 0 if local.time() < opens else 1 if local.time() < closes else 2
    return f"{local.date().isoformat()}:{phase}"
