"""Importing a checked plan file: all-or-nothing, idempotent by the file's digest (an edition
imported twice with the same content is a no-op; with other content it is refused).

What a file says of the plan rather than of its edition — its predecessor, the nodes it carries on
from it (``continues``) and its closing reviews (総括) — is the plan's: it is set from the file
whose edition becomes the plan's current edition, replacing what the plan had (an older edition
imported afterwards leaves it alone)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from yakusho.core.datafiles import DataFile
from yakusho.core.models import Department, Municipality
from yakusho.plans.models import (
    ClosingReview,
    GlossaryTerm,
    GradingScale,
    Kpi,
    KpiActual,
    KpiTarget,
    NationalFramework,
    NationalItem,
    Node,
    NodeContinuation,
    NodeDepartment,
    Observation,
    Plan,
    PlanEdition,
    PlanFigure,
    PlanList,
    ReviewGrade,
    ScheduleEntry,
    StandardIndicator,
)
from yakusho.plans.planfile.files import (
    PlanDataFile,
    PlanFileInvalid,
    digest,
    figures_and_lists,
    node_levels,
    read,
    validate_semantics,
)
from yakusho.plans.planfile.images import FigureImage
from yakusho.plans.planfile.schema import PlanFile, Scale, split_date
from yakusho.plans.reference import reference, sync_reference


@dataclass
class ImportResult:
    edition: PlanEdition
    created: bool
    counts: dict[str, int]


@transaction.atomic
def import_file(path: Path | str) -> ImportResult:
    plan_file, parsed = read(path)
    sync_reference()
    municipality, departments = validate_semantics(plan_file, parsed)
    return import_plan(plan_file, municipality, departments, parsed)


def import_plan(
    pf: PlanFile, municipality: Municipality, departments: dict[str, Department], parsed: DataFile
) -> ImportResult:
    plan, _ = Plan.objects.get_or_create(
        municipality=municipality, key=pf.key, defaults={"published": pf.published}
    )
    existing = PlanEdition.objects.filter(plan=plan, number=pf.edition.number).first()
    images: dict[str, FigureImage] = parsed.images if isinstance(parsed, PlanDataFile) else {}
    fingerprint = digest(pf, {key: image.sha256 for key, image in images.items()})
    if existing is not None:
        if existing.digest == fingerprint:
            return ImportResult(existing, False, {})
        if existing.draft:
            raise PlanFileInvalid(
                [
                    parsed.error(
                        ("edition", "number"),
                        f"第{pf.edition.number}版は職員が作成中の版です。版を改めてください",
                        "staff are writing this edition: give the file a new edition",
                    )
                ]
            )
        raise PlanFileInvalid(
            [
                parsed.error(
                    ("edition", "number"),
                    f"第{pf.edition.number}版はすでに取り込まれていて、内容が異なります。版を改めてください",
                    "this edition was already imported with different content: give the file a new edition",
                )
            ]
        )
    m = municipality
    ref = reference()
    adopted_on, adopted_precision = split_date(pf.adopted_on)
    edition_date, date_precision = split_date(pf.edition.date)
    framework_key = pf.national_framework or ref.framework_in_force(adopted_on)
    framework = NationalFramework.objects.filter(key=framework_key).first() if framework_key else None
    edition = PlanEdition.objects.create(
        municipality=m,
        plan=plan,
        number=pf.edition.number,
        date=edition_date,
        date_precision=date_precision,
        edition_note=pf.edition.note,
        history=[e.model_dump(mode="json") for e in pf.editions],
        title=pf.title,
        kind=pf.kind,
        adopted_on=adopted_on,
        adopted_precision=adopted_precision,
        first_year=pf.first_year,
        last_year=pf.last_year,
        level_labels=list(pf.level_labels),
        vision=pf.vision,
        position=pf.position,
        governance=pf.governance,
        principles=pf.principles,
        sections=[s.model_dump(mode="json") for s in pf.sections],
        national_framework=framework,
        framework_cited=pf.national_framework is not None,
        note=pf.note,
        review_period=pf.review.period,
        graded=pf.review.graded,
        grading_scale=_scale(plan, pf.review.scale) if pf.review.scale else None,
        digest=fingerprint,
    )
    items = {
        i.key: i for i in NationalItem.objects.filter(key__in={k for n in pf.nodes for k in n.national_items})
    }
    indicators = {i.key: i for i in StandardIndicator.objects.all()}

    nodes: dict[str, Node] = {}
    depth, level = node_levels(pf)
    for order, n in enumerate(pf.nodes):
        nodes[n.key] = Node(
            municipality=m,
            edition=edition,
            key=n.key,
            depth=depth[n.key],
            level=level[n.key],
            code=n.code,
            title=n.title,
            description=n.description,
            current_state=n.current_state,
            actions=n.actions,
            effects=n.effects,
            department_note=n.department_note,
            note=n.note,
            order=order,
        )
    # Parents first: insert level by level so each parent has its id.
    parents = {n.key: n.parent for n in pf.nodes}
    for tier in sorted(set(depth.values())):
        batch = [nodes[k] for k, d in depth.items() if d == tier]
        for node in batch:
            parent_key = parents[node.key]
            node.parent = nodes[parent_key] if parent_key else None
        Node.objects.bulk_create(batch, batch_size=1000)
    NodeDepartment.objects.bulk_create(
        [
            NodeDepartment(
                municipality=m, node=nodes[n.key], department=departments[d.name], lead=d.lead, order=j
            )
            for n in pf.nodes
            for j, d in enumerate(n.departments)
        ],
        batch_size=1000,
    )
    through = Node.national_items.through
    through.objects.bulk_create(
        [
            through(node_id=nodes[n.key].pk, nationalitem_id=items[k].pk)
            for n in pf.nodes
            for k in n.national_items
        ],
        batch_size=1000,
    )
    ScheduleEntry.objects.bulk_create(
        [
            ScheduleEntry(
                municipality=m,
                node=nodes[r.node],
                first_year=r.first_year,
                last_year=r.last_year,
                activity=r.activity,
                phase=r.phase,
                note=r.note,
                source=r.source,
                order=i,
            )
            for i, r in enumerate(pf.schedule)
        ],
        batch_size=1000,
    )
    kpis: dict[str, Kpi] = {}
    for order, k in enumerate(pf.kpis):
        b = k.baseline
        baseline_date, baseline_precision = split_date(b.date if b else None)
        kpis[k.key] = Kpi(
            municipality=m,
            edition=edition,
            node=nodes[k.node],
            key=k.key,
            name=k.name,
            unit=k.unit,
            direction=k.direction,
            accumulation=k.accumulation,
            interval_years=k.interval_years,
            has_baseline=b is not None,
            baseline_fiscal_year=b.fiscal_year if b else None,
            baseline_date=baseline_date,
            baseline_date_precision=baseline_precision,
            baseline_value=b.value if b else None,
            baseline_text=b.text if b else "",
            baseline_note=b.note if b else "",
            metric=k.metric or "",
            indicator=indicators.get(k.indicator) if k.indicator else None,
            note=k.note,
            order=order,
        )
    Kpi.objects.bulk_create(list(kpis.values()), batch_size=1000)
    reprints = [kpis[k.key] for k in pf.kpis if k.reprint_of]
    for k in pf.kpis:
        if k.reprint_of:
            kpis[k.key].reprint_of = kpis[k.reprint_of]
    Kpi.objects.bulk_update(reprints, ["reprint_of"], batch_size=1000)
    KpiTarget.objects.bulk_create(
        [
            KpiTarget(
                municipality=m,
                kpi=kpis[k.key],
                fiscal_year=t.fiscal_year,
                value=t.value,
                unit=t.unit,
                text=t.text,
                final=t.final,
                order=j,
            )
            for k in pf.kpis
            for j, t in enumerate(k.targets)
        ],
        batch_size=2000,
    )
    KpiActual.objects.bulk_create(
        [
            KpiActual(
                municipality=m,
                kpi=kpis[k.key],
                fiscal_year=a.fiscal_year,
                value=a.value,
                text=a.text,
                date=a.date,
                note=a.note,
                source=KpiActual.Source.PLAN,
            )
            for k in pf.kpis
            for a in k.actuals
        ],
        batch_size=2000,
    )
    Observation.objects.bulk_create(
        [
            Observation(
                municipality=m,
                edition=edition,
                node=nodes[o.node] if o.node else None,
                name=o.name,
                value=o.value,
                unit=o.unit,
                text=o.text,
                as_of=split_date(o.as_of)[0],
                as_of_precision=split_date(o.as_of)[1],
                as_of_text=o.as_of_text,
                indicator=indicators.get(o.indicator) if o.indicator else None,
                note=o.note,
                order=i,
            )
            for i, o in enumerate(pf.observations)
        ]
    )
    GlossaryTerm.objects.bulk_create(
        [
            GlossaryTerm(
                municipality=m,
                edition=edition,
                term=t.term,
                reading=t.reading,
                definition=t.definition,
                order=i,
            )
            for i, t in enumerate(pf.glossary)
        ]
    )
    figures: list[PlanFigure] = []
    lists: list[PlanList] = []
    for _at, node_key, node_figures, node_lists in figures_and_lists(pf):
        holder = nodes[node_key] if node_key else None
        for f in node_figures:
            figures.append(
                PlanFigure(
                    municipality=m,
                    edition=edition,
                    node=holder,
                    key=f.key,
                    alt=f.alt,
                    caption=f.caption,
                    source=f.source,
                    order=len(figures),
                )
            )
        for t in node_lists:
            lists.append(
                PlanList(
                    municipality=m,
                    edition=edition,
                    node=holder,
                    key=t.key,
                    title=t.title,
                    columns=list(t.columns),
                    rows=[list(row) for row in t.rows],
                    note=t.note,
                    source=t.source,
                    order=len(lists),
                )
            )
    PlanList.objects.bulk_create(lists, batch_size=500)
    # Images last: a file written to storage is not undone by a rollback.
    # Stored by content: the same image imported again is the same file.
    for figure in figures:
        image = images.get(figure.key)
        if image is not None:
            relative = f"{m.pk}/{image.sha256[:2]}/{image.sha256}.{image.extension}"
            name = figure.image.field.generate_filename(figure, relative)
            if figure.image.storage.exists(name):
                figure.image.name = name
            else:
                figure.image.save(relative, ContentFile(image.data), save=False)
    PlanFigure.objects.bulk_create(figures, batch_size=500)
    _set_current(plan)
    if plan.current_edition_id == edition.pk:
        _set_lineage(plan, pf)
    return ImportResult(
        edition,
        True,
        {
            "nodes": len(nodes),
            "schedule": len(pf.schedule),
            "kpis": len(kpis),
            "observations": len(pf.observations),
            "glossary": len(pf.glossary),
            "figures": len(figures),
            "lists": len(lists),
            "closing_review": len(pf.closing_review),
        },
    )


def _scale(plan: Plan, scale: Scale) -> GradingScale:
    """The plan's scale of that name (``validate_semantics`` checked that its levels are the same),
    or a new one with these levels."""
    stored = GradingScale.objects.filter(plan=plan, name=scale.name).first()
    if stored is not None:
        return stored
    stored = GradingScale.objects.create(municipality_id=plan.municipality_id, plan=plan, name=scale.name)
    ReviewGrade.objects.bulk_create(
        [
            ReviewGrade(
                municipality_id=plan.municipality_id,
                scale=stored,
                code=level.code,
                label=level.label,
                description=level.description,
                order=i,
            )
            for i, level in enumerate(scale.levels)
        ]
    )
    return stored


def _set_lineage(plan: Plan, pf: PlanFile) -> None:
    """The plan's predecessor, continued nodes and closing reviews, as the file gives them."""
    m = plan.municipality_id
    given = pf.predecessor
    previous = (
        Plan.objects.for_municipality(plan.municipality).get(key=given.key)
        if given is not None and given.key is not None
        else None
    )
    plan.predecessor = previous
    plan.predecessor_title = (given.title or "") if given is not None and previous is None else ""
    plan.save(update_fields=["predecessor", "predecessor_title"])
    NodeContinuation.objects.filter(plan=plan).delete()
    if previous is not None:
        NodeContinuation.objects.bulk_create(
            [
                NodeContinuation(
                    municipality_id=m,
                    plan=plan,
                    node_key=n.key,
                    previous_plan=previous,
                    previous_node_key=previous_key,
                )
                for n in pf.nodes
                for previous_key in n.continues
            ]
        )
    ClosingReview.objects.filter(plan=plan).delete()
    reviews = []
    for i, r in enumerate(pf.closing_review):
        day, precision = split_date(r.date)
        reviews.append(
            ClosingReview(
                municipality_id=m,
                plan=plan,
                reviewed_plan_title=r.of or "",
                node_key=r.node or "",
                title=r.title,
                text=r.text,
                date=day,
                date_precision=precision,
                source=r.source,
                order=i,
            )
        )
    ClosingReview.objects.bulk_create(reviews)


def _set_current(plan: Plan) -> None:
    editions = list(plan.editions.filter(draft=False))

    def sort_key(e: PlanEdition) -> tuple[Any, ...]:
        parts = tuple(int(p) if p.isdigit() else 0 for p in e.number.split("."))
        return (e.date or e.adopted_on or datetime.date.min, parts)

    plan.current_edition = max(editions, key=sort_key)
    plan.save(update_fields=["current_edition"])
