"""Members' answers to their consortium's joint goals, each written only for the member's own
municipality (``Perm.LINK_JOINT_GOALS``: the DX推進室 and the administrator): the KPI or the
observation that measures a number goal, or a declaration that none does (:func:`link_measure`);
the states on a list goal's items (:func:`set_item_states`); 達成・未達成 for a text goal
(:func:`set_text_answer`); withdrawing an answer (:func:`clear_link`). And the choices offered
for a number goal: the KPIs and observations of the current editions of the member's plans
(:func:`candidates`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.core.models import Membership, Municipality
from yakusho.core.permissions import Perm, role_allows
from yakusho.core.validators import normalize_text
from yakusho.plans.joint_goals.targets import JointGoalError, clean_text, has_nul
from yakusho.plans.models import (
    JointGoal,
    JointGoalItem,
    JointGoalItemStatus,
    JointGoalLink,
    Kpi,
    Observation,
    Plan,
)

Kind = JointGoal.Kind
ItemState = JointGoalItemStatus.State


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
        note = clean_text(note)
        if state and state not in ItemState.values:
            problems.append(
                _("「%(item)s」の状況は、未着手・実施中・完了・対象外から選んでください。")
                % {"item": item.name}
            )
        if len(note) > 300 or has_nul(note):
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
    note = clean_text(note)
    problems: list[str] = []
    if done and done_on is None:
        problems.append(_("達成日：達成した場合は、達成した日を入力してください。"))
    if done and done_on is not None and done_on > timezone.localdate():
        problems.append(_("達成日：先の日付は入力できません。"))
    if len(note) > 2000 or has_nul(note):
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
