"""A consortium's page, made of the sections apps register."""

from __future__ import annotations

from typing import Any

from django.views.generic import (
    TemplateView,
)

from yakusho.core.mixins import ConsortiumStaffMixin
from yakusho.core.ui import consortium_sections

# --- consortium -----------------------------------------------------------------------------


class ConsortiumHomeView(ConsortiumStaffMixin, TemplateView):
    template_name = "core/staff/consortium.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sections"] = consortium_sections.render(self.consortium)
        return context
