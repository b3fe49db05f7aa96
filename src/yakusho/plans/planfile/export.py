"""Exporting an edition as plan-file data (what ``import_file`` reads back) and writing it as YAML
or JSON."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import yaml

from yakusho.plans.models import (
    KpiActual,
    NodeContinuation,
    PlanEdition,
    PlanFigure,
    PlanList,
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


def _figure(f: PlanFigure) -> dict[str, Any]:
    # The image itself is not in the file (a plan file is text): it is served at the figure's page
    # address, and a file imported from disk names it again with ``file``.
    return {"key": f.key, "caption": f.caption, "alt": f.alt, "source": f.source}


def _list(t: PlanList) -> dict[str, Any]:
    return {
        "key": t.key,
        "title": t.title,
        "columns": t.columns,
        "rows": t.rows,
        "note": t.note,
        "source": t.source,
    }


def _review(edition: PlanEdition) -> dict[str, Any]:
    scale = edition.grading_scale
    return {
        "period": edition.review_period,
        "graded": edition.graded,
        "scale": {
            "name": scale.name,
            "levels": [
                {"code": g.code, "label": g.label, "description": g.description}
                for g in scale.levels.order_by("order")
            ],
        }
        if scale is not None
        else None,
    }


def _lineage(
    edition: PlanEdition,
) -> tuple[dict[str, Any] | None, dict[str, list[str]], list[dict[str, Any]]]:
    """The plan's predecessor, the previous nodes each node continues, and its closing reviews."""
    plan = edition.plan
    if plan.predecessor_id is not None:
        predecessor: dict[str, Any] | None = {"key": plan.predecessor.key}  # type: ignore[union-attr]
    else:
        predecessor = {"title": plan.predecessor_title} if plan.predecessor_title else None
    continues: dict[str, list[str]] = defaultdict(list)
    for node_key, previous_key in (
        NodeContinuation.objects.filter(plan=plan).order_by("pk").values_list("node_key", "previous_node_key")
    ):
        continues[node_key].append(previous_key)
    reviews = [
        {
            "of": r.reviewed_plan_title or None,
            "node": r.node_key or None,
            "title": r.title,
            "text": r.text,
            "date": join_date(r.date, r.date_precision),
            "source": r.source,
        }
        for r in plan.closing_reviews.order_by("order", "pk")
    ]
    return predecessor, continues, reviews


def export_edition(edition: PlanEdition) -> dict[str, Any]:
    """The edition as a plan file (a dict ready for YAML or JSON)."""
    nodes = nodes_with_links(edition)
    figures: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for f in PlanFigure.objects.filter(edition=edition).order_by("order"):
        figures[f.node_id].append(_figure(f))
    lists: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for t in PlanList.objects.filter(edition=edition).order_by("order"):
        lists[t.node_id].append(_list(t))
    predecessor, continues, closing = _lineage(edition)
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
        "predecessor": predecessor,
        "national_framework": edition.national_framework.key
        if edition.framework_cited and edition.national_framework
        else None,
        "review": _review(edition),
        "level_labels": edition.level_labels,
        "vision": edition.vision,
        "position": edition.position,
        "governance": edition.governance,
        "principles": edition.principles,
        "sections": edition.sections,
        "figures": figures[None],
        "lists": lists[None],
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
                "continues": continues.get(n.key, []),
                "figures": figures[n.pk],
                "lists": lists[n.pk],
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
        "closing_review": closing,
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
