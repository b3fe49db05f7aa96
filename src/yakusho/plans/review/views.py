"""Staff pages of the yearly review: open a cycle, the worklists, a node's review form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import Role
from yakusho.core.permissions import Perm
from yakusho.plans.models import (
    GradedItem,
    Kpi,
    KpiActual,
    KpiGrade,
    KpiTarget,
    NodeReview,
    Plan,
    ReviewCycle,
    ReviewEvidence,
    ReviewGrade,
    ReviewPeriod,
)
from yakusho.plans.review import actuals
from yakusho.plans.review import services as review
from yakusho.plans.review.forms import (
    AmendmentForm,
    KpiEntryForm,
    NodeReviewForm,
    OpenCycleForm,
    TransitionForm,
)


class ReviewListView(MunicipalityStaffMixin, TemplateView):
    """A plan's yearly reviews, and the form that opens one (DX推進室)."""

    template_name = "plans/review/list.html"

    def plan(self) -> Plan:
        return get_object_or_404(
            Plan.objects.for_municipality(self.municipality).select_related("current_edition"),
            key=self.kwargs["plan"],
        )

    @staticmethod
    def kind(plan: Plan) -> str:
        return plan.current_edition.review_period if plan.current_edition else ReviewPeriod.YEAR

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan = self.plan()
        context.update(
            plan=plan,
            cycles=ReviewCycle.objects.for_municipality(self.municipality)
            .filter(edition__plan=plan)
            .select_related("edition"),
            form=kwargs.get("form") or OpenCycleForm(kind=self.kind(plan)),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.can(Perm.OPEN_REVIEW):
            messages.error(request, _("進捗評価を始められるのは、DX推進室と団体管理者です。"))
            return redirect(request.path)
        plan = self.plan()
        form = OpenCycleForm(request.POST, kind=self.kind(plan))
        if form.is_valid() and plan.current_edition is not None:
            try:
                cycle = review.open_cycle(
                    plan.current_edition,
                    form.cleaned_data["fiscal_year"],
                    form.cleaned_data["due_date"],
                    request.user,
                    period=form.cleaned_data.get("period"),
                )
            except review.ReviewError as exc:
                form.add_error("fiscal_year", str(exc))
            else:
                messages.success(request, _("進捗評価を始めました。"))
                return redirect("reviews:cycle", self.municipality.slug, cycle.pk)
        return self.render_to_response(self.get_context_data(form=form))


class CycleView(MunicipalityStaffMixin, TemplateView):
    """Every node review of a cycle, by department; department staff see their own first.
    The DX推進本部 finalises the accepted reviews here at once."""

    template_name = "plans/review/cycle.html"

    def get_cycle(self) -> ReviewCycle:
        return get_object_or_404(
            ReviewCycle.objects.for_municipality(self.municipality).select_related("edition__plan"),
            pk=self.kwargs["cycle"],
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        cycle = self.get_cycle()
        if request.POST.get("action") != "finalise_all":
            messages.error(request, _("不明な操作です。"))
        elif self.membership.role not in review.TRANSITIONS["finalise"].actors:
            messages.error(request, _("評価を確定できるのは、DX推進本部員です。"))
        elif request.POST.get("confirm") != "yes":
            messages.error(
                request,
                _("確定すると進捗報告が公開されます。確定するときは、確認のチェックを入れてください。"),
            )
        else:
            try:
                n = review.finalise_cycle(cycle, self.membership)
            except review.ReviewError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("%(n)d件の評価を確定しました。") % {"n": n})
        return redirect("reviews:cycle", self.municipality.slug, cycle.pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        cycle = self.get_cycle()
        reviews = list(
            cycle.node_reviews.select_related("node", "department", "grade").order_by(
                "department__order", "node__order"
            )
        )
        mine = (
            {d.pk for d in self.membership.departments.all()}
            if self.membership.role == Role.DEPARTMENT
            else set()
        )
        context.update(
            cycle=cycle,
            mine=[r for r in reviews if r.department_id in mine],
            reviews=reviews,
            counts={s.label: sum(1 for r in reviews if r.state == s) for s in NodeReview.State},
            can_finalise=self.membership.role in review.TRANSITIONS["finalise"].actors
            and cycle.state == ReviewCycle.State.OPEN,
        )
        return context


@dataclass
class KpiRow:
    kpi: Kpi
    recorded: Any  # what the cycle recorded: the period's actual, or the year's
    year_actual: KpiActual | None  # for a review per period: the year's figure built from its periods
    figure: Any
    target: KpiTarget | None
    entry: KpiEntryForm
    grade: KpiGrade | None


class NodeReviewView(MunicipalityStaffMixin, TemplateView):
    template_name = "plans/review/node.html"

    def get_review(self) -> NodeReview:
        return get_object_or_404(
            NodeReview.objects.for_municipality(self.municipality).select_related(
                "cycle__edition", "node", "department"
            ),
            pk=self.kwargs["review"],
            cycle_id=self.kwargs["cycle"],
        )

    def kpi_rows(self, node_review: NodeReview, data: Any = None) -> list[KpiRow]:
        """The node's KPIs with what the cycle recorded, the target beside the input, the metric's
        figure and each KPI's input in the review's one form (bound to ``data`` when posted)."""
        cycle = node_review.cycle
        year = cycle.fiscal_year
        kpis = list(
            Kpi.objects.filter(node=node_review.node)
            .prefetch_related("actuals", "targets", "period_actuals", "grades")
            .order_by("order")
        )
        graded = cycle.edition.graded == GradedItem.KPI
        grades = ReviewGrade.objects.filter(scale_id=cycle.edition.grading_scale_id).order_by("order")
        rows = []
        figures = actuals.metric_figures(list(kpis), cycle)  # stored figures, one query
        for k in kpis:
            year_actual = next((a for a in k.actuals.all() if a.fiscal_year == year), None)
            recorded: Any = year_actual
            if cycle.period:
                recorded = next(
                    (a for a in k.period_actuals.all() if a.fiscal_year == year and a.period == cycle.period),
                    None,
                )
            grade = next((g for g in k.grades.all() if g.cycle_id == cycle.pk), None)
            figure = figures.get(k.pk)
            entry = KpiEntryForm(
                data,
                prefix=f"kpi-{k.pk}",
                grades=grades if graded else None,
                qualitative=k.direction == Kpi.Direction.QUALITATIVE,
                measured=figure is not None,
                initial={"grade": grade.grade_id if grade else None},
            )
            target = next((t for t in k.targets.all() if t.fiscal_year == year), None) or next(
                (t for t in k.targets.all() if t.final or t.fiscal_year is None), None
            )
            rows.append(
                KpiRow(
                    k,
                    recorded,
                    year_actual if cycle.period else None,
                    figure,
                    target,
                    entry,
                    grade,
                )
            )
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        node_review = kwargs.get("node_review") or self.get_review()
        gradable = review.gradable(node_review)
        context.update(
            node_review=node_review,
            cycle=node_review.cycle,
            gradable=gradable,
            form=kwargs.get("form")
            or (
                AmendmentForm(instance=node_review, gradable=gradable)
                if node_review.state == NodeReview.State.FINALISED
                else NodeReviewForm(instance=node_review, gradable=gradable)
            ),
            finalised=node_review.state == NodeReview.State.FINALISED,
            may_edit=review.may_edit(node_review, self.membership),
            comment=kwargs.get("comment", ""),
            can_amend=self.membership.role in review.AMENDERS,
            kpis=kwargs.get("kpis") or self.kpi_rows(node_review),
            actions=review.TRANSITIONS.available(node_review.state, self.membership.role),
            # (django-stubs cannot type select_related() across these "+" relations to the user)
            evidence_files=list(node_review.evidence_files.select_related("uploaded_by")),  # type: ignore[misc]
            amendments=list(node_review.amendments.select_related("made_by").order_by("made_at")),  # type: ignore[misc]
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        node_review = self.get_review()
        here = reverse("reviews:node", args=[self.municipality.slug, node_review.cycle_id, node_review.pk])
        try:
            if isinstance(upload := request.FILES.get("evidence"), UploadedFile):
                review.add_evidence(node_review, self.membership, upload)
                messages.success(request, _("根拠資料のファイルを登録しました。"))
            elif "remove_evidence" in request.POST:
                evidence = get_object_or_404(
                    ReviewEvidence, pk=request.POST["remove_evidence"], review=node_review
                )
                review.remove_evidence(evidence, self.membership)
                messages.success(request, _("根拠資料のファイルを削除しました。"))
            elif node_review.state == NodeReview.State.FINALISED:
                amendment = AmendmentForm(
                    request.POST, instance=self.get_review(), gradable=review.gradable(node_review)
                )
                if not amendment.is_valid():
                    return self.render_to_response(
                        self.get_context_data(form=amendment, node_review=node_review)
                    )
                fields = {k: amendment.cleaned_data[k] for k in amendment.changed_data if k != "reason"}
                if not fields:
                    raise review.ReviewError(_("訂正する項目がありません。値を変えてから訂正してください。"))
                review.amend(node_review, self.membership, amendment.cleaned_data["reason"], **fields)
                messages.success(request, _("訂正を記録しました。"))
            else:
                return self.save_and_move(request, node_review, here)
        except review.ReviewError as exc:
            messages.error(request, str(exc))
        return redirect(here)

    def save_and_move(self, request: HttpRequest, node_review: NodeReview, here: str) -> HttpResponse:
        """The review's one form: what was typed — the review's fields and each KPI's actual and
        grade — is saved, then the chosen transition (提出する, 受理する …) or the metric's figure
        confirmed is made — all or nothing; a refusal shows the page again with everything typed."""
        may_edit = review.may_edit(node_review, self.membership)
        gradable = review.gradable(node_review)
        # the review's fields come with the page's one form; a bare transition (a button alone) has none
        typed = any(name in request.POST for name in NodeReviewForm.Meta.fields)
        form = (
            NodeReviewForm(request.POST, instance=node_review, gradable=gradable)
            if may_edit and typed
            else None
        )
        rows = self.kpi_rows(node_review, request.POST if form is not None else None)
        entries = rows if form is not None else []
        action = request.POST.get("action", "")
        confirm = request.POST.get("confirm_metric", "")
        comment = request.POST.get("comment", "")
        if form is None and not action:
            messages.error(request, _("この評価は、あなたの役割・課では変更できません。"))
            return redirect(here)
        valid = [f.is_valid() for f in [*([form] if form is not None else []), *(r.entry for r in entries)]]
        if not all(valid):
            messages.error(request, _("入力に誤りがあります。各項目のメッセージを確認してください。"))
            context = self.get_context_data(form=form, node_review=node_review, comment=comment, kpis=rows)
            return self.render_to_response(context, status=400)
        changed = form.changed_data if form is not None else []
        recorded = 0
        try:
            with transaction.atomic():
                if form is not None and changed:
                    fields = {k: form.cleaned_data[k] for k in changed}
                    review.update_review(node_review, self.membership, **fields)
                for row in entries:
                    recorded += self.save_kpi(row, node_review, confirm)
                if action:
                    t = TransitionForm({"action": action, "comment": comment})
                    if not t.is_valid():
                        raise review.ReviewError(_("不明な操作です。"))
                    review.transition(node_review, action, self.membership, comment)
        except review.ReviewError as exc:
            messages.error(request, str(exc))
            if form is None:
                form = NodeReviewForm(instance=node_review, gradable=gradable)
            context = self.get_context_data(
                form=form, node_review=self.get_review(), comment=comment, kpis=rows
            )
            return self.render_to_response(context, status=400)
        if action:
            messages.success(
                request,
                _("入力した内容を保存し、評価の状態を変更しました。")
                if changed or recorded
                else _("評価の状態を変更しました。"),
            )
        else:
            messages.success(request, _("評価を保存しました。"))
        return redirect(here)

    def save_kpi(self, row: KpiRow, node_review: NodeReview, confirm: str) -> int:
        """Save one KPI's input of the one form; how many things it recorded. A refusal is said
        beside the KPI's input too, and names the KPI in the page's message."""
        data, cycle, n = row.entry.cleaned_data, node_review.cycle, 0
        field = "value" if "value" in row.entry.fields else "text"
        try:
            if confirm == str(row.kpi.pk):
                actuals.confirm_metric(row.kpi, cycle, self.membership, data["note"])
                n += 1
            elif row.entry.typed:
                actuals.record_actual(
                    row.kpi,
                    cycle,
                    self.membership,
                    value=data.get("value"),
                    text=data["text"],
                    on=data["on"],
                    note=data["note"],
                    override_reason=data.get("override_reason", ""),
                )
                n += 1
            if "grade" in row.entry.fields and "grade" in row.entry.changed_data:
                field = "grade"
                actuals.grade_kpi(row.kpi, cycle, self.membership, data["grade"])
                n += 1
        except review.ReviewError as exc:
            row.entry.add_error(field, str(exc))
            raise review.ReviewError(
                _("「%(kpi)s」：%(error)s") % {"kpi": row.kpi.name, "error": exc}
            ) from None
        return n


class EvidenceDownloadView(MunicipalityStaffMixin, View):
    """A review's evidence file, to the municipality's staff only (files are never served directly)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FileResponse:
        evidence = get_object_or_404(
            ReviewEvidence.objects.for_municipality(self.municipality),
            pk=self.kwargs["evidence"],
            review_id=self.kwargs["review"],
            review__cycle_id=self.kwargs["cycle"],
        )
        return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)
