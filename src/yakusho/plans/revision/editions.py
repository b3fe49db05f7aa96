"""Where an edition stands in its plan (a draft, the current edition or a past one) and the order
of editions; the error a refused revision raises; the texts of a node. Shared by ``editing`` (the
drafts) and ``diff`` (differences and history).

An edition staff are writing is a *draft* (``PlanEdition.draft``; imports never make a draft
current). Only a draft may be edited; the current edition and older ones are the record of what
was adopted.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.plans.models import Plan, PlanEdition

NODE_TEXTS: dict[str, Any] = {
    "description": gettext_lazy("説明"),
    "current_state": gettext_lazy("現状と課題"),
    "actions": gettext_lazy("主な取組"),
    "effects": gettext_lazy("期待される効果"),
    "department_note": gettext_lazy("担当（課名以外）"),
}


class RevisionError(Exception):
    """A refused revision, with a Japanese message and the form field it is about (if any)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- drafts, current and older editions ------------------------------------------------------


def is_draft(edition: PlanEdition) -> bool:
    return edition.draft


def adopted(editions: QuerySet[PlanEdition]) -> QuerySet[PlanEdition]:
    """Editions that were imported or adopted (what residents may see): no drafts."""
    return editions.filter(draft=False)


def order_key(edition: PlanEdition) -> tuple[Any, ...]:
    """The order of editions (the one ``planfile.importer._set_current`` uses to pick the newest)."""
    parts = tuple(int(p) if p.isdigit() else 0 for p in edition.number.split("."))
    return (edition.date or edition.adopted_on or datetime.date.min, parts)


def edition_state(edition: PlanEdition, plan: Plan) -> str:
    if edition.pk == plan.current_edition_id:
        return "current"
    return "draft" if is_draft(edition) else "past"


def require_draft(edition: PlanEdition) -> None:
    if is_draft(edition):
        return
    if edition.pk == edition.plan.current_edition_id:
        raise RevisionError(
            _("第%(n)s版は現行版のため編集できません。新しい版を作ってから編集してください。")
            % {"n": edition.number}
        )
    raise RevisionError(_("第%(n)s版は過去の版のため編集できません。") % {"n": edition.number})
