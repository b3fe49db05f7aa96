"""The members of a consortium side by side against a goal: :func:`standings` puts each goal's
members against the target of the year shown (that year's target, else the final one) with
honest states, figures and shares with their base, from a fixed number of queries.

A member's answer reads as one word (:class:`State`, with its label and symbol); a number goal's
figure is compared with the target only where the units agree, judged with the goal's direction;
a list goal's share counts the items done of those that apply (対象外 is not in the base).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core.jcal import fiscal_year_of, format_fiscal_year, format_wareki_date
from yakusho.core.models import Consortium, Municipality
from yakusho.core.validators import normalize_text
from yakusho.plans import figures
from yakusho.plans.achievement import Achievement, evaluate
from yakusho.plans.joint_goals.targets import ShownTarget, direction_text, final_target, meets, target_for
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
)

Kind = JointGoal.Kind
ItemState = JointGoalItemStatus.State
Direction = Kpi.Direction


# --- a member's answer in one word ----------------------------------------------------------


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
