"""Staff pages of joint goals: the consortium's goals (and their forms), and a member's answers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from yakusho.core.mixins import ConsortiumStaffMixin, MunicipalityStaffMixin
from yakusho.core.permissions import Perm
from yakusho.plans.joint_goals import services as joint_goals
from yakusho.plans.joint_goals.forms import GoalForm, LinkForm
from yakusho.plans.models import JointGoal, JointGoalLink


class GoalListView(ConsortiumStaffMixin, TemplateView):
    """The consortium's goals, each with its members side by side."""

    template_name = "plans/joint_goals/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        goals = (
            JointGoal.objects.for_consortium(self.consortium)
            .select_related("indicator")
            .order_by("order", "key")
        )
        context["standings"] = joint_goals.standings(goals, joint_goals.members_of(self.consortium))
        return context


class GoalFormView(ConsortiumStaffMixin, TemplateView):
    """Create a goal, or edit one (``<goal>`` in the URL)."""

    template_name = "plans/joint_goals/goal_form.html"

    def get_goal(self) -> JointGoal | None:
        if "goal" not in self.kwargs:
            return None
        return get_object_or_404(JointGoal.objects.for_consortium(self.consortium), key=self.kwargs["goal"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        goal = self.get_goal()
        context.update(goal=goal, form=kwargs.get("form") or GoalForm(instance=goal))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        goal = self.get_goal()
        form = GoalForm(request.POST, instance=goal)
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in joint_goals.GOAL_FIELDS}
            try:
                if goal is None:
                    saved = joint_goals.create_goal(self.consortium, **fields)
                    messages.success(request, _("共通目標を作りました。"))
                else:
                    saved = joint_goals.update_goal(JointGoal.objects.get(pk=goal.pk), **fields)
                    messages.success(request, _("共通目標を保存しました。"))
            except joint_goals.JointGoalError as exc:
                form.add_error("key", str(exc))
            else:
                return redirect(f"{_list_url(self.consortium.slug)}#goal-{saved.key}")
        return self.render_to_response(self.get_context_data(form=form))


class GoalDeleteView(ConsortiumStaffMixin, TemplateView):
    template_name = "plans/joint_goals/goal_delete.html"

    def get_goal(self) -> JointGoal:
        return get_object_or_404(JointGoal.objects.for_consortium(self.consortium), key=self.kwargs["goal"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        goal = self.get_goal()
        context.update(goal=goal, answers=JointGoalLink.objects.filter(goal=goal).count())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        goal = self.get_goal()
        answers = joint_goals.delete_goal(goal)
        messages.success(
            request,
            _("共通目標「%(title)s」を、構成団体の回答%(n)d件とともに削除しました。")
            % {"title": goal.title, "n": answers},
        )
        return redirect(_list_url(self.consortium.slug))


def _list_url(consortium: str) -> str:
    return reverse("joint_goals:list", args=[consortium])


class MemberGoalsView(MunicipalityStaffMixin, TemplateView):
    """The goals of every consortium the municipality belongs to, and its answer to each.

    Every staff role reads; the DX推進室 and the administrator answer (``LINK_JOINT_GOALS``)."""

    template_name = "plans/joint_goals/member.html"

    def goals(self) -> list[JointGoal]:
        return list(
            JointGoal.objects.filter(consortium__members=self.municipality)
            .select_related("consortium", "indicator")
            .order_by("consortium__name", "order", "key")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        goals = self.goals()
        rows = joint_goals.standings(goals, [self.municipality])
        may_answer = self.can(Perm.LINK_JOINT_GOALS)
        bound: dict[int, LinkForm] = kwargs.get("bound", {})
        entries = []
        found = joint_goals.candidates(self.municipality) if may_answer else None
        for row in rows:
            mine = row.members[0]
            form = None
            if found is not None:
                kpis, observations = found.for_goal(row.goal)
                form = bound.get(row.goal.pk) or LinkForm(
                    prefix=f"goal-{row.goal.pk}",
                    goal=row.goal,
                    kpis=kpis,
                    observations=observations,
                    initial=_initial(mine.link),
                )
            entries.append({"goal": row.goal, "unit": row.unit, "standing": mine, "form": form})
        context.update(entries=entries, may_answer=may_answer)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.can(Perm.LINK_JOINT_GOALS):
            raise PermissionDenied
        goal = get_object_or_404(
            JointGoal.objects.filter(consortium__members=self.municipality).select_related("consortium"),
            pk=request.POST.get("goal") if str(request.POST.get("goal", "")).isdigit() else None,
        )
        here = f"{request.path}#goal-{goal.pk}"
        if "clear" in request.POST:
            if joint_goals.clear_link(self.membership, goal):
                messages.success(request, _("「%(title)s」の回答を取り消しました。") % {"title": goal.title})
            return redirect(here)
        kpis, observations = joint_goals.candidates(self.municipality).for_goal(goal)
        form = LinkForm(
            request.POST, prefix=f"goal-{goal.pk}", goal=goal, kpis=kpis, observations=observations
        )
        if form.is_valid():
            try:
                link = joint_goals.link_measure(
                    self.membership,
                    goal,
                    kpi=form.cleaned_data["kpi"],
                    observation=form.cleaned_data["observation"],
                    note=form.cleaned_data["note"],
                )
            except joint_goals.JointGoalError as exc:
                form.add_error(None, str(exc))
            else:
                if link.kpi_id or link.observation_id:
                    messages.success(
                        request, _("「%(title)s」を計測する指標を保存しました。") % {"title": goal.title}
                    )
                else:
                    messages.success(
                        request, _("「%(title)s」は計測していないと回答しました。") % {"title": goal.title}
                    )
                return redirect(here)
        messages.error(request, _("「%(title)s」の回答を保存できませんでした。") % {"title": goal.title})
        return self.render_to_response(self.get_context_data(bound={goal.pk: form}))


def _initial(link: JointGoalLink | None) -> dict[str, Any]:
    if link is None:
        return {}
    return {"kpi": link.kpi_id, "observation": link.observation_id, "note": link.note}
