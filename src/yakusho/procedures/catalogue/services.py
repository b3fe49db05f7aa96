"""Rules about procedures that views, the file import and the demo share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils.translation import get_language

from yakusho.core.calendar import BusinessCalendar
from yakusho.core.datafiles import DataFile, DataFileInvalid, parse_path
from yakusho.core.models import Membership, Role
from yakusho.procedures.formengine import FormDefinition as EngineForm
from yakusho.procedures.formengine import load_definition
from yakusho.procedures.models import FormDefinition, Procedure


@dataclass(frozen=True)
class DefinitionProblem:
    path: str  # JSON path, "$" for the whole document
    message: str
    line: int | None = None  # in the file it came from, when it came from one

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class FormDefinitionInvalid(Exception):
    def __init__(self, problems: list[DefinitionProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def read_definition(raw: bytes | str, name: str) -> DataFile:
    """An uploaded form definition (JSON, UTF-8, a BOM allowed), read with its lines; or
    :class:`FormDefinitionInvalid` saying in the reader's language why it cannot be read."""
    try:
        return DataFile.read(raw, name, fmt="json")
    except DataFileInvalid as exc:
        language = get_language()
        raise FormDefinitionInvalid(
            [DefinitionProblem("$", e.text(language), e.line) for e in exc.errors]
        ) from None


def with_lines(problems: list[DefinitionProblem], form: DataFile) -> list[DefinitionProblem]:
    """The problems with the line of the form file each one is about."""
    return [DefinitionProblem(p.path, p.message, form.line(parse_path(p.path))) for p in problems]


def check_definition(procedure: Procedure, data: Any) -> tuple[Any, list[DefinitionProblem]]:
    """Validate ``data`` with the form engine (raises on its errors); returns the definition and
    the problems found against the procedure."""
    from yakusho.procedures.formengine import DefinitionError, load_definition

    if not isinstance(data, dict):
        raise FormDefinitionInvalid(
            [DefinitionProblem("$", "フォーム定義はJSONのオブジェクトにしてください。")]
        )
    try:
        definition = load_definition(data)
    except DefinitionError as exc:
        raise FormDefinitionInvalid([DefinitionProblem(str(p), str(m)) for p, m in exc.errors]) from None
    problems = []
    if definition.key != procedure.key:
        problems.append(
            DefinitionProblem(
                "$.key",
                f"フォームのキー（{definition.key}）が手続のキー（{procedure.key}）と一致しません。",
            )
        )
    return definition, problems


@lru_cache(maxsize=256)
def _parse_stored(text: str) -> EngineForm:
    return load_definition(text)


def definition_of(form: FormDefinition) -> EngineForm:
    """The engine's form of a stored version, parsed once per process and content."""
    return _parse_stored(json.dumps(form.definition, ensure_ascii=False, sort_keys=True))


def current_version(procedure: Procedure) -> int:
    return FormDefinition.objects.filter(procedure=procedure).aggregate(v=Max("version"))["v"] or 0


@transaction.atomic
def add_form_definition(
    procedure: Procedure, data: Any, *, user: Any = None, source: str = ""
) -> FormDefinition:
    """Store a new version of the procedure's form, validated by the engine; nothing on error.

    The version is the definition's own ``version``, which must be higher than the current one.
    """
    definition, problems = check_definition(procedure, data)
    # Lock the procedure row so two uploads cannot both take the next version.
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    current = current_version(procedure)
    if definition.version <= current:
        problems.append(
            DefinitionProblem(
                "$.version",
                f"版（version）は現在の版（{current}）より大きい整数にしてください（{definition.version}）。",
            )
        )
    if problems:
        raise FormDefinitionInvalid(problems)
    return FormDefinition.objects.create(
        municipality_id=procedure.municipality_id,
        procedure=procedure,
        version=definition.version,
        definition=data,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        source=source[:200],
    )


def current_forms(procedures: QuerySet[Procedure] | list[Procedure]) -> dict[int, FormDefinition]:
    """The current form definition of each procedure, in one query (procedure id → definition)."""
    ids = [p.pk for p in procedures]
    out: dict[int, FormDefinition] = {}
    for form in FormDefinition.objects.filter(procedure_id__in=ids).order_by("procedure_id", "-version"):
        out.setdefault(form.procedure_id, form)
    return out


def can_edit_forms(membership: Membership, procedure: Procedure) -> bool:
    """Administrators, and department staff of the procedure's 課."""
    if membership.role == Role.ADMIN:
        return True
    if membership.role != Role.DEPARTMENT:
        return False
    return any(d.pk == procedure.department_id for d in membership.departments.all())


def processing_deadline(procedure: Procedure, start: date, calendar: BusinessCalendar) -> date | None:
    """The day the 標準処理期間 ends for a request received on ``start`` (None if unset)."""
    if procedure.processing_days is None:
        return None
    return calendar.add_business_days(start, procedure.processing_days)
