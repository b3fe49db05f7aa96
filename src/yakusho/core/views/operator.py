"""The system operator's pages (運用管理): every municipality and consortium, adding them, and
suspending and resuming a municipality. Only for accounts with ``is_operator`` in a session
verified with TOTP; every change is in the audit trail (django-auditlog, with the operator as actor).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, ListView, TemplateView

from yakusho.core import audit, localgov, suspension
from yakusho.core.models import Consortium, Department, Membership, Municipality, Role
from yakusho.core.operator_forms import ConsortiumAddForm, MunicipalityAddForm, SuspendForm, add_refusals


class OperatorRequiredMixin:
    """A signed-in system operator whose session is verified by TOTP (the two-factor middleware
    sends an unverified one to set-up or verification first; this is the second lock)."""

    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user: Any = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_operator:
            raise PermissionDenied(_("このページは運用管理者だけが使えます。"))
        if not user.is_verified():
            return redirect("staff:2fa_setup")
        self.find_objects(**kwargs)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def find_objects(self, **kwargs: Any) -> None:
        """Look up what the URL names (after the checks: nobody else learns what exists)."""


class OperatorMunicipalityMixin(OperatorRequiredMixin):
    """Finds the municipality named by ``<tenant>`` (any, suspended or not)."""

    municipality: Municipality

    def find_objects(self, **kwargs: Any) -> None:
        self.municipality = get_object_or_404(Municipality, slug=kwargs["tenant"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["target"] = self.municipality
        return context


def with_figures(municipalities: QuerySet[Municipality]) -> QuerySet[Municipality]:
    """Municipalities with their active staff, departments and latest staff sign-in, each a
    subquery of the same query (the list's query count does not grow with the number of
    municipalities, and no join multiplies staff by departments)."""
    staff = (
        Membership.objects.filter(municipality=OuterRef("pk"), is_active=True)
        .order_by()
        .values("municipality")
    )
    departments = Department.objects.filter(municipality=OuterRef("pk")).order_by().values("municipality")
    return municipalities.annotate(
        staff_count=Coalesce(Subquery(staff.annotate(n=Count("pk")).values("n")), 0),
        department_count=Coalesce(Subquery(departments.annotate(n=Count("pk")).values("n")), 0),
        last_sign_in=Subquery(staff.annotate(at=Max("user__last_login")).values("at")),
    )


class MunicipalityListView(OperatorRequiredMixin, ListView):
    """団体一覧: every municipality, its state in words, its staff and consortia."""

    template_name = "core/operator/municipality_list.html"
    context_object_name = "municipalities"

    def get_queryset(self) -> QuerySet[Municipality]:
        return with_figures(Municipality.objects.all()).prefetch_related("consortia").order_by("code")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows = context["municipalities"]
        context["suspended_count"] = sum(1 for m in rows if m.is_suspended)
        return context


class ConsortiumListView(OperatorRequiredMixin, ListView):
    """一部事務組合・広域連携の一覧, with their members."""

    template_name = "core/operator/consortium_list.html"
    context_object_name = "consortia"

    def get_queryset(self) -> QuerySet[Consortium]:
        members = Prefetch("members", queryset=Municipality.objects.order_by("code"))
        return (
            Consortium.objects.prefetch_related(members)
            .annotate(staff_count=Count("memberships", filter=Q(memberships__is_active=True)))
            .order_by("name")
        )


class MunicipalityDetailView(OperatorMunicipalityMixin, TemplateView):
    """One municipality for the operator: its state (with the suspension's reason), figures,
    administrators, consortia and the history of its record."""

    template_name = "core/operator/municipality_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["figures"] = with_figures(Municipality.objects.filter(pk=self.municipality.pk)).get()
        context["admins"] = (
            Membership.objects.for_municipality(self.municipality)
            .filter(role=Role.ADMIN, is_active=True)
            .select_related("user")
            .order_by("user__email")
        )
        context["consortia"] = self.municipality.consortia.order_by("name")
        context["entries"] = audit.describe(audit.history(self.municipality)[:50])
        return context


class MunicipalityAddView(OperatorRequiredMixin, FormView):
    """団体の追加: by its code, through the same function as ``yakusho add-municipality``."""

    template_name = "core/operator/form.html"
    form_class = MunicipalityAddForm
    extra_context = {"title": gettext_lazy("団体の追加"), "submit": gettext_lazy("追加する")}

    def form_valid(self, form: MunicipalityAddForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            with transaction.atomic():
                municipality = localgov.create_municipality(data["code"], data["slug"], data["email"])
        except localgov.SetupError as exc:  # someone added the same one meanwhile
            add_refusals(form, exc.errors)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(name)s（%(code)s）を追加しました。")
            % {"name": municipality.name, "code": municipality.code},
        )
        return HttpResponseRedirect(reverse("staff:operator_municipality", args=[municipality.slug]))


class ConsortiumAddView(OperatorRequiredMixin, FormView):
    """組合の追加: through the same function as ``yakusho add-consortium``."""

    template_name = "core/operator/form.html"
    form_class = ConsortiumAddForm
    extra_context = {
        "title": gettext_lazy("一部事務組合・広域連携の追加"),
        "submit": gettext_lazy("追加する"),
    }

    def form_valid(self, form: ConsortiumAddForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            with transaction.atomic():
                consortium = localgov.create_consortium(
                    data["name"], [m.code for m in data["members"]], data["slug"], data["kind"]
                )
        except localgov.SetupError as exc:
            add_refusals(form, exc.errors)
            return self.form_invalid(form)
        messages.success(self.request, _("「%(name)s」を追加しました。") % {"name": consortium.name})
        return HttpResponseRedirect(reverse("staff:operator_consortia"))


class SuspendView(OperatorMunicipalityMixin, FormView):
    """利用停止: a confirmation page with the reason (required); only a POST suspends."""

    template_name = "core/operator/suspend.html"
    form_class = SuspendForm

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._already() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._already() or super().post(request, *args, **kwargs)

    def _already(self) -> HttpResponse | None:
        if not self.municipality.is_suspended:
            return None
        messages.info(self.request, _("%(name)sはすでに利用停止中です。") % {"name": self.municipality.name})
        return redirect("staff:operator_municipality", self.municipality.slug)

    def form_valid(self, form: SuspendForm) -> HttpResponse:
        suspension.suspend(self.municipality, form.cleaned_data["reason"])
        messages.success(
            self.request,
            _("%(name)sを利用停止にしました。公開ページとAPIは403を返し、職員はログインできません。")
            % {"name": self.municipality.name},
        )
        return redirect("staff:operator_municipality", self.municipality.slug)


class ResumeView(OperatorMunicipalityMixin, TemplateView):
    """利用再開: a confirmation page; only a POST resumes."""

    template_name = "core/operator/resume.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.municipality.is_suspended:
            messages.info(request, _("%(name)sは利用中です。") % {"name": self.municipality.name})
            return redirect("staff:operator_municipality", self.municipality.slug)
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.municipality.is_suspended:
            suspension.resume(self.municipality)
            messages.success(request, _("%(name)sの利用を再開しました。") % {"name": self.municipality.name})
        return redirect("staff:operator_municipality", self.municipality.slug)
