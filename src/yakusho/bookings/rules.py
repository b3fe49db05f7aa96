"""When a resource can be booked: closed days, opening hours, the booking window, and availability.

Closed days come from :class:`core.calendar.BusinessCalendar` (public holidays from the
``holidays`` library, 年末年始, the municipality's closures) without its weekend rule — a
facility's own opening hours say which weekdays it opens — plus the resource's own closures.
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from yakusho.bookings.models import Resource, ResourceClosure, Schedule, Slot
from yakusho.core.calendar import BusinessCalendar, japanese_holidays
from yakusho.core.jcal import format_date

WEEKDAY_NAMES = (
    N_("月曜日"),
    N_("火曜日"),
    N_("水曜日"),
    N_("木曜日"),
    N_("金曜日"),
    N_("土曜日"),
    N_("日曜日"),
)


def local_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


class Rules:
    """The booking rules of one resource; closures are loaded once per instance."""

    def __init__(self, resource: Resource, calendar: BusinessCalendar | None = None) -> None:
        self.resource = resource
        self.calendar = calendar or BusinessCalendar(resource.municipality)

    @cached_property
    def _own_closures(self) -> dict[date, str]:
        return dict(ResourceClosure.objects.filter(resource=self.resource).values_list("date", "reason"))

    def closed_reason(self, day: date) -> str | None:
        """Why the resource is closed on ``day`` (休館), or None."""
        if day in self._own_closures:
            return self._own_closures[day]
        reason = self.calendar.closed_reason(day, weekends=False)
        if reason and not self.resource.closed_on_holidays and day in japanese_holidays([day.year]):
            reason = None
        if reason:
            return reason
        if self.resource.schedule == Schedule.SLOTS and not self.resource.hours_for(day.weekday()):
            return _("%(weekday)sは休み") % {"weekday": _(WEEKDAY_NAMES[day.weekday()])}
        return None

    def within_hours(self, starts_at: datetime, ends_at: datetime) -> bool:
        if self.resource.schedule == Schedule.SESSIONS:
            return True
        start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
        return any(a <= start.time() and end.time() <= b for a, b in self.resource.hours_for(start.weekday()))

    def first_bookable(self, now: datetime) -> datetime:
        """Slots starting before this have closed for booking."""
        return now + timedelta(hours=self.resource.closes_hours_before)

    def last_bookable_day(self, now: datetime) -> date:
        return local_day(now) + timedelta(days=self.resource.opens_days_ahead)

    def refusal(self, slot: Slot, now: datetime, *, staff: bool = False) -> str | None:
        """A Japanese message why ``slot`` cannot be booked now, or None. Staff may book inside
        the closing hours and beyond the window (by phone), never in the past or on a closed day."""
        day = local_day(slot.starts_at)
        if slot.starts_at <= now:
            return _("過去の日時（%(day)s %(time)s）は予約できません。") % {
                "day": format_date(day),
                "time": f"{timezone.localtime(slot.starts_at):%H:%M}",
            }
        reason = self.closed_reason(day)
        if reason:
            return _("%(day)sは休館日（%(reason)s）のため予約できません。") % {
                "day": format_date(day),
                "reason": reason,
            }
        if slot.is_blocked:
            return _("この枠は受付を停止しています（%(reason)s）。") % {
                "reason": slot.block_reason or _("理由の記載なし")
            }
        if not self.within_hours(slot.starts_at, slot.ends_at):
            return _("受付時間外のため予約できません。")
        if staff:
            return None
        if slot.starts_at < self.first_bookable(now):
            return _("この枠の予約は開始の%(hours)s時間前で締め切りました。") % {
                "hours": self.resource.closes_hours_before
            }
        if day > self.last_bookable_day(now):
            opens = day - timedelta(days=self.resource.opens_days_ahead)
            return _("%(day)sの予約は%(opens)sから受け付けます（%(n)s日前から）。") % {
                "day": format_date(day),
                "opens": format_date(opens),
                "n": self.resource.opens_days_ahead,
            }
        return None


# --- availability --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayInfo:
    day: date
    state: str  # past, closed, not_yet, none, full, few, open
    label: str
    symbol: str
    places_left: int = 0
    reason: str = ""
    holiday: str = ""  # a public holiday's name, also when the resource opens on it
    today: bool = False

    @property
    def bookable(self) -> bool:
        return self.state in {"few", "open", "full"}

    @property
    def column(self) -> int:
        """The day's column in a month grid that starts on Sunday, as Japanese calendars do (1–7)."""
        return (self.day.weekday() + 1) % 7 + 1


@dataclass(frozen=True)
class SlotInfo:
    slot: Slot
    state: str  # open, few, full, blocked, closed (for booking), past
    label: str
    symbol: str

    @property
    def can_book(self) -> bool:
        return self.state in {"open", "few"}


def _places_label(capacity: int, left: int) -> tuple[str, str, str]:
    if left <= 0:
        return "full", _("満員"), "×"
    if capacity == 1:
        return "open", _("空いています"), "○"
    if left <= max(1, capacity // 5):
        return "few", _("残り%(n)s人") % {"n": left}, "△"
    return "open", _("残り%(n)s人") % {"n": left}, "○"


def slot_info(rules: Rules, slot: Slot, now: datetime) -> SlotInfo:
    if slot.starts_at <= now:
        return SlotInfo(slot, "past", _("終了"), "－")
    if slot.is_blocked:
        return SlotInfo(slot, "blocked", _("受付停止"), "－")
    if slot.starts_at < rules.first_bookable(now):
        return SlotInfo(slot, "closed", _("受付終了"), "－")
    if local_day(slot.starts_at) > rules.last_bookable_day(now):
        return SlotInfo(slot, "closed", _("受付前"), "－")
    state, label, symbol = _places_label(slot.capacity, slot.capacity - slot.booked)
    return SlotInfo(slot, state, label, symbol)


def day_slots(rules: Rules, day: date, now: datetime) -> list[SlotInfo]:
    slots = Slot.objects.filter(
        resource=rules.resource,
        starts_at__gte=local_start(day),
        starts_at__lt=local_start(day + timedelta(days=1)),
    ).order_by("starts_at")
    return [slot_info(rules, s, now) for s in slots]


def month_days(rules: Rules, year: int, month: int, now: datetime) -> list[DayInfo]:
    """Every day of the month with its state in words (one query for the month's slots)."""
    first = date(year, month, 1)
    after = date(year + (month == 12), month % 12 + 1, 1)
    per_day: dict[date, list[tuple[int, int]]] = {}
    cutoff = rules.first_bookable(now)
    rows = Slot.objects.filter(
        resource=rules.resource, starts_at__gte=local_start(first), starts_at__lt=local_start(after)
    ).values_list("starts_at", "capacity", "booked", "is_blocked")
    for starts_at, capacity, booked, blocked in rows:
        per_day.setdefault(local_day(starts_at), [])
        if not blocked and starts_at >= cutoff:
            per_day[local_day(starts_at)].append((capacity, booked))
    today, last = local_day(now), rules.last_bookable_day(now)
    holidays = japanese_holidays([year])
    days = []
    for n in range(1, pycalendar.monthrange(year, month)[1] + 1):
        day = date(year, month, n)
        days.append(
            replace(_day_info(rules, day, today, last, per_day), holiday=str(holidays.get(day) or ""))
        )
    return days


def _day_info(
    rules: Rules, day: date, today: date, last: date, per_day: dict[date, list[tuple[int, int]]]
) -> DayInfo:
    reason = rules.closed_reason(day)
    if day < today:
        return DayInfo(day, "past", _("終了"), "－")
    is_today = day == today
    if reason:
        return DayInfo(day, "closed", _("休み"), "休", reason=reason, today=is_today)
    if day > last:
        return DayInfo(day, "not_yet", _("受付前"), "－")
    open_slots = per_day.get(day)
    if open_slots is None:
        return DayInfo(day, "none", _("枠なし"), "－", today=is_today)
    left = sum(max(c - b, 0) for c, b in open_slots)
    if not open_slots:
        return DayInfo(day, "none", _("受付終了"), "－", today=is_today)
    if left == 0:
        return DayInfo(day, "full", _("満員"), "×", today=is_today)
    if left <= max(1, sum(c for c, _b in open_slots) // 5):
        return DayInfo(day, "few", _("残りわずか（%(n)s）") % {"n": left}, "△", left, today=is_today)
    return DayInfo(day, "open", _("空きあり（%(n)s）") % {"n": left}, "○", left, today=is_today)
