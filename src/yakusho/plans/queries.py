"""Queries several parts of the plans app read alike (so each is written once)."""

from __future__ import annotations

from django.db.models import Prefetch

from yakusho.plans.models import Node, NodeDepartment, PlanEdition


def nodes_with_links(edition: PlanEdition) -> list[Node]:
    """The edition's nodes in order, with their parent, national items and 課 — four queries."""
    return list(
        Node.objects.filter(edition=edition)
        .select_related("parent")
        .prefetch_related(
            "national_items",
            Prefetch("node_departments", queryset=NodeDepartment.objects.select_related("department")),
        )
        .order_by("order")
    )
