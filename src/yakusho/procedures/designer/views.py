"""Back-office pages of the form designer's editor (mounted under /staff/, namespace ``designer``).

Administrators and department staff of the procedure's 課 (``Perm.EDIT_FORMS`` and
``catalogue.services.can_edit_forms``) build a procedure's form without code: an outline of pages
and fields with small POST forms to move and delete them, editors for a page, a field and the
form's settings and fee, and a new procedure to design; the previews and publishing are in
``publish_views``. Every change goes through ``procedures.designer``, which saves nothing the form
engine would refuse. Every form carries the draft's ``stamp``: a page that is out of date (another
tab, another colleague) cannot act on items that have moved since.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import Department, Role
from yakusho.core.permissions import Perm
from yakusho.procedures import designer
from yakusho.procedures.catalogue.services import can_edit_forms
from yakusho.procedures.designer.forms import (
    AddFieldForm,
    AddPageForm,
    ChangeTypeForm,
    FieldForm,
    MoveToPageForm,
    PageForm,
    ProcedureCreateForm,
    SettingsForm,
    generate_key,
)
from yakusho.procedures.designer.operations import DesignerError, FieldRef
from yakusho.procedures.models import Procedure, ProcedureLifeEvent
from yakusho.procedures.models.designer import FormDraft


def stale_message() -> str:
    return _("下書きはほかの画面で変更されています。最新の内容を確認してから、もう一度操作してください。")


class _LoadProcedure:
    """Runs after the membership check: the procedure, the 課 check, and the draft."""

    request: HttpRequest
    kwargs: dict[str, Any]
    municipality: Any
    membership: Any

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.procedure = get_object_or_404(
            Procedure.objects.for_municipality(self.municipality).select_related(
                "department", "municipality"
            ),
            pk=kwargs["pk"],
        )
        if not can_edit_forms(self.membership, self.procedure):
            raise PermissionDenied
        self.draft = designer.get_draft(self.procedure)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class DesignerMixin(MunicipalityStaffMixin, _LoadProcedure):
    permission = Perm.EDIT_FORMS
    procedure: Procedure
    draft: FormDraft | None

    def overview(self) -> HttpResponse:
        return redirect("designer:overview", self.municipality.slug, self.procedure.pk)

    def base_context(self, **extra: Any) -> dict[str, Any]:
        return {
            "municipality": self.municipality,
            "membership": self.membership,
            "perms_here": {p.value: self.can(p) for p in Perm},
            "procedure": self.procedure,
            "draft": self.draft,
            "stamp": designer.stamp(self.draft) if self.draft else "",
            **extra,
        }

    def stale(self, request: HttpRequest) -> bool:
        """No draft, or a form posted from an out-of-date page: say so (the caller redirects)."""
        if self.draft is None:
            messages.error(request, _("下書きがありません。「フォームを編集する」から始めてください。"))
            return True
        if request.POST.get("stamp") != designer.stamp(self.draft):
            messages.error(request, stale_message())
            return True
        return False

    def run(self, operation: designer.Operation, done: str) -> bool:
        assert self.draft is not None
        try:
            designer.apply(self.draft, operation, self.request.user)
        except DesignerError as exc:
            for message in exc.messages:
                messages.error(self.request, message)
            return False
        messages.success(self.request, done)
        return True


def _field_ref(text: str) -> FieldRef:
    try:
        return FieldRef.parse(text)
    except ValueError:
        raise Http404 from None


def _direction(request: HttpRequest) -> int:
    return -1 if request.POST.get("direction") == "up" else 1


# --- overview, start, discard ----------------------------------------------------------------------


class OverviewView(DesignerMixin, TemplateView):
    template_name = "procedures/designer/overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        versions = designer.versions(self.procedure)
        outline = None
        if self.draft is not None:
            outline = outline_of(self.draft.definition)
        return self.base_context(
            versions=versions,
            live=versions[0] if versions else None,
            outline=outline,
            definition=self.draft.definition if self.draft else None,
            add_page_form=AddPageForm(),
            add_field_form=AddFieldForm(),
            type_labels=designer.TYPE_LABELS,
        )


def outline_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Pages and fields as the overview lists them, with the address each button posts to."""
    pages = []
    for p, page in enumerate(data["pages"]):
        fields = []
        for i, f in enumerate(page["fields"]):
            subs = [
                {"ref": str(FieldRef(p, i, j)), "field": sub, "type": designer.TYPE_LABELS[sub["type"]]}
                for j, sub in enumerate(f.get("fields", []))
            ]
            fields.append(
                {
                    "ref": str(FieldRef(p, i)),
                    "field": f,
                    "type": designer.TYPE_LABELS[f["type"]],
                    "subs": subs,
                    "group_index": i if f["type"] == "group" else None,
                }
            )
        pages.append({"index": p, "number": p + 1, "page": page, "fields": fields})
    return pages


class StartView(DesignerMixin, View):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            designer.start_draft(self.procedure, request.user)
        except DesignerError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return self.overview()


class DiscardView(DesignerMixin, View):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.stale(request):
            assert self.draft is not None
            designer.discard_draft(self.draft)
            messages.success(request, _("下書きを破棄しました。公開中の版はそのままです。"))
        return self.overview()


# --- settings and pages ----------------------------------------------------------------------------


class SettingsView(DesignerMixin, View):
    template_name = "procedures/designer/settings.html"

    def render_form(self, form: SettingsForm, problems: list[str] | None = None) -> HttpResponse:
        return render(self.request, self.template_name, self.base_context(form=form, problems=problems or []))

    def fee_rows(self) -> int:
        assert self.draft is not None
        return len((self.draft.definition.get("fee") or {}).get("items", [])) + 2

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.draft is None:
            return self.overview()
        initial = SettingsForm.initial_for(self.draft.definition)
        return self.render_form(SettingsForm(initial=initial, fee_rows=self.fee_rows()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.stale(request):
            return self.overview()
        assert self.draft is not None
        rows = max(self.fee_rows(), min(int(request.POST.get("fee_rows", 0) or 0), 50))
        form = SettingsForm(request.POST, fee_rows=rows)
        if not form.is_valid():
            return self.render_form(form)
        operation = designer.set_form_settings(
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            privacy_notice=form.cleaned_data["privacy_notice"],
            fee_items=form.fee_items(),
            fee_note=form.cleaned_data["fee_note"],
        )
        try:
            designer.apply(self.draft, operation, request.user)
        except DesignerError as exc:
            return self.render_form(form, exc.messages)
        messages.success(request, _("フォームの設定を保存しました。"))
        return self.overview()


class PageAddView(DesignerMixin, View):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.stale(request):
            return self.overview()
        form = AddPageForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("新しいページの題名を書いてください。"))
            return self.overview()
        title = form.cleaned_data["title"]
        self.run(designer.add_page(title=title), _("ページ「%(title)s」を追加しました。") % {"title": title})
        return self.overview()


class PageEditView(DesignerMixin, View):
    template_name = "procedures/designer/page.html"

    def page_data(self) -> dict[str, Any]:
        assert self.draft is not None
        pages = self.draft.definition["pages"]
        index = self.kwargs["page"]
        if not 0 <= index < len(pages):
            raise Http404
        page: dict[str, Any] = pages[index]
        return page

    def render_form(self, form: PageForm, problems: list[str] | None = None) -> HttpResponse:
        context = self.base_context(
            form=form, problems=problems or [], index=self.kwargs["page"], page=self.page_data()
        )
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.draft is None:
            return self.overview()
        page = self.page_data()
        initial = {k: page.get(k, "") for k in ("title", "key", "description", "visible_when")}
        return self.render_form(PageForm(initial=initial))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.stale(request):
            return self.overview()
        assert self.draft is not None
        self.page_data()
        form = PageForm(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        operation = designer.edit_page(kwargs["page"], **form.cleaned_data)
        try:
            designer.apply(self.draft, operation, request.user)
        except DesignerError as exc:
            return self.render_form(form, exc.messages)
        messages.success(
            request, _("ページ「%(title)s」を保存しました。") % {"title": form.cleaned_data["title"]}
        )
        return self.overview()


class PageMoveView(DesignerMixin, View):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.stale(request):
            self.run(designer.move_page(kwargs["page"], _direction(request)), _("ページを移動しました。"))
        return self.overview()


class PageDeleteView(DesignerMixin, View):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.stale(request):
            self.run(designer.delete_page(kwargs["page"]), _("ページを削除しました。"))
        return self.overview()


# --- fields ----------------------------------------------------------------------------------------


class FieldAddView(DesignerMixin, View):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.stale(request):
            return self.overview()
        form = AddFieldForm(request.POST)
        try:
            page = int(request.POST.get("page", ""))
            group = int(request.POST["group"]) if request.POST.get("group") else None
        except ValueError:
            raise Http404 from None
        if not form.is_valid():
            for field_errors in form.errors.values():
                for error in field_errors:
                    messages.error(request, _("項目の追加：%(error)s") % {"error": error})
            return self.overview()
        label = form.cleaned_data["label"]
        done = _("項目「%(label)s」を追加しました。") % {"label": label}
        self.run(designer.add_field(page, type_=form.cleaned_data["type"], label=label, group=group), done)
        return self.overview()


class FieldEditView(DesignerMixin, View):
    template_name = "procedures/designer/field.html"

    def current(self) -> dict[str, Any]:
        assert self.draft is not None
        try:
            return designer.get_field(self.draft.definition, _field_ref(self.kwargs["ref"]))
        except DesignerError:
            raise Http404 from None

    def render_form(self, form: FieldForm, problems: list[str] | None = None) -> HttpResponse:
        current = self.current()
        ref = _field_ref(self.kwargs["ref"])
        assert self.draft is not None
        context = self.base_context(
            form=form,
            problems=problems or [],
            field=current,
            ref=str(ref),
            type_label=designer.TYPE_LABELS[current["type"]],
            page=self.draft.definition["pages"][ref.page],
            page_number=ref.page + 1,
            type_form=ChangeTypeForm(initial={"type": current["type"]})
            if current["type"] != "group"
            else None,
            move_form=MoveToPageForm(),
            pages=list(enumerate(self.draft.definition["pages"])),
            page_index=ref.page,
            in_group=ref.sub is not None,
            has_fact=designer.HAS_FACT,
        )
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.draft is None:
            return self.overview()
        current = self.current()
        in_group = _field_ref(self.kwargs["ref"]).sub is not None
        return self.render_form(FieldForm(field_type=current["type"], current=current, in_group=in_group))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.stale(request):
            return self.overview()
        assert self.draft is not None
        current = self.current()
        in_group = _field_ref(kwargs["ref"]).sub is not None
        form = FieldForm(request.POST, field_type=current["type"], current=current, in_group=in_group)
        if not form.is_valid():
            return self.render_form(form)
        operation = designer.edit_field(_field_ref(kwargs["ref"]), form.attrs())
        try:
            designer.apply(self.draft, operation, request.user)
        except DesignerError as exc:
            return self.render_form(form, exc.messages)
        messages.success(
            request, _("項目「%(label)s」を保存しました。") % {"label": form.cleaned_data["label"]}
        )
        return self.overview()


class FieldTypeView(DesignerMixin, View):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.stale(request):
            return self.overview()
        ref = _field_ref(kwargs["ref"])
        form = ChangeTypeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("新しい種類を選んでください。"))
            return self.overview()
        type_ = form.cleaned_data["type"]
        done = _("項目の種類を「%(type)s」に変えました。") % {"type": designer.TYPE_LABELS[type_]}
        if self.run(designer.change_type(ref, type_), done):
            return redirect("designer:field", self.municipality.slug, self.procedure.pk, str(ref))
        return self.overview()


class FieldMoveView(DesignerMixin, View):
    """POST ``direction=up|down``, or ``page=<index>`` to move a field to the end of another page."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.stale(request):
            return self.overview()
        ref = _field_ref(kwargs["ref"])
        if "page" in request.POST:
            form = MoveToPageForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("移動先のページを選んでください。"))
                return self.overview()
            page = form.cleaned_data["page"]
            self.run(
                designer.move_field_to_page(ref, page),
                _("項目を%(n)sページ目に移しました。") % {"n": page + 1},
            )
        else:
            self.run(designer.move_field(ref, _direction(request)), _("項目を移動しました。"))
        return self.overview()


class FieldDeleteView(DesignerMixin, View):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.stale(request):
            self.run(designer.delete_field(_field_ref(kwargs["ref"])), _("項目を削除しました。"))
        return self.overview()


# --- a new procedure -------------------------------------------------------------------------------


class ProcedureCreateView(MunicipalityStaffMixin, View):
    """A new procedure of a 課 the user may edit; unpublished until its form is published."""

    permission = Perm.EDIT_FORMS
    template_name = "procedures/designer/procedure_create.html"

    def departments(self) -> Any:
        departments = Department.objects.for_municipality(self.municipality).order_by("order", "name")
        if self.membership.role == Role.ADMIN:
            return departments
        return departments.filter(pk__in=[d.pk for d in self.membership.departments.all()])

    def render_form(self, form: ProcedureCreateForm) -> HttpResponse:
        context = {
            "municipality": self.municipality,
            "membership": self.membership,
            "perms_here": {p.value: self.can(p) for p in Perm},
            "form": form,
        }
        return render(self.request, self.template_name, context)

    def make_form(self, data: Any = None) -> ProcedureCreateForm:
        departments = self.departments()
        if not departments.exists():
            raise PermissionDenied
        return ProcedureCreateForm(data, municipality=self.municipality, departments=departments)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_form(self.make_form())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        with transaction.atomic():
            procedure: Procedure = form.save(commit=False)
            procedure.municipality = self.municipality
            procedure.published = False
            procedure.key = form.cleaned_data["key"] or generate_key(
                self.municipality, procedure.name, procedure.kana
            )
            procedure.save()
            for event in form.cleaned_data["life_events"]:
                ProcedureLifeEvent.objects.create(
                    municipality=self.municipality, procedure=procedure, event=event
                )
            designer.start_draft(procedure, request.user)
        messages.success(
            request,
            _(
                "手続「%(name)s」を作りました（キー：%(key)s）。フォームを作って公開すると、住民向けの案内に載ります。"
            )
            % {"name": procedure.name, "key": procedure.key},
        )
        return redirect("designer:overview", self.municipality.slug, procedure.pk)
