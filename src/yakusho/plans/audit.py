"""Plan records in the audit trail. Imports bulk-create rows (one entry records the import)."""

from functools import partial
from typing import Any

from auditlog.registry import auditlog
from django.utils.translation import gettext_lazy as _

from yakusho.core import audit as core_audit


def register_models() -> None:
    from yakusho.plans.models import TENANT_MODELS

    for model in TENANT_MODELS:
        if not auditlog.contains(model):
            auditlog.register(model)
    # JSON fields in words (core.audit): the keys of the plan file's records as the plan names them
    edition_keys = {"number": _("版"), "date": _("日付"), "note": _("備考")}
    core_audit.register_json_text(
        "plans.PlanEdition", "history", partial(core_audit.json_text, keys=edition_keys)
    )
    section_keys = {"title": _("見出し"), "body": _("本文")}
    core_audit.register_json_text(
        "plans.PlanEdition", "sections", partial(core_audit.json_text, keys=section_keys)
    )
    core_audit.register_json_text("plans.ReviewAmendment", "changes", _amendment_changes)


def _amendment_changes(value: Any, record: Any) -> str:
    """「進捗状況：実施中 → 完了」, one line per corrected field (the amendment stores labels already)."""
    if not isinstance(value, dict):
        return core_audit.json_text(value)
    lines = []
    for label, pair in value.items():
        before, after = [*pair, None, None][:2] if isinstance(pair, list | tuple) else (None, pair)
        lines.append(f"{label}：{before or core_audit.EMPTY} → {after or core_audit.EMPTY}")
    return "\n".join(lines)
