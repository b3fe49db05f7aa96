"""Staff pages of the procedure catalogue: list, detail, and the upload of a new form version.

Every role of the municipality reads them. A new form definition may be uploaded by
administrators and by department staff of the procedure's 課 (``services.can_edit_forms``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView

from yakusho.core.calendar import BusinessCalendar
from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.permissions import Perm
from yakusho.procedures.catalogue.forms import FormDefinitionUploadForm, StaffFilterForm
from yakusho.procedures.catalogue.life_events import life_event_label
from yakusho.procedures.catalogue.search import search
from yakusho.procedures.catalogue.services import (
    FormDefinitionInvalid,
    add_form_definition,
    can_edit_forms,
    current_forms,
    processing_deadline,
    read_definition,
    with_lines,
)
from yakusho.procedures.models import FormDefinition, Procedure, ProcedureChannel
from yakusho.procedures.models.designer import FormDraft


class ProcedureListView(MunicipalityStaffMixin, ListView):
    model = Procedure
    template_name = "procedures/staff/list.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Procedure]:
        procedures = (
            super()
            .get_queryset()
            .select_related("department")
            .prefetch_related(Prefetch("channels", queryset=ProcedureChannel.objects.order_by("order", "pk")))
            .annotate(has_form=Exists(FormDefinition.objects.filter(procedure=OuterRef("pk"))))
            .order_by("department__order", "department__name", "order", "kana", "pk")
        )
        self.filter_form = StaffFilterForm(self.request.GET or None, municipality=self.municipality)
        if self.filter_form.is_valid():
            if self.filter_form.cleaned_data["q"]:
                procedures = search(procedures, self.filter_form.cleaned_data["q"])
            if self.filter_form.cleaned_data["department"]:
                procedures = procedures.filter(department=self.filter_form.cleaned_data["department"])
        return procedures

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = list(context["object_list"])
        forms = current_forms(page)
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(
            filter_form=self.filter_form,
            rows=[(p, forms.get(p.pk)) for p in page],
            query_string=params.urlencode(),
        )
        return context


class ProcedureDetailView(MunicipalityStaffMixin, DetailView):
    model = Procedure
    template_name = "procedures/staff/detail.html"

    def get_queryset(self) -> QuerySet[Procedure]:
        return super().get_queryset().select_related("department", "priority")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        procedure: Procedure = self.object
        today = timezone.localdate()
        context.update(
            channels=list(procedure.channels.order_by("order", "pk")),
            events=[
                life_event_label(link.event, self.municipality)
                for link in procedure.life_event_links.order_by("pk")
            ],
            versions=list(
                FormDefinition.objects.filter(procedure=procedure)
                .select_related("created_by")
                .order_by("-version")
            ),
            can_upload=can_edit_forms(self.membership, procedure),
            draft=FormDraft.objects.filter(procedure=procedure).first(),
            deadline=processing_deadline(procedure, today, BusinessCalendar(self.municipality)),
            today=today,
        )
        return context


class FormUploadView(MunicipalityStaffMixin, FormView):
    """Upload a new version of a procedure's form (JSON), validated by the form engine."""

    permission = Perm.EDIT_FORMS
    form_class = FormDefinitionUploadForm
    template_name = "procedures/staff/form_upload.html"
    procedure: Procedure

    def setup_procedure(self) -> None:
        self.procedure = get_object_or_404(
            Procedure.objects.for_municipality(self.municipality).select_related("department"),
            pk=self.kwargs["pk"],
        )
        if not can_edit_forms(self.membership, self.procedure):
            raise PermissionDenied

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_procedure()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_procedure()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(procedure=self.procedure, problems=getattr(self, "problems", []))
        return context

    def form_valid(self, form: FormDefinitionUploadForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        try:
            form_file = read_definition(upload.read(), upload.name)
        except FormDefinitionInvalid as exc:
            self.problems = exc.problems
            form.add_error("file", _("フォーム定義に誤りがあります。下の一覧を確認してください。"))
            return self.form_invalid(form)
        try:
            stored = add_form_definition(
                self.procedure, form_file.data, user=self.request.user, source=upload.name
            )
        except FormDefinitionInvalid as exc:
            self.problems = with_lines(exc.problems, form_file)
            form.add_error("file", _("フォーム定義に誤りがあります。下の一覧を確認してください。"))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("フォーム定義の版 %(version)s を登録しました。") % {"version": stored.version},
        )
        return redirect("procedures_staff:detail", self.municipality.slug, self.procedure.pk)
