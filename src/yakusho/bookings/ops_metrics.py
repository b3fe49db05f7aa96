"""The bookings app's gauges in the operator metrics (see :mod:`yakusho.core.opsmetrics`)."""

from __future__ import annotations

from django.utils import timezone

from yakusho.core.opsmetrics import last_hour, ops_gauges


def bookings_last_hour() -> float:
    """Bookings made (any status, waitlist included) in the last hour, every municipality."""
    from yakusho.bookings.models import Booking

    return Booking.objects.filter(created_at__gt=timezone.now() - last_hour()).count()


ops_gauges.register(
    "bookings_last_hour", "Bookings made in the last hour (all municipalities)", bookings_last_hour
)
