"""The FAQ's models in the audit trail (core.checks fails one that is neither audited nor listed in
``core.audit.NOT_AUDITED``).

Entries are audited with their links to procedures and resources. A question a resident left is
audited without the e-mail address: the address is erased once the answer is sent, and the audit
trail must not keep it. The query log (``faq.Query``) is not audited: it is itself a log, masked.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.apps import apps

from yakusho.core.audit import NOT_AUDITED

EXCLUDE = {"faq.Question": ["email"]}


def register_models() -> None:
    for model in apps.get_app_config("faq").get_models():
        label = model._meta.label
        if label in NOT_AUDITED or auditlog.contains(model):
            continue
        auditlog.register(
            model,
            m2m_fields=set(getattr(model, "AUDITED_M2M", ())),
            exclude_fields=EXCLUDE.get(label, []),
        )
