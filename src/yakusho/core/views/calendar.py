"""The business calendar: the municipality's own closed days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import (
    CreateView,
    DeleteView,
    ListView,
)

from yakusho.core.calendar import BusinessCalendar
from yakusho.core.forms import (
    ClosureForm,
)
from yakusho.core.mixins import MunicipalityStaffMixin, RefuseProtectedDeleteMixin
from yakusho.core.models import (
    Closure,
)
from yakusho.core.permissions import Perm

# --- business calendar ----------------------------------------------------------------------


class ClosureListView(MunicipalityStaffMixin, ListView):
    model = Closure
    template_name = "core/staff/closure_list.html"

    def get_queryset(self) -> QuerySet[Closure]:
        return super().get_queryset().filter(date__gte=timezone.localdate() - timedelta(days=365))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        calendar = BusinessCalendar(self.municipality)
        today = timezone.localdate()
        context["days"] = [
            (today + timedelta(days=i), calendar.closed_reason(today + timedelta(days=i))) for i in range(31)
        ]
        context["form"] = ClosureForm(municipality=self.municipality)
        return context


class ClosureCreateView(MunicipalityStaffMixin, CreateView):
    permission = Perm.MANAGE_SETTINGS
    model = Closure
    form_class = ClosureForm
    template_name = "core/staff/form.html"
    extra_context = {"title": _("臨時閉庁日の追加")}

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["municipality"] = self.municipality
        return kwargs

    def get_success_url(self) -> str:
        messages.success(self.request, _("臨時閉庁日を追加しました。"))
        return reverse("staff:closure_list", args=[self.municipality.slug])


class ClosureDeleteView(MunicipalityStaffMixin, RefuseProtectedDeleteMixin, DeleteView):
    permission = Perm.MANAGE_SETTINGS
    model = Closure
    template_name = "core/staff/confirm_delete.html"

    def get_success_url(self) -> str:
        return reverse("staff:closure_list", args=[self.municipality.slug])
