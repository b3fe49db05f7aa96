"""What the plans app adds to shared pages."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from yakusho.core.ui import consortium_sections, public_links
from yakusho.plans.compare import compare
from yakusho.plans.models import Plan

public_links.register(
    "plans.list",
    label=_("DX推進計画"),
    url_name="plans:list",
    order=10,
    description=_("計画の施策・工程表・KPIと、その進み具合"),
)
public_links.register("plans.glossary", label=_("DX推進計画の用語集"), url_name="plans:glossary", order=20)


@consortium_sections.register("plans.compare", template="plans/consortium_compare.html", order=10)
def member_plans_compared(consortium: Any) -> dict[str, Any]:
    """A consortium's page opens on its members' published plans side by side."""
    plans = list(
        Plan.objects.filter(
            municipality__in=consortium.members.all(), published=True, current_edition__isnull=False
        )
        .select_related("municipality", "current_edition")
        .order_by("municipality__code")
    )
    editions = [p.current_edition for p in plans if p.current_edition]
    return {"comparison": compare(editions) if editions else None, "consortium": consortium}
