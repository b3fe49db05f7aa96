"""Exporting an edition as plan-file data (what ``import_file`` reads back) and writing it as YAML
or JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import yaml

from yakusho.plans.models import (
    KpiActual,
    PlanEdition,
    ScheduleEntry,
)
from yakusho.plans.planfile.schema import PlanFile, join_date
from yakusho.plans.queries import nodes_with_links


def _num(value: Decimal | None) -> Decimal | None:
    """569.000000 → 569, 14.400000 → 14.4 (as written in the file)."""
    return None if value is None else Decimal(format(value.normalize(), "f"))


def _level(edition: PlanEdition, level: int, depth: int) -> str | None:
    """A node's level as the file names it: only where it is not its depth."""
    labels = edition.level_labels
    return labels[level - 1] if level != depth and 0 < level <= len(labels) else None


def export_edition(edition: PlanEdition) -> dict[str, Any]:
    """The edition as a plan file (a dict ready for YAML or JSON)."""
    nodes = nodes_with_links(edition)
    kpis = list(
        edition.kpis.select_related("node", "reprint_of", "indicator").prefetch_related("targets", "actuals")
    )
    schedule = ScheduleEntry.objects.filter(node__edition=edition).select_related("node").order_by("order")
    data: dict[str, Any] = {
        "format": "yakusho-plan/1",
        "municipality": edition.municipality.code,
        "key": edition.plan.key,
        "title": edition.title,
        "kind": edition.kind,
        "adopted_on": join_date(edition.adopted_on, edition.adopted_precision),
        "first_year": edition.first_year,
        "last_year": edition.last_year,
        "published": edition.plan.published,
        "edition": {
            "number": edition.number,
            "date": join_date(edition.date, edition.date_precision),
            "note": edition.edition_note,
        },
        "editions": edition.history,
        "national_framework": edition.national_framework.key
        if edition.framework_cited and edition.national_framework
        else None,
        "level_labels": edition.level_labels,
        "vision": edition.vision,
        "position": edition.position,
        "governance": edition.governance,
        "principles": edition.principles,
        "sections": edition.sections,
        "nodes": [
            {
                "key": n.key,
                "parent": n.parent.key if n.parent else None,
                "code": n.code,
                "title": n.title,
                "level": _level(edition, n.level, n.depth),
                "description": n.description,
                "current_state": n.current_state,
                "actions": n.actions,
                "effects": n.effects,
                "departments": [
                    {"name": nd.department.name, "lead": nd.lead} for nd in n.node_departments.all()
                ],
                "department_note": n.department_note,
                "national_items": sorted(i.key for i in n.national_items.all()),
                "note": n.note,
            }
            for n in nodes
        ],
        "schedule": [
            {
                "node": r.node.key,
                "first_year": r.first_year,
                "last_year": r.last_year,
                "activity": r.activity,
                "phase": r.phase,
                "note": r.note,
                "source": r.source,
            }
            for r in schedule
        ],
        "kpis": [
            {
                "key": k.key,
                "node": k.node.key,
                "name": k.name,
                "unit": k.unit,
                "direction": k.direction,
                "accumulation": k.accumulation,
                "interval_years": k.interval_years,
                "baseline": {
                    "fiscal_year": k.baseline_fiscal_year,
                    "date": join_date(k.baseline_date, k.baseline_date_precision),
                    "value": _num(k.baseline_value),
                    "text": k.baseline_text,
                    "note": k.baseline_note,
                }
                if k.has_baseline
                else None,
                "targets": [
                    {
                        "fiscal_year": t.fiscal_year,
                        "value": _num(t.value),
                        "unit": t.unit,
                        "text": t.text,
                        "final": t.final,
                    }
                    for t in k.targets.all()
                ],
                "actuals": [
                    {
                        "fiscal_year": a.fiscal_year,
                        "value": _num(a.value),
                        "text": a.text,
                        "date": a.date,
                        "note": a.note,
                    }
                    for a in k.actuals.all()
                    if a.source == KpiActual.Source.PLAN
                ],
                "reprint_of": k.reprint_of.key if k.reprint_of else None,
                "metric": k.metric or None,
                "indicator": k.indicator.key if k.indicator else None,
                "note": k.note,
            }
            for k in kpis
        ],
        "observations": [
            {
                "node": o.node.key if o.node else None,
                "name": o.name,
                "value": _num(o.value),
                "unit": o.unit,
                "text": o.text,
                "as_of": join_date(o.as_of, o.as_of_precision),
                "as_of_text": o.as_of_text,
                "indicator": o.indicator.key if o.indicator else None,
                "note": o.note,
            }
            for o in edition.observations.select_related("node", "indicator")
        ],
        "glossary": [
            {"term": t.term, "reading": t.reading, "definition": t.definition} for t in edition.glossary.all()
        ],
        "note": edition.note,
    }
    # Through the schema, so the output is exactly what a file would hold, defaults dropped.
    return _plain(PlanFile.model_validate(data).model_dump(mode="python", exclude_defaults=True))


def _plain(value: Any) -> Any:
    """Decimals as the integers or decimals they are written as; containers recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(format(value, "f"))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def dump_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def dump_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
