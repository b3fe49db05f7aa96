"""The demo queues of ``data/demo/queues.yaml`` (``demo_loaded`` receiver), idempotent."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from yakusho.bookings.queue.models import (
    QueueDayCounter,
    QueueService,
    QueueTicket,
    TicketChannel,
    TicketStatus,
)
from yakusho.core import shortcodes
from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Department, Municipality


def demo_file() -> Path:
    return Path(settings.DATA_DIR) / "demo" / "queues.yaml"


def load_demo_queues(sender: Any = None, **kwargs: Any) -> str:
    try:
        services, tickets = load_file(demo_file())
    except (KeyError, ValueError, Municipality.DoesNotExist, Department.DoesNotExist) as exc:
        raise CommandError(f"{demo_file()}: {exc!r}") from None
    return f"Queues: {services} services, {tickets} demo tickets of past days."


def _time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


@transaction.atomic
def load_file(path: Path) -> tuple[int, int]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    created_tickets = 0
    rows = data["queues"]
    for row in rows:
        municipality = Municipality.objects.get(slug=row["municipality"])
        department = (
            Department.objects.for_municipality(municipality).get(name=row["department"])
            if row.get("department")
            else None
        )
        service, _created = QueueService.objects.update_or_create(
            municipality=municipality,
            key=row["key"],
            defaults={
                "name": row["name"],
                "kind": row["kind"],
                "department": department,
                "location": row.get("location", ""),
                "prefix": row.get("prefix", ""),
                "windows": list(row["windows"]),
                "opens_at": _time(row["opens_at"]),
                "closes_at": _time(row["closes_at"]),
                "default_service_minutes": row.get("default_service_minutes", 10),
            },
        )
        if row.get("history"):
            created_tickets += _history(service, row["history"])
    return len(rows), created_tickets


def _history(service: QueueService, spec: dict[str, Any]) -> int:
    """Served tickets of past business days, drawn with a fixed seed (same figures every load)."""
    start, end = spec["from"], spec["to"]
    assert isinstance(start, date) and isinstance(end, date)
    done = set(
        QueueDayCounter.objects.filter(service=service, day__gte=start, day__lte=end).values_list(
            "day", flat=True
        )
    )
    calendar = BusinessCalendar(service.municipality, range(start.year, end.year + 1))
    used = set(QueueTicket.objects.for_municipality(service.municipality).values_list("code", flat=True))
    rng = random.Random(f"{service.municipality.slug}/{service.key}")  # noqa: S311  (demo figures, not secrets)
    windows = service.window_labels
    tz = timezone.get_current_timezone()
    tickets: list[QueueTicket] = []
    counters: list[QueueDayCounter] = []
    day = start
    while day <= end:
        # draw for every day, so the figures do not depend on which days were loaded before
        draws = [
            (
                rng.random(),
                rng.gammavariate(4, spec["wait_minutes"] / 4),
                rng.gammavariate(6, spec["service_minutes"] / 6),
            )
            for _ in range(spec["per_day"])
        ]
        if calendar.is_business_day(day) and day not in done:
            opens = datetime.combine(day, service.opens_at, tz)
            span = (datetime.combine(day, service.closes_at, tz) - opens).total_seconds() * 0.8
            issued_times = sorted(opens + timedelta(seconds=r * span) for r, _w, _s in draws)
            for number, (issued, (_r, wait, serve)) in enumerate(
                zip(issued_times, draws, strict=True), start=1
            ):
                called = issued + timedelta(minutes=wait)
                finished = called + timedelta(minutes=serve)
                code = shortcodes.fresh(used)
                tickets.append(
                    QueueTicket(
                        municipality_id=service.municipality_id,
                        service=service,
                        day=day,
                        number=number,
                        code=code,
                        status=TicketStatus.SERVED,
                        channel=TicketChannel.KIOSK,
                        window=windows[number % len(windows)],
                        issued_at=issued,
                        called_at=called,
                        last_called_at=called,
                        call_count=1,
                        served_at=called,
                        finished_at=finished,
                        wait_seconds=round(wait * 60),
                        service_seconds=round(serve * 60),
                    )
                )
            counters.append(QueueDayCounter(service=service, day=day, last_number=spec["per_day"]))
        day += timedelta(days=1)
    QueueDayCounter.objects.bulk_create(counters)
    QueueTicket.objects.bulk_create(tickets, batch_size=500)
    return len(tickets)
