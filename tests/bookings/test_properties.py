"""Stateful property test: random sequences of book, wait, cancel, expire (promote), confirm, block
and close keep the invariants — never more places held than a slot has (and ``booked`` equals the
held bookings), a waiting person is offered a place at most once, nothing is held on a closed day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from tests.bookings.helpers import EVERY_DAY, contact, make_resource
from tests.factories import MunicipalityFactory
from yakusho.bookings import services
from yakusho.bookings import slots as slot_making
from yakusho.bookings.models import HOLDING, Booking, BookingStatus, Resource, Slot
from yakusho.bookings.rules import Rules

pytestmark = pytest.mark.django_db

_keys = count()


class BookingMachine(RuleBasedStateMachine):
    resource: Resource
    slots: list[Slot]

    @initialize()
    def setup(self) -> None:
        n = next(_keys)
        town = MunicipalityFactory()
        self.resource = make_resource(
            town,
            key=f"prop-{n}",
            capacity=2,
            opening_hours=EVERY_DAY,
            closes_hours_before=0,
            closed_on_holidays=False,
            limit_active=0,
            limit_per_day=0,
            offer_hours=4,
            slot_minutes=240,
        )
        self.now = timezone.now()
        self.day = timezone.localdate() + timedelta(days=12)
        slot_making.generate_slots(self.resource, self.day, self.day + timedelta(days=1))
        self.slots = list(Slot.objects.filter(resource=self.resource).order_by("starts_at"))
        assert self.slots, "slots were generated"
        self.people = count(1)
        self.offers: dict[int, set[datetime]] = {}
        self.closed: set[date] = set()

    def _slot(self, i: int) -> Slot:
        return self.slots[i % len(self.slots)]

    @rule(i=st.integers(0, 7), waitlist=st.booleans())
    def book(self, i: int, waitlist: bool) -> None:
        slot = self._slot(i)
        closed = timezone.localtime(slot.starts_at).date() in self.closed
        try:
            services.book(slot.pk, contact(next(self.people)), waitlist_if_full=waitlist, now=self.now)
        except services.BookingError:
            return
        assert not closed, "booked on a closed day"

    @rule(i=st.integers(0, 50))
    def cancel(self, i: int) -> None:
        active = list(
            Booking.objects.filter(
                resource=self.resource, status__in=[*HOLDING, BookingStatus.WAITING]
            ).order_by("pk")
        )
        if active:
            services.cancel(active[i % len(active)], now=self.now)

    @rule(i=st.integers(0, 50))
    def confirm(self, i: int) -> None:
        held = list(
            Booking.objects.filter(
                resource=self.resource, status__in=[BookingStatus.PENDING, BookingStatus.OFFERED]
            ).order_by("pk")
        )
        if held:
            services.confirm(held[i % len(held)], now=self.now)

    @rule(hours=st.integers(1, 30))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)
        services.expire_holds(self.now)

    @rule(i=st.integers(0, 7), blocked=st.booleans())
    def block(self, i: int, blocked: bool) -> None:
        services.set_blocked(self._slot(i), blocked, "点検")

    @rule(second=st.booleans())
    def close(self, second: bool) -> None:
        day = self.day + timedelta(days=int(second))
        services.close_day(self.resource, day, "臨時休館", now=self.now)
        self.closed.add(day)
        assert Rules(self.resource).closed_reason(day)

    @invariant()
    def places(self) -> None:
        if not hasattr(self, "resource"):
            return
        for slot in Slot.objects.filter(resource=self.resource):
            held = Booking.objects.filter(slot=slot, status__in=HOLDING).count()
            assert slot.booked == held <= slot.capacity

    @invariant()
    def offered_at_most_once(self) -> None:
        if not hasattr(self, "resource"):
            return
        offered = Booking.objects.filter(resource=self.resource, offered_at__isnull=False)
        for pk, offered_at in offered.values_list("pk", "offered_at"):
            assert offered_at is not None
            self.offers.setdefault(pk, set()).add(offered_at)
            assert len(self.offers[pk]) == 1, "a waiting person was offered a place twice"

    @invariant()
    def nothing_held_on_a_closed_day(self) -> None:
        if not hasattr(self, "resource"):
            return
        for day in self.closed:
            start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
            assert not Booking.objects.filter(
                slot__resource=self.resource,
                status__in=[*HOLDING, BookingStatus.WAITING],
                slot__starts_at__gte=start,
                slot__starts_at__lt=start + timedelta(days=1),
            ).exists()


def test_booking_invariants() -> None:
    run_state_machine_as_test(
        BookingMachine, settings=settings(max_examples=20, stateful_step_count=15, deadline=None)
    )
