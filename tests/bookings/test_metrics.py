"""Figures published to the metrics registry."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.bookings.helpers import contact, make_resource, next_weekday, slot_at
from tests.factories import UserFactory
from yakusho.bookings import services
from yakusho.bookings import slots as slot_making
from yakusho.core.jcal import fiscal_year_of
from yakusho.metrics.registry import Period, registry

pytestmark = pytest.mark.django_db


def test_figures_per_municipality_and_kind() -> None:
    room = make_resource(capacity=4)
    klass = make_resource(
        room.municipality, key="sumaho", name="スマホ教室", kind="class", capacity=10, schedule="sessions"
    )
    day = next_weekday(timezone.localdate())
    slot = slot_at(room, day)
    online = services.book(slot.pk, contact(1))
    services.confirm(online)
    services.book(slot.pk, contact(2, email=""), channel="phone", staff=UserFactory())
    cancelled = services.book(slot.pk, contact(3))
    services.cancel(cancelled)
    start = timezone.make_aware(datetime(day.year, day.month, day.day, 10))
    session = slot_making.add_session(klass, start, start + timedelta(hours=2), title="第1回")
    for i in range(3):
        b = services.book(session.pk, contact(10 + i))
        services.confirm(b)
        services.mark(b, "attended" if i < 2 else "no_show")
    period = Period.fiscal_year(fiscal_year_of(day))
    town = room.municipality

    def measure(key: str):
        return registry.measure(key, town, period).value

    assert measure("bookings.bookings") == 5
    assert measure("bookings.bookings.room") == 2
    assert measure("bookings.bookings.class") == 3
    assert measure("bookings.online_share.room") == Decimal("50.0")
    assert measure("bookings.cancellations") == 1
    assert measure("bookings.no_shows") == 1
    assert measure("bookings.class_participants") == 2
    assert measure("bookings.class_sessions") == 1
    # room: 2 of 4 places held on the one slot generated for the day at 10:00 (and other slots of the day)
    assert measure("bookings.utilisation.class") == Decimal("30.0")
    other = Period.fiscal_year(fiscal_year_of(day) - 1)
    assert registry.measure("bookings.bookings", town, other).value == 0
    assert registry.measure("bookings.online_share", town, other).value is None
