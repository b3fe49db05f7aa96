"""Joint goals of a consortium (共通目標) and what each member answers to them.

A consortium (a prefecture, a 電算組合) sets goals for all its members. A goal is of one of three
kinds (``JointGoal.Kind``):

- **number** (数値): a standard indicator and a numeric target, judged with the goal's direction.
  Each member links the KPI or the observation of its own plan that measures the goal, or
  declares that it does not measure it (with a note); a member that has not answered has no link.
- **list** (項目の一覧): a named list of items (e.g. the 事務 each member moves online); each member
  sets its state per item (未着手・実施中・完了・対象外) with a note.
- **text** (文章): a target in words; each member says whether it has done it (達成・未達成) and
  since when.

A goal has its final target on ``JointGoal`` (``target_value``, ``target_text``,
``target_fiscal_year``) and may have one target per earlier fiscal year (``JointGoalTarget``).
:func:`standings` puts the members side by side against the target of the year shown (that
year's target, else the final one) with honest states, figures and shares with their base.

Every rule lives here; views, exports and the demo loader call these functions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core.jcal import fiscal_year_of, format_fiscal_year, format_wareki_date
from yakusho.core.models import Consortium, Membership, Municipality
from yakusho.core.permissions import Perm, role_allows
from yakusho.core.validators import normalize_text
from yakusho.plans import figures
from yakusho.plans.achievement import Achievement, evaluate
from yakusho.plans.models import (
    JointGoal,
    JointGoalItem,
    JointGoalItemStatus,
    JointGoalLink,
    JointGoalTarget,
    Kpi,
    KpiActual,
    KpiTarget,
    Observation,
    Plan,
    StandardIndicator,
)

Kind = JointGoal.Kind
ItemState = JointGoalItemStatus.State
Direction = Kpi.Direction


class JointGoalError(ValueError):
    """A refused change, with every Japanese message for the person who asked for it (all the
    problems found at once, so a form can show them together)."""

    def __init__(self, *messages: str) -> None:
        self.messages = [str(m) for m in messages]
        super().__init__(" ".join(self.messages))


class State(StrEnum):
    """A member's answer to a goal, as one word (the words differ with the goal's kind)."""

    MEASURED = "measured"  # number: a KPI or an observation
    NOT_MEASURED = "not_measured"  # number: neither, with a note
    ANSWERED = "answered"  # list: a state for every item
    PARTLY = "partly"  # list: a state for some items
    DONE = "done"  # text: 達成
    NOT_DONE = "not_done"  # text: 未達成
    UNANSWERED = "unanswered"


STATE_LABELS = {
    State.MEASURED: gettext_lazy("計測している"),
    State.NOT_MEASURED: gettext_lazy("計測していない"),
    State.ANSWERED: gettext_lazy("全項目に回答"),
    State.PARTLY: gettext_lazy("一部の項目が未回答"),
    State.DONE: gettext_lazy("達成"),
    State.NOT_DONE: gettext_lazy("未達成"),
    State.UNANSWERED: gettext_lazy("未回答"),
}
#: Shown before the word, so the state never rests on colour alone.
STATE_SYMBOLS = {
    State.MEASURED: "○",
    State.NOT_MEASURED: "−",
    State.ANSWERED: "○",
    State.PARTLY: "△",
    State.DONE: "○",
    State.NOT_DONE: "×",
    State.UNANSWERED: "？",
}
#: The states a member of a goal of each kind can be in, in the order they are counted.
KIND_STATES = {
    Kind.NUMBER: (State.MEASURED, State.NOT_MEASURED, State.UNANSWERED),
    Kind.LIST: (State.ANSWERED, State.PARTLY, State.UNANSWERED),
    Kind.TEXT: (State.DONE, State.NOT_DONE, State.UNANSWERED),
}

#: A member's state on one item of a list goal, with its symbol (and 未回答 for none yet).
ITEM_SYMBOLS = {
    ItemState.DONE: "○",
    ItemState.IN_PROGRESS: "△",
    ItemState.NOT_STARTED: "−",
    ItemState.NOT_APPLICABLE: "／",
}
ITEM_UNANSWERED = gettext_lazy("未回答")
#: Item states that mean a member has started on the item: such an item cannot be removed.
STARTED = frozenset({ItemState.IN_PROGRESS, ItemState.DONE})

#: Fiscal years a yearly target may name.
YEAR_MIN = 2000
YEAR_MAX = 2100
#: What a numeric target fits in (``max_digits=20, decimal_places=6`` on the models).
_VALUE_LIMIT = Decimal(10) ** 14


def current_fiscal_year() -> int:
    return fiscal_year_of(timezone.localdate())


def _year_name(year: int) -> str:
    if YEAR_MIN <= year <= YEAR_MAX:
        return format_fiscal_year(year, short=True)
    return _("%(year)s年度") % {"year": year}


def _clean_text(value: str) -> str:
    return normalize_text(value or "").strip()


def _has_nul(*values: str) -> bool:
    return any("\x00" in (v or "") for v in values)


def _value_problem(value: Decimal | None, what: str) -> str | None:
    if value is None:
        return None
    try:
        fits = value.is_finite() and abs(value) < _VALUE_LIMIT and value == value.quantize(Decimal("1e-6"))
    except InvalidOperation:
        fits = False
    if not fits:
        return _("%(what)sは、整数14桁・小数6桁までの数値で入力してください。") % {"what": what}
    return None


# --- direction: how a numeric target is judged ------------------------------------------------


def meets(direction: str, value: Decimal, target: Decimal) -> bool:
    """Whether ``value`` meets ``target``: at most the target for a goal to reduce something
    (減らす), at least the target otherwise (増やす, 維持する, or no direction)."""
    return value <= target if direction == Direction.DECREASE else value >= target


def direction_text(goal: JointGoal) -> str:
    """The direction and the rule it gives: 「減らす（目標値以下で達成）」."""
    if goal.kind != Kind.NUMBER:
        return ""
    if goal.direction == Direction.DECREASE:
        return _("減らす（目標値以下で達成）")
    if goal.direction in (Direction.INCREASE, Direction.KEEP):
        return _("%(direction)s（目標値以上で達成）") % {"direction": goal.get_direction_display()}
    return _("指定なし（目標値以上で達成）")


# --- targets: the final one and one per year --------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    """A yearly target as typed: the fiscal year, and a number and/or a text."""

    fiscal_year: int
    value: Decimal | None = None
    text: str = ""


@dataclass(frozen=True)
class ShownTarget:
    """The target a goal is judged against for the year shown: that year's target, else the
    final target (the goal's own fields)."""

    value: Decimal | None
    text: str
    year: int | None  # the fiscal year this target is for (the final one may name none)
    final: bool
    asked: int | None = None  # the year shown (None: the final target was asked for)

    @property
    def exists(self) -> bool:
        return self.value is not None or bool(self.text)

    @property
    def caption(self) -> str:
        """「令和8年度の目標」, 「最終目標（令和10年度）」, or why the final target is used."""
        if not self.final and self.year is not None:
            return _("%(year)sの目標") % {"year": format_fiscal_year(self.year, short=True)}
        final = (
            _("最終目標（%(year)s）") % {"year": format_fiscal_year(self.year, short=True)}
            if self.year is not None
            else _("最終目標")
        )
        if self.asked is not None and self.asked != self.year:
            return _("%(asked)sの目標はないため%(final)s") % {
                "asked": format_fiscal_year(self.asked, short=True),
                "final": final,
            }
        return final


def final_target(goal: JointGoal, asked: int | None = None) -> ShownTarget:
    return ShownTarget(goal.target_value, goal.target_text, goal.target_fiscal_year, True, asked)


def target_for(goal: JointGoal, targets: Iterable[JointGoalTarget], year: int | None) -> ShownTarget:
    """The target of ``year`` (a ``JointGoalTarget``), else the final target; ``year`` None asks
    for the final target."""
    if year is not None:
        for target in targets:
            if target.fiscal_year == year:
                return ShownTarget(target.value, target.text, year, False, year)
    return final_target(goal, year)


def check_targets(kind: str, final_year: int | None, rows: Sequence[TargetRow]) -> list[str]:
    """Every problem of a goal's yearly targets, each naming its year: one per year, within
    2000–2100 and before the final target year, and what the goal's kind needs (a number for a
    number goal, a text for a text goal, a share or a text for a list goal)."""
    problems: list[str] = []
    seen: set[int] = set()
    for row in rows:
        name = _year_name(row.fiscal_year)
        if not YEAR_MIN <= row.fiscal_year <= YEAR_MAX:
            problems.append(
                _("年度別目標の年度（%(year)s）は、%(min)s年度から%(max)s年度までで入力してください。")
                % {"year": name, "min": YEAR_MIN, "max": YEAR_MAX}
            )
            continue
        if final_year is not None and row.fiscal_year >= final_year:
            problems.append(
                _(
                    "年度別目標の年度（%(year)s）は、目標年度（%(final)s）より前にしてください。"
                    "目標年度の目標は「目標値（数値）」「目標（文章）」に書きます。"
                )
                % {"year": name, "final": format_fiscal_year(final_year, short=True)}
            )
        if row.fiscal_year in seen:
            problems.append(
                _("年度別目標に%(year)sが2回あります。1年度に1つにしてください。") % {"year": name}
            )
        seen.add(row.fiscal_year)
        what = _("%(year)sの目標値") % {"year": name}
        problem = _value_problem(row.value, what)
        if problem:
            problems.append(problem)
        if len(row.text) > 200 or _has_nul(row.text):
            problems.append(
                _("%(year)sの目標（文章）は、200字までの文章で入力してください。") % {"year": name}
            )
        if kind == Kind.NUMBER and row.value is None:
            problems.append(
                _("%(year)sの目標：数値の目標なので、目標値（数値）を入力してください。") % {"year": name}
            )
        elif kind == Kind.TEXT and not row.text:
            problems.append(
                _("%(year)sの目標：文章の目標なので、目標（文章）を入力してください。") % {"year": name}
            )
        elif kind == Kind.LIST:
            if row.value is None and not row.text:
                problems.append(
                    _("%(year)sの目標：完了の割合（%%）か目標（文章）を入力してください。") % {"year": name}
                )
            elif row.value is not None and not 0 <= row.value <= 100:
                problems.append(
                    _("%(year)sの目標：項目の一覧の目標値は完了の割合（%%）で、0から100までです。")
                    % {"year": name}
                )
    return problems


def _write_targets(goal: JointGoal, rows: Sequence[TargetRow]) -> None:
    """Make the goal's yearly targets exactly ``rows`` (checked already)."""
    years = [row.fiscal_year for row in rows]
    JointGoalTarget.objects.filter(goal=goal).exclude(fiscal_year__in=years).delete()
    for row in rows:
        JointGoalTarget.objects.update_or_create(
            goal=goal,
            fiscal_year=row.fiscal_year,
            defaults={"consortium_id": goal.consortium_id, "value": row.value, "text": _clean_text(row.text)},
        )


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
        name = _clean_text(row.name)
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
        if len(name) > 200 or _has_nul(name):
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
        name = _clean_text(row.name) if row is not None else item.name
        order = row.order if row is not None and row.order is not None else item.order
        placed.append((order, position, item, name))
    last = max((o for o, *_rest in placed), default=0)
    new: list[tuple[int, int, JointGoalItem, str]] = []
    for position, row in enumerate(rows):
        if row.id is None and not row.remove and _clean_text(row.name):
            order = row.order if row.order is not None else last + 1 + position
            item = JointGoalItem(goal=goal, consortium_id=goal.consortium_id)
            new.append((order, position, item, _clean_text(row.name)))
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


def _goal_problems(goal: JointGoal, original_kind: str | None) -> list[str]:
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
    problem = _value_problem(goal.target_value, _("目標値"))
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
    problems = _goal_problems(goal, original_kind)
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
        _write_targets(goal, targets)
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


# --- members' answers ------------------------------------------------------------------------


def _check_member(membership: Membership, goal: JointGoal) -> Municipality:
    if not membership.is_active or not role_allows(membership.role, Perm.LINK_JOINT_GOALS):
        raise JointGoalError(_("共通目標の指標を設定できるのは、DX推進室と団体管理者です。"))
    municipality = membership.municipality
    if not goal.consortium.members.filter(pk=municipality.pk).exists():
        raise JointGoalError(
            _("%(name)sは「%(consortium)s」の構成団体ではありません。")
            % {"name": municipality.name, "consortium": goal.consortium.name}
        )
    return municipality


def current_plans(municipality: Municipality) -> list[Plan]:
    """The municipality's plans that have an edition, newest edition first."""
    return list(
        Plan.objects.for_municipality(municipality)
        .filter(current_edition__isnull=False)
        .select_related("current_edition")
        .order_by("-current_edition__date", "key")
    )


@transaction.atomic
def link_measure(
    membership: Membership,
    goal: JointGoal,
    *,
    kpi: Kpi | int | None = None,
    observation: Observation | int | None = None,
    note: str = "",
) -> JointGoalLink:
    """Record what the member of ``membership`` measures ``goal`` by: a KPI of the current
    edition of one of its plans, an observation of one, or neither (it does not measure the
    goal; a note then says why). One answer per goal and member: a new one replaces the old."""
    municipality = _check_member(membership, goal)
    if goal.kind != Kind.NUMBER:
        raise JointGoalError(
            _("「%(title)s」は数値の目標ではないため、KPIや現状の数値では回答できません。")
            % {"title": goal.title}
        )
    note = normalize_text(note or "").strip()
    if kpi is not None and observation is not None:
        raise JointGoalError(_("KPIと現状の数値は、どちらか一つだけ選んでください。"))
    plans = {p.pk: p for p in current_plans(municipality)}
    current = {p.current_edition_id for p in plans.values()}
    chosen_kpi: Kpi | None = None
    chosen_observation: Observation | None = None
    if kpi is not None:
        kpi_id = kpi.pk if isinstance(kpi, Kpi) else kpi
        chosen_kpi = (
            Kpi.objects.for_municipality(municipality)
            .filter(pk=kpi_id, edition_id__in=current)
            .select_related("edition")
            .first()
        )
        if chosen_kpi is None:
            raise JointGoalError(_("KPIは、自団体の計画の現行版にあるものから選んでください。"))
        plan = plans[chosen_kpi.edition.plan_id]
    elif observation is not None:
        observation_id = observation.pk if isinstance(observation, Observation) else observation
        chosen_observation = (
            Observation.objects.for_municipality(municipality)
            .filter(pk=observation_id, edition_id__in=current)
            .select_related("edition")
            .first()
        )
        if chosen_observation is None:
            raise JointGoalError(_("現状の数値は、自団体の計画の現行版にあるものから選んでください。"))
        plan = plans[chosen_observation.edition.plan_id]
    else:
        if not note:
            raise JointGoalError(_("計測していない場合は、その理由や今後の予定を備考に書いてください。"))
        if not plans:
            raise JointGoalError(_("計画が登録されていないため、回答できません。"))
        plan = next(iter(plans.values()))  # the newest: the answer is the municipality's
    link, _created = JointGoalLink.objects.update_or_create(
        goal=goal,
        municipality=municipality,
        defaults={"plan": plan, "kpi": chosen_kpi, "observation": chosen_observation, "note": note},
    )
    return link


@transaction.atomic
def clear_link(membership: Membership, goal: JointGoal) -> bool:
    """Withdraw the member's answer (the goal reads 未回答 again): its link, and for a list goal
    its states on every item."""
    municipality = _check_member(membership, goal)
    deleted, _detail = JointGoalLink.objects.for_municipality(municipality).filter(goal=goal).delete()
    states, _detail = (
        JointGoalItemStatus.objects.for_municipality(municipality).filter(item__goal=goal).delete()
    )
    return bool(deleted or states)


@transaction.atomic
def set_item_states(membership: Membership, goal: JointGoal, states: Mapping[int, tuple[str, str]]) -> int:
    """Set the member's state (and note) on items of a list goal: ``{item id: (state, note)}``;
    a blank state takes the item back to 未回答. Only the member's own states are written (the
    municipality is the membership's, never one given). Every problem is raised together and
    nothing is saved then. Returns how many items changed."""
    municipality = _check_member(membership, goal)
    if goal.kind != Kind.LIST:
        raise JointGoalError(_("「%(title)s」は項目の一覧の目標ではありません。") % {"title": goal.title})
    items = {item.pk: item for item in JointGoalItem.objects.filter(goal=goal)}
    problems: list[str] = []
    cleaned: dict[int, tuple[str, str]] = {}
    for item_id, (state, note) in states.items():
        item = items.get(item_id) if isinstance(item_id, int) else None
        if item is None:
            problems.append(
                _("この共通目標にない項目が指定されました（番号：%(id)s）。画面を開き直してください。")
                % {"id": item_id}
            )
            continue
        note = _clean_text(note)
        if state and state not in ItemState.values:
            problems.append(
                _("「%(item)s」の状況は、未着手・実施中・完了・対象外から選んでください。")
                % {"item": item.name}
            )
        if len(note) > 300 or _has_nul(note):
            problems.append(_("「%(item)s」の備考は、300字までで入力してください。") % {"item": item.name})
        cleaned[item_id] = (state or "", note)
    if problems:
        raise JointGoalError(*problems)
    mine = {
        s.item_id: s
        for s in JointGoalItemStatus.objects.for_municipality(municipality).filter(item_id__in=cleaned)
    }
    changed = 0
    for item_id, (state, note) in cleaned.items():
        status = mine.get(item_id)
        if not state:
            if status is not None:
                status.delete()
                changed += 1
            continue
        if status is None:
            JointGoalItemStatus.objects.create(
                municipality=municipality, item_id=item_id, state=state, note=note
            )
            changed += 1
        elif (status.state, status.note) != (state, note):
            status.state, status.note = state, note
            status.save()
            changed += 1
    return changed


@transaction.atomic
def set_text_answer(
    membership: Membership, goal: JointGoal, *, done: bool, done_on: date | None = None, note: str = ""
) -> JointGoalLink:
    """The member's answer to a text goal: 達成 with the date it was done, or 未達成 (no date)."""
    municipality = _check_member(membership, goal)
    if goal.kind != Kind.TEXT:
        raise JointGoalError(_("「%(title)s」は文章の目標ではありません。") % {"title": goal.title})
    note = _clean_text(note)
    problems: list[str] = []
    if done and done_on is None:
        problems.append(_("達成日：達成した場合は、達成した日を入力してください。"))
    if done and done_on is not None and done_on > timezone.localdate():
        problems.append(_("達成日：先の日付は入力できません。"))
    if len(note) > 2000 or _has_nul(note):
        problems.append(_("備考は2000字までで入力してください。"))
    plans = current_plans(municipality)
    if not plans:
        problems.append(_("計画が登録されていないため、回答できません。"))
    if problems:
        raise JointGoalError(*problems)
    link = JointGoalLink.objects.for_municipality(municipality).filter(goal=goal).first()
    plan = link.plan if link is not None else plans[0]
    link, _created = JointGoalLink.objects.update_or_create(
        goal=goal,
        municipality=municipality,
        defaults={
            "plan": plan,
            "kpi": None,
            "observation": None,
            "note": note,
            "done": bool(done),
            "done_on": done_on if done else None,
        },
    )
    return link


# --- standing: the members side by side ------------------------------------------------------


def same_unit(a: str, b: str) -> bool:
    return normalize_text(a or "").strip() == normalize_text(b or "").strip()


def goal_unit(goal: JointGoal) -> str:
    if goal.kind == Kind.LIST:
        return "%"  # a list goal's numeric target is the share of items done
    if goal.unit:
        return goal.unit
    return goal.indicator.unit if goal.indicator else ""


def percent_of(part: int, base: int) -> int | None:
    """``part`` of ``base`` in whole percent, rounded down (so 100% means every one); None
    without a base."""
    if base <= 0:
        return None
    return int((Decimal(part) * 100 / Decimal(base)).to_integral_value(rounding=ROUND_FLOOR))


@dataclass
class ItemCell:
    """One member's state on one item of a list goal (``status`` None: not answered yet)."""

    item: JointGoalItem
    status: JointGoalItemStatus | None

    @property
    def state(self) -> str:
        return self.status.state if self.status is not None else ""

    @property
    def label(self) -> str:
        if self.status is None:
            return str(ITEM_UNANSWERED)
        return str(ItemState(self.status.state).label)

    @property
    def symbol(self) -> str:
        return ITEM_SYMBOLS[ItemState(self.status.state)] if self.status is not None else "？"

    @property
    def note(self) -> str:
        return self.status.note if self.status is not None else ""


@dataclass
class MemberStanding:
    """One member against one goal."""

    municipality: Municipality
    state: State
    link: JointGoalLink | None = None
    plan: Plan | None = None
    # number goals
    kpi: Kpi | None = None
    observation: Observation | None = None
    indicator_matches: bool = False  # the measure carries the goal's standard indicator
    followed_key: bool = False  # the link named an older edition's KPI; the current one is shown
    value: Decimal | None = None
    value_text: str = ""
    actual: KpiActual | None = None  # the KPI's actual shown (its latest numeric one, else its latest)
    year: int | None = None  # fiscal year of a KPI actual
    as_of: date | None = None  # date of an observation
    as_of_text: str = ""
    unit: str = ""
    own_target: KpiTarget | None = None
    achievement: Achievement | None = None  # the KPI against its own targets
    units_agree: bool | None = None
    progress: int | None = None  # percent of the consortium's target
    reached: bool | None = None  # the target shown is met (judged with the goal's direction)
    # list goals
    cells: list[ItemCell] = field(default_factory=list)
    done_count: int = 0
    in_progress_count: int = 0
    applicable: int = 0  # items that apply to the member: the base of its percentage
    not_applicable: int = 0  # items marked 対象外: not in the base
    unanswered_items: int = 0  # items without a state: in the base, not done
    percent: int | None = None  # done of applicable, rounded down
    # text goals
    done: bool | None = None
    done_on: date | None = None
    remarks: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def symbol(self) -> str:
        return STATE_SYMBOLS[self.state]

    @property
    def note(self) -> str:
        return self.link.note if self.link is not None else ""

    @property
    def measure_name(self) -> str:
        if self.kpi is not None:
            return self.kpi.name
        return self.observation.name if self.observation is not None else ""

    @property
    def when(self) -> str:
        """The figure's fiscal year (a KPI actual) or date (an observation), as the plan says it."""
        if self.year is not None:
            return format_fiscal_year(self.year)
        if self.as_of_text:
            return self.as_of_text
        return format_wareki_date(self.as_of) if self.as_of else ""

    @property
    def figure_text(self) -> str:
        """The figure with its year, source and "as of", as the plan pages write it:
        「令和7年度：120件（進捗評価・令和8年5月31日時点）」, 「14.4パーセント（計画書・令和7年7月時点）」;
        empty without one."""
        if self.actual is not None:
            return figures.actual_with_year(self.actual, self.unit)
        if self.observation is not None and (self.value is not None or self.value_text):
            return figures.observation_text(self.observation)
        return ""

    @property
    def demo(self) -> bool:
        """The figure is a demo actual (invented for the demo), marked デモ where it is shown."""
        return self.actual is not None and figures.is_demo(self.actual)

    @property
    def measure_kind(self) -> str:
        if self.kpi is not None:
            return _("KPI")
        return _("現状の数値") if self.observation is not None else ""

    @property
    def judgement(self) -> str:
        """達成 or 未達成 against the target shown; empty when it cannot be judged."""
        if self.reached is None:
            return ""
        return _("到達") if self.reached else _("未到達")

    @property
    def summary(self) -> str:
        """A list goal's count with its base: 「完了 2／対象 4（50%）」."""
        if self.percent is None:
            return _("完了 %(done)d／対象 0（対象の項目なし）") % {"done": self.done_count}
        return _("完了 %(done)d／対象 %(base)d（%(percent)d%%）") % {
            "done": self.done_count,
            "base": self.applicable,
            "percent": self.percent,
        }

    @property
    def excluded(self) -> str:
        """「対象外 1件は母数に含めません」 when items are marked 対象外."""
        if not self.not_applicable:
            return ""
        return _("対象外 %(n)d件は母数に含めません") % {"n": self.not_applicable}

    @property
    def done_text(self) -> str:
        """A text goal's answer in words: 「達成（令和8年3月31日）」, 「未達成」, 「未回答」."""
        if self.done and self.done_on is not None:
            return _("達成（%(date)s）") % {"date": format_wareki_date(self.done_on)}
        return self.label


@dataclass
class ItemTotal:
    """How the members stand on one item of a list goal."""

    item: JointGoalItem
    done: int
    applicable: int
    not_applicable: int

    @property
    def summary(self) -> str:
        percent = percent_of(self.done, self.applicable)
        if percent is None:
            return _("完了 %(done)d団体／対象 0団体") % {"done": self.done}
        return _("完了 %(done)d団体／対象 %(base)d団体（%(percent)d%%）") % {
            "done": self.done,
            "base": self.applicable,
            "percent": percent,
        }


@dataclass
class GoalStanding:
    goal: JointGoal
    members: list[MemberStanding]
    target: ShownTarget
    targets: list[JointGoalTarget] = field(default_factory=list)  # the yearly targets
    items: list[JointGoalItem] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return goal_unit(self.goal)

    @property
    def kind(self) -> str:
        return self.goal.kind

    @property
    def is_number(self) -> bool:
        return self.goal.kind == Kind.NUMBER

    @property
    def is_list(self) -> bool:
        return self.goal.kind == Kind.LIST

    @property
    def is_text(self) -> bool:
        return self.goal.kind == Kind.TEXT

    @property
    def direction(self) -> str:
        return direction_text(self.goal)

    def count(self, state: str) -> int:
        return sum(1 for m in self.members if m.state == state)

    @property
    def counts(self) -> list[tuple[str, str, int]]:
        states = KIND_STATES.get(Kind(self.goal.kind), KIND_STATES[Kind.NUMBER])
        return [(STATE_SYMBOLS[s], str(STATE_LABELS[s]), self.count(s)) for s in states]

    @property
    def item_totals(self) -> list[ItemTotal]:
        out = []
        for index, item in enumerate(self.items):
            cells = [m.cells[index] for m in self.members if len(m.cells) > index]
            excluded = sum(1 for c in cells if c.state == ItemState.NOT_APPLICABLE)
            out.append(
                ItemTotal(
                    item,
                    done=sum(1 for c in cells if c.state == ItemState.DONE),
                    applicable=len(cells) - excluded,
                    not_applicable=excluded,
                )
            )
        return out


def _own_target(kpi: Kpi, year: int | None) -> KpiTarget | None:
    targets = list(kpi.targets.all())
    if year is not None:
        stated = next((t for t in targets if t.fiscal_year == year), None)
        if stated is not None:
            return stated
    return max(targets, key=lambda t: (t.final, t.fiscal_year or 0), default=None)


def _figure_year(row: MemberStanding) -> int | None:
    if row.year is not None:
        return row.year
    return fiscal_year_of(row.as_of) if row.as_of is not None else None


def _measure(goal: JointGoal, row: MemberStanding, target: ShownTarget) -> None:
    """Fill the figure, the member's own target and its standing against the target shown,
    judged with the goal's direction."""
    if row.kpi is not None:
        kpi = row.kpi
        row.achievement = evaluate(kpi)
        row.unit = kpi.unit
        numeric = [a for a in kpi.actuals.all() if a.value is not None]
        latest = max(kpi.actuals.all(), key=lambda a: a.fiscal_year, default=None)
        if numeric:
            last = max(numeric, key=lambda a: a.fiscal_year)
            row.value, row.year, row.value_text = last.value, last.fiscal_year, last.text
            row.actual = last
        elif latest is not None:
            row.year, row.value_text = latest.fiscal_year, latest.text
            row.actual = latest
        row.own_target = _own_target(kpi, target.year if target.year is not None else goal.target_fiscal_year)
        row.indicator_matches = goal.indicator_id is not None and kpi.indicator_id == goal.indicator_id
    elif row.observation is not None:
        obs = row.observation
        row.unit = obs.unit
        row.value, row.value_text = obs.value, obs.text
        row.as_of, row.as_of_text = obs.as_of, obs.as_of_text
        row.indicator_matches = goal.indicator_id is not None and obs.indicator_id == goal.indicator_id
    unit = goal_unit(goal)
    row.units_agree = same_unit(unit, row.unit)
    if goal.indicator_id is not None and not row.indicator_matches:
        row.remarks.append(_("共通目標の標準指標とは別の指標で計測しています。"))
    if row.value is None:
        row.remarks.append(_("数値の実績がないため、共通目標に対する進み具合は出せません。"))
        return
    if not row.units_agree:
        row.remarks.append(
            _(
                "単位が異なるため（共通目標：%(goal)s、この団体：%(member)s）、共通目標に対する進み具合は出せません。"
            )
            % {"goal": unit or _("単位なし"), "member": row.unit or _("単位なし")}
        )
        return
    if target.value is None:
        row.remarks.append(_("共通目標に数値の目標値がないため、進み具合は出せません。"))
        return
    row.reached = meets(goal.direction, row.value, target.value)
    if goal.direction != Direction.DECREASE and target.value > 0:
        row.progress = int((row.value / target.value * 100).to_integral_value())
    figure_year = _figure_year(row)
    if (
        not target.final
        and target.year is not None
        and figure_year is not None
        and figure_year != target.year
    ):
        row.remarks.append(
            _("最新の値は%(when)sのもので、%(year)sの目標と比べています。")
            % {
                "when": format_fiscal_year(figure_year, short=True),
                "year": format_fiscal_year(target.year, short=True),
            }
        )


def _links(goals: Sequence[JointGoal]) -> list[JointGoalLink]:
    figures = (
        Prefetch("kpi__targets", queryset=KpiTarget.objects.order_by("order")),
        Prefetch("kpi__actuals", queryset=KpiActual.objects.order_by("fiscal_year")),
    )
    return list(
        JointGoalLink.objects.filter(goal__in=goals)
        .select_related("plan__current_edition", "kpi__edition", "observation__edition")
        .prefetch_related(*figures)
    )


def _follow_editions(links: list[JointGoalLink]) -> dict[int, Kpi]:
    """A link keeps the KPI it was made with; when the plan has a newer edition since, the KPI of
    the same key in the current edition is the one to read (one query, only when needed)."""
    stale = [
        link
        for link in links
        if link.kpi is not None and link.plan.current_edition_id not in (None, link.kpi.edition_id)
    ]
    if not stale:
        return {}
    wanted = {(link.plan.current_edition_id, link.kpi.key) for link in stale if link.kpi is not None}
    current = (
        Kpi.objects.filter(edition_id__in={e for e, _k in wanted}, key__in={k for _e, k in wanted})
        .select_related("edition")
        .prefetch_related(
            Prefetch("targets", queryset=KpiTarget.objects.order_by("order")),
            Prefetch("actuals", queryset=KpiActual.objects.order_by("fiscal_year")),
        )
    )
    by_key: dict[tuple[int | None, str], Kpi] = {(k.edition_id, k.key): k for k in current}
    out: dict[int, Kpi] = {}
    for link in stale:
        assert link.kpi is not None
        found = by_key.get((link.plan.current_edition_id, link.kpi.key))
        if found is not None:
            out[link.pk] = found
    return out


def standings(
    goals: Iterable[JointGoal], members: Sequence[Municipality], *, year: int | None = None
) -> list[GoalStanding]:
    """Each goal with every member's standing against the target of ``year`` (that year's target,
    else the final one; None: the final target), from a fixed number of queries whatever the
    number of goals, members and items: the links (with their KPIs' targets and actuals), the
    yearly targets, and for list goals their items and the members' states."""
    goals = list(goals)
    if not goals:
        return []
    links = _links(goals)
    followed = _follow_editions(links)
    by_pair = {(link.goal_id, link.municipality_id): link for link in links}
    targets: dict[int, list[JointGoalTarget]] = {g.pk: [] for g in goals}
    for yearly in JointGoalTarget.objects.filter(goal__in=goals).order_by("fiscal_year"):
        targets[yearly.goal_id].append(yearly)
    lists = [g for g in goals if g.kind == Kind.LIST]
    items: dict[int, list[JointGoalItem]] = {g.pk: [] for g in goals}
    statuses: dict[tuple[int, int], JointGoalItemStatus] = {}
    if lists:
        for item in JointGoalItem.objects.filter(goal__in=lists).order_by("order", "pk"):
            items[item.goal_id].append(item)
        for status in JointGoalItemStatus.objects.filter(
            item__goal__in=lists, municipality__in=[m.pk for m in members]
        ):
            statuses[status.item_id, status.municipality_id] = status
    out = []
    for goal in goals:
        target = target_for(goal, targets[goal.pk], year)
        rows = []
        for municipality in members:
            link = by_pair.get((goal.pk, municipality.pk))
            if goal.kind == Kind.LIST:
                rows.append(_list_standing(municipality, link, items[goal.pk], statuses, target))
            elif goal.kind == Kind.TEXT:
                rows.append(_text_standing(municipality, link))
            else:
                rows.append(_standing_of(goal, municipality, link, followed, target))
        out.append(GoalStanding(goal, rows, target, targets[goal.pk], items[goal.pk]))
    return out


def _list_standing(
    municipality: Municipality,
    link: JointGoalLink | None,
    items: list[JointGoalItem],
    statuses: Mapping[tuple[int, int], JointGoalItemStatus],
    target: ShownTarget,
) -> MemberStanding:
    cells = [ItemCell(item, statuses.get((item.pk, municipality.pk))) for item in items]
    answered = sum(1 for c in cells if c.status is not None)
    if items and answered == len(items):
        state = State.ANSWERED
    else:
        state = State.PARTLY if answered else State.UNANSWERED
    row = MemberStanding(municipality, state, link=link, cells=cells)
    row.done_count = sum(1 for c in cells if c.state == ItemState.DONE)
    row.in_progress_count = sum(1 for c in cells if c.state == ItemState.IN_PROGRESS)
    row.not_applicable = sum(1 for c in cells if c.state == ItemState.NOT_APPLICABLE)
    row.unanswered_items = len(cells) - answered
    row.applicable = len(cells) - row.not_applicable
    row.percent = percent_of(row.done_count, row.applicable)
    if row.applicable and target.value is not None:
        row.reached = Decimal(row.done_count) * 100 / Decimal(row.applicable) >= target.value
    if items and not row.applicable:
        row.remarks.append(_("すべての項目が対象外のため、割合は出せません。"))
    return row


def _text_standing(municipality: Municipality, link: JointGoalLink | None) -> MemberStanding:
    if link is None or link.done is None:
        return MemberStanding(municipality, State.UNANSWERED, link=link)
    row = MemberStanding(
        municipality, State.DONE if link.done else State.NOT_DONE, link=link, plan=link.plan, done=link.done
    )
    row.done_on = link.done_on if link.done else None
    return row


def _standing_of(
    goal: JointGoal,
    municipality: Municipality,
    link: JointGoalLink | None,
    followed: dict[int, Kpi],
    target: ShownTarget | None = None,
) -> MemberStanding:
    if target is None:
        target = final_target(goal)
    if link is None:
        return MemberStanding(municipality, State.UNANSWERED)
    if link.kpi_id is None and link.observation_id is None:
        if not link.note:
            # The KPI or observation it named was deleted (the link keeps no measure and no
            # reason): not a declaration, so it reads as unanswered, with the reason.
            row = MemberStanding(municipality, State.UNANSWERED, link=link, plan=link.plan)
            row.remarks.append(_("以前選んだ指標が削除されたため、選び直しが必要です。"))
            return row
        return MemberStanding(municipality, State.NOT_MEASURED, link=link, plan=link.plan)
    row = MemberStanding(municipality, State.MEASURED, link=link, plan=link.plan)
    if link.kpi is not None:
        row.kpi = followed.get(link.pk, link.kpi)
        if link.plan.current_edition_id not in (None, row.kpi.edition_id):
            row.remarks.append(_("このKPIは計画の旧版のものです。現行版で選び直してください。"))
        row.followed_key = link.pk in followed
    else:
        row.observation = link.observation
        if link.observation is not None and link.plan.current_edition_id != link.observation.edition_id:
            row.remarks.append(_("この数値は計画の旧版のものです。現行版で選び直してください。"))
    _measure(goal, row, target)
    return row


def members_of(consortium: Consortium) -> list[Municipality]:
    return list(consortium.members.order_by("code"))


def standing(goal: JointGoal, *, year: int | None = None) -> list[MemberStanding]:
    """Every member of the goal's consortium against ``goal`` (the target of ``year``, else the
    final target)."""
    return standings([goal], members_of(goal.consortium), year=year)[0].members


def goal_standing(goal: JointGoal, *, year: int | None = None) -> GoalStanding:
    return standings([goal], members_of(goal.consortium), year=year)[0]


# --- the member table of a goal, for CSV and Excel --------------------------------------------


def export_table(row: GoalStanding) -> tuple[list[str], list[list[Any]]]:
    """The goal's member table as a header and rows of plain values (numbers stay numbers, dates
    dates); the views write it as CSV or Excel, neutralised (``core.spreadsheets``)."""
    goal, target = row.goal, row.target
    rows: list[list[Any]] = []
    if goal.kind == Kind.LIST:
        header = [
            _("団体"),
            *[item.name for item in row.items],
            _("完了"),
            _("対象（母数）"),
            _("対象外（母数に含めない）"),
            _("未回答（母数に含める）"),
            _("完了の割合（%、切り捨て）"),
            _("比べる目標"),
            _("判定"),
            _("備考"),
        ]
        for m in row.members:
            notes = "／".join(f"{c.item.name}：{c.note}" for c in m.cells if c.note)
            rows.append(
                [
                    m.municipality.name,
                    *[c.label for c in m.cells],
                    m.done_count,
                    m.applicable,
                    m.not_applicable,
                    m.unanswered_items,
                    m.percent,
                    _target_words(target, row.unit),
                    m.judgement,
                    "／".join([notes, *m.remarks]) if notes else "／".join(m.remarks),
                ]
            )
        return header, rows
    if goal.kind == Kind.TEXT:
        header = [_("団体"), _("状態"), _("達成日"), _("比べる目標"), _("備考")]
        rows = [
            [m.municipality.name, m.label, m.done_on, _target_words(target, ""), m.note] for m in row.members
        ]
        return header, rows
    header = [
        _("団体"),
        _("状態"),
        _("計測に使う指標"),
        _("最新の値"),
        _("単位"),
        _("値の年度・時点"),
        _("比べる目標"),
        _("目標値"),
        _("目標に対する割合（%）"),
        _("判定"),
        _("備考"),
    ]
    for m in row.members:
        measure = f"{m.measure_kind}「{m.measure_name}」" if m.measure_name else ""
        rows.append(
            [
                m.municipality.name,
                m.label,
                measure,
                figures.excel_number(m.value),
                m.unit,
                m.when,
                target.caption,
                figures.excel_number(target.value),
                m.progress,
                m.judgement,
                "／".join(p for p in [m.note, *m.remarks] if p),
            ]
        )
    return header, rows


def _target_words(target: ShownTarget, unit: str) -> str:
    """「令和8年度の目標：70件、…」: the target shown, in words."""
    parts = [figures.format_figure(target.value, unit)] if target.value is not None else []
    if target.text:
        parts.append(target.text)
    return f"{target.caption}：{'、'.join(parts)}" if parts else target.caption


# --- choices for a member's answer -----------------------------------------------------------


@dataclass
class Candidates:
    """A member's KPIs and observations (current editions), to offer for a goal."""

    kpis: list[Kpi]
    observations: list[Observation]

    def for_goal(self, goal: JointGoal) -> tuple[list[Kpi], list[Observation]]:
        """The same lists with those carrying the goal's standard indicator first."""

        def first(item: Kpi | Observation) -> bool:
            return not (goal.indicator_id is not None and item.indicator_id == goal.indicator_id)

        return sorted(self.kpis, key=first), sorted(self.observations, key=first)


def candidates(municipality: Municipality) -> Candidates:
    """KPIs and observations of the current editions of the municipality's plans (two queries)."""
    editions = Plan.objects.for_municipality(municipality).filter(current_edition__isnull=False)
    current = editions.values("current_edition_id")
    kpis = list(
        Kpi.objects.for_municipality(municipality)
        .filter(edition_id__in=current)
        .select_related("edition", "node", "indicator")
        .order_by("edition__plan__key", "order")
    )
    observations = list(
        Observation.objects.for_municipality(municipality)
        .filter(edition_id__in=current)
        .select_related("edition", "indicator")
        .order_by("edition__plan__key", "order")
    )
    return Candidates(kpis, observations)


# --- goals files (the demo's, or a consortium's own) -----------------------------------------


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
        problems = _goal_problems(goal, None)
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
        _write_targets(goal, rows)
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
