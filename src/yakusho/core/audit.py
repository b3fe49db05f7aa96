"""Audit trail through django-auditlog: change history of tenant-owned records and read logs.

Why django-auditlog and not django-simple-history: see docs/architecture.md. In short, it logs
reads as well as writes (``LogAccessMixin``), keeps one table for every model, and its entries
can be erased per object, which retention rules need.
"""

from __future__ import annotations

from typing import Any

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

#: Tenant-owned models that are not audited, and why.
NOT_AUDITED = {
    "core.OutboundEmail": "the outbox row is itself the record of what was sent; bodies hold personal data",
}


def register_models() -> None:
    from yakusho.core.models import (
        Closure,
        Consortium,
        ConsortiumMembership,
        Department,
        Invitation,
        Membership,
        Municipality,
        PolicyPage,
        User,
    )

    for model, kwargs in (
        (Municipality, {}),
        (Department, {}),
        (Closure, {}),
        (PolicyPage, {}),
        (Consortium, {"m2m_fields": {"members"}}),
        (ConsortiumMembership, {}),
        (Membership, {"m2m_fields": {"departments"}}),
        (Invitation, {"exclude_fields": ["token"], "m2m_fields": {"departments"}}),
        (User, {"exclude_fields": ["password", "last_login"]}),
    ):
        if not auditlog.contains(model):
            auditlog.register(model, **kwargs)


def for_municipality(municipality: Any) -> models.QuerySet[LogEntry]:
    """Entries about one municipality's records (tagged by ``TenantOwned.get_additional_data``)."""
    return LogEntry.objects.filter(additional_data__municipality=municipality.pk)


def history(instance: models.Model) -> models.QuerySet[LogEntry]:
    """Log entries of one record, newest first, with their actors."""
    return LogEntry.objects.get_for_object(instance).select_related("actor").order_by("-timestamp")


def _tenant_tag(instance: models.Model) -> dict[str, Any] | None:
    get = getattr(instance, "get_additional_data", None)
    return get() if callable(get) else None


def erase_with_history(instance: models.Model, reason: str, actor: Any = None) -> LogEntry:
    """Delete a record holding personal data together with its history.

    The values disappear from the audit trail; one entry stays to record that the record existed
    and was erased, when, by whom and under which rule.
    """
    content_type = ContentType.objects.get_for_model(instance)
    pk = instance.pk
    label = f"{instance._meta.verbose_name} #{pk}"
    with transaction.atomic():
        LogEntry.objects.filter(content_type=content_type, object_pk=str(pk)).delete()
        with disable_auditlog():
            instance.delete()
        return LogEntry.objects.create(
            content_type=content_type,
            object_pk=str(pk),
            object_id=pk if isinstance(pk, int) else None,
            object_repr=label,
            action=LogEntry.Action.DELETE,
            changes={"erased": ["", reason]},
            actor=actor,
            additional_data=_tenant_tag(instance),
        )
