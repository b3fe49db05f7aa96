"""Demo resources (``data/demo/bookings.yaml``), loaded by ``yakusho demo`` through ``demo_loaded``.

Idempotent: resources are matched by (municipality, key) and updated; slots and sessions that
exist are kept. Every demo resource is marked ``is_demo`` and named 【デモ】.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yakusho.bookings.models import Resource, Schedule
from yakusho.bookings.slots import add_session, generate_slots
from yakusho.core.jcal import fiscal_year_of
from yakusho.core.models import Department, Municipality
from yakusho.payments.models import FeeItem

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def demo_file() -> Path:
    return Path(settings.DATA_DIR) / "demo" / "bookings.yaml"


def parse_hours(spec: dict[str, list[str]]) -> dict[str, list[list[str]]]:
    """``{"mon-fri": ["09:00-12:00"]}`` → ``{"0": [["09:00", "12:00"]], …}``."""
    hours: dict[str, list[list[str]]] = {}
    for days, ranges in spec.items():
        first, _dash, last = days.partition("-")
        span = range(DAYS.index(first), DAYS.index(last or first) + 1)
        for d in span:
            hours[str(d)] = [r.split("-") for r in ranges]
    return hours


def session_days(spec: dict[str, Any], fiscal_year: int) -> list[date]:
    """The ``week``-th ``weekday`` of each of ``months`` in a fiscal year (April–March)."""
    weekday = DAYS.index(spec["weekday"])
    out = []
    for month in spec["months"]:
        year = fiscal_year if month >= 4 else fiscal_year + 1
        first = date(year, month, 1)
        offset = (weekday - first.weekday()) % 7
        out.append(first + timedelta(days=offset + 7 * (int(spec["week"]) - 1)))
    return out


def load_demo_bookings(sender: Any = None, **kwargs: Any) -> str:
    data = yaml.safe_load(demo_file().read_text(encoding="utf-8"))
    today = timezone.localdate()
    created = slots = 0
    with transaction.atomic():
        for item in data["resources"]:
            town = Municipality.objects.get(slug=item["municipality"])
            department = Department.objects.for_municipality(town).get(name=item["department"])
            fields = {
                "department": department,
                "name": item["name"],
                "kind": item["kind"],
                "location": item.get("location", ""),
                "description": item.get("description", ""),
                "capacity": item.get("capacity", 1),
                "schedule": Schedule.SESSIONS if "sessions" in item else Schedule.SLOTS,
                "slot_minutes": item.get("slot_minutes", 60),
                "opening_hours": parse_hours(item.get("hours", {})),
                "closed_on_holidays": item.get("closed_on_holidays", True),
                "opens_days_ahead": item.get("opens_days_ahead", 60),
                "closes_hours_before": item.get("closes_hours_before", 24),
                "limit_active": item.get("limit_active", 2),
                "limit_per_day": item.get("limit_per_day", 1),
                "fee_item": (
                    FeeItem.objects.for_municipality(town).filter(key=item["fee_item"]).first()
                    if item.get("fee_item")
                    else None
                ),
                "fee_yen": item.get("fee_yen", 0),
                "fee_unit": item.get("fee_unit", "booking"),
                "what_to_bring": item.get("what_to_bring", ""),
                "payment_methods": item.get("payment_methods", []),
                "audience": item.get("audience", "anyone"),
                "is_demo": True,
                "order": data["resources"].index(item),
            }
            resource, was_created = Resource.objects.update_or_create(
                municipality=town, key=item["key"], defaults=fields
            )
            created += was_created
            if "sessions" in item:
                before = resource.slots.count()
                start, _dash, end = item["sessions"]["time"].partition("-")
                for fy in (fiscal_year_of(today), fiscal_year_of(today) + 1):
                    for day in session_days(item["sessions"], fy):
                        begins = timezone.make_aware(
                            datetime.combine(day, datetime.strptime(start, "%H:%M").time())
                        )
                        ends = timezone.make_aware(
                            datetime.combine(day, datetime.strptime(end, "%H:%M").time())
                        )
                        add_session(resource, begins, ends, title=f"{day.month}月の回")
                slots += resource.slots.count() - before
            else:
                slots += generate_slots(resource, today, today + timedelta(days=resource.opens_days_ahead))
    return (
        f"Bookings: {len(data['resources'])} demo resources ({created} new), {slots} new slots or sessions."
    )
