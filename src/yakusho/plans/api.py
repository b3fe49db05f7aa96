"""Read-only JSON API for published plans: plans, editions, nodes, KPIs with targets and actuals."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from yakusho.plans.achievement import evaluate
from yakusho.plans.models import Kpi, KpiActual, Node, Plan, PlanEdition
from yakusho.plans.revision.editions import adopted

router = Router(tags=["plans"])


class PlanOut(Schema):
    municipality: str
    key: str
    title: str
    kind: str
    first_year: int
    last_year: int
    edition: str
    edition_date: datetime.date | None
    level_labels: list[str]


class NodeOut(Schema):
    key: str
    parent: str | None
    depth: int
    code: str
    title: str
    description: str
    departments: list[str]
    lead_department: str | None
    national_items: list[str]


class TargetOut(Schema):
    fiscal_year: int | None
    value: Decimal | None
    unit: str
    text: str
    final: bool


class ActualOut(Schema):
    fiscal_year: int
    value: Decimal | None
    text: str
    date: datetime.date | None
    source: str


class KpiOut(Schema):
    key: str
    node: str
    name: str
    unit: str
    direction: str
    accumulation: str
    baseline_fiscal_year: int | None
    baseline_value: Decimal | None
    baseline_text: str
    targets: list[TargetOut]
    actuals: list[ActualOut]
    indicator: str | None
    status: str
    progress: Decimal | None


def _edition(slug: str, key: str, edition: str | None) -> PlanEdition:
    plan = get_object_or_404(
        Plan.objects.select_related("current_edition"), municipality__slug=slug, key=key, published=True
    )
    if edition:
        return get_object_or_404(adopted(PlanEdition.objects.all()), plan=plan, number=edition)  # no drafts
    return get_object_or_404(PlanEdition, pk=plan.current_edition_id)


def _plan_out(e: PlanEdition, slug: str) -> PlanOut:
    return PlanOut(
        municipality=slug,
        key=e.plan.key,
        title=e.title,
        kind=e.kind,
        first_year=e.first_year,
        last_year=e.last_year,
        edition=e.number,
        edition_date=e.date,
        level_labels=e.level_labels,
    )


@router.get("/plans", response=list[PlanOut])
def list_plans(request: HttpRequest, municipality: str | None = None) -> list[PlanOut]:
    """Published plans (their current editions), optionally of one municipality (its URL name)."""
    plans = Plan.objects.filter(published=True, current_edition__isnull=False).select_related(
        "municipality", "current_edition__plan"
    )
    if municipality:
        plans = plans.filter(municipality__slug=municipality)
    return [
        _plan_out(p.current_edition, p.municipality.slug)
        for p in plans.order_by("municipality__code", "key")
        if p.current_edition
    ]


@router.get("/plans/{municipality}/{key}", response=PlanOut)
def get_plan(request: HttpRequest, municipality: str, key: str, edition: str | None = None) -> PlanOut:
    return _plan_out(_edition(municipality, key, edition), municipality)


@router.get("/plans/{municipality}/{key}/nodes", response=list[NodeOut])
def list_nodes(
    request: HttpRequest, municipality: str, key: str, edition: str | None = None
) -> list[NodeOut]:
    e = _edition(municipality, key, edition)
    nodes = (
        Node.objects.filter(edition=e)
        .select_related("parent")
        .prefetch_related("node_departments__department", "national_items")
        .order_by("order")
    )
    return [
        NodeOut(
            key=n.key,
            parent=n.parent.key if n.parent else None,
            depth=n.depth,
            code=n.code,
            title=n.title,
            description=n.description,
            departments=[nd.department.name for nd in n.node_departments.all()],
            lead_department=next((nd.department.name for nd in n.node_departments.all() if nd.lead), None),
            national_items=[i.key for i in n.national_items.all()],
        )
        for n in nodes
    ]


@router.get("/plans/{municipality}/{key}/kpis", response=list[KpiOut])
def list_kpis(request: HttpRequest, municipality: str, key: str, edition: str | None = None) -> list[KpiOut]:
    e = _edition(municipality, key, edition)
    kpis = (
        Kpi.objects.filter(edition=e)
        .select_related("node", "indicator", "edition")
        .prefetch_related("targets", Prefetch("actuals", queryset=KpiActual.objects.order_by("fiscal_year")))
        .order_by("order")
    )
    out = []
    for k in kpis:
        achievement = evaluate(k)
        out.append(
            KpiOut(
                key=k.key,
                node=k.node.key,
                name=k.name,
                unit=k.unit,
                direction=k.direction,
                accumulation=k.accumulation,
                baseline_fiscal_year=k.baseline_fiscal_year,
                baseline_value=k.baseline_value,
                baseline_text=k.baseline_text,
                targets=[
                    TargetOut(
                        fiscal_year=t.fiscal_year,
                        value=t.value,
                        unit=t.unit or k.unit,
                        text=t.text,
                        final=t.final,
                    )
                    for t in k.targets.all()
                ],
                actuals=[
                    ActualOut(
                        fiscal_year=a.fiscal_year, value=a.value, text=a.text, date=a.date, source=a.source
                    )
                    for a in k.actuals.all()
                ],
                indicator=k.indicator.key if k.indicator else None,
                status=achievement.status.value,
                progress=achievement.progress,
            )
        )
    return out
