"""National reference data (``data/national/*.yaml``, ``data/indicators.yaml``) into the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction

from yakusho.plans.models import NationalFramework, NationalItem, StandardIndicator


@dataclass(frozen=True)
class Reference:
    frameworks: dict[str, dict[str, Any]]  # key -> {published_on, items: {key: title}}
    indicators: dict[str, dict[str, Any]]

    def framework_in_force(self, on: date | None) -> str | None:
        """The latest version published on or before ``on`` (the newest one if ``on`` is None)."""
        dated = sorted((f["published_on"], key) for key, f in self.frameworks.items())
        chosen = None
        for published, key in dated:
            if on is None or published <= on:
                chosen = key
        return chosen


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


@lru_cache(maxsize=4)
def _read(directory: str) -> Reference:
    base = Path(directory)
    frameworks: dict[str, dict[str, Any]] = {}
    for path in sorted((base / "national").glob("jichitai-dx-*.yaml")):  # priority-procedures-*: procedures
        doc = yaml.safe_load(path.read_text("utf-8"))
        frameworks[doc["key"]] = {
            "title": doc["title"],
            "version": str(doc["version"]),
            "published_on": doc["published_on"],
            "note": doc.get("note", "") or doc.get("date_note", ""),
            "items": doc["items"],
        }
    indicators = {
        i["key"]: i for i in yaml.safe_load((base / "indicators.yaml").read_text("utf-8"))["indicators"]
    }
    return Reference(frameworks, indicators)


def reference() -> Reference:
    return _read(str(data_dir()))


@transaction.atomic
def sync_reference() -> None:
    """Create or update the reference rows from ``data/`` (idempotent)."""
    ref = reference()
    for key, f in ref.frameworks.items():
        framework, _ = NationalFramework.objects.update_or_create(
            key=key,
            defaults={
                "title": f["title"],
                "version": f["version"],
                "published_on": f["published_on"],
                "note": f["note"],
            },
        )
        for order, item in enumerate(f["items"]):
            NationalItem.objects.update_or_create(
                key=item["key"],
                defaults={
                    "framework": framework,
                    "group": item["group"],
                    "number": str(item["number"]),
                    "title": item["title"],
                    "order": order,
                },
            )
    for key, i in ref.indicators.items():
        StandardIndicator.objects.update_or_create(
            key=key,
            defaults={"name": i["name"], "unit": i.get("unit", ""), "definition": i.get("definition", "")},
        )
