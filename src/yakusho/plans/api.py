"""Read-only JSON API for published plans: plans, editions, nodes, KPIs with targets and actuals.

Figures (values, baselines, targets, actuals, progress) are JSON numbers as the plan writes them,
without the stored trailing zeros: ``63``, not ``"63.000000"``; ``14.4``. A date the plan prints
only to the month (「令和5年12月」) is given to the month, ``"2023-12"``, and its precision says so.

Every error is ``{"detail": "…"}`` (``ErrorOut``) and documented on each operation with its status:
404 (``{"detail": "Not Found"}``) when a municipality, plan or edition named in the request does not
exist or is not published, 403 when the municipality it names is suspended by the system operator,
400 (``{"detail": "Bad Request"}``) for a request Django refuses (more query parameters than
``DATA_UPLOAD_MAX_NUMBER_FIELDS``). The parameters are free strings, so no value is
invalid (no 422): one that cannot name anything is simply not found — also one with a control
character, which is answered before it reaches a query (PostgreSQL refuses NUL in text outright).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, cast

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema
from pydantic import PlainSerializer

from yakusho.core.apiutil import MunicipalitySlug, could_name_something, responses
from yakusho.plans import periods
from yakusho.plans.achievement import evaluate
from yakusho.plans.figures import plain, source_label
from yakusho.plans.models import (
    DatePrecision,
    Kpi,
    KpiActual,
    KpiPeriodActual,
    Node,
    Plan,
    PlanEdition,
    ReviewCycle,
)
from yakusho.plans.revision.editions import adopted

router = Router(tags=["plans"])


PlanKey = Annotated[str, Path(description="The plan's key within its municipality.", example="oe-dx")]
EditionNumber = Annotated[
    str | None,
    Query(description="An adopted edition's number (版); the current edition when omitted.", example="1.0"),
]
PLAN_NOT_FOUND = (
    "No published plan of this municipality has this key, or the plan has no adopted edition of this number."
)


def json_number(value: Decimal) -> int | float:
    """A stored Decimal as a JSON number without its stored trailing zeros: an integer when it is
    whole (``63.000000`` → ``63``, exact at any size), else the nearest double (``14.400000`` →
    ``14.4``; exact to 15 significant digits, more than any plan prints)."""
    number = plain(value)
    return int(number) if number == number.to_integral_value() else float(number)


#: A figure: a JSON number (``63``, ``14.4``), never a string of the stored Decimal.
Number = Annotated[Decimal, PlainSerializer(json_number, return_type=float)]

ISO_DATE_OR_MONTH = r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$"
PrecisionName = Literal["day", "month"]
Precision = Annotated[
    PrecisionName,
    Field(
        description=(
            "How much of the date the plan prints: day (the date is YYYY-MM-DD) or month (YYYY-MM,"
            " 「令和5年12月」: the plan names no day)."
        )
    ),
]


ReviewPeriodName = Literal["year", "half", "quarter"]
GradedName = Literal["department", "node", "kpi"]


def precision_of(value: str) -> PrecisionName:
    return "month" if value == DatePrecision.MONTH else "day"


def date_as_printed(day: datetime.date | None, precision: str) -> str | None:
    """``2023-12-15``, or ``2023-12`` for a date the plan prints only to the month (ISO 8601's
    reduced precision), so no day is invented."""
    if day is None:
        return None
    return day.strftime("%Y-%m") if precision == DatePrecision.MONTH else day.isoformat()


class PlanOut(Schema):
    municipality: str
    key: str
    title: str
    kind: str
    first_year: int
    last_year: int
    edition: str
    edition_date: str | None = Field(
        pattern=ISO_DATE_OR_MONTH,
        description=(
            "The edition's date as the plan prints it: YYYY-MM-DD, or YYYY-MM when it gives only the"
            " month (edition_date_precision month); null when it prints none."
        ),
        examples=["2024-07", "2024-03-29"],
    )
    edition_date_precision: Precision
    adopted_on: str | None = Field(
        pattern=ISO_DATE_OR_MONTH,
        description=(
            "When the plan was adopted (策定日), as it prints it: YYYY-MM-DD, or YYYY-MM when it gives"
            " only the month (adopted_on_precision month); null when it prints none."
        ),
        examples=["2022-03", "2024-03-29"],
    )
    adopted_on_precision: Precision
    level_labels: list[str] = Field(
        description="The names of the plan's own levels, from the top (NodeOut.level 1 is the first)."
    )
    review_period: Literal["year", "half", "quarter"] = Field(
        description=(
            "How often the plan is reviewed: year, half (上半期 April–September and 下半期 October–March)"
            " or quarter (第1〜第4四半期 from April); KPI actuals are kept per period (period_actuals)."
        )
    )
    graded: Literal["department", "node", "kpi"] = Field(
        description="What a review grades: each 課's part of an initiative, the initiative, or each KPI."
    )
    predecessor: str | None = Field(
        description="The key of the plan this one follows (第1期 → 第2期), if held."
    )
    predecessor_title: str = Field(description="The previous plan's name when it is not held in Yakusho.")
    successors: list[str] = Field(description="The keys of the plans that follow this one.")


class NodeOut(Schema):
    key: str
    parent: str | None
    depth: int = Field(description="How deep the node sits in the tree: 1 for a node without a parent.")
    level: int = Field(
        description=(
            "What the node is among the plan's own levels: 1-based into the plan's level_labels. Usually"
            " its depth, but a plan may put a node of a lower level straight under a higher one (村上市's"
            " 取組事項 under a 重点項目: depth 2, level 3)."
        )
    )
    level_label: str | None = Field(
        description="The level's name from the plan's level_labels (取組事項); null when the plan names none."
    )
    code: str
    title: str
    description: str
    departments: list[str]
    lead_department: str | None
    national_items: list[str]


#: What a figure is in the description of each ``value``.
FIGURE = (
    'a JSON number as the plan writes it, without the stored trailing zeros (63, not "63.000000";'
    " 14.4); exact for whole numbers, a double otherwise"
)


class TargetOut(Schema):
    fiscal_year: int | None = Field(description="The year the target is for; null for the plan's end.")
    value: Number | None = Field(
        description=f"The target, {FIGURE}; null when the plan states it in words only (text)."
    )
    unit: str
    text: str
    final: bool


class ActualOut(Schema):
    """One actual of a KPI, with where it comes from and the day it describes."""

    fiscal_year: int
    value: Number | None = Field(
        description=f"The actual, {FIGURE}; null when the source gives it in words only (text)."
    )
    text: str
    source: str = Field(
        description=(
            "Where the figure comes from: plan (printed in the plan document), review (recorded in a"
            " yearly review), metric (measured by Yakusho's services), demo (invented for the demo,"
            " not published by the municipality)."
        )
    )
    source_label: str = Field(
        description=(
            "The source in words, as the pages show it beside the figure: 計画書, 進捗評価, 計測値, デモ"
            " (in the request's language)."
        )
    )
    as_of: datetime.date | None = Field(
        description=(
            'The day the figure describes ("as of", 時点): the date the plan prints, the review\'s due date'
            " or the day it was recorded, the measured period's last day; null when the source gives none."
        )
    )
    note: str = Field(
        description=(
            "A note on the figure; for a plan reviewed per period, which periods the year's figure is built"
            " from (上半期・下半期の合計, 第2四半期の値) and which are not recorded yet."
        )
    )


class PeriodActualOut(Schema):
    """One period's actual of a KPI of a plan reviewed half-yearly or quarterly."""

    fiscal_year: int
    period: int = Field(description="1–2 (上半期・下半期) or 1–4 (四半期) within the fiscal year.")
    period_label: str = Field(description="The period in words, e.g. 令和8年度 上半期.")
    value: Number | None = Field(description=f"The actual, {FIGURE}; null when given in words only (text).")
    text: str
    source: str = Field(description="As ActualOut.source.")
    as_of: datetime.date | None = Field(description="The day the figure describes.")


class KpiOut(Schema):
    key: str
    node: str
    name: str
    unit: str
    direction: str
    accumulation: str = Field(
        description=(
            "How the figures add up over the years: per_year (each year's actual against that year's"
            " target), cumulative (the sum of the yearly actuals against a running-total target),"
            " running_total (actuals reported as the running total), point_in_time (the latest value),"
            " every_n_years (done once every interval_years years)."
        )
    )
    accumulation_label: str = Field(
        description=(
            "The accumulation kind in words, e.g. 累計（各年度の実績の合計）or 3年ごとの値"
            " (in the request's language: Japanese unless English is asked for)."
        )
    )
    interval_years: int | None = Field(description="every_n_years: how many years (「3年ごとに1回」: 3).")
    baseline_fiscal_year: int | None
    baseline_value: Number | None = Field(
        description=f"The baseline (現状値), {FIGURE}; null when the plan gives none or only words."
    )
    baseline_text: str
    targets: list[TargetOut]
    actuals: list[ActualOut] = Field(
        description="One per fiscal year; for a plan reviewed per period, the year's figure built from them."
    )
    period_actuals: list[PeriodActualOut] = Field(
        description="For a plan reviewed half-yearly or quarterly: each period's actual, in order."
    )
    indicator: str | None
    status: str
    progress: Number | None = Field(
        description=(
            "How far from the start (the baseline; 0 for a cumulative KPI) to the final target: 0 at the"
            " start, 1 at the target (0.45 is 45 %), negative when the figure moved away from it; null"
            " without a start to measure from."
        )
    )
    judged_fiscal_year: int | None = Field(
        description="The fiscal year `status` is for: the latest year with a numeric actual."
    )
    judged_value: Number | None = Field(
        description=(
            "The figure `status` judges, a JSON number as `value`: the year's actual; for a cumulative"
            " KPI the sum of its actuals from the plan's first year to that year; for every_n_years the"
            " latest actual of the year's window (perhaps of an earlier year of it)."
        )
    )


def _edition(slug: str, key: str, edition: str | None) -> PlanEdition:
    if not could_name_something(slug, key, edition):
        raise Http404
    plan = get_object_or_404(
        Plan.objects.select_related("current_edition"), municipality__slug=slug, key=key, published=True
    )
    if edition:
        return get_object_or_404(adopted(PlanEdition.objects.all()), plan=plan, number=edition)  # no drafts
    return get_object_or_404(PlanEdition, pk=plan.current_edition_id)


def _plan_out(e: PlanEdition, slug: str, plan: Plan) -> PlanOut:
    """``plan`` comes with its predecessor and successors (see ``_with_lineage``)."""
    return PlanOut(
        review_period=cast(ReviewPeriodName, e.review_period),
        graded=cast(GradedName, e.graded),
        predecessor=plan.predecessor.key if plan.predecessor else None,
        predecessor_title=plan.predecessor_title,
        successors=[p.key for p in plan.successors.all()],
        municipality=slug,
        key=e.plan.key,
        title=e.title,
        kind=e.kind,
        first_year=e.first_year,
        last_year=e.last_year,
        edition=e.number,
        edition_date=date_as_printed(e.date, e.date_precision),
        edition_date_precision=precision_of(e.date_precision),
        adopted_on=date_as_printed(e.adopted_on, e.adopted_precision),
        adopted_on_precision=precision_of(e.adopted_precision),
        level_labels=e.level_labels,
    )


def _with_lineage(plans: Any) -> Any:
    """Plans with their predecessor and published successors, in two more queries in all."""
    return plans.select_related("predecessor").prefetch_related(
        Prefetch("successors", queryset=Plan.objects.filter(published=True).order_by("key"))
    )


@router.get("/plans", **responses(list[PlanOut]))
def list_plans(
    request: HttpRequest,
    municipality: Annotated[
        str | None,
        Query(
            description="Only the plans of the municipality with this URL name (none if no such).",
            example="oe",
        ),
    ] = None,
) -> list[PlanOut]:
    """Published plans (their current editions), optionally of one municipality (its URL name);
    none of a suspended municipality."""
    plans = _with_lineage(
        Plan.objects.filter(
            published=True, current_edition__isnull=False, municipality__suspended_at__isnull=True
        ).select_related("municipality", "current_edition__plan")
    )
    if municipality:
        if not could_name_something(municipality):
            return []
        plans = plans.filter(municipality__slug=municipality)
    return [
        _plan_out(p.current_edition, p.municipality.slug, p)
        for p in plans.order_by("municipality__code", "key")
        if p.current_edition
    ]


@router.get("/plans/{municipality}/{key}", **responses(PlanOut, not_found=PLAN_NOT_FOUND))
def get_plan(
    request: HttpRequest, municipality: MunicipalitySlug, key: PlanKey, edition: EditionNumber = None
) -> PlanOut:
    """A published plan: its current edition, or an adopted one by number."""
    e = _edition(municipality, key, edition)
    return _plan_out(e, municipality, _with_lineage(Plan.objects.filter(pk=e.plan_id)).get())


@router.get("/plans/{municipality}/{key}/nodes", **responses(list[NodeOut], not_found=PLAN_NOT_FOUND))
def list_nodes(
    request: HttpRequest, municipality: MunicipalitySlug, key: PlanKey, edition: EditionNumber = None
) -> list[NodeOut]:
    """The nodes (policy tree) of a published plan's edition, in the plan's order."""
    e = _edition(municipality, key, edition)
    labels = e.level_labels
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
            level=n.level,
            level_label=labels[n.level - 1] if 0 < n.level <= len(labels) else None,
            code=n.code,
            title=n.title,
            description=n.description,
            departments=[nd.department.name for nd in n.node_departments.all()],
            lead_department=next((nd.department.name for nd in n.node_departments.all() if nd.lead), None),
            national_items=[i.key for i in n.national_items.all()],
        )
        for n in nodes
    ]


@router.get("/plans/{municipality}/{key}/kpis", **responses(list[KpiOut], not_found=PLAN_NOT_FOUND))
def list_kpis(
    request: HttpRequest, municipality: MunicipalitySlug, key: PlanKey, edition: EditionNumber = None
) -> list[KpiOut]:
    """The KPIs of a published plan's edition with their targets, actuals and status."""
    e = _edition(municipality, key, edition)
    kpis = (
        Kpi.objects.filter(edition=e)
        .select_related("node", "indicator", "edition")
        .prefetch_related(
            "targets",
            Prefetch("actuals", queryset=KpiActual.objects.order_by("fiscal_year")),
            Prefetch("period_actuals", queryset=KpiPeriodActual.objects.order_by("fiscal_year", "period")),
        )
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
                accumulation_label=achievement.kind_label,
                interval_years=k.interval_years,
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
                        fiscal_year=a.fiscal_year,
                        value=a.value,
                        text=a.text,
                        source=a.source,
                        source_label=source_label(a),
                        as_of=a.date,
                        note=a.note,
                    )
                    for a in k.actuals.all()
                ],
                period_actuals=[
                    PeriodActualOut(
                        fiscal_year=a.fiscal_year,
                        period=a.period,
                        period_label=periods.label(a.fiscal_year, e.review_period, a.period),
                        value=a.value,
                        text=a.text,
                        source=a.source,
                        as_of=a.date,
                    )
                    for a in k.period_actuals.all()
                    if a.period in periods.numbers(e.review_period)
                ],
                indicator=k.indicator.key if k.indicator else None,
                status=achievement.status.value,
                progress=achievement.progress,
                judged_fiscal_year=achievement.year,
                judged_value=achievement.judged_value,
            )
        )
    return out


class ReviewOut(Schema):
    """A published (finalised) review of the plan: one per fiscal year, or per period of it."""

    fiscal_year: int
    period: int = Field(description="0 for a yearly review; 1–2 (half-yearly) or 1–4 (quarterly).")
    label: str = Field(description="The review in words: 令和7年度, 令和8年度 上半期.")
    edition: str = Field(description="The number of the plan's edition reviewed.")
    due_date: datetime.date
    demo: bool = Field(description="Invented for the demo, not published by the municipality.")


@router.get("/plans/{municipality}/{key}/reviews", **responses(list[ReviewOut], not_found=PLAN_NOT_FOUND))
def list_reviews(request: HttpRequest, municipality: MunicipalitySlug, key: PlanKey) -> list[ReviewOut]:
    """The plan's published reviews (進捗評価), in order of year and period."""
    e = _edition(municipality, key, None)
    cycles = (
        ReviewCycle.objects.filter(edition__plan_id=e.plan_id, state=ReviewCycle.State.FINALISED)
        .select_related("edition")
        .order_by("fiscal_year", "period")
    )
    return [
        ReviewOut(
            fiscal_year=c.fiscal_year,
            period=c.period,
            label=c.label,
            edition=c.edition.number,
            due_date=c.due_date,
            demo=c.demo,
        )
        for c in cycles
    ]
