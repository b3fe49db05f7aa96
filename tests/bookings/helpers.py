"""Builders for booking tests: a resource open on weekdays with materialised slots."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from tests.factories import DepartmentFactory, MunicipalityFactory
from yakusho.bookings.models import Resource, Slot
from yakusho.bookings.services import Contact
from yakusho.bookings.slots import generate_slots

WEEKDAYS = {str(d): [["09:00", "12:00"], ["13:00", "17:00"]] for d in range(5)}
EVERY_DAY = {str(d): [["09:00", "17:00"]] for d in range(7)}


def make_resource(municipality: Any = None, **fields: Any) -> Resource:
    municipality = municipality or MunicipalityFactory()
    department = fields.pop("department", None) or DepartmentFactory(municipality=municipality)
    values: dict[str, Any] = {
        "key": "room-a",
        "name": "会議室A",
        "kind": "room",
        "location": "中央公民館 2階",
        "capacity": 1,
        "slot_minutes": 60,
        "opening_hours": WEEKDAYS,
        "opens_days_ahead": 60,
        "closes_hours_before": 24,
        "payment_methods": ["cash", "qr"],
        "fee_yen": 500,
    }
    values.update(fields)
    return Resource.objects.create(municipality=municipality, department=department, **values)


def next_weekday(after: date, weekday: int = 2) -> date:
    """The first given weekday (Wednesday by default) at least 3 days after ``after``, not a holiday."""
    from yakusho.core.calendar import japanese_holidays

    day = after + timedelta(days=3)
    while (
        day.weekday() != weekday
        or day in japanese_holidays([day.year])
        or (day.month, day.day) >= (12, 29)
        or (day.month == 1 and day.day <= 3)
    ):
        day += timedelta(days=1)
    return day


def slot_at(resource: Resource, day: date, hour: int = 10) -> Slot:
    generate_slots(resource, day, day)
    return Slot.objects.get(
        resource=resource, starts_at=timezone.make_aware(datetime(day.year, day.month, day.day, hour))
    )


def contact(n: int = 1, **fields: Any) -> Contact:
    values = {
        "name": f"予約 太郎{n}",
        "kana": "ヨヤク タロウ",
        "email": f"resident{n}@example.jp",
        "phone": "090-1234-5678",
    }
    values.update(fields)
    return Contact(**values)
