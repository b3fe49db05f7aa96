"""The procedures app's demo data: every file in ``data/procedures/`` with its forms."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from yakusho.procedures.catalogue.files import ProcedureFileInvalid, import_file, procedure_files
from yakusho.procedures.catalogue.reference import sync_priority_procedures


def load_demo_procedures(sender: Any, **kwargs: Any) -> str:
    sync_priority_procedures()
    results = []
    for path in procedure_files():
        try:
            results.append(import_file(path))
        except ProcedureFileInvalid as exc:
            raise CommandError(str(exc)) from None
    procedures = sum(r.created + r.updated + r.unchanged for r in results)
    created = sum(r.created for r in results)
    forms = sum(r.forms_added for r in results)
    return (
        f"Procedures: {len(results)} files, {procedures} procedures ({created} new, "
        f"{forms} form versions added)."
    )
