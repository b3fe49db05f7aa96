"""Builders for the queue ticket tests (整理券)."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from yakusho.bookings.queue.models import QueueService, QueueTicket
from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Membership, Municipality, Role

TOKYO = ZoneInfo("Asia/Tokyo")
_codes = itertools.count(1)
ROLES = (Role.ADMIN, Role.SECRETARIAT, Role.DEPARTMENT, Role.COUNTER, Role.HQ)


def at(day: str, clock: str = "10:00") -> datetime:
    """An aware datetime in Tokyo: ``at("2026-02-16", "09:30")``."""
    hours, minutes = clock.split(":")
    return datetime.fromisoformat(day).replace(hour=int(hours), minute=int(minutes), tzinfo=TOKYO)


def make_service(municipality: Any = None, **fields: Any) -> QueueService:
    municipality = municipality or MunicipalityFactory()
    values: dict[str, Any] = {
        "key": "counter",
        "name": "住民窓口",
        "kind": "resident_counter",
        "prefix": "A",
        "windows": ["窓口1", "窓口2"],
        "opens_at": time(0, 0),
        "closes_at": time(23, 59),
    }
    if "department" not in fields:
        values["department"] = DepartmentFactory(municipality=municipality)
    values.update(fields)
    return QueueService.objects.create(municipality=municipality, **values)


def members(service: QueueService) -> dict[str, Membership]:
    """One member per role; the department member belongs to the service's 課."""
    out: dict[str, Membership] = {}
    for role in ROLES:
        membership: Membership = MembershipFactory(municipality=service.municipality, role=role)
        if role == Role.DEPARTMENT and service.department:
            membership.departments.set([service.department])
        out[str(role)] = membership
    return out


def served(
    service: QueueService, day: str, waits: list[int], services: list[int] | None = None
) -> list[QueueTicket]:
    """Finished tickets of ``day`` with the given measured waits and service times (seconds)."""
    issued = at(day, "09:00")
    tickets = []
    for i, wait in enumerate(waits, start=1):
        tickets.append(
            QueueTicket.objects.create(
                municipality=service.municipality,
                service=service,
                day=issued.date(),
                number=i,
                code=f"T{next(_codes):07d}",
                channel="kiosk",
                status="served",
                issued_at=issued,
                called_at=issued,
                finished_at=issued,
                wait_seconds=wait,
                service_seconds=(services or [600] * len(waits))[i - 1],
            )
        )
    return tickets


def on_a_business_day(monkeypatch: pytest.MonkeyPatch, municipality: Municipality) -> None:
    """Let the kiosk issue today whatever day the tests run: the kiosk issues only on the
    municipality's business days, so on a Sunday, a public holiday or 年末年始 Django's clock
    (``timezone.now``, which ``localdate`` reads too) is moved forward by whole days to the next
    business day, at the same time of day, and keeps ticking. On a business day nothing changes.
    Every part of the process sees the same clock, the live server's thread included."""
    real_now = timezone.now
    today = timezone.localdate()
    shift = BusinessCalendar(municipality).next_business_day(today) - today
    if shift:
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(days=shift.days))
