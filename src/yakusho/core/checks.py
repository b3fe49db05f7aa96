"""System checks that keep the tenancy rule true as models are added."""

from __future__ import annotations

from typing import Any

from auditlog.registry import auditlog
from django.apps import apps
from django.core.checks import Error, register

from yakusho.core.audit import NOT_AUDITED
from yakusho.core.models.tenancy import Municipality, TenantOwned


@register()
def check_tenancy(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    for model in apps.get_models():
        if not model.__module__.startswith("yakusho."):
            continue
        label = model._meta.label
        fks = [
            f
            for f in model._meta.get_fields()
            if getattr(f, "many_to_one", False) and getattr(f, "related_model", None) is Municipality
        ]
        if fks and not issubclass(model, TenantOwned):
            errors.append(
                Error(
                    f"{label} refers to Municipality but does not inherit TenantOwned.",
                    hint="Tenant-owned records are scoped by TenantOwned.objects.for_municipality().",
                    obj=model,
                    id="yakusho.E001",
                )
            )
        if issubclass(model, TenantOwned) and label not in NOT_AUDITED and not auditlog.contains(model):
            errors.append(
                Error(
                    f"{label} is tenant-owned but not registered with the audit trail.",
                    hint="Register it in yakusho.core.audit or list it in NOT_AUDITED with a reason.",
                    obj=model,
                    id="yakusho.E002",
                )
            )
    return errors
