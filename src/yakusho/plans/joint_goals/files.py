"""Goals files (YAML, see docs/joint-goals.md): the demo's (:func:`demo_file`) or a consortium's
own. :func:`load_file` creates or updates the goals, their yearly targets and items and the
members' answers, checked with the rules of the goal form; loading a file again changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction

from yakusho.core.models import Consortium, Municipality
from yakusho.plans.joint_goals.goals import goal_problems
from yakusho.plans.joint_goals.targets import JointGoalError, TargetRow, check_targets, write_targets
from yakusho.plans.models import (
    JointGoal,
    JointGoalItem,
    JointGoalItemStatus,
    JointGoalLink,
    Kpi,
    Observation,
    Plan,
    StandardIndicator,
)

Kind = JointGoal.Kind
ItemState = JointGoalItemStatus.State


def demo_file() -> Path:
    return Path(settings.DATA_DIR) / "demo" / "joint-goals.yaml"


@transaction.atomic
def load_file(path: Path) -> tuple[int, int]:
    """Create or update the goals, their yearly targets and items, and the members' answers of a
    goals file (see docs/joint-goals.md).

    Loading the same file again changes nothing and adds nothing. Returns (goals, answers), an
    answer being a member's link or its states on a list goal's items.
    """
    data = yaml.safe_load(path.read_text("utf-8"))

    def fail(where: str, message: str) -> JointGoalError:
        return JointGoalError(f"{path.name}: {where}: {message}")

    consortium = Consortium.objects.filter(slug=data["consortium"]).first()
    if consortium is None:
        raise fail("consortium", f"no consortium {data['consortium']!r}")
    members = {m.slug: m for m in consortium.members.all()}
    answers = 0
    for order, entry in enumerate(data["goals"], start=1):
        where = f"goals[{order - 1}] ({entry['key']})"
        indicator = None
        if entry.get("indicator"):
            indicator = StandardIndicator.objects.filter(key=entry["indicator"]).first()
            if indicator is None:
                raise fail(where, f"unknown standard indicator {entry['indicator']!r}")
        kind = entry.get("kind", Kind.NUMBER)
        if kind not in Kind.values:
            raise fail(where, f"unknown kind {kind!r}")
        target = entry.get("target_value")
        goal, _created = JointGoal.objects.update_or_create(
            consortium=consortium,
            key=entry["key"],
            defaults={
                "title": entry["title"],
                "kind": kind,
                "direction": entry.get("direction", ""),
                "description": entry.get("description", ""),
                "indicator": indicator,
                "unit": entry.get("unit", ""),
                "target_value": None if target is None else Decimal(str(target)),
                "target_text": entry.get("target_text", ""),
                "target_fiscal_year": entry.get("target_fiscal_year"),
                "order": order,
            },
        )
        problems = goal_problems(goal, None)
        rows = [
            TargetRow(
                int(t["fiscal_year"]),
                None if t.get("value") is None else Decimal(str(t["value"])),
                t.get("text", ""),
            )
            for t in entry.get("targets", [])
        ]
        problems += check_targets(goal.kind, goal.target_fiscal_year, rows)
        if problems:
            raise fail(where, " ".join(problems))
        write_targets(goal, rows)
        _load_items(goal, entry.get("items", []), lambda m, w=where: fail(w, m))
        for answer in entry.get("links", []):
            _load_answer(goal, members, answer, lambda m, w=where: fail(w, m))
            answers += 1
        for answer in entry.get("states", []):
            _load_states(goal, members, answer, lambda m, w=where: fail(w, m))
            answers += 1
    return len(data["goals"]), answers


def _load_items(goal: JointGoal, names: list[str], fail: Any) -> None:
    """Make the goal's items exactly ``names``, in that order (an item not named is removed with
    the members' states on it)."""
    if names and goal.kind != Kind.LIST:
        raise fail("items are for a list goal (kind: list)")
    if len(set(names)) != len(names):
        raise fail("an item is named twice")
    JointGoalItem.objects.filter(goal=goal).exclude(name__in=names).delete()
    for order, name in enumerate(names, start=1):
        JointGoalItem.objects.update_or_create(
            goal=goal, name=name, defaults={"consortium": goal.consortium, "order": order}
        )


def _load_states(
    goal: JointGoal, members: dict[str, Municipality], answer: dict[str, Any], fail: Any
) -> None:
    """A member's states on a list goal's items: ``{municipality, items: {name: state or
    {state, note}}}``."""
    municipality = members.get(answer["municipality"])
    if municipality is None:
        raise fail(f"{answer['municipality']!r} is not a member")
    items = {item.name: item for item in JointGoalItem.objects.filter(goal=goal)}
    for name, value in answer["items"].items():
        item = items.get(name)
        if item is None:
            raise fail(f"no item {name!r}")
        state, note = (value, "") if isinstance(value, str) else (value["state"], value.get("note", ""))
        if state not in ItemState.values:
            raise fail(f"{municipality.slug}: unknown state {state!r} of {name!r}")
        JointGoalItemStatus.objects.update_or_create(
            item=item, municipality=municipality, defaults={"state": state, "note": note}
        )


def _load_answer(
    goal: JointGoal, members: dict[str, Municipality], answer: dict[str, Any], fail: Any
) -> None:
    municipality = members.get(answer["municipality"])
    if municipality is None:
        raise fail(f"{answer['municipality']!r} is not a member")
    plan = (
        Plan.objects.for_municipality(municipality)
        .filter(key=answer["plan"], current_edition__isnull=False)
        .select_related("current_edition")
        .first()
    )
    if plan is None:
        raise fail(f"no plan {answer['plan']!r} of {municipality.slug} (import the plan files first)")
    kpi = observation = None
    done: bool | None = None
    done_on: date | None = None
    if goal.kind == Kind.TEXT:
        if not isinstance(answer.get("done"), bool):
            raise fail(f"{municipality.slug}: an answer to a text goal needs done: true or false")
        done = answer["done"]
        done_on = answer.get("done_on") if done else None
        if done and not isinstance(done_on, date):
            raise fail(f"{municipality.slug}: done: true needs done_on (a date)")
    elif goal.kind == Kind.LIST:
        raise fail(f"{municipality.slug}: a list goal is answered with states, not links")
    elif "kpi" in answer:
        kpi = Kpi.objects.filter(edition=plan.current_edition, key=answer["kpi"]).first()
        if kpi is None:
            raise fail(f"no KPI {answer['kpi']!r} in {plan.key}")
    elif "observation" in answer:
        found = list(Observation.objects.filter(edition=plan.current_edition, name=answer["observation"]))
        if len(found) != 1:
            raise fail(f"{len(found)} observations named {answer['observation']!r} in {plan.key}")
        observation = found[0]
    elif not answer.get("note"):
        raise fail(f"{municipality.slug}: an answer without a measure needs a note")
    JointGoalLink.objects.update_or_create(
        goal=goal,
        municipality=municipality,
        defaults={
            "plan": plan,
            "kpi": kpi,
            "observation": observation,
            "note": answer.get("note", ""),
            "done": done,
            "done_on": done_on,
        },
    )
