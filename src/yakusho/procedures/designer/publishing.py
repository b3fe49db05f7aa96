"""Publishing a draft of the form designer: :func:`publish` refuses a draft with publish problems
(``checks``), adds the next version through ``catalogue.services.add_form_definition`` and makes the
procedure appear in the public catalogue with its apply button (the online channel).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django.db import transaction
from django.db.models import Max

from yakusho.procedures.catalogue.services import FormDefinitionInvalid, add_form_definition
from yakusho.procedures.designer.checks import publish_problems
from yakusho.procedures.designer.drafts import live_form
from yakusho.procedures.designer.operations import DesignerError, _in_words, check
from yakusho.procedures.formengine import DefinitionError, check_successor, load_definition
from yakusho.procedures.models import (
    ChannelKind,
    ChannelStatus,
    FormDefinition,
    Procedure,
    ProcedureChannel,
)
from yakusho.procedures.models.designer import FormDraft


def is_online(procedure: Procedure) -> bool:
    """Residents can apply on this site now (an available 「オンライン（このサイト）」 channel)."""
    return ProcedureChannel.objects.filter(
        procedure=procedure, kind=ChannelKind.YAKUSHO, status=ChannelStatus.AVAILABLE
    ).exists()


def online_by_default(procedure: Procedure) -> bool:
    """Whether publishing offers online applying unless staff say otherwise: yes when it is online
    already or has no other way in (a procedure new from the designer); no for a procedure done at
    a counter (its form serves the no-writing counter: 転入届 must be made in person)."""
    if is_online(procedure):
        return True
    return not ProcedureChannel.objects.filter(procedure=procedure, status=ChannelStatus.AVAILABLE).exists()


def ensure_online(procedure: Procedure) -> None:
    """Published, with an available 「オンライン（このサイト）」 channel: the catalogue then shows
    the procedure and its apply button (``views.can_apply_online``)."""
    if not procedure.published:
        procedure.published = True
        procedure.save(update_fields=["published"])
    channels = ProcedureChannel.objects.filter(procedure=procedure, kind=ChannelKind.YAKUSHO)
    if channels.filter(status=ChannelStatus.AVAILABLE).exists():
        return
    planned = channels.first()
    if planned is not None:
        planned.status = ChannelStatus.AVAILABLE
        planned.target_fiscal_year = None
        planned.save()
        return
    first = ProcedureChannel.objects.filter(procedure=procedure).aggregate(o=Max("order"))["o"]
    ProcedureChannel.objects.create(
        municipality_id=procedure.municipality_id,
        procedure=procedure,
        kind=ChannelKind.YAKUSHO,
        status=ChannelStatus.AVAILABLE,
        order=0 if first is None else first + 1,
    )


@transaction.atomic
def publish(
    procedure: Procedure, draft: FormDraft, user: Any = None, *, online: bool | None = None
) -> FormDefinition:
    """Publish the draft as the next version; refused (nothing changed) with the reasons.

    The procedure is published in the catalogue. With ``online`` (default
    :func:`online_by_default`) residents can apply with the form on this site; without, the form
    serves the counter only and the channels stay as they are (an online channel is never
    removed here: that is the catalogue's business)."""
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    problems = publish_problems(procedure, draft)
    if problems:
        raise DesignerError(problems)
    live_row = live_form(procedure)
    data = copy.deepcopy(draft.definition)
    data["version"] = (live_row.version if live_row is not None else 0) + 1
    new = check(data)
    if live_row is not None:
        try:
            check_successor(load_definition(live_row.definition), new)
        except DefinitionError as exc:
            raise DesignerError(_in_words(data, exc.errors)) from None
    try:
        stored = add_form_definition(procedure, data, user=user, source="designer")
    except FormDefinitionInvalid as exc:
        raise DesignerError(_in_words(data, [(p.path, p.message) for p in exc.problems])) from None
    draft.delete()
    if online is None:
        online = online_by_default(procedure)
    if online:
        ensure_online(procedure)
    elif not procedure.published:
        procedure.published = True
        procedure.save(update_fields=["published"])
    return stored


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
