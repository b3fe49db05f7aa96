"""The metrics app's part of shared pages (discovered with every app's ``panels.py``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from yakusho.core.jcal import fiscal_year_of
from yakusho.core.models import Department
from yakusho.core.ui import consortium_sections
from yakusho.metrics.registry import Period, registry


@consortium_sections.register("metrics.members", template="metrics/consortium_section.html", order=1000)
def members_figures(consortium: Any) -> dict[str, Any]:
    """The members' figures of this fiscal year side by side, after the other apps' sections."""
    members = list(
        consortium.members.order_by("code").prefetch_related(
            Prefetch("departments", queryset=Department.objects.order_by("order", "name"))
        )
    )
    period = Period.fiscal_year(fiscal_year_of(timezone.localdate()))
    providers = registry.all()
    return {
        "consortium": consortium,
        "period": period,
        "providers": providers,
        "rows": [(m, [registry.measure(p.key, m, period).value for p in providers]) for m in members],
    }
