"""What joint goals add to shared pages: a section of the consortium page and a staff-home panel."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yakusho.core.models import Membership, Role
from yakusho.core.ui import consortium_sections, panels
from yakusho.plans.joint_goals.standing import members_of, standings
from yakusho.plans.joint_goals.targets import current_fiscal_year
from yakusho.plans.models import JointGoal, JointGoalItem, JointGoalItemStatus, JointGoalLink


@consortium_sections.register("plans.joint_goals", template="plans/joint_goals/section.html", order=20)
def joint_goals_section(consortium: Any) -> dict[str, Any]:
    """The consortium's goals with every member's answer against this fiscal year's targets."""
    goals = JointGoal.objects.for_consortium(consortium).select_related("indicator").order_by("order", "key")
    year = current_fiscal_year()
    return {
        "consortium": consortium,
        "year": year,
        "standings": standings(goals, members_of(consortium), year=year),
    }


@panels.register(
    "plans.joint_goals",
    title=_("広域連携の共通目標"),
    template="plans/joint_goals/panel.html",
    roles={Role.ADMIN, Role.SECRETARIAT},
    order=35,
)
def joint_goals_panel(membership: Membership) -> dict[str, Any] | None:
    """How many of the consortia's goals this municipality has not answered yet: a number goal
    without a measure or a declaration, a text goal without 達成・未達成, a list goal with an item
    it has given no state (a list goal without items asks nothing yet)."""
    municipality = membership.municipality
    goals = dict(JointGoal.objects.filter(consortium__members=municipality).values_list("pk", "kind"))
    if not goals:
        return None
    items = Counter(JointGoalItem.objects.filter(goal_id__in=goals).values_list("goal_id", flat=True))
    asked = {pk for pk, kind in goals.items() if kind != JointGoal.Kind.LIST or items[pk]}
    answered = set(
        JointGoalLink.objects.for_municipality(municipality)
        .filter(goal_id__in=goals)
        .filter(
            Q(goal__kind=JointGoal.Kind.TEXT, done__isnull=False)
            | (
                Q(goal__kind=JointGoal.Kind.NUMBER)
                & ~Q(kpi=None, observation=None, note="")  # a measure since deleted is no answer
            )
        )
        .values_list("goal_id", flat=True)
    )
    states = Counter(
        JointGoalItemStatus.objects.for_municipality(municipality)
        .filter(item__goal_id__in=goals)
        .values_list("item__goal_id", flat=True)
    )
    answered |= {pk for pk, n in states.items() if n >= items[pk] > 0}
    return {
        "municipality": municipality,
        "total": len(asked),
        "unanswered": len(asked - answered),
    }
