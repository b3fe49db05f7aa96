"""The fee catalogue and payments in the audit trail (core.checks fails a model that is neither
audited nor listed in ``core.audit.NOT_AUDITED``). Payment lines are audited with their payment's
history through their own entries: a payment's lines never change after it is taken."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.apps import apps

from yakusho.core.audit import NOT_AUDITED

EXCLUDE = {"payments.SelfCheckoutKiosk": ["token_hash", "last_seen_at"]}


def register_models() -> None:
    for model in apps.get_app_config("payments").get_models():
        if model._meta.label in NOT_AUDITED or auditlog.contains(model):
            continue
        # a kiosk's token is a credential (its hash alone is kept) and its last contact is noise
        exclude = EXCLUDE.get(model._meta.label, [])
        auditlog.register(model, exclude_fields=exclude)
