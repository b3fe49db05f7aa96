"""Plan records in the audit trail. Imports bulk-create rows (one entry records the import)."""

from auditlog.registry import auditlog


def register_models() -> None:
    from yakusho.plans.models import TENANT_MODELS

    for model in TENANT_MODELS:
        if not auditlog.contains(model):
            auditlog.register(model)
