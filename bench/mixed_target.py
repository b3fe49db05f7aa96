"""Find what the benchmark's mixed run writes: a KPI of a plan that staff may record an actual for.

Runs in the benchmark's environment (same database) like ``make_session.py`` and prints, as JSON,
the staff page whose form records the actual (the node review of the plan's open review cycle),
the KPI's form prefix, and the public KPI page that shows it::

    {"form": "/staff/m/oe/reviews/10/nodes/431/", "field": "kpi-812-value",
     "public": "/m/oe/plans/oe-dx/kpis/", "kpi": "…"}

The KPI is numeric, not bound to a metric (no override reason is then needed), not a percentage
(any positive value is accepted), and not a reprint (the public list shows it under its own row).

Usage: ``.venv/bin/python bench/mixed_target.py [--email dx@example.jp] [--municipality oe] [--plan oe-dx]``
"""

from __future__ import annotations

import argparse
import json
import os


def find_target(email: str, municipality: str, plan: str) -> dict[str, str]:
    import django

    django.setup()
    from django.urls import reverse

    from yakusho.core.models import Membership
    from yakusho.plans.models import Kpi, NodeReview, ReviewCycle
    from yakusho.plans.review import services as review

    membership = Membership.objects.get(user__email=email, municipality__slug=municipality, is_active=True)
    cycles = ReviewCycle.objects.filter(
        municipality=membership.municipality, edition__plan__key=plan, state=ReviewCycle.State.OPEN
    ).order_by("-fiscal_year", "-period")
    for cycle in cycles:
        for node_review in NodeReview.objects.filter(cycle=cycle).select_related("node").order_by("pk"):
            if not review.may_edit(node_review, membership):
                continue
            kpi = (
                Kpi.objects.filter(node=node_review.node, metric="", reprint_of__isnull=True)
                .exclude(direction=Kpi.Direction.QUALITATIVE)
                .exclude(unit="%")
                .order_by("order")
                .first()
            )
            if kpi is None:
                continue
            return {
                "form": reverse("reviews:node", args=[municipality, cycle.pk, node_review.pk]),
                "field": f"kpi-{kpi.pk}-value",
                "public": reverse("plans:kpis", args=[municipality, plan]),
                "kpi": kpi.name,
            }
    raise SystemExit(f"no open review of {municipality}/{plan} has a numeric KPI {email} may record")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", default="dx@example.jp")
    parser.add_argument("--municipality", default="oe")
    parser.add_argument("--plan", default="oe-dx")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yakusho.settings")
    print(json.dumps(find_target(args.email, args.municipality, args.plan), ensure_ascii=False))


if __name__ == "__main__":
    main()
