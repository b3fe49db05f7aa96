"""The form designer's drafts in the database: one ``FormDraft`` per procedure, a copy of the live
version (or a small valid skeleton for a procedure without a form), its ``stamp``, and
:func:`apply`, which runs an edit operation (``operations``) and saves the draft only when the
form engine accepts the result.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from yakusho.procedures.designer.operations import DesignerError, Operation, check
from yakusho.procedures.formengine.engine import FormDefinition as EngineForm
from yakusho.procedures.models import FormDefinition, Procedure
from yakusho.procedures.models.designer import FormDraft


def live_form(procedure: Procedure) -> FormDefinition | None:
    return FormDefinition.objects.filter(procedure=procedure).order_by("-version").first()


def get_draft(procedure: Procedure) -> FormDraft | None:
    return FormDraft.objects.filter(procedure=procedure).first()


def versions(procedure: Procedure) -> list[FormDefinition]:
    """Every version, newest first, with ``submission_count``."""
    return list(
        FormDefinition.objects.filter(procedure=procedure)
        .select_related("created_by")
        .annotate(submission_count=Count("submissions"))
        .order_by("-version")
    )


def skeleton(procedure: Procedure) -> dict[str, Any]:
    """The smallest useful form: one page asking for the applicant's name."""
    description = {"description": procedure.summary} if procedure.summary else {}
    return {
        "key": procedure.key,
        "version": 1,
        "title": procedure.name,
        **description,
        "privacy_notice": _(
            "## 個人情報の取扱いについて\n\n%(municipality)sは、この申請でお預かりした個人情報を"
            "「%(procedure)s」の事務にのみ使い、法令に定める場合を除いて第三者に提供しません。"
        )
        % {"municipality": procedure.municipality.name, "procedure": procedure.name},
        "pages": [
            {
                "key": "page_1",
                "title": _("申請者"),
                "fields": [
                    {"key": "applicant", "type": "name", "label": _("申請者の氏名"), "required": True}
                ],
            }
        ],
    }


@transaction.atomic
def start_draft(procedure: Procedure, user: Any = None) -> FormDraft:
    """The procedure's draft; a new one is a copy of the live version (or a skeleton)."""
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    existing = get_draft(procedure)
    if existing is not None:
        return existing
    live = live_form(procedure)
    if live is not None:
        data = copy.deepcopy(live.definition)
        data.pop("$schema", None)
        data["version"] = live.version + 1
    else:
        data = skeleton(procedure)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,59}", procedure.key):
        raise DesignerError(
            [
                _(
                    "手続のキー「%(key)s」はフォームのキーに使えません（半角英小文字・数字・ハイフン、60文字まで）。"
                )
                % {"key": procedure.key}
            ]
        )
    check(data)
    return FormDraft.objects.create(
        municipality_id=procedure.municipality_id,
        procedure=procedure,
        definition=data,
        based_on_version=live.version if live is not None else None,
        updated_by=user if getattr(user, "is_authenticated", False) else None,
    )


def discard_draft(draft: FormDraft) -> None:
    draft.delete()


def stamp(draft: FormDraft) -> str:
    """Changes whenever the draft is saved: forms carry it so a stale page cannot act on moved items."""
    return draft.updated_at.isoformat() if draft.updated_at else ""


@transaction.atomic
def apply(draft: FormDraft, operation: Operation, user: Any = None) -> EngineForm:
    """Run ``operation`` on a copy of the draft; save it only if the engine accepts the result."""
    data = copy.deepcopy(draft.definition)
    operation(data)
    form = check(data)
    draft.definition = data
    draft.updated_by = user if getattr(user, "is_authenticated", False) else None
    draft.save()
    return form
