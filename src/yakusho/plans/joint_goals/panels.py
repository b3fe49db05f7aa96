"""What joint goals add to shared pages: a section of the consortium page and a staff-home panel."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from yakusho.core.models import Membership, Role
from yakusho.core.ui import consortium_sections, panels
from yakusho.plans.joint_goals.services import members_of, standings
from yakusho.plans.models import JointGoal, JointGoalLink


@consortium_sections.register("plans.joint_goals", template="plans/joint_goals/section.html", order=20)
def joint_goals_section(consortium: Any) -> dict[str, Any]:
    """The consortium's goals with every member's state and latest figure."""
    goals = JointGoal.objects.for_consortium(consortium).select_related("indicator").order_by("order", "key")
    return {"consortium": consortium, "standings": standings(goals, members_of(consortium))}


@panels.register(
    "plans.joint_goals",
    title=_("広域連携の共通目標"),
    template="plans/joint_goals/panel.html",
    roles={Role.ADMIN, Role.SECRETARIAT},
    order=35,
)
def joint_goals_panel(membership: Membership) -> dict[str, Any] | None:
    """How many of the consortia's goals this municipality has not answered yet."""
    goals = list(
        JointGoal.objects.filter(consortium__members=membership.municipality).values_list("pk", flat=True)
    )
    if not goals:
        return None
    answered = (
        JointGoalLink.objects.for_municipality(membership.municipality)
        .filter(goal_id__in=goals)
        .exclude(kpi=None, observation=None, note="")  # a measure since deleted is no answer
        .count()
    )
    return {"municipality": membership.municipality, "total": len(goals), "unanswered": len(goals) - answered}
