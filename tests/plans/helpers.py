"""Shared helpers for the plan tests."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from yakusho.plans.planfile.schema import PlanFile

PLANS = Path(__file__).resolve().parents[2] / "data" / "plans"


def load(name: str) -> PlanFile:
    """A plan file from data/plans, checked against the schema."""
    return PlanFile.model_validate(yaml.safe_load((PLANS / name).read_text("utf-8")))


def depth_of(plan: PlanFile, key: str) -> int:
    parents = {n.key: n.parent for n in plan.nodes}
    depth = 1
    parent = parents[key]
    while parent is not None:
        parent = parents[parent]
        depth += 1
    return depth


def depth_counts(plan: PlanFile) -> Counter[int]:
    return Counter(depth_of(plan, n.key) for n in plan.nodes)


def level_counts(plan: PlanFile) -> Counter[str]:
    """Nodes per level label: a node's own ``level`` where it names one, else its depth's label."""
    labels = plan.level_labels
    return Counter(n.level or labels[depth_of(plan, n.key) - 1] for n in plan.nodes)
