"""Procedure files: read with line numbers, validate, import all-or-nothing.

Errors name the file, line and field, in Japanese and English::

    oe.yaml:42 procedures[3].department: この団体にない課です（住民課） (no such department)

Importing is a sync by key: procedures in the file are created or updated, their life events and
channels replaced when they differ, and their form files (``data/forms/<slug>--<key>.json``)
added as new form versions. A form file is read for a procedure with an available ``yakusho``
channel (required there) or an available ``counter`` channel (optional: the counter's form). A
file that changes nothing writes nothing, so loading twice is a no-op. Procedures that the file
does not name are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from yakusho.core.datafiles import DataFile, DataFileInvalid, FileError, Path_, parse_path
from yakusho.core.models import Department, Municipality
from yakusho.procedures.catalogue.reference import sync_priority_procedures
from yakusho.procedures.catalogue.schema import ProcedureEntry, ProcedureFile
from yakusho.procedures.catalogue.services import FormDefinitionInvalid, check_definition, current_version
from yakusho.procedures.models import (
    ChannelKind,
    ChannelStatus,
    FormDefinition,
    PriorityProcedure,
    Procedure,
    ProcedureChannel,
    ProcedureLifeEvent,
)


class ProcedureFileInvalid(DataFileInvalid):
    """A refused procedure file, with every error found."""


@dataclass
class ImportResult:
    municipality: Municipality
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    forms_added: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.forms_added)

    def __str__(self) -> str:
        return (
            f"{self.municipality.slug}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.forms_added} form versions added"
        )


_VALUE_ERRORS: dict[str, tuple[str, str]] = {
    "external_needs_service": (
        "外部サービス（external）には service（サービス名）が必要です",
        "an external channel needs its service name",
    ),
    "year_only_when_planned": (
        "target_fiscal_year は status: planned のときだけ書けます",
        "target_fiscal_year only goes with status: planned",
    ),
}


def _value_error(err: Any) -> tuple[str, str] | None:
    """The wording of the procedure schema's own validators (None: the shared wording)."""
    if err["type"] != "value_error":
        return None
    code = str(err.get("ctx", {}).get("error", ""))
    if code.startswith("unknown_life_event:"):
        value = code.split(":", 1)[1]
        return f"ライフイベントにない値です（{value}）", f"not a life event ({value})"
    return _VALUE_ERRORS.get(code, ("値が正しくありません", code))


def _structure(parsed: DataFile) -> ProcedureFile:
    return parsed.validate(ProcedureFile, invalid=ProcedureFileInvalid, message=_value_error)


def forms_dir() -> Path:
    return Path(settings.DATA_DIR) / "forms"


def form_path(directory: Path, municipality: Municipality, key: str) -> Path:
    return directory / f"{municipality.slug}--{key}.json"


@dataclass
class _Checked:
    municipality: Municipality
    departments: dict[str, Department]
    priorities: dict[str, PriorityProcedure]
    forms: dict[str, DataFile | None]  # procedure key -> the form file read
    unattached: list[str]  # form files of this municipality that no available yakusho/counter channel uses


def _semantics(doc: ProcedureFile, parsed: DataFile, forms_directory: Path) -> _Checked:
    errors: list[FileError] = []
    municipality = Municipality.objects.filter(slug=doc.municipality).first()
    if municipality is None:
        raise ProcedureFileInvalid(
            [
                parsed.error(
                    ("municipality",),
                    f"この団体はありません（{doc.municipality}）",
                    f"no such municipality ({doc.municipality})",
                )
            ]
        )
    departments = {d.name: d for d in Department.objects.for_municipality(municipality)}
    priorities: dict[str, PriorityProcedure] = {}
    if doc.priority_version:
        priorities = {p.key: p for p in PriorityProcedure.objects.filter(version=doc.priority_version)}
        if not priorities:
            errors.append(
                parsed.error(
                    ("priority_version",),
                    f"国の優先手続の一覧にこの版はありません（{doc.priority_version}）",
                    f"no such version of the national list ({doc.priority_version})",
                )
            )
    seen: dict[str, int] = {}
    forms: dict[str, DataFile | None] = {}
    for i, entry in enumerate(doc.procedures):
        here: Path_ = ("procedures", i)
        if entry.key in seen:
            errors.append(
                parsed.error(
                    (*here, "key"),
                    f"キーが重複しています（{entry.key}、procedures[{seen[entry.key]}] と同じ）",
                    f"duplicate key ({entry.key})",
                )
            )
        seen.setdefault(entry.key, i)
        if entry.department not in departments:
            errors.append(
                parsed.error(
                    (*here, "department"),
                    f"この団体にない課です（{entry.department}）",
                    f"no such department ({entry.department})",
                )
            )
        if entry.priority and not doc.priority_version:
            errors.append(
                parsed.error(
                    (*here, "priority"),
                    "priority を使うにはファイルの先頭に priority_version が必要です",
                    "priority needs priority_version at the top of the file",
                )
            )
        elif entry.priority and priorities and entry.priority not in priorities:
            errors.append(
                parsed.error(
                    (*here, "priority"),
                    f"国の優先手続の一覧にないキーです（{entry.priority}）",
                    f"not in the national list ({entry.priority})",
                )
            )
        available = {str(c.kind) for c in entry.channels if c.status == ChannelStatus.AVAILABLE}
        path = form_path(forms_directory, municipality, entry.key)
        if ChannelKind.YAKUSHO.value in available and not path.exists():
            errors.append(
                parsed.error(
                    (*here, "channels"),
                    f"このサイトで受け付ける手続のフォームファイルがありません（{path.name}）",
                    f"no form file for an online channel ({path.name})",
                )
            )
        elif available & {ChannelKind.YAKUSHO.value, ChannelKind.COUNTER.value} and path.exists():
            forms[entry.key] = _read_form(path, errors)
        if entry.paper_at_counter and ChannelKind.COUNTER.value not in available:
            errors.append(
                parsed.error(
                    (*here, "paper_at_counter"),
                    "paper_at_counter は窓口（counter）で受け付ける手続にだけ書けます",
                    "paper_at_counter needs an available counter channel",
                )
            )
    if errors:
        raise ProcedureFileInvalid(errors)
    used = {form_path(forms_directory, municipality, key).name for key in forms}
    unattached = sorted(
        p.name for p in forms_directory.glob(f"{municipality.slug}--*.json") if p.name not in used
    )
    return _Checked(municipality, departments, priorities, forms, unattached)


def _read_form(path: Path, errors: list[FileError]) -> DataFile | None:
    try:
        return DataFile.read(path.read_bytes(), path.name, fmt="json")
    except DataFileInvalid as exc:
        errors.extend(exc.errors)
        return None


def _values(entry: ProcedureEntry, checked: _Checked, order: int) -> dict[str, Any]:
    return {
        "department": checked.departments[entry.department],
        "name": entry.name,
        "kana": entry.kana,
        "summary": entry.summary,
        "description": entry.description,
        "audience": entry.audience,
        "fee_yen": entry.fee_yen,
        "fee_text": entry.fee_text,
        "documents": list(entry.documents),
        "legal_basis": entry.legal_basis,
        "processing_days": entry.processing_days,
        "retention_years": entry.retention_years,
        "priority": checked.priorities.get(entry.priority) if entry.priority else None,
        "published": entry.published,
        "issues_certificate": entry.issues_certificate,
        "payment_timing": entry.payment_timing,
        "paper_at_counter": entry.paper_at_counter,
        "order": order,
        "note": entry.note,
    }


def _channel_rows(entry: ProcedureEntry) -> list[tuple[Any, ...]]:
    return [(c.kind, c.status, c.target_fiscal_year, c.service, c.url or "", c.note) for c in entry.channels]


def _existing_channel_rows(procedure: Procedure) -> list[tuple[Any, ...]]:
    return [
        (c.kind, c.status, c.target_fiscal_year, c.service_name, c.url, c.note)
        for c in procedure.channels.all()
    ]


def import_text(
    text: str | bytes, file: str = "<text>", *, forms_directory: Path | None = None
) -> ImportResult:
    """Validate everything first, then write in one transaction (nothing on any error)."""
    sync_priority_procedures()
    parsed = DataFile.read(text, file, invalid=ProcedureFileInvalid)
    doc = _structure(parsed)
    checked = _semantics(doc, parsed, forms_directory or forms_dir())
    with transaction.atomic():
        return _write(doc, parsed, checked)


def _write(doc: ProcedureFile, parsed: DataFile, checked: _Checked) -> ImportResult:
    municipality = checked.municipality
    result = ImportResult(municipality)
    result.warnings += [
        f"{name}: 使われていないフォームファイルです（このサイトでも窓口でも受け付ける手続がありません） "
        "(form file not used: no available yakusho or counter channel)"
        for name in checked.unattached
    ]
    existing = {
        p.key: p
        for p in Procedure.objects.for_municipality(municipality)
        .filter(key__in=[e.key for e in doc.procedures])
        .prefetch_related("channels", "life_event_links")
    }
    errors: list[FileError] = []
    for i, entry in enumerate(doc.procedures):
        values = _values(entry, checked, i)
        procedure = existing.get(entry.key)
        changed = False
        if procedure is None:
            procedure = Procedure.objects.create(municipality=municipality, key=entry.key, **values)
            result.created += 1
            old_events: list[str] = []
            old_channels: list[tuple[Any, ...]] = []
        else:
            diff = {
                k: v
                for k, v in values.items()
                if (
                    getattr(procedure, f"{k}_id")
                    if k in ("department", "priority")
                    else getattr(procedure, k)
                )
                != (v.pk if k in ("department", "priority") and v is not None else v)
            }
            if diff:
                for k, v in diff.items():
                    setattr(procedure, k, v)
                procedure.save()
                changed = True
            old_events = sorted(link.event for link in procedure.life_event_links.all())
            old_channels = _existing_channel_rows(procedure)
        if sorted(entry.life_events) != old_events:
            ProcedureLifeEvent.objects.filter(procedure=procedure).delete()
            ProcedureLifeEvent.objects.bulk_create(
                [
                    ProcedureLifeEvent(municipality=municipality, procedure=procedure, event=e)
                    for e in entry.life_events
                ]
            )
            changed = True
        if _channel_rows(entry) != old_channels:
            ProcedureChannel.objects.filter(procedure=procedure).delete()
            for order, c in enumerate(entry.channels):
                ProcedureChannel.objects.create(
                    municipality=municipality,
                    procedure=procedure,
                    kind=c.kind,
                    status=c.status,
                    target_fiscal_year=c.target_fiscal_year,
                    service_name=c.service,
                    url=c.url or "",
                    note=c.note,
                    order=order,
                )
            changed = True
        form = checked.forms.get(entry.key)
        if form is not None and _attach_form(procedure, form, parsed, ("procedures", i), errors):
            result.forms_added += 1
        if procedure.pk and entry.key in existing:
            if changed:
                result.updated += 1
            else:
                result.unchanged += 1
    if errors:
        transaction.set_rollback(True)
        raise ProcedureFileInvalid(errors)
    return result


def _attach_form(
    procedure: Procedure, form: DataFile, parsed: DataFile, here: Path_, errors: list[FileError]
) -> bool:
    """Add the form file as a new version unless that version is already stored (same content).
    A fault of the form names the form file and its line."""
    name = form.file
    data = form.data
    try:
        definition, problems = check_definition(procedure, data)
    except FormDefinitionInvalid as exc:
        problems = exc.problems
        definition = None
    for p in problems:
        errors.append(form.error(parse_path(p.path), p.message, ""))  # the engine words it (gettext)
    if definition is None or problems:
        return False
    stored = FormDefinition.objects.filter(procedure=procedure, version=definition.version).first()
    if stored is not None:
        if stored.definition != data:
            errors.append(
                parsed.error(
                    (*here, "channels"),
                    f"{name}: 版 {definition.version} は別の内容ですでに登録されています。版を上げてください",
                    f"version {definition.version} is already stored with other content",
                )
            )
        return False
    if definition.version < current_version(procedure):
        errors.append(
            parsed.error(
                (*here, "channels"),
                f"{name}: 版 {definition.version} は登録済みの最新版より古いため取り込めません",
                "older than the current version",
            )
        )
        return False
    FormDefinition.objects.create(
        municipality_id=procedure.municipality_id,
        procedure=procedure,
        version=definition.version,
        definition=data,
        source=name,
    )
    return True


def import_file(path: str | Path, *, forms_directory: Path | None = None) -> ImportResult:
    path = Path(path)
    return import_text(
        DataFile.raw(path, invalid=ProcedureFileInvalid), path.name, forms_directory=forms_directory
    )


def procedure_files() -> list[Path]:
    return sorted((Path(settings.DATA_DIR) / "procedures").glob("*.yaml"))
