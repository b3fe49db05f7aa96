"""Waiting-time figures of the queue tickets in the metrics registry, and the demo queues."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.bookings.queue_helpers import make_service, served
from yakusho.bookings.demo.queues import load_demo_queues
from yakusho.bookings.queue.models import QueueService, QueueTicket
from yakusho.bookings.queue.services import p90_wait_minutes, season_period
from yakusho.core.models import Municipality
from yakusho.metrics.registry import Period, registry

pytestmark = pytest.mark.django_db


def test_season_period_is_february_to_march_of_the_fiscal_years_second_calendar_year() -> None:
    assert season_period(2025) == Period(date(2026, 2, 1), date(2026, 3, 31))
    assert season_period(2024, months=(2,)) == Period(date(2025, 2, 1), date(2025, 2, 28))
    assert season_period(2026, months=(11, 12)) == Period(date(2026, 11, 1), date(2026, 12, 31))


def test_p90_is_the_nearest_rank() -> None:
    assert p90_wait_minutes([60 * m for m in range(1, 11)]) == Decimal("9.0")
    assert p90_wait_minutes([600]) == Decimal("10.0")
    assert p90_wait_minutes([]) is None


def test_average_and_p90_wait_over_a_season_per_kind() -> None:
    tax = make_service(key="tax", kind="tax_consultation", prefix="S")
    town = tax.municipality
    counter = make_service(town, key="counter", kind="resident_counter")
    # in the season: waits of 10..100 minutes; outside it (January, April) and another kind: ignored
    served(tax, "2026-02-16", [60 * m for m in (10, 20, 30, 40, 50)])
    served(tax, "2026-03-02", [60 * m for m in (60, 70, 80, 90, 100)])
    served(tax, "2026-01-15", [60 * 500])
    served(tax, "2026-04-01", [60 * 500])
    served(counter, "2026-02-16", [60 * 3, 60 * 5])
    season = season_period(2025)
    avg = registry.measure("bookings.queue_wait_avg.tax_consultation", town, season)
    p90 = registry.measure("bookings.queue_wait_p90.tax_consultation", town, season)
    assert (avg.value, avg.unit, p90.value) == (Decimal("55.0"), "分", Decimal("90.0"))
    everything = registry.measure("bookings.queue_wait_avg", town, season).value
    assert everything == Decimal(str(round((550 + 8) / 12, 1)))
    fiscal_year = registry.measure("bookings.queue_wait_avg.tax_consultation", town, Period.fiscal_year(2025))
    assert fiscal_year.value == Decimal(str(round((550 + 500) / 11, 1)))
    assert registry.measure("bookings.queue_wait_p90.welfare", town, season).value is None


def test_figures_are_per_municipality() -> None:
    tax = make_service(key="tax", kind="tax_consultation")
    other = make_service(key="tax", kind="tax_consultation")
    served(other, "2026-02-16", [60 * 40])
    assert (
        registry.measure(
            "bookings.queue_wait_avg.tax_consultation", tax.municipality, season_period(2025)
        ).value
        is None
    )


def test_demo_queues_load_idempotently_with_figures_for_the_season(demo) -> None:
    first = load_demo_queues()
    counts = QueueTicket.objects.count(), QueueService.objects.count()
    assert counts[0] > 1000 and f"{counts[0]} demo tickets" in first
    assert "0 demo tickets" in load_demo_queues()
    assert (QueueTicket.objects.count(), QueueService.objects.count()) == counts
    names = set(QueueService.objects.values_list("municipality__slug", "name"))
    assert {
        ("oe", "申告相談"),
        ("murakami", "住民窓口（届出・証明書）"),
        ("katagami", "住民窓口（届出・証明書）"),
    } <= names
    oe = Municipality.objects.get(slug="oe")
    avg = registry.measure("bookings.queue_wait_avg.tax_consultation", oe, Period.fiscal_year(2025)).value
    p90 = registry.measure("bookings.queue_wait_p90.tax_consultation", oe, Period.fiscal_year(2025)).value
    assert avg is not None and p90 is not None and 30 < avg < p90 < 150
    murakami = Municipality.objects.get(slug="murakami")
    assert registry.measure(
        "bookings.queue_wait_avg.resident_counter", murakami, Period.fiscal_year(2026)
    ).value
