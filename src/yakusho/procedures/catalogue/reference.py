"""The national list of priority procedures (``data/national/priority-procedures-*.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction

from yakusho.procedures.models import PriorityProcedure


def reference_files() -> list[Path]:
    return sorted((Path(settings.DATA_DIR) / "national").glob("priority-procedures-*.yaml"))


def read_reference(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return doc


@transaction.atomic
def sync_priority_procedures() -> int:
    """Create or update the rows of every version in ``data/national`` (idempotent); returns the count."""
    count = 0
    for path in reference_files():
        doc = read_reference(path)
        version = str(doc["version"])
        existing = {p.key: p for p in PriorityProcedure.objects.filter(version=version)}
        for order, row in enumerate(doc["procedures"]):
            values = {
                "group": row["group"],
                "number": int(row["number"]),
                "title": row["title"],
                "note": row.get("note", ""),
                "order": order,
            }
            current = existing.get(row["key"])
            if current is None:
                PriorityProcedure.objects.create(version=version, key=row["key"], **values)
            elif any(getattr(current, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(current, k, v)
                current.save()
            count += 1
    return count
