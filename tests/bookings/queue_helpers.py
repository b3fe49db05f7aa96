"""Builders for the queue ticket tests (整理券)."""

from __future__ import annotations

import itertools
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from yakusho.bookings.queue.models import QueueService, QueueTicket
from yakusho.core.models import Membership, Role

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
