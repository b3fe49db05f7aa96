"""Every bookings model is audited (core.checks fails one that is not).

A slot's ``booked`` counter is left out: it changes with every booking, and each booking is in
the audit trail itself.
"""

from __future__ import annotations

from typing import Any

from auditlog.registry import auditlog
from django.apps import apps

from yakusho.core import audit as core_audit

EXCLUDE = {"bookings.Slot": ["booked"]}


def register_models() -> None:
    """Register every model of the bookings app (the queue's models too) with the audit trail."""
    for model in apps.get_app_config("bookings").get_models():
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=EXCLUDE.get(model._meta.label, []))
    core_audit.register_json_text("bookings.Resource", "opening_hours", _opening_hours)
    core_audit.register_json_text("bookings.Resource", "payment_methods", _payment_methods)


def _opening_hours(value: Any, record: Any) -> str:
    """「月：09:00〜12:00、13:00〜21:00」, one line per weekday, as the resource page shows them."""
    from yakusho.bookings.models import Resource

    try:
        rows = Resource(opening_hours=value).hours_text()
    except (AttributeError, TypeError, ValueError):
        return core_audit.json_text(value)
    return "\n".join(f"{day}：{text}" for day, text in rows)


def _payment_methods(value: Any, record: Any) -> str:
    from yakusho.bookings.models import PaymentMethod

    return core_audit.json_text(value, values=dict(PaymentMethod.choices))
