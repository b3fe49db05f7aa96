"""Procedure records in the audit trail (the form definition JSON is kept whole in each version)."""

from auditlog.registry import auditlog


def register_models() -> None:
    from yakusho.procedures.models import TENANT_MODELS

    for model in TENANT_MODELS:
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=["search_text", "updated_at"])
