"""Small builders for procedure tests."""

from __future__ import annotations

from typing import Any

from yakusho.core.models import Department, Municipality
from yakusho.procedures.models import Procedure, ProcedureChannel, ProcedureLifeEvent


def make_procedure(
    municipality: Municipality,
    department: Department,
    key: str,
    name: str,
    *,
    events: tuple[str, ...] = (),
    channels: tuple[tuple[str, str], ...] = (("counter", "available"),),
    **fields: Any,
) -> Procedure:
    procedure = Procedure.objects.create(
        municipality=municipality, department=department, key=key, name=name, **fields
    )
    for order, (kind, status) in enumerate(channels):
        ProcedureChannel.objects.create(
            municipality=municipality,
            procedure=procedure,
            kind=kind,
            status=status,
            service_name="マイナポータル" if kind == "external" else "",
            order=order,
        )
    for event in events:
        ProcedureLifeEvent.objects.create(municipality=municipality, procedure=procedure, event=event)
    return procedure


def minimal_form(key: str, version: int = 1, **extra: Any) -> dict[str, Any]:
    """The smallest form definition the engine accepts: one page, one text field."""
    return {
        "key": key,
        "version": version,
        "title": "試験フォーム",
        "privacy_notice": "入力された個人情報は、この手続にのみ使います。",
        "pages": [
            {"key": "p1", "title": "申請者", "fields": [{"key": "name", "type": "text", "label": "氏名"}]}
        ],
        **extra,
    }
