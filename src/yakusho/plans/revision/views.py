"""Plan revision pages: staff make, edit and adopt a new edition; everyone reads the editions of a
published plan and the difference between two of them."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.permissions import Perm
from yakusho.plans.models import Kpi, KpiTarget, Node, NodeDepartment, Plan, PlanEdition
from yakusho.plans.revision import editing as revision
from yakusho.plans.revision.diff import diff
from yakusho.plans.revision.editions import (
    NODE_TEXTS,
    RevisionError,
    edition_state,
    is_draft,
    order_key,
    require_draft,
)
from yakusho.plans.revision.forms import (
    KpiForm,
    MoveForm,
    NewEditionForm,
    NodeForm,
    TargetFormSet,
    target_initial,
)
from yakusho.plans.views import EditionMixin, cached_page, not_found


class RevisionMixin(MunicipalityStaffMixin):
    """Finds the plan (and the edition of ``<number>``) of the municipality; POSTs need
    ``Perm.REVISE_PLAN`` (DX推進室 and 団体管理者)."""

    kwargs: dict[str, Any]

    def get_plan(self) -> Plan:
        return get_object_or_404(
            Plan.objects.for_municipality(self.municipality).select_related("current_edition"),
            key=self.kwargs["plan"],
        )

    def get_edition(self, plan: Plan) -> PlanEdition:
        edition = get_object_or_404(
            PlanEdition.objects.for_municipality(self.municipality), plan=plan, number=self.kwargs["number"]
        )
        edition.plan = plan
        return edition

    def require_revise(self) -> None:
        if not self.can(Perm.REVISE_PLAN):
            raise PermissionDenied

    def refuse(self, edition: PlanEdition) -> HttpResponse:
        """A change to the current or a past edition: the reason, back on the editor page."""
        try:
            require_draft(edition)
        except RevisionError as exc:
            messages.error(self.request, str(exc))
        return redirect(self.editor_url(edition))

    def editor_url(self, edition: PlanEdition) -> str:
        return reverse("revisions:draft", args=[self.municipality.slug, edition.plan.key, edition.number])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_revise"] = self.can(Perm.REVISE_PLAN)
        return context


def _form_error(form: Any, exc: RevisionError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


class EditionListView(RevisionMixin, TemplateView):
    """A plan's editions (current, past, drafts) and the form that starts a new one."""

    template_name = "plans/revision/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan = self.get_plan()
        editions = sorted(PlanEdition.objects.filter(plan=plan), key=order_key, reverse=True)
        context.update(
            plan=plan,
            editions=[(e, edition_state(e, plan)) for e in editions],
            form=kwargs.get("form") or NewEditionForm(),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_revise()
        plan = self.get_plan()
        form = NewEditionForm(request.POST)
        if form.is_valid():
            try:
                edition = revision.new_edition(
                    plan,
                    form.cleaned_data["number"],
                    form.cleaned_data["date"],
                    form.cleaned_data["note"],
                    by=request.user,
                )
            except RevisionError as exc:
                _form_error(form, exc)
            else:
                messages.success(
                    request,
                    _("第%(n)s版を作りました（現行版の写し）。編集してから現行版にしてください。")
                    % {"n": edition.number},
                )
                return redirect(self.editor_url(edition))
        return self.render_to_response(self.get_context_data(form=form))


class DraftView(RevisionMixin, TemplateView):
    """One edition in the editor: its tree and KPIs with links to edit them, and a new node."""

    template_name = "plans/revision/draft.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan = self.get_plan()
        edition = kwargs.get("edition") or self.get_edition(plan)
        context.update(
            plan=plan,
            edition=edition,
            state=edition_state(edition, plan),
            editable=is_draft(edition),
            nodes=list(Node.objects.filter(edition=edition).order_by("order")),
            kpis=list(Kpi.objects.filter(edition=edition).select_related("node").order_by("order")),
            form=kwargs.get("form") or NodeForm(edition=edition, new=True),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_revise()
        plan = self.get_plan()
        edition = self.get_edition(plan)
        if not is_draft(edition):
            return self.refuse(edition)
        form = NodeForm(request.POST, edition=edition, new=True)
        if form.is_valid():
            d = form.cleaned_data
            try:
                node = revision.add_node(
                    edition,
                    parent=d["parent"],
                    key=d["key"],
                    code=d["code"],
                    title=d["title"],
                    level=d["level"],
                    departments=list(d["departments"]),
                    lead=d["lead"],
                    **{k: d[k] for k in NODE_TEXTS},
                )
            except RevisionError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("「%(t)s」を追加しました。") % {"t": node.title})
                return redirect(self.editor_url(edition))
        return self.render_to_response(self.get_context_data(form=form, edition=edition))


class NodeEditView(RevisionMixin, TemplateView):
    """A node of a draft: retitle, change texts and 課, move under another parent, remove."""

    template_name = "plans/revision/node.html"

    def get_node(self, edition: PlanEdition) -> Node:
        node = get_object_or_404(
            Node.objects.filter(edition=edition).prefetch_related(
                Prefetch("node_departments", queryset=NodeDepartment.objects.order_by("order"))
            ),
            key=self.kwargs["node"],
        )
        node.edition = edition
        return node

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan = self.get_plan()
        edition = kwargs.get("edition") or self.get_edition(plan)
        node: Node = kwargs.get("node_obj") or self.get_node(edition)
        links = list(node.node_departments.all())
        initial = {
            "code": node.code,
            "title": node.title,
            "level": node.level,
            "departments": [nd.department_id for nd in links],
            "lead": next((nd.department_id for nd in links if nd.lead), None),
            **{k: getattr(node, k) for k in NODE_TEXTS},
        }
        context.update(
            plan=plan,
            edition=edition,
            node=node,
            editable=is_draft(edition),
            form=kwargs.get("form") or NodeForm(initial=initial, edition=edition),
            move_form=kwargs.get("move_form")
            or MoveForm(initial={"parent": node.parent_id}, edition=edition),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_revise()
        plan = self.get_plan()
        edition = self.get_edition(plan)
        node = self.get_node(edition)
        action = request.POST.get("action")
        extra: dict[str, Any] = {"edition": edition, "node_obj": node}
        try:
            require_draft(edition)
            if action == "remove":
                title = node.title
                revision.remove_node(node)
                messages.success(request, _("「%(t)s」を削除しました。") % {"t": title})
                return redirect(self.editor_url(edition))
            if action == "move":
                move_form = MoveForm(request.POST, edition=edition)
                extra["move_form"] = move_form
                if move_form.is_valid():
                    try:
                        revision.move_node(
                            node, move_form.cleaned_data["parent"], move_form.cleaned_data["code"] or None
                        )
                    except RevisionError as exc:
                        _form_error(move_form, exc)
                    else:
                        messages.success(request, _("「%(t)s」を移動しました。") % {"t": node.title})
                        return redirect(request.path)
            else:
                form = NodeForm(request.POST, edition=edition)
                extra["form"] = form
                if form.is_valid():
                    d = form.cleaned_data
                    try:
                        revision.update_node(
                            node,
                            level=d["level"],
                            departments=list(d["departments"]),
                            lead=d["lead"],
                            code=d["code"],
                            title=d["title"],
                            **{k: d[k] for k in NODE_TEXTS},
                        )
                    except RevisionError as exc:
                        _form_error(form, exc)
                    else:
                        messages.success(request, _("「%(t)s」を保存しました。") % {"t": node.title})
                        return redirect(request.path)
        except RevisionError as exc:
            messages.error(request, str(exc))
            return redirect(request.path)
        node.refresh_from_db()
        return self.render_to_response(self.get_context_data(**extra), status=400)


class KpiEditView(RevisionMixin, TemplateView):
    """Add a KPI to a draft (``kpi`` absent) or change one, with its targets."""

    template_name = "plans/revision/kpi.html"

    def get_kpi(self, edition: PlanEdition) -> Kpi | None:
        if "kpi" not in self.kwargs:
            return None
        return get_object_or_404(
            Kpi.objects.filter(edition=edition).prefetch_related(
                Prefetch("targets", queryset=KpiTarget.objects.order_by("order"))
            ),
            key=self.kwargs["kpi"],
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "kpi" not in kwargs:
            self.require_revise()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan = self.get_plan()
        edition = kwargs.get("edition") or self.get_edition(plan)
        kpi = self.get_kpi(edition) if "kpi_obj" not in kwargs else kwargs["kpi_obj"]
        if kpi is not None:
            initial = {
                "node": kpi.node_id,
                "name": kpi.name,
                "unit": kpi.unit,
                "direction": kpi.direction,
                "accumulation": kpi.accumulation,
                "baseline_text": kpi.baseline_text,
                "baseline_value": format(kpi.baseline_value.normalize(), "f")
                if kpi.baseline_value is not None
                else None,
                "baseline_fiscal_year": str(kpi.baseline_fiscal_year or ""),
                "note": kpi.note,
            }
            targets = target_initial(kpi)
        else:
            initial, targets = {"accumulation": Kpi.Accumulation.POINT_IN_TIME}, []
        context.update(
            plan=plan,
            edition=edition,
            kpi=kpi,
            editable=is_draft(edition),
            form=kwargs.get("form") or KpiForm(initial=initial, edition=edition, new=kpi is None),
            targets=kwargs.get("targets") or TargetFormSet(initial=targets, prefix="targets"),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_revise()
        plan = self.get_plan()
        edition = self.get_edition(plan)
        kpi = self.get_kpi(edition)
        if not is_draft(edition):
            return self.refuse(edition)
        form = KpiForm(request.POST, edition=edition, new=kpi is None)
        targets = TargetFormSet(request.POST, prefix="targets")
        if form.is_valid() and targets.is_valid():
            d = form.cleaned_data
            rows = [
                f.target()
                for f in targets.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.has_changed() | bool(f.initial)
            ]
            try:
                saved = revision.save_kpi(
                    edition,
                    kpi,
                    node=d["node"],
                    targets=rows,
                    key=d.get("key", ""),
                    **{k: d[k] for k in revision.KPI_FIELDS},
                )
            except RevisionError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("KPI「%(n)s」を保存しました。") % {"n": saved.name})
                return redirect(self.editor_url(edition))
        context = self.get_context_data(form=form, targets=targets, edition=edition, kpi_obj=kpi)
        return self.render_to_response(context, status=400)


class AdoptView(RevisionMixin, TemplateView):
    """Confirm, then make a draft the current edition (DX推進室 and 団体管理者 only)."""

    template_name = "plans/revision/adopt.html"
    permission = Perm.REVISE_PLAN

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan = self.get_plan()
        edition = self.get_edition(plan)
        current = plan.current_edition
        context.update(
            plan=plan,
            edition=edition,
            editable=is_draft(edition),
            current=current,
            diff=diff(current, edition) if current and is_draft(edition) else None,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        plan = self.get_plan()
        edition = self.get_edition(plan)
        try:
            result = revision.adopt(edition, by=request.user)
        except RevisionError as exc:
            messages.error(request, str(exc))
            return redirect(request.path)
        messages.success(
            request,
            _("第%(n)s版を現行版にしました（第%(old)s版とその進捗評価はそのまま残ります）。")
            % {"n": edition.number, "old": result.previous.number},
        )
        if result.links_kept:
            messages.warning(
                request,
                _("共通目標の指標のうち%(k)d件は、新しい版に同じKPIがないため前の版のままです。")
                % {"k": result.links_kept},
            )
        return redirect("revisions:list", self.municipality.slug, plan.key)


# --- public pages ----------------------------------------------------------------------------


@cached_page
class PublicEditionsView(EditionMixin):
    """The editions of a plan, newest first, each with a link to what changed from the one before."""

    template_name = "plans/editions.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        editions = sorted(context["editions"], key=order_key)
        rows = [(e, editions[i - 1] if i else None) for i, e in enumerate(editions)]
        context["rows"] = list(reversed(rows))
        return context


@cached_page
class PublicDiffView(EditionMixin):
    """``?from=2.0&to=2.3``: what changed between two editions (default: the current one and the
    one before it)."""

    template_name = "plans/editions_diff.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        editions = sorted(context["editions"], key=order_key)
        by_number = {e.number: e for e in editions}
        current = self.plan.current_edition
        to_number = self.request.GET.get("to") or (current.number if current else "")
        new = by_number.get(to_number)
        if new is None:
            context["missing"] = _("第%(n)s版は見つかりません。") % {"n": to_number}
            return context
        before = [e for e in editions if order_key(e) < order_key(new)]
        from_number = self.request.GET.get("from") or (before[-1].number if before else "")
        old = by_number.get(from_number)
        if old is None:
            context["missing"] = (
                _("第%(n)s版は見つかりません。") % {"n": from_number}
                if from_number
                else _("比べる前の版がありません。")
            )
            return context

        def query(e: PlanEdition) -> str:
            return "" if e.pk == self.plan.current_edition_id else f"?edition={quote(e.number)}"

        context.update(
            old=old,
            new=new,
            diff=diff(old, new),
            choices=editions,
            from_query=query(old),
            to_query=query(new),
        )
        return context

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        if context.get("missing"):
            return not_found(self.request, context["missing"], self.municipality)
        return super().render_to_response(context, **kwargs)
