"""What the plans app adds to shared pages."""

from collections import Counter
from datetime import date
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakusho.core.models import Membership, Role
from yakusho.core.pagecache import built_once, data_versions
from yakusho.core.ui import consortium_sections, panels, public_links
from yakusho.plans.achievement import Status, statuses
from yakusho.plans.compare import compare, member_plans
from yakusho.plans.models import NodeReview, Plan, ReviewCycle

public_links.register(
    "plans.list",
    label=_("DX推進計画"),
    url_name="plans:list",
    order=10,
    description=_("計画の施策・工程表・KPIと、その進み具合"),
)
public_links.register("plans.glossary", label=_("DX推進計画の用語集"), url_name="plans:glossary", order=20)


@consortium_sections.register("plans.compare", template="plans/consortium_compare.html", order=10)
def member_plans_compared(consortium: Any) -> dict[str, Any]:
    """A consortium's page opens on its members' published plans side by side."""
    plans = list(member_plans(consortium).order_by("municipality__code"))
    editions = [p.current_edition for p in plans if p.current_edition]
    return {"comparison": compare(editions) if editions else None, "consortium": consortium}


@panels.register(
    "plans.summary",
    title=_("DX推進計画"),
    template="plans/panel_summary.html",
    roles={Role.ADMIN, Role.SECRETARIAT, Role.DEPARTMENT, Role.HQ},
    order=30,
)
def plan_summary(membership: Membership) -> dict[str, Any] | None:
    """The municipality's plans with their KPIs by progress word."""
    plans = list(
        Plan.objects.for_municipality(membership.municipality)
        .filter(current_edition__isnull=False)
        .select_related("current_edition")
        .order_by("key")
    )
    if not plans:
        return None
    rows = []
    for plan in plans:
        assert plan.current_edition is not None
        counts = status_counts(plan.current_edition.pk, membership.municipality.slug)
        rows.append({"plan": plan, "counts": counts, "total": sum(counts.values())})
    return {"rows": rows}


def status_counts(edition_id: int, slug: str) -> dict[str, int]:
    """How many of an edition's KPIs stand at each progress word: judging every KPI of a large plan
    takes a few hundred ms, so the counts are kept under the municipality's data version and the
    date, which any change to its plans or figures replaces, and judged by one process of the
    server (core.pagecache.built_once)."""
    generation, version = data_versions(slug)
    key = (
        f"yakusho:plans:status-counts:{edition_id}:{timezone.localdate().isoformat()}:{generation}:{version}"
    )

    def judge() -> dict[str, int]:
        judged = Counter(statuses(edition_id).values())
        return {s.value: judged[s] for s in Status}

    return dict(built_once(key, judge))


#: how many of a department's reviews the panel lists (the rest: a count and the cycle's page)
REVIEW_ROWS = 10
#: the states in which a review waits for its 課 (or, without a 課, the DX推進室) to write and submit it
TO_SUBMIT = (NodeReview.State.DRAFT, NodeReview.State.RETURNED)


@panels.register(
    "plans.reviews_due",
    title=_("対応が必要な進捗評価"),
    template="plans/panel_reviews_due.html",
    roles={Role.DEPARTMENT, Role.SECRETARIAT, Role.ADMIN, Role.HQ},
    order=25,
)
def reviews_due(membership: Membership) -> dict[str, Any] | None:
    """What the member has to do now in the municipality's open yearly reviews (the panel is hidden
    while none is open; finalised cycles never count). Department staff: their 課's reviews to write
    and submit (draft or returned), overdue first; the DX推進室 and administrators: the submitted
    reviews to accept or return, and the reviews without a 課 that only they can submit; the
    DX推進本部: the accepted reviews to finalise. Three queries at most, however many reviews."""
    cycles = {
        c.pk: c
        for c in ReviewCycle.objects.for_municipality(membership.municipality)
        .filter(state=ReviewCycle.State.OPEN)
        .select_related("edition")
        .order_by("due_date", "pk")
    }
    if not cycles:
        return None
    today = timezone.localdate()
    reviews = NodeReview.objects.for_municipality(membership.municipality).filter(cycle_id__in=list(cycles))
    if membership.role == Role.DEPARTMENT:
        task, context = "submit", _to_submit(membership, reviews, cycles, today)
    elif membership.role == Role.HQ:
        task, context = "finalise", _to_finalise(reviews, cycles)
    else:
        task, context = "accept", _to_accept(reviews, cycles, today)
    return {"task": task, "several_cycles": len(cycles) > 1, **context}


def _to_submit(
    membership: Membership, reviews: QuerySet[NodeReview], cycles: dict[int, ReviewCycle], today: date
) -> dict[str, Any]:
    """A department member's own 課's reviews to write and submit, the overdue ones first."""
    mine = [d.pk for d in membership.departments.all()]  # prefetched by the staff home
    todo = reviews.filter(department_id__in=mine, state__in=TO_SUBMIT)
    found = list(
        todo.select_related("node")
        .annotate(returned_first=Case(When(state=NodeReview.State.RETURNED, then=0), default=1))
        .order_by("cycle__due_date", "returned_first", "node__order", "pk")[:REVIEW_ROWS]
    )
    totals = todo.aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(cycle__due_date__lt=today)))
    rows = []
    for review in found:
        review.cycle = cycles[review.cycle_id]
        rows.append({"review": review, "overdue": review.cycle.due_date < today})
    return {
        "rows": rows,
        "total": totals["total"],
        "overdue": totals["overdue"],
        "more": totals["total"] - len(rows),
        "cycles": list(cycles.values()),
    }


def _to_accept(reviews: QuerySet[NodeReview], cycles: dict[int, ReviewCycle], today: date) -> dict[str, Any]:
    """The submitted reviews waiting for the DX推進室 to accept or return them, per cycle, and the one
    waiting longest; the reviews without a 課, which only the DX推進室 (or an administrator) submits."""
    submitted = reviews.filter(state=NodeReview.State.SUBMITTED)
    counts = {
        row["cycle_id"]: row
        for row in reviews.values("cycle_id")
        .annotate(
            submitted=Count("pk", filter=Q(state=NodeReview.State.SUBMITTED)),
            unassigned=Count("pk", filter=Q(department=None, state__in=TO_SUBMIT)),
        )
        .order_by()
    }
    rows = [
        {
            "cycle": cycle,
            "submitted": counts[pk]["submitted"],
            "unassigned": counts[pk]["unassigned"],
            "overdue": counts[pk]["unassigned"] > 0 and cycle.due_date < today,
        }
        for pk, cycle in cycles.items()
        if pk in counts and (counts[pk]["submitted"] or counts[pk]["unassigned"])
    ]
    total = sum(row["submitted"] for row in rows)
    oldest = (
        submitted.select_related("node", "department").order_by("updated_at", "pk").first() if total else None
    )
    if oldest is not None:
        oldest.cycle = cycles[oldest.cycle_id]
    return {
        "rows": rows,
        "total": total,
        "unassigned": sum(row["unassigned"] for row in rows),
        "oldest": oldest,
    }


def _to_finalise(reviews: QuerySet[NodeReview], cycles: dict[int, ReviewCycle]) -> dict[str, Any]:
    """The accepted reviews waiting for the DX推進本部, per cycle, and whether the whole cycle is ready
    to be finalised at once (every review accepted)."""
    counts = {
        row["cycle_id"]: row
        for row in reviews.values("cycle_id")
        .annotate(
            accepted=Count("pk", filter=Q(state=NodeReview.State.ACCEPTED)),
            before=Count("pk", filter=~Q(state__in=[NodeReview.State.ACCEPTED, NodeReview.State.FINALISED])),
        )
        .order_by()
    }
    rows = [
        {"cycle": cycle, "accepted": counts[pk]["accepted"], "before": counts[pk]["before"]}
        for pk, cycle in cycles.items()
        if pk in counts and counts[pk]["accepted"]
    ]
    return {"rows": rows, "total": sum(row["accepted"] for row in rows)}


@consortium_sections.register("plans.reviews", template="plans/review/consortium_section.html", order=30)
def member_reviews(consortium: Any) -> dict[str, Any]:
    """Each member's latest yearly review in headline figures (the full table: its dashboard)."""
    from yakusho.plans.dashboard.consortium import consortium_dashboard

    return {"members": consortium_dashboard(consortium), "consortium": consortium}
