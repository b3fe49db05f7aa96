"""A closure of the municipality's offices (core ``Closure``) cancels that day's bookings."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from yakusho.core.models import Closure


def closure_saved(sender: type[Closure], instance: Closure, created: bool, **kwargs: Any) -> None:
    from yakusho.bookings.models import Resource, Slot
    from yakusho.bookings.services import cancel_for_closure

    if kwargs.get("raw"):
        return
    resources = Resource.objects.for_municipality(instance.municipality)
    with transaction.atomic():
        cancel_for_closure(Slot.objects.filter(resource__in=resources), instance.date, instance.reason)
