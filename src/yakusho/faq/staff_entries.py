"""Staff pages of the knowledge base: the entries (list, create and edit, CSV/Excel export and
import), a member's own answers to its consortia's shared entries, and the municipality's synonym
groups for the search (docs/faq.md, "Staff: editing the knowledge base").

Every member reads; writing entries and local answers needs ``Perm.EDIT_FAQ`` and 課 staff act only
for their own 課; the import and the synonyms touch every 課, so they need ``Perm.MANAGE_SETTINGS``
(administrators). Every save runs in a transaction; the audit trail records it (django-auditlog),
and ``faq.signals`` renews the municipality's search index when the transaction commits.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import InvalidPage, Paginator
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from yakusho.core.models import Department, SynonymGroup
from yakusho.core.permissions import Perm
from yakusho.core.responses import NotFound
from yakusho.core.searchwords import shipped_synonyms
from yakusho.faq import tabular
from yakusho.faq.models import Category, Entry, Override, SharedEntry, Visibility
from yakusho.faq.staff_common import FaqStaffMixin
from yakusho.faq.staff_forms import (
    MAX_UPLOAD_ROWS,
    EntryForm,
    ImportForm,
    OverrideForm,
    SynonymGroupForm,
    categories_of,
)

PER_PAGE = 50
#: an entry whose last review is older than this is marked on the list
REVIEW_AFTER = timedelta(days=365)


def _period(entry: Entry, today: date) -> str:
    if entry.valid_from and entry.valid_from > today:
        return _("掲載前")
    if entry.valid_to and entry.valid_to < today:
        return _("掲載終了")
    return _("掲載中")


class EntryListView(FaqStaffMixin, TemplateView):
    """The municipality's entries, filtered by 分類, 課 and words; its consortia's shared entries
    with the state of the local answer below."""

    template_name = "faq/staff/entries.html"
    faq_section = "entries"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        params = self.request.GET
        q = params.get("q", "").strip()[:100]
        category = params.get("category", "").strip()[:40]
        department_param = params.get("department", "").strip()
        entries = Entry.objects.for_municipality(self.municipality).select_related("department")
        departments = Department.objects.for_municipality(self.municipality)
        department: Department | None = None
        if department_param == "none":
            entries = entries.filter(department__isnull=True)
        elif department_param:
            if not department_param.isdigit():
                raise NotFound(_("指定された課が見つかりません。"))
            department = departments.filter(pk=department_param).first()
            if department is None:
                raise NotFound(_("指定された課が見つかりません。"))
            entries = entries.filter(department=department)
        if category:
            entries = entries.filter(category=category)
        if q:
            entries = entries.filter(
                Q(question__icontains=q) | Q(phrasings__icontains=q) | Q(key__icontains=q.lower())
            )
        # in the order of the guided mode's tree; a category outside it last
        tree = Category.objects.for_municipality(self.municipality)
        tops = tree.filter(parent=None, name=OuterRef("category")).values("order")[:1]
        subs = tree.filter(parent__name=OuterRef("category"), name=OuterRef("subcategory")).values("order")[
            :1
        ]
        last = Value(10**6)
        entries = entries.annotate(
            top_order=Coalesce(Subquery(tops), last), sub_order=Coalesce(Subquery(subs), last)
        ).order_by("top_order", "category", "sub_order", "subcategory", "pk")
        paginator = Paginator(entries, PER_PAGE)
        try:
            page = paginator.page(params.get("page", "1") or "1")
        except InvalidPage:
            raise NotFound(_("そのページはありません。")) from None
        stale_before = today - REVIEW_AFTER
        rows = [
            {
                "entry": e,
                "may_edit": self.may_act_for(Perm.EDIT_FAQ, e.department_id),
                "period": _period(e, today),
                "review_due": e.reviewed_on is None or e.reviewed_on < stale_before,
                # residents see an entry that is public and within its dates
                "public": e.visibility == Visibility.PUBLIC and _period(e, today) == _("掲載中"),
            }
            for e in page.object_list
        ]
        keep = params.copy()
        keep.pop("page", None)
        names = list(categories_of(self.municipality))
        for name in (
            Entry.objects.for_municipality(self.municipality)
            .order_by()
            .values_list("category", flat=True)
            .distinct()
        ):
            if name not in names:
                names.append(name)
        context.update(
            rows=rows,
            page=page,
            paginator=paginator,
            filter_query=keep.urlencode(),
            q=q,
            category=category,
            department=department,
            department_param=department_param,
            categories=names,
            departments=departments,
            shared=self.shared_rows(),
            today=today,
            may_create=self.can(Perm.EDIT_FAQ),
            may_import=self.can(Perm.MANAGE_SETTINGS),
        )
        return context

    def shared_rows(self) -> list[dict[str, Any]]:
        local = {
            o.entry_id: o
            for o in Override.objects.for_municipality(self.municipality).select_related("department")
        }
        shared = (
            SharedEntry.objects.filter(consortium__members=self.municipality)
            .select_related("consortium")
            .distinct()
            .order_by("consortium__name", "category", "pk")
        )
        rows = []
        for s in shared:
            override = local.get(s.pk)
            may_edit = (
                self.may_act_for(Perm.EDIT_FAQ, override.department_id)
                if override is not None
                else self.can(Perm.EDIT_FAQ)
            )
            rows.append({"entry": s, "override": override, "may_edit": may_edit})
        return rows


class EntryFormView(FaqStaffMixin, TemplateView):
    """Create an entry (``entry_create``) or edit one (``entry_edit``). The version rises only when
    the question, the phrasings or the answer changed; a form opened before someone else saved
    the entry is not saved over their text (the page says so and keeps what was typed)."""

    template_name = "faq/staff/entry_form.html"
    faq_section = "entries"
    permission = Perm.EDIT_FAQ

    def target(self, *, lock: bool = False) -> Entry | None:
        if "pk" not in self.kwargs:
            return None
        entries: QuerySet[Entry] = Entry.objects.for_municipality(self.municipality)
        if lock:
            entries = entries.select_for_update()
        entry = get_object_or_404(entries, pk=self.kwargs["pk"])
        if not self.may_act_for(Perm.EDIT_FAQ, entry.department_id):
            raise PermissionDenied(_("担当している課の質問だけを編集できます。"))
        return entry

    def form(self, entry: Entry | None, data: Any = None) -> EntryForm:
        return EntryForm(data, instance=entry, municipality=self.municipality, own=self.own_departments())

    def page(self, form: EntryForm, entry: Entry | None, status: int = 200) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form, entry=entry), status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        entry = self.target()
        return self.page(self.form(entry), entry)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            with transaction.atomic():
                entry = self.target(lock=True)
                form = self.form(entry, request.POST)
                if not form.is_valid():
                    return self.page(form, entry, status=400)
                if entry is not None and form.stale():
                    return self.stale_page(entry)
                saved = form.save()
        except IntegrityError:
            # two staff creating the same key at the same moment: the other one won
            form = self.form(self.target(), request.POST)
            form.is_valid()
            form.add_error("key", _("このキーはたった今ほかの質問に使われました。別のキーにしてください。"))
            return self.page(form, self.target(), status=409)
        messages.success(
            self.request,
            _("「%(question)s」を保存しました（第%(version)s版）。")
            % {"question": saved.question, "version": saved.version},
        )
        return redirect("faq_staff:entries", self.municipality.slug)

    def stale_page(self, entry: Entry) -> HttpResponse:
        """The entry changed since the form was opened: show what was typed again, with the
        current version, so that saving once more is a deliberate choice."""
        entry.refresh_from_db()
        data = self.request.POST.copy()
        data["expected_version"] = str(entry.version)
        form = self.form(entry, data)
        form.is_valid()
        form.add_error(
            None,
            _(
                "この質問は、編集を始めた後にほかの職員が保存しました（現在 第%(version)s版）。"
                "一覧で今の内容を確かめてから、もう一度保存してください。"
            )
            % {"version": entry.version},
        )
        return self.page(form, entry, status=409)


class EntryExportView(FaqStaffMixin, TemplateView):
    """The municipality's own entries as CSV or Excel: every reader may take them."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        fmt = kwargs["fmt"]
        if fmt == "csv":
            return tabular.csv_export(self.municipality)
        if fmt == "xlsx":
            return tabular.excel_export(self.municipality)
        raise NotFound(_("書き出せる形式は CSV（.csv）と Excel（.xlsx）です。"))


class EntryImportView(FaqStaffMixin, TemplateView):
    """Read a CSV or Excel file of entries, all or nothing (administrators: it touches every 課)."""

    template_name = "faq/staff/import.html"
    faq_section = "entries"
    permission = Perm.MANAGE_SETTINGS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            columns=tabular.COLUMNS,
            max_rows=MAX_UPLOAD_ROWS,
            entry_count=Entry.objects.for_municipality(self.municipality).count(),
        )
        context.setdefault("form", ImportForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        upload = form.cleaned_data["file"]
        try:
            result = tabular.import_file(self.municipality, upload.name, upload.read())
        except tabular.TabularInvalid as exc:
            form.add_error(
                "file", _("ファイルに誤りがあります。下の一覧を直してから、もう一度読み込んでください。")
            )
            context = self.get_context_data(form=form, errors=exc.errors, filename=upload.name)
            return self.render_to_response(context, status=400)
        messages.success(
            request,
            _(
                "「%(name)s」を読み込みました。追加 %(created)s件、更新 %(updated)s件、"
                "変更なし %(unchanged)s件。ファイルにない質問はそのままです。"
            )
            % {
                "name": upload.name,
                "created": f"{result.created:,}",
                "updated": f"{result.updated:,}",
                "unchanged": f"{result.unchanged:,}",
            },
        )
        return redirect("faq_staff:entries", self.municipality.slug)


class OverrideFormView(FaqStaffMixin, TemplateView):
    """This municipality's own answer (and 課) to a shared entry of one of its consortia: create,
    change or remove it; the shared question itself stays the consortium's."""

    template_name = "faq/staff/override_form.html"
    faq_section = "entries"
    permission = Perm.EDIT_FAQ

    def target(self) -> tuple[SharedEntry, Override | None]:
        shared = (
            SharedEntry.objects.filter(pk=self.kwargs["pk"], consortium__members=self.municipality)
            .select_related("consortium")
            .first()
        )
        if shared is None:
            raise NotFound(_("この団体が使える共有の質問ではありません。"))
        override = Override.objects.for_municipality(self.municipality).filter(entry=shared).first()
        if override is not None and not self.may_act_for(Perm.EDIT_FAQ, override.department_id):
            raise PermissionDenied(_("担当している課の回答だけを編集できます。"))
        return shared, override

    def form(self, override: Override | None, data: Any = None) -> OverrideForm:
        return OverrideForm(
            data, instance=override, municipality=self.municipality, own=self.own_departments()
        )

    def page(
        self, shared: SharedEntry, override: Override | None, form: OverrideForm, status: int = 200
    ) -> HttpResponse:
        context = self.get_context_data(shared=shared, override=override, form=form)
        return self.render_to_response(context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        shared, override = self.target()
        form = self.form(override)
        if override is None:
            form.initial["answer"] = shared.answer
        return self.page(shared, override, form)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        shared, override = self.target()
        back = reverse("faq_staff:entries", args=[self.municipality.slug]) + "#shared"
        if "delete" in request.POST:
            if override is not None:
                with transaction.atomic():
                    override.delete()
                messages.success(
                    request,
                    _("「%(question)s」のこの団体の回答を削除しました。共有の回答を表示します。")
                    % {"question": shared.question},
                )
            return redirect(back)
        form = self.form(override, request.POST)
        if not form.is_valid():
            return self.page(shared, override, form, status=400)
        with transaction.atomic():
            local = form.save(commit=False)
            local.entry = shared
            local.save()
        messages.success(
            request, _("「%(question)s」のこの団体の回答を保存しました。") % {"question": shared.question}
        )
        return redirect(back)


class SynonymListView(FaqStaffMixin, TemplateView):
    """The municipality's synonym groups (and Yakusho's standard ones, read only); administrators
    add a group, or change one in place (``?edit=<id>``)."""

    template_name = "faq/staff/synonyms.html"
    faq_section = "synonyms"

    def groups(self) -> QuerySet[SynonymGroup]:
        return SynonymGroup.objects.for_municipality(self.municipality).order_by("pk")

    def editing(self, value: str | None) -> SynonymGroup | None:
        if not value:
            return None
        if not value.isdigit():
            raise NotFound(_("指定された同義語の組が見つかりません。"))
        group = self.groups().filter(pk=value).first()
        if group is None:
            raise NotFound(_("指定された同義語の組が見つかりません。"))
        return group

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            groups=list(self.groups()),
            shipped=[list(g) for g in shipped_synonyms()],
            may_manage=self.can(Perm.MANAGE_SETTINGS),
        )
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        editing = self.editing(request.GET.get("edit"))
        if editing is not None and not self.can(Perm.MANAGE_SETTINGS):
            raise PermissionDenied
        form = SynonymGroupForm(instance=editing, municipality=self.municipality)
        return self.render_to_response(self.get_context_data(form=form, editing=editing))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.can(Perm.MANAGE_SETTINGS):
            raise PermissionDenied
        editing = self.editing(request.POST.get("pk"))
        form = SynonymGroupForm(request.POST, instance=editing, municipality=self.municipality)
        if not form.is_valid():
            context = self.get_context_data(form=form, editing=editing)
            return self.render_to_response(context, status=400)
        with transaction.atomic():
            group = form.save()
        messages.success(
            request,
            (
                _("同義語の組「%(words)s」を保存しました。")
                if editing
                else _("同義語の組「%(words)s」を追加しました。")
            )
            % {"words": group},
        )
        return redirect("faq_staff:synonyms", self.municipality.slug)


class SynonymDeleteView(FaqStaffMixin, TemplateView):
    permission = Perm.MANAGE_SETTINGS
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        group = get_object_or_404(SynonymGroup.objects.for_municipality(self.municipality), pk=kwargs["pk"])
        words = str(group)
        with transaction.atomic():
            group.delete()
        messages.success(request, _("同義語の組「%(words)s」を削除しました。") % {"words": words})
        return redirect("faq_staff:synonyms", self.municipality.slug)
