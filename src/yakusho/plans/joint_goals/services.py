"""Joint goals of a consortium (共通目標) and what each member measures them by.

A consortium (a prefecture, a 電算組合) sets goals for all its members, each with a standard
indicator and a target. Each member answers for itself: it links the KPI or the observation of
its own plan that measures the goal, or declares that it does not measure it (with a note). A
member that has not answered yet has no link. :func:`standings` puts the members side by side
with the three honest states, the latest figure and, only where the units agree, progress
against the consortium's target.

Every rule lives here; views and the demo loader call these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core.jcal import format_fiscal_year, format_wareki_date
from yakusho.core.models import Consortium, Membership, Municipality
from yakusho.core.permissions import Perm, role_allows
from yakusho.core.validators import normalize_text
from yakusho.plans import figures
from yakusho.plans.achievement import Achievement, evaluate
from yakusho.plans.models import (
    JointGoal,
    JointGoalLink,
    Kpi,
    KpiActual,
    KpiTarget,
    Observation,
    Plan,
    StandardIndicator,
)


class JointGoalError(ValueError):
    """A refused change, with a Japanese message for the person who asked for it."""


class State(StrEnum):
    MEASURED = "measured"
    NOT_MEASURED = "not_measured"
    UNANSWERED = "unanswered"


STATE_LABELS = {
    State.MEASURED: gettext_lazy("計測している"),
    State.NOT_MEASURED: gettext_lazy("計測していない"),
    State.UNANSWERED: gettext_lazy("未回答"),
}
#: Shown before the word, so the state never rests on colour alone.
STATE_SYMBOLS = {State.MEASURED: "○", State.NOT_MEASURED: "−", State.UNANSWERED: "？"}


# --- goals (consortium staff) ----------------------------------------------------------------

GOAL_FIELDS = (
    "key",
    "title",
    "description",
    "indicator",
    "unit",
    "target_value",
    "target_text",
    "target_fiscal_year",
    "order",
)


def _clean_and_save(goal: JointGoal) -> JointGoal:
    if JointGoal.objects.for_consortium(goal.consortium).filter(key=goal.key).exclude(pk=goal.pk).exists():
        raise JointGoalError(_("キー「%(key)s」の共通目標はすでにあります。") % {"key": goal.key})
    try:
        goal.full_clean()
    except ValidationError as exc:
        raise JointGoalError(" ".join(m for ms in exc.message_dict.values() for m in ms)) from None
    goal.save()
    return goal


@transaction.atomic
def create_goal(consortium: Consortium, **fields: Any) -> JointGoal:
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown goal fields: {sorted(unknown)}")
    if fields.get("order") is None:
        last = JointGoal.objects.for_consortium(consortium).order_by("-order").first()
        fields["order"] = (last.order + 1) if last else 1
    return _clean_and_save(JointGoal(consortium=consortium, **fields))


@transaction.atomic
def update_goal(goal: JointGoal, **fields: Any) -> JointGoal:
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown goal fields: {sorted(unknown)}")
    if fields.get("order", 0) is None:
        del fields["order"]  # left blank: keep its place
    for name, value in fields.items():
        setattr(goal, name, value)
    return _clean_and_save(goal)


@transaction.atomic
def delete_goal(goal: JointGoal) -> int:
    """Delete a goal and every member's answer to it; returns how many answers went with it."""
    answers = JointGoalLink.objects.filter(goal=goal).count()
    goal.delete()  # the answers cascade
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
    """Withdraw the member's answer (the goal reads 未回答 again)."""
    municipality = _check_member(membership, goal)
    deleted, _detail = JointGoalLink.objects.for_municipality(municipality).filter(goal=goal).delete()
    return bool(deleted)


# --- standing: the members side by side ------------------------------------------------------


def same_unit(a: str, b: str) -> bool:
    return normalize_text(a or "").strip() == normalize_text(b or "").strip()


def goal_unit(goal: JointGoal) -> str:
    if goal.unit:
        return goal.unit
    return goal.indicator.unit if goal.indicator else ""


@dataclass
class MemberStanding:
    """One member against one goal."""

    municipality: Municipality
    state: State
    link: JointGoalLink | None = None
    plan: Plan | None = None
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
    reached: bool | None = None
    remarks: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def symbol(self) -> str:
        return STATE_SYMBOLS[self.state]

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


@dataclass
class GoalStanding:
    goal: JointGoal
    members: list[MemberStanding]

    @property
    def unit(self) -> str:
        return goal_unit(self.goal)

    def count(self, state: str) -> int:
        return sum(1 for m in self.members if m.state == state)

    @property
    def counts(self) -> list[tuple[str, str, int]]:
        return [(STATE_SYMBOLS[s], str(STATE_LABELS[s]), self.count(s)) for s in State]


def _own_target(kpi: Kpi, year: int | None) -> KpiTarget | None:
    targets = list(kpi.targets.all())
    if year is not None:
        stated = next((t for t in targets if t.fiscal_year == year), None)
        if stated is not None:
            return stated
    return max(targets, key=lambda t: (t.final, t.fiscal_year or 0), default=None)


def _measure(goal: JointGoal, row: MemberStanding) -> None:
    """Fill the figure, the member's own target and progress against the goal's target."""
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
        row.own_target = _own_target(kpi, goal.target_fiscal_year)
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
    elif not row.units_agree:
        row.remarks.append(
            _(
                "単位が異なるため（共通目標：%(goal)s、この団体：%(member)s）、共通目標に対する進み具合は出せません。"
            )
            % {"goal": unit or _("単位なし"), "member": row.unit or _("単位なし")}
        )
    elif goal.target_value is None:
        row.remarks.append(_("共通目標に数値の目標値がないため、進み具合は出せません。"))
    elif goal.target_value == 0:
        row.reached = row.value >= 0
    else:
        row.progress = int((row.value / goal.target_value * 100).to_integral_value())
        row.reached = row.value >= goal.target_value


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


def standings(goals: Iterable[JointGoal], members: Sequence[Municipality]) -> list[GoalStanding]:
    """Each goal with every member's standing, from a fixed number of queries."""
    goals = list(goals)
    if not goals:
        return []
    links = _links(goals)
    followed = _follow_editions(links)
    by_pair = {(link.goal_id, link.municipality_id): link for link in links}
    out = []
    for goal in goals:
        rows = []
        for municipality in members:
            link = by_pair.get((goal.pk, municipality.pk))
            rows.append(_standing_of(goal, municipality, link, followed))
        out.append(GoalStanding(goal, rows))
    return out


def _standing_of(
    goal: JointGoal, municipality: Municipality, link: JointGoalLink | None, followed: dict[int, Kpi]
) -> MemberStanding:
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
    _measure(goal, row)
    return row


def members_of(consortium: Consortium) -> list[Municipality]:
    return list(consortium.members.order_by("code"))


def standing(goal: JointGoal) -> list[MemberStanding]:
    """Every member of the goal's consortium against ``goal``."""
    return standings([goal], members_of(goal.consortium))[0].members


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
    """Create or update the goals and members' answers of a goals file (see docs/joint-goals.md).

    Loading the same file again changes nothing and adds nothing. Returns (goals, answers).
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
        target = entry.get("target_value")
        goal, _created = JointGoal.objects.update_or_create(
            consortium=consortium,
            key=entry["key"],
            defaults={
                "title": entry["title"],
                "description": entry.get("description", ""),
                "indicator": indicator,
                "unit": entry.get("unit", ""),
                "target_value": None if target is None else Decimal(str(target)),
                "target_text": entry.get("target_text", ""),
                "target_fiscal_year": entry.get("target_fiscal_year"),
                "order": order,
            },
        )
        for answer in entry.get("links", []):
            _load_answer(goal, members, answer, lambda m, w=where: fail(w, m))
            answers += 1
    return len(data["goals"]), answers


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
    if "kpi" in answer:
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
        defaults={"plan": plan, "kpi": kpi, "observation": observation, "note": answer.get("note", "")},
    )
