"""Staff pages of joint goals: the consortium's goals, a goal's page and its export (and the goal
forms), and a member's answers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from openpyxl.styles import Font

from yakusho.core.csvutil import csv_response
from yakusho.core.jcal import format_fiscal_year
from yakusho.core.mixins import ConsortiumStaffMixin, MunicipalityStaffMixin
from yakusho.core.permissions import Perm
from yakusho.core.spreadsheets import SafeWorkbook, xlsx_response
from yakusho.plans.joint_goals.answers import (
    Candidates,
    candidates,
    clear_link,
    link_measure,
    set_item_states,
    set_text_answer,
)
from yakusho.plans.joint_goals.export import export_table
from yakusho.plans.joint_goals.forms import (
    BaseItemStateFormSet,
    GoalForm,
    LinkForm,
    TextAnswerForm,
    item_formset,
    item_state_formset,
    target_formset,
)
from yakusho.plans.joint_goals.goals import GOAL_FIELDS, answer_count, delete_goal, save_goal
from yakusho.plans.joint_goals.standing import GoalStanding, MemberStanding, members_of, standings
from yakusho.plans.joint_goals.targets import YEAR_MAX, YEAR_MIN, JointGoalError, current_fiscal_year
from yakusho.plans.models import JointGoal, JointGoalLink

FINAL = "final"


def shown_year(request: HttpRequest) -> int | None:
    """The fiscal year whose targets a page shows: ``?year=2026`` (or ``final`` for the final
    targets); the current fiscal year when not given. Anything else is a bad request (400)."""
    raw = request.GET.get("year", "")
    if raw == "":
        return current_fiscal_year()
    if raw == FINAL:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        raise BadRequest("year")
    year = int(raw)
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise BadRequest("year")
    return year


def year_choices(rows: list[GoalStanding], year: int | None) -> list[tuple[str, str, bool]]:
    """(value, label, selected) for the year picker: this fiscal year, every year a goal has a
    target for, and the final targets."""
    years = {current_fiscal_year()}
    for row in rows:
        years |= {t.fiscal_year for t in row.targets}
        if row.goal.target_fiscal_year:
            years.add(row.goal.target_fiscal_year)
    if year is not None:
        years.add(year)
    out = [(str(y), format_fiscal_year(y), y == year) for y in sorted(years)]
    out.append((FINAL, _("最終目標"), year is None))
    return out


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
        year = shown_year(self.request)
        rows = standings(goals, members_of(self.consortium), year=year)
        context.update(standings=rows, year=year, years=year_choices(rows, year))
        return context


def _goal_of(consortium: Any, key: str) -> JointGoal:
    return get_object_or_404(
        JointGoal.objects.for_consortium(consortium).select_related("indicator", "consortium"), key=key
    )


class GoalDetailView(ConsortiumStaffMixin, TemplateView):
    """One goal: its targets, and every member against the target of the year shown."""

    template_name = "plans/joint_goals/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        goal = _goal_of(self.consortium, self.kwargs["goal"])
        year = shown_year(self.request)
        row = standings([goal], members_of(self.consortium), year=year)[0]
        context.update(
            goal=goal,
            row=row,
            year=year,
            years=year_choices([row], year),
            year_param=FINAL if year is None else str(year),
        )
        return context


class GoalExportView(ConsortiumStaffMixin, View):
    """The goal's member table as CSV or Excel (every cell neutralised)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        fmt = kwargs["fmt"]
        if fmt not in ("csv", "xlsx"):
            raise Http404
        goal = _goal_of(self.consortium, kwargs["goal"])
        year = shown_year(request)
        row = standings([goal], members_of(self.consortium), year=year)[0]
        header, rows = export_table(row)
        name = f"共通目標_{goal.key}_{year if year is not None else FINAL}.{fmt}"
        if fmt == "csv":
            return csv_response(name, header, rows)
        workbook = SafeWorkbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = "共通目標"
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for values in rows:
            sheet.append(values)
        for line in sheet.iter_rows(min_row=2):
            for cell in line:
                if cell.is_date:
                    cell.number_format = "yyyy/m/d"
        sheet.freeze_panes = "B2"
        return xlsx_response(name, workbook)


class GoalFormView(ConsortiumStaffMixin, TemplateView):
    """Create a goal, or edit one (``<goal>`` in the URL): its kind, direction, final target,
    yearly targets and, for a list goal, its items — all in one form, saved together or not at all."""

    template_name = "plans/joint_goals/goal_form.html"

    def get_goal(self) -> JointGoal | None:
        if "goal" not in self.kwargs:
            return None
        return _goal_of(self.consortium, self.kwargs["goal"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        goal = self.get_goal()
        context.update(
            goal=goal,
            form=kwargs.get("form") or GoalForm(instance=goal),
            targets=kwargs.get("targets") or target_formset(goal),
            items=kwargs.get("items") or item_formset(goal),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        goal = self.get_goal()
        form = GoalForm(request.POST, instance=goal)
        # A form without the yearly targets (or the items) leaves them as they are.
        targets = target_formset(goal, request.POST if "targets-TOTAL_FORMS" in request.POST else None)
        items = item_formset(goal, request.POST if "items-TOTAL_FORMS" in request.POST else None)
        valid = form.is_valid()
        data = getattr(form, "cleaned_data", {})
        targets.kind = data.get("kind") or JointGoal.Kind.NUMBER
        targets.final_year = data.get("target_fiscal_year")
        valid = (not targets.is_bound or targets.is_valid()) and valid
        valid = (not items.is_bound or items.is_valid()) and valid
        if valid:
            fields = {name: form.cleaned_data[name] for name in GOAL_FIELDS}
            try:
                saved = save_goal(
                    self.consortium,
                    None if goal is None else JointGoal.objects.get(pk=goal.pk),
                    fields,
                    targets=targets.rows() if targets.is_bound else None,
                    items=items.rows() if items.is_bound else None,
                )
            except JointGoalError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                if goal is None:
                    messages.success(request, _("共通目標を作りました。"))
                else:
                    messages.success(request, _("共通目標を保存しました。"))
                return redirect(reverse("joint_goals:detail", args=[self.consortium.slug, saved.key]))
        return self.render_to_response(self.get_context_data(form=form, targets=targets, items=items))


class GoalDeleteView(ConsortiumStaffMixin, TemplateView):
    template_name = "plans/joint_goals/goal_delete.html"

    def get_goal(self) -> JointGoal:
        return _goal_of(self.consortium, self.kwargs["goal"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        goal = self.get_goal()
        context.update(goal=goal, answers=answer_count(goal))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        goal = self.get_goal()
        answers = delete_goal(goal)
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

    Every staff role reads; the DX推進室 and the administrator answer (``LINK_JOINT_GOALS``): a
    measure for a number goal, a state per item for a list goal, done / not done for a text goal.
    Only the municipality's own answers are read or written here."""

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
        rows = standings(goals, [self.municipality], year=current_fiscal_year())
        may_answer = self.can(Perm.LINK_JOINT_GOALS)
        bound: dict[int, Any] = kwargs.get("bound", {})
        entries = []
        found = None
        if may_answer and any(g.kind == JointGoal.Kind.NUMBER for g in goals):
            found = candidates(self.municipality)
        for row in rows:
            mine = row.members[0]
            form: Any = None
            if may_answer:
                form = bound.get(row.goal.pk) or self._form(row, mine, found)
            entries.append({"goal": row.goal, "row": row, "unit": row.unit, "standing": mine, "form": form})
        context.update(entries=entries, may_answer=may_answer)
        return context

    def _form(
        self,
        row: GoalStanding,
        mine: MemberStanding,
        found: Candidates | None,
    ) -> Any:
        goal = row.goal
        if goal.kind == JointGoal.Kind.LIST:
            return item_state_formset(goal, mine.cells) if row.items else None
        if goal.kind == JointGoal.Kind.TEXT:
            initial: dict[str, Any] = {}
            if mine.done is not None:
                initial = {
                    "done": "done" if mine.done else "not_done",
                    "done_on": mine.done_on,
                    "note": mine.note,
                }
            return TextAnswerForm(prefix=f"goal-{goal.pk}", initial=initial)
        assert found is not None
        kpis, observations = found.for_goal(goal)
        return LinkForm(
            prefix=f"goal-{goal.pk}",
            goal=goal,
            kpis=kpis,
            observations=observations,
            initial=_initial(mine.link),
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.can(Perm.LINK_JOINT_GOALS):
            raise PermissionDenied
        raw = str(request.POST.get("goal", ""))
        goal = get_object_or_404(
            JointGoal.objects.filter(consortium__members=self.municipality).select_related("consortium"),
            pk=int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None,
        )
        here = f"{request.path}#goal-{goal.pk}"
        if "clear" in request.POST:
            if clear_link(self.membership, goal):
                messages.success(request, _("「%(title)s」の回答を取り消しました。") % {"title": goal.title})
            return redirect(here)
        if goal.kind == JointGoal.Kind.LIST:
            form: Any = self._post_states(goal)
        elif goal.kind == JointGoal.Kind.TEXT:
            form = self._post_text(goal)
        else:
            form = self._post_measure(goal)
        if form is None:
            return redirect(here)
        messages.error(request, _("「%(title)s」の回答を保存できませんでした。") % {"title": goal.title})
        return self.render_to_response(self.get_context_data(bound={goal.pk: form}))

    def _post_states(self, goal: JointGoal) -> BaseItemStateFormSet | None:
        mine = standings([goal], [self.municipality])[0].members[0]
        formset = item_state_formset(goal, mine.cells, self.request.POST)
        if formset.is_valid():
            try:
                set_item_states(self.membership, goal, formset.states())
            except JointGoalError as exc:
                formset.add_problems(exc.messages)
            else:
                messages.success(
                    self.request, _("「%(title)s」の項目の状況を保存しました。") % {"title": goal.title}
                )
                return None
        return formset

    def _post_text(self, goal: JointGoal) -> TextAnswerForm | None:
        form = TextAnswerForm(self.request.POST, prefix=f"goal-{goal.pk}")
        if form.is_valid():
            try:
                set_text_answer(
                    self.membership,
                    goal,
                    done=form.cleaned_data["done"] == "done",
                    done_on=form.cleaned_data["done_on"],
                    note=form.cleaned_data["note"],
                )
            except JointGoalError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(
                    self.request, _("「%(title)s」の回答を保存しました。") % {"title": goal.title}
                )
                return None
        return form

    def _post_measure(self, goal: JointGoal) -> LinkForm | None:
        kpis, observations = candidates(self.municipality).for_goal(goal)
        form = LinkForm(
            self.request.POST, prefix=f"goal-{goal.pk}", goal=goal, kpis=kpis, observations=observations
        )
        if form.is_valid():
            try:
                link = link_measure(
                    self.membership,
                    goal,
                    kpi=form.cleaned_data["kpi"],
                    observation=form.cleaned_data["observation"],
                    note=form.cleaned_data["note"],
                )
            except JointGoalError as exc:
                form.add_error(None, str(exc))
            else:
                if link.kpi_id or link.observation_id:
                    message = _("「%(title)s」を計測する指標を保存しました。")
                else:
                    message = _("「%(title)s」は計測していないと回答しました。")
                messages.success(self.request, message % {"title": goal.title})
                return None
        return form


def _initial(link: JointGoalLink | None) -> dict[str, Any]:
    if link is None:
        return {}
    return {"kpi": link.kpi_id, "observation": link.observation_id, "note": link.note}
