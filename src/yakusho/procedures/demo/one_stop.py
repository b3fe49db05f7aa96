"""The demo's one-stop rules (``data/demo/one-stop.yaml``), loaded by ``yakusho demo`` after the
procedures (``demo_loaded`` receiver). Idempotent: a life event's rules are replaced by the file's.
A rule is a procedure key, or a mapping with ``key`` and ``min_age`` / ``max_age`` (the visitor's
ages it is proposed to, inclusive); a bad range stops the load with the counter's message.
A procedure key the municipality does not have is skipped and reported in the output line
(``tests/procedures/test_counter.py`` fails naming it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction

from yakusho.core.models import Municipality
from yakusho.procedures.counter.services import save_one_stop
from yakusho.procedures.models import Procedure


def demo_file() -> Path:
    return Path(settings.DATA_DIR) / "demo" / "one-stop.yaml"


@dataclass
class OneStopResult:
    rules: int = 0
    missing: list[str] = field(default_factory=list)  # "oe:tennyu-todoke"


def _item(item: Any) -> tuple[str, int | None, int | None]:
    """A rule of the file: a procedure key, or ``{key: …, min_age: 75, max_age: …}`` for a
    procedure proposed only to visitors of those ages (``save_one_stop`` checks the range)."""
    if isinstance(item, dict):
        return str(item["key"]), item.get("min_age"), item.get("max_age")
    return str(item), None, None


def load_one_stop(path: Path | None = None) -> OneStopResult:
    data = yaml.safe_load((path or demo_file()).read_text(encoding="utf-8")) or {}
    result = OneStopResult()
    with transaction.atomic():
        for entry in data.get("rules") or []:
            town = Municipality.objects.filter(slug=entry["municipality"]).first()
            if town is None:
                result.missing.append(f"{entry['municipality']}:*")
                continue
            items = [_item(item) for item in entry.get("procedures") or []]
            keys = [key for key, _low, _high in items]
            found = dict(
                Procedure.objects.for_municipality(town).filter(key__in=keys).values_list("key", "pk")
            )
            result.missing += [f"{town.slug}:{key}" for key in keys if key not in found]
            chosen = [
                (found[key], order, low, high) for order, (key, low, high) in enumerate(items) if key in found
            ]
            result.rules += save_one_stop(town, entry["life_event"], chosen)
    return result


def load_demo_one_stop(sender: Any = None, **kwargs: Any) -> str:
    result = load_one_stop()
    line = f"One-stop rules: {result.rules}."
    if result.missing:
        line += f" Skipped (no such procedure): {', '.join(result.missing)}."
    return line
