"""Editing a consortium's joint goals (consortium staff): a goal with its yearly targets and,
for a list goal, its items, in one checked save (:func:`save_goal`); deleting a goal with every
member's answer to it.

A goal is of one of three kinds (``JointGoal.Kind``):

- **number** (数値): a standard indicator and a numeric target, judged with the goal's direction.
  Each member links the KPI or the observation of its own plan that measures the goal, or
  declares that it does not measure it (with a note); a member that has not answered has no link.
- **list** (項目の一覧): a named list of items (e.g. the 事務 each member moves online); each member
  sets its state per item (未着手・実施中・完了・対象外) with a note.
- **text** (文章): a target in words; each member says whether it has done it (達成・未達成) and
  since when.

The members' answers are in :mod:`yakusho.plans.joint_goals.answers`, the standing in
:mod:`yakusho.plans.joint_goals.standing`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yakusho.core.models import Consortium
from yakusho.plans.joint_goals.targets import (
    YEAR_MAX,
    YEAR_MIN,
    JointGoalError,
    TargetRow,
    check_targets,
    clean_text,
    has_nul,
    value_problem,
    write_targets,
)
from yakusho.plans.models import (
    JointGoal,
    JointGoalItem,
    JointGoalItemStatus,
    JointGoalLink,
    JointGoalTarget,
    Kpi,
)

Kind = JointGoal.Kind
ItemState = JointGoalItemStatus.State
Direction = Kpi.Direction


#: Item states that mean a member has started on the item: such an item cannot be removed.
STARTED = frozenset({ItemState.IN_PROGRESS, ItemState.DONE})


# --- items of a list goal ---------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    """An item as typed on the goal's form: an existing one (``id``) renamed, moved or removed,
    or a new one (no ``id``). ``order`` None keeps an item's place (a new one goes last)."""

    name: str
    id: int | None = None
    order: int | None = None
    remove: bool = False


def _item_problems(
    kind: str, rows: Sequence[ItemRow], existing: Mapping[int, JointGoalItem], started: set[int]
) -> list[str]:
    problems: list[str] = []
    kept: dict[str, int] = {}
    mentioned: set[int] = set()
    for row in rows:
        name = clean_text(row.name)
        if row.id is not None:
            item = existing.get(row.id)
            if item is None:
                problems.append(
                    _("この共通目標にない項目が指定されました（番号：%(id)s）。画面を開き直してください。")
                    % {"id": row.id}
                )
                continue
            if row.id in mentioned:
                problems.append(_("項目「%(name)s」が2回指定されました。") % {"name": item.name})
                continue
            mentioned.add(row.id)
            if row.remove:
                if row.id in started:
                    problems.append(
                        _("項目「%(name)s」は、着手した構成団体があるため削除できません。")
                        % {"name": item.name}
                    )
                    name = item.name  # it stays
                else:
                    continue
        elif row.remove:
            continue
        if not name:
            problems.append(_("項目名を入力してください（項目をやめるときは「削除」を選びます）。"))
            continue
        if len(name) > 200 or has_nul(name):
            problems.append(_("項目名「%(name)s…」は、200字までで入力してください。") % {"name": name[:20]})
            continue
        if row.order is not None and not 0 <= row.order <= 100000:
            problems.append(
                _("項目「%(name)s」の表示順は、0から100000までで入力してください。") % {"name": name}
            )
        if name in kept:
            problems.append(
                _("項目「%(name)s」が2つあります。項目名は重ならないようにしてください。") % {"name": name}
            )
        kept[name] = 1
    for pk, item in existing.items():
        if pk not in mentioned:
            if item.name in kept:
                problems.append(
                    _("項目「%(name)s」が2つあります。項目名は重ならないようにしてください。")
                    % {"name": item.name}
                )
            kept[item.name] = 1
    if kind != Kind.LIST and kept:
        problems.append(
            _(
                "「項目の一覧」以外の目標には項目を置けません。項目を削除するか、目標の種類を「項目の一覧」にしてください。"
            )
        )
    return problems


def _write_items(goal: JointGoal, rows: Sequence[ItemRow], existing: Mapping[int, JointGoalItem]) -> None:
    """Apply the item rows (checked already): remove, rename, add, and number them 1, 2, … in the
    order asked (an item without an order keeps its place; a new one goes last)."""
    removed = {row.id for row in rows if row.id is not None and row.remove}
    JointGoalItem.objects.filter(goal=goal, pk__in=removed).delete()
    by_id = {row.id: (position, row) for position, row in enumerate(rows) if row.id is not None}
    placed: list[tuple[int, int, JointGoalItem, str]] = []
    for pk, item in existing.items():
        if pk in removed:
            continue
        position, row = by_id.get(pk, (-1, None))
        name = clean_text(row.name) if row is not None else item.name
        order = row.order if row is not None and row.order is not None else item.order
        placed.append((order, position, item, name))
    last = max((o for o, *_rest in placed), default=0)
    new: list[tuple[int, int, JointGoalItem, str]] = []
    for position, row in enumerate(rows):
        if row.id is None and not row.remove and clean_text(row.name):
            order = row.order if row.order is not None else last + 1 + position
            item = JointGoalItem(goal=goal, consortium_id=goal.consortium_id)
            new.append((order, position, item, clean_text(row.name)))
    renamed = [item for _o, _p, item, name in placed if item.name != name]
    for item in renamed:  # two steps, so that two items may swap their names
        JointGoalItem.objects.filter(pk=item.pk).update(name=f"renaming-{item.pk}-{uuid.uuid4().hex}")
    for number, (_order, _position, item, name) in enumerate(
        sorted(placed + new, key=lambda entry: (entry[0], entry[1])), start=1
    ):
        item.name, item.order = name, number
        item.save()


# --- goals (consortium staff) ----------------------------------------------------------------

GOAL_FIELDS = (
    "key",
    "title",
    "kind",
    "direction",
    "description",
    "indicator",
    "unit",
    "target_value",
    "target_text",
    "target_fiscal_year",
    "order",
)


#: keys that would clash with the goal pages' own URLs (``goals/new/``)
RESERVED_KEYS = frozenset({"new"})


def has_answers(goal: JointGoal) -> bool:
    """Whether any member has answered the goal (a link, or a state on one of its items)."""
    if goal.pk is None:
        return False
    return (
        JointGoalLink.objects.filter(goal=goal).exists()
        or JointGoalItemStatus.objects.filter(item__goal=goal).exists()
    )


def goal_problems(goal: JointGoal, original_kind: str | None) -> list[str]:
    problems: list[str] = []
    if JointGoal.objects.for_consortium(goal.consortium).filter(key=goal.key).exclude(pk=goal.pk).exists():
        problems.append(_("キー「%(key)s」の共通目標はすでにあります。") % {"key": goal.key})
    if goal.key in RESERVED_KEYS:
        problems.append(_("キー「%(key)s」は画面のURLに使われているため使えません。") % {"key": goal.key})
    try:
        goal.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            try:
                label = str(getattr(JointGoal._meta.get_field(name), "verbose_name", ""))
            except Exception:  # a non-field error
                label = ""
            problems += [f"{label}：{m}" if label else m for m in messages]
    if original_kind is not None and original_kind != goal.kind and has_answers(goal):
        problems.append(
            _("構成団体の回答があるため、目標の種類は変えられません（いまは「%(kind)s」）。")
            % {"kind": Kind(original_kind).label}
        )
    if goal.kind == Kind.NUMBER and goal.direction == Direction.QUALITATIVE:
        problems.append(
            _("数値の目標の方向に「定性」は選べません。増やす・減らす・維持するから選んでください。")
        )
    elif goal.kind != Kind.NUMBER and goal.direction:
        problems.append(
            _("方向は数値の目標にだけ設定できます。項目の一覧・文章の目標では空欄にしてください。")
        )
    problem = value_problem(goal.target_value, _("目標値"))
    if problem:
        problems.append(problem)
    if goal.kind == Kind.TEXT and not goal.target_text:
        problems.append(_("文章の目標には「目標（文章）」を入力してください。"))
    elif goal.target_value is None and not goal.target_text:
        problems.append(_("目標値（数値）か目標（文章）のどちらかを入力してください。"))
    if goal.kind == Kind.LIST and goal.target_value is not None and not 0 <= goal.target_value <= 100:
        problems.append(_("項目の一覧の目標値は完了の割合（%）で、0から100までです。"))
    if goal.target_fiscal_year is not None and not YEAR_MIN <= goal.target_fiscal_year <= YEAR_MAX:
        problems.append(
            _("目標年度は、%(min)s年度から%(max)s年度までで入力してください。")
            % {"min": YEAR_MIN, "max": YEAR_MAX}
        )
    return problems


@transaction.atomic
def save_goal(
    consortium: Consortium,
    goal: JointGoal | None,
    fields: Mapping[str, Any],
    *,
    targets: Sequence[TargetRow] | None = None,
    items: Sequence[ItemRow] | None = None,
) -> JointGoal:
    """Create (``goal`` None) or change a goal with its yearly targets (``targets``: the whole
    set, or None to keep them) and its items (``items``: the rows to change or add; an item not
    named stays as it is). Everything is checked first and every problem raised together as one
    :class:`JointGoalError`; then it is saved at once, or nothing is."""
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown goal fields: {sorted(unknown)}")
    values = dict(fields)
    original_kind: str | None = None
    if goal is None:
        goal = JointGoal(consortium=consortium)
        if values.get("order") is None:
            last = JointGoal.objects.for_consortium(consortium).order_by("-order").first()
            values["order"] = (last.order + 1) if last else 1
    else:
        if goal.consortium_id != consortium.pk:
            raise JointGoalError(_("この広域連携の共通目標ではありません。"))
        original_kind = goal.kind
        if "order" in values and values["order"] is None:
            del values["order"]  # left blank: keep its place
    for name, value in values.items():
        setattr(goal, name, value)
    if goal.direction is None:
        goal.direction = ""
    problems = goal_problems(goal, original_kind)
    existing_targets: list[TargetRow] = []
    if targets is None and goal.pk is not None:
        existing_targets = [
            TargetRow(t.fiscal_year, t.value, t.text) for t in JointGoalTarget.objects.filter(goal=goal)
        ]
    problems += check_targets(
        goal.kind, goal.target_fiscal_year, targets if targets is not None else existing_targets
    )
    existing: dict[int, JointGoalItem] = {}
    started: set[int] = set()
    if goal.pk is not None:
        existing = {item.pk: item for item in JointGoalItem.objects.filter(goal=goal)}
        started = set(
            JointGoalItemStatus.objects.filter(item__goal=goal, state__in=STARTED).values_list(
                "item_id", flat=True
            )
        )
    problems += _item_problems(goal.kind, items or (), existing, started)
    if problems:
        raise JointGoalError(*problems)
    goal.save()
    if targets is not None:
        write_targets(goal, targets)
    if items:
        _write_items(goal, items, existing)
    return goal


def create_goal(consortium: Consortium, **fields: Any) -> JointGoal:
    return save_goal(consortium, None, fields)


def update_goal(goal: JointGoal, **fields: Any) -> JointGoal:
    return save_goal(goal.consortium, goal, fields)


def answer_count(goal: JointGoal) -> int:
    """How many members have answered the goal: a link, or states on its items."""
    linked = set(JointGoalLink.objects.filter(goal=goal).values_list("municipality_id", flat=True))
    stated = set(
        JointGoalItemStatus.objects.filter(item__goal=goal).values_list("municipality_id", flat=True)
    )
    return len(linked | stated)


@transaction.atomic
def delete_goal(goal: JointGoal) -> int:
    """Delete a goal and every member's answer to it (links and item states, its yearly targets
    and items); returns how many members' answers went with it."""
    answers = answer_count(goal)
    goal.delete()  # everything else cascades
    return answers
