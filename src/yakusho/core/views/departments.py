"""Departments (課) of a municipality."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import (
    CreateView,
    DeleteView,
    DetailView,
    ListView,
    UpdateView,
)

from yakusho.core.forms import (
    DepartmentForm,
)
from yakusho.core.mixins import MunicipalityStaffMixin, RefuseProtectedDeleteMixin
from yakusho.core.models import (
    Department,
)
from yakusho.core.permissions import Perm

# --- departments ----------------------------------------------------------------------------


class DepartmentListView(MunicipalityStaffMixin, ListView):
    model = Department
    template_name = "core/staff/department_list.html"


class DepartmentDetailView(MunicipalityStaffMixin, DetailView):
    model = Department
    template_name = "core/staff/department_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["members"] = self.object.members.filter(is_active=True).select_related("user")
        return context


class _DepartmentFormMixin(MunicipalityStaffMixin):
    permission = Perm.MANAGE_SETTINGS
    model = Department

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_form_kwargs()  # type: ignore[misc]
        kwargs["municipality"] = self.municipality
        return kwargs

    def get_success_url(self) -> str:
        messages.success(self.request, _("課を保存しました。"))
        return reverse("staff:department_detail", args=[self.municipality.slug, self.object.pk])  # type: ignore[attr-defined]


class DepartmentCreateView(_DepartmentFormMixin, CreateView):
    form_class = DepartmentForm
    template_name = "core/staff/form.html"
    extra_context = {"title": _("課の追加")}


class DepartmentUpdateView(_DepartmentFormMixin, UpdateView):
    form_class = DepartmentForm
    template_name = "core/staff/form.html"
    extra_context = {"title": _("課の編集")}


class DepartmentDeleteView(MunicipalityStaffMixin, RefuseProtectedDeleteMixin, DeleteView):
    permission = Perm.MANAGE_SETTINGS
    model = Department
    template_name = "core/staff/confirm_delete.html"

    def get_success_url(self) -> str:
        messages.success(self.request, _("課を削除しました。"))
        return reverse("staff:department_list", args=[self.municipality.slug])
