"""The demo consortium's joint goals (``data/demo/joint-goals.yaml``), a ``demo_loaded`` receiver."""

from __future__ import annotations

from typing import Any

from yakusho.plans.joint_goals.files import demo_file, load_file
from yakusho.plans.joint_goals.targets import JointGoalError


def load_demo_joint_goals(sender: Any, **kwargs: Any) -> str:
    """``demo_loaded`` receiver: the demo consortium's goals (after the plans are imported)."""
    from django.core.management.base import CommandError

    try:
        goals, answers = load_file(demo_file())
    except JointGoalError as exc:
        raise CommandError(str(exc)) from None
    return f"Joint goals: {goals} goals of the demo consortium, {answers} members' answers."
