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
    # stored figures of every member in one query: the page never measures
    stored = registry.figures_of(members, [p.key for p in providers], period)
    measured = [f for m in members for f in stored[m.pk].values() if f.measured]
    # the oldest figure's time: every figure shown is at least that fresh
    oldest = min(measured, key=lambda f: f.computed_at or timezone.now()) if measured else None
    return {
        "consortium": consortium,
        "period": period,
        "providers": providers,
        "rows": [(m, [stored[m.pk][p.key] for p in providers]) for m in members],
        "as_of": oldest.as_of if oldest else "",
        "running": period.is_running(),
    }
