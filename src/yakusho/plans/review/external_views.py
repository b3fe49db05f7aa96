"""Staff pages of a cycle's external evaluation (外部評価・有識者会議): the list with the entry form,
editing one comment and deleting it. Every role of the municipality reads them; only the DX推進室
and the administrator (``Perm.OPEN_REVIEW``) enter, change or delete. The rules live in
:mod:`yakusho.plans.review.external`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from yakusho.core.audit import history as audit_history
from yakusho.core.forms import WarekiDateField
from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.permissions import Perm
from yakusho.plans.models import ExternalEvaluation, Node, ReviewCycle
from yakusho.plans.review import external
from yakusho.plans.review.scales import history_rows

EDIT = Perm.OPEN_REVIEW
WHOLE = "whole"  # the choice of the whole cycle (not an item)


class ExternalForm(forms.Form):
    node = forms.ChoiceField(label=gettext_lazy("対象"), required=True)
    body = forms.CharField(
        label=gettext_lazy("評価した会議・委員会"),
        max_length=external.BODY_MAX,
        help_text=gettext_lazy("例：DX推進外部評価委員会、有識者会議"),
        error_messages={"required": gettext_lazy("評価した会議・委員会の名称を入力してください。")},
    )
    date = WarekiDateField(
        label=gettext_lazy("日付"),
        help_text=gettext_lazy("意見を受けた日（会議の日）。例：令和7年8月20日、R7.8.20、2025-08-20"),
        error_messages={"required": gettext_lazy("意見を受けた日（会議の日）を入力してください。")},
    )
    text = forms.CharField(
        label=gettext_lazy("意見"),
        max_length=external.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("意見の内容を入力してください。")},
    )

    def __init__(self, *args: Any, cycle: ReviewCycle, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        self.nodes = {
            n.pk: n
            for n in Node.objects.filter(
                edition_id=cycle.edition_id, municipality_id=cycle.municipality_id
            ).order_by("order")
        }
        self.fields["node"].choices = [  # type: ignore[attr-defined]
            (WHOLE, _("計画全体（この進捗評価全体への意見）")),
            *((str(pk), "　" * (n.depth - 1) + str(n)) for pk, n in self.nodes.items()),
        ]
        self.fields["node"].error_messages["invalid_choice"] = _(
            "この進捗評価の計画にない項目です。一覧から選んでください。"
        )

    def clean_node(self) -> Node | None:
        value = self.cleaned_data["node"]
        return None if value == WHOLE else self.nodes[int(value)]

    def clean_date(self) -> Any:
        on = self.cleaned_data["date"]
        problem = external.date_problem(self.cycle, on) if on is not None else None
        if problem:
            raise forms.ValidationError(problem)
        return on


def initial_of(evaluation: ExternalEvaluation) -> dict[str, Any]:
    return {
        "node": str(evaluation.node_id) if evaluation.node_id else WHOLE,
        "body": evaluation.body,
        "date": evaluation.date,
        "text": evaluation.text,
    }


class ExternalMixin(MunicipalityStaffMixin):
    kwargs: dict[str, Any]

    def require_editor(self) -> None:
        if not self.can(EDIT):
            raise PermissionDenied(_("外部評価を入力・変更できるのは、DX推進室と団体管理者です。"))

    def get_cycle(self) -> ReviewCycle:
        return get_object_or_404(
            ReviewCycle.objects.for_municipality(self.municipality).select_related("edition__plan"),
            pk=self.kwargs["cycle"],
        )

    def get_evaluation(self) -> ExternalEvaluation:
        return get_object_or_404(
            ExternalEvaluation.objects.for_municipality(self.municipality).select_related(
                "cycle__edition__plan", "node"
            ),
            pk=self.kwargs["evaluation"],
            cycle_id=self.kwargs["cycle"],
        )


class ExternalListView(ExternalMixin, TemplateView):
    """A cycle's external evaluations: about the whole review, then by item; the entry form for the
    DX推進室 below them."""

    template_name = "plans/review/external_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        cycle = kwargs.get("cycle_obj") or self.get_cycle()
        evaluations = external.for_cycle(cycle)
        can_edit = self.can(EDIT)
        context.update(
            cycle=cycle,
            whole=[e for e in evaluations if e.node_id is None],
            by_node=[e for e in evaluations if e.node_id is not None],
            can_edit=can_edit,
            form=(kwargs.get("form") or ExternalForm(cycle=cycle)) if can_edit else None,
            history=external.history(cycle),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        cycle = self.get_cycle()
        form = ExternalForm(request.POST, cycle=cycle)
        if form.is_valid():
            d = form.cleaned_data
            try:
                external.add(
                    cycle, node=d["node"], body=d["body"], on=d["date"], text=d["text"], by=request.user
                )
            except external.ExternalRefused as exc:
                for field, message in exc.problems.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("外部評価の意見を登録しました。"))
                return redirect("reviews:external", self.municipality.slug, cycle.pk)
        return self.render_to_response(self.get_context_data(cycle_obj=cycle, form=form), status=400)


class ExternalEditView(ExternalMixin, TemplateView):
    template_name = "plans/review/external_edit.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        evaluation = kwargs.get("evaluation_obj") or self.get_evaluation()
        context.update(
            cycle=evaluation.cycle,
            evaluation=evaluation,
            form=kwargs.get("form") or ExternalForm(cycle=evaluation.cycle, initial=initial_of(evaluation)),
            history=history_rows(list(audit_history(evaluation))),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        evaluation = self.get_evaluation()
        form = ExternalForm(request.POST, cycle=evaluation.cycle)
        if form.is_valid():
            d = form.cleaned_data
            try:
                external.update(evaluation, node=d["node"], body=d["body"], on=d["date"], text=d["text"])
            except external.ExternalRefused as exc:
                for field, message in exc.problems.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("外部評価の意見を保存しました。"))
                return redirect("reviews:external", self.municipality.slug, evaluation.cycle_id)
        return self.render_to_response(
            self.get_context_data(evaluation_obj=evaluation, form=form), status=400
        )


class ExternalDeleteView(ExternalMixin, TemplateView):
    template_name = "plans/review/external_confirm.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        evaluation = self.get_evaluation()
        context.update(cycle=evaluation.cycle, evaluation=evaluation)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        evaluation = self.get_evaluation()
        cycle_id = evaluation.cycle_id
        external.delete(evaluation)
        messages.success(request, _("外部評価の意見を削除しました。"))
        return redirect("reviews:external", self.municipality.slug, cycle_id)
