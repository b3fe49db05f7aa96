"""The staff home (panels per membership), a municipality's back-office page, its settings and
policy pages."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import (
    TemplateView,
    UpdateView,
)

from yakusho.core.forms import (
    MunicipalityForm,
    PolicyPageForm,
)
from yakusho.core.middleware import has_totp_device
from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import (
    Closure,
    ConsortiumMembership,
    Department,
    Membership,
    Municipality,
    PolicyPage,
    User,
)
from yakusho.core.permissions import Perm
from yakusho.core.ui import panels

# --- staff home -----------------------------------------------------------------------------


class PolicyPageEditView(MunicipalityStaffMixin, UpdateView):
    permission = Perm.MANAGE_SETTINGS
    model = PolicyPage
    form_class = PolicyPageForm
    template_name = "core/staff/form.html"

    def get_object(self, queryset: Any = None) -> PolicyPage:
        kind = self.kwargs["kind"]
        if kind not in PolicyPage.Kind.values:
            raise Http404
        page = PolicyPage.objects.for_municipality(self.municipality).filter(kind=kind).first()
        return page or PolicyPage(municipality=self.municipality, kind=kind)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = self.object.get_kind_display()
        return context

    def get_success_url(self) -> str:
        messages.success(
            self.request, _("%(page)sを保存しました。") % {"page": self.object.get_kind_display()}
        )
        return reverse(f"public:{self.object.kind}", args=[self.municipality.slug])


class StaffHomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/staff/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = cast(User, self.request.user)
        today = timezone.localdate()
        closures = Closure.objects.filter(
            date__gte=date(today.year - 1, 1, 1), date__lt=date(today.year + 3, 1, 1)
        )
        context["memberships"] = list(
            Membership.objects.filter(user=user, is_active=True)
            .select_related("municipality")
            .prefetch_related("departments", Prefetch("municipality__closures", queryset=closures))
            .order_by("municipality__code")
        )
        context["consortium_memberships"] = ConsortiumMembership.objects.filter(
            user=user,
            is_active=True,
        ).select_related("consortium")
        context["has_device"] = has_totp_device(self.request)
        # a suspended municipality's pages answer 403: no panels, a line saying so instead
        context["suspended_memberships"] = [m for m in context["memberships"] if m.municipality.is_suspended]
        context["sections"] = [
            (m, panels.for_membership(m)) for m in context["memberships"] if not m.municipality.is_suspended
        ]
        return context


class MunicipalityDashboardView(MunicipalityStaffMixin, TemplateView):
    template_name = "core/staff/municipality.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["department_count"] = Department.objects.for_municipality(self.municipality).count()
        context["staff_count"] = (
            Membership.objects.for_municipality(self.municipality).filter(is_active=True).count()
        )
        return context


class MunicipalitySettingsView(MunicipalityStaffMixin, UpdateView):
    permission = Perm.MANAGE_SETTINGS
    form_class = MunicipalityForm
    template_name = "core/staff/settings.html"

    def get_object(self, queryset: Any = None) -> Municipality:
        return self.municipality

    def get_success_url(self) -> str:
        messages.success(self.request, _("団体の設定を保存しました。"))
        return reverse("staff:settings", args=[self.municipality.slug])
