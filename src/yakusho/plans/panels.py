"""What the plans app adds to shared pages."""

from collections import Counter
from typing import Any

from django.utils.translation import gettext_lazy as _

from yakusho.core.models import Membership, Role
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
        counts = Counter(statuses(plan.current_edition.pk).values())
        rows.append(
            {"plan": plan, "counts": {s.value: counts[s] for s in Status}, "total": sum(counts.values())}
        )
    return {"rows": rows}


@panels.register(
    "plans.reviews_due",
    title=_("提出が必要な進捗評価"),
    template="plans/panel_reviews_due.html",
    roles={Role.DEPARTMENT, Role.SECRETARIAT, Role.ADMIN, Role.HQ},
    order=25,
)
def reviews_due(membership: Membership) -> dict[str, Any] | None:
    """Department staff: their 課's reviews still to submit; the secretariat: reviews to accept;
    DX推進本部: reviews to finalise."""
    open_reviews = NodeReview.objects.for_municipality(membership.municipality).filter(
        cycle__state=ReviewCycle.State.OPEN
    )
    if membership.role == Role.DEPARTMENT:
        waiting = open_reviews.filter(
            department__in=membership.departments.all(),
            state__in=[NodeReview.State.DRAFT, NodeReview.State.RETURNED],
        )
    elif membership.role == Role.HQ:
        waiting = open_reviews.filter(state=NodeReview.State.ACCEPTED)
    else:
        waiting = open_reviews.filter(state=NodeReview.State.SUBMITTED)
    rows = list(
        waiting.select_related("node", "cycle", "department").order_by("cycle__due_date", "node__order")[:10]
    )
    if not rows:
        return None
    return {"rows": rows, "total": waiting.count()}


@consortium_sections.register("plans.reviews", template="plans/review/consortium_section.html", order=30)
def member_reviews(consortium: Any) -> dict[str, Any]:
    """Each member's latest yearly review in headline figures (the full table: its dashboard)."""
    from yakusho.plans.dashboard.consortium import consortium_dashboard

    return {"members": consortium_dashboard(consortium), "consortium": consortium}
