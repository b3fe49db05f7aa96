"""Every bookings model is audited (core.checks fails one that is not).

A slot's ``booked`` counter is left out: it changes with every booking, and each booking is in
the audit trail itself.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.apps import apps

EXCLUDE = {"bookings.Slot": ["booked"]}


def register_models() -> None:
    """Register every model of the bookings app (the queue's models too) with the audit trail."""
    for model in apps.get_app_config("bookings").get_models():
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=EXCLUDE.get(model._meta.label, []))
