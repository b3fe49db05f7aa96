"""Procedure records in the audit trail (the form definition JSON is kept whole in each version)."""

from typing import Any

from auditlog.registry import auditlog
from django.utils.translation import gettext as _

from yakusho.core import audit as core_audit


def register_models() -> None:
    from yakusho.procedures.models import TENANT_MODELS

    for model in TENANT_MODELS:
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=["updated_at"])
    # JSON fields in words (core.audit): forms by their titles and questions, answers by the form's labels
    core_audit.register_json_text("procedures.FormDefinition", "definition", _form_definition)
    core_audit.register_json_text("procedures.FormDraft", "definition", _form_definition)
    core_audit.register_json_text("procedures.Submission", "data", _submission_data)
    core_audit.register_json_text("procedures.SubmissionTally", "days_to_completion", _days_to_completion)


def _form_definition(value: Any, record: Any) -> str:
    """「表題：…」「ページ：…」「項目：…」: what a form version asks, not its JSON."""
    if not isinstance(value, dict):
        return core_audit.json_text(value)
    pages = [p for p in value.get("pages") or [] if isinstance(p, dict)]
    questions = [
        str(f.get("label") or f.get("key") or "")
        for p in pages
        for f in p.get("fields") or []
        if isinstance(f, dict)
    ]
    titles = [str(p.get("title") or p.get("key") or "") for p in pages]
    lines = [
        f"{_('表題')}：{value.get('title') or core_audit.EMPTY}",
        f"{_('ページ')}：{'、'.join(t for t in titles if t) or core_audit.EMPTY}",
        f"{_('項目')}：{'、'.join(q for q in questions if q) or core_audit.EMPTY}",
    ]
    return "\n".join(lines)


def _submission_data(value: Any, record: Any) -> str:
    """The answers as the submission page lists them (the labels of the form the resident used)."""
    if record is None or not isinstance(value, dict):
        return core_audit.json_text(value)
    from yakusho.procedures.catalogue.services import definition_of

    try:
        rows = definition_of(record.form).summary(value)
    except (AttributeError, KeyError, TypeError, ValueError):
        return core_audit.json_text(value)
    return "\n".join(f"{label}：{text}" for label, text in rows)


def _days_to_completion(value: Any, record: Any) -> str:
    """「3日：2件」 lines, fewest days first."""
    counts = value if isinstance(value, dict) else {}
    if not counts or not all(str(k).isdigit() and isinstance(n, int) for k, n in counts.items()):
        return core_audit.json_text(value)
    rows = sorted(counts.items(), key=lambda kv: int(kv[0]))
    return "\n".join(_("%(days)s日：%(n)s件") % {"days": days, "n": n} for days, n in rows)
