"""The audit log and the mail outbox of a municipality."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.db.models import QuerySet
from django.views.generic import (
    ListView,
)

from yakusho.core import audit
from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import (
    OutboundEmail,
)
from yakusho.core.permissions import Perm

# --- audit, outbox -----------------------------------------------------------------------


class AuditLogView(MunicipalityStaffMixin, ListView):
    """Everything recorded about this municipality's records, newest first."""

    permission = Perm.VIEW_AUDIT
    template_name = "core/staff/audit_log.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[LogEntry]:
        return (
            audit.for_municipality(self.municipality)
            .select_related("actor", "content_type")
            .order_by("-timestamp")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["rows"] = audit.describe(context["object_list"])  # each change in words
        return context


class OutboxView(MunicipalityStaffMixin, ListView):
    permission = Perm.MANAGE_SETTINGS
    model = OutboundEmail
    template_name = "core/staff/outbox.html"
    paginate_by = 50
