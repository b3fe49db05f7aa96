"""Staff pages of the review dashboards: one cycle (every role of the municipality reads it) and a
consortium's members side by side (consortium staff only)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from yakusho.core.mixins import ConsortiumStaffMixin, MunicipalityStaffMixin
from yakusho.plans.dashboard import cycle as dashboard
from yakusho.plans.dashboard import year_over_year
from yakusho.plans.dashboard.consortium import consortium_dashboard
from yakusho.plans.models import ReviewCycle


class CycleDashboardView(MunicipalityStaffMixin, TemplateView):
    template_name = "plans/review/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        cycle = get_object_or_404(
            ReviewCycle.objects.for_municipality(self.municipality).select_related("edition"),
            pk=self.kwargs["cycle"],
        )
        context.update(
            cycle=cycle,
            board=dashboard.cycle_dashboard(cycle),
            progress_labels=[p.label for p in dashboard.PROGRESS],
            kpi_labels=dashboard.kpi_labels(),
            move_labels=year_over_year.MOVE_LABELS,
            kpi_move_labels=year_over_year.KPI_MOVE_LABELS,
        )
        return context


class ConsortiumDashboardView(ConsortiumStaffMixin, TemplateView):
    template_name = "plans/review/consortium_dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            members=consortium_dashboard(self.consortium),
            progress_labels=[p.label for p in dashboard.PROGRESS],
        )
        return context
