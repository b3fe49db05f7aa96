"""Two or more plans side by side: periods, coverage of national items, KPIs of the same
standard indicator. National items of different 自治体DX推進計画 versions are matched by the part
of their key after the version (``jdx2.online`` and ``jdx3.online`` are one theme)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from yakusho.plans.achievement import evaluate
from yakusho.plans.models import Kpi, KpiActual, NationalItem, Node, Plan, PlanEdition


def theme_of(item_key: str) -> str:
    return item_key.split(".", 1)[1] if "." in item_key else item_key


@dataclass
class Comparison:
    editions: list[PlanEdition]
    themes: list[tuple[str, str, list[int]]]  # theme, title, initiatives per edition
    indicators: list[tuple[Any, list[list[dict[str, Any]]]]]  # indicator, KPIs per edition
    level_counts: list[list[tuple[str, int]]]


def compare(editions: list[PlanEdition]) -> Comparison:
    ids = [e.pk for e in editions]
    nodes = (
        Node.objects.filter(edition_id__in=ids)
        .prefetch_related("national_items")
        .only("id", "edition_id", "level")
    )
    per_theme: dict[str, Counter[int]] = defaultdict(Counter)
    levels: dict[int, Counter[int]] = defaultdict(Counter)
    for node in nodes:
        levels[node.edition_id][node.level] += 1  # what the node is, not how deep it sits
        for item in node.national_items.all():
            per_theme[theme_of(item.key)][node.edition_id] += 1
    titles: dict[str, str] = {}
    for item in NationalItem.objects.select_related("framework").order_by("framework__published_on", "order"):
        titles[theme_of(item.key)] = item.title  # the newest version's wording wins
    themes = [
        (theme, titles.get(theme, theme), [per_theme[theme][i] for i in ids])
        for theme in sorted(per_theme, key=lambda t: (-sum(per_theme[t].values()), t))
    ]
    kpis = (
        Kpi.objects.filter(edition_id__in=ids, indicator__isnull=False)
        .select_related("indicator", "edition", "node")
        .prefetch_related("targets", Prefetch("actuals", queryset=KpiActual.objects.order_by("fiscal_year")))
        .order_by("indicator__key", "order")
    )
    by_indicator: dict[int, tuple[Any, dict[int, list[dict[str, Any]]]]] = {}
    for kpi in kpis:
        entry = by_indicator.setdefault(kpi.indicator_id, (kpi.indicator, defaultdict(list)))  # type: ignore[arg-type]
        final = max(kpi.targets.all(), key=lambda t: (t.final, t.fiscal_year or 0), default=None)
        actuals = list(kpi.actuals.all())
        entry[1][kpi.edition_id].append(
            {
                "kpi": kpi,
                "final": final,
                "latest": actuals[-1] if actuals else None,
                "achievement": evaluate(kpi),
            }
        )
    indicators = [(indicator, [cells[i] for i in ids]) for indicator, cells in by_indicator.values()]
    level_counts = []
    for edition in editions:
        labels = edition.level_labels
        counts = levels[edition.pk]
        level_counts.append(
            [(labels[d - 1] if d - 1 < len(labels) else str(d), counts[d]) for d in sorted(counts)]
        )
    return Comparison(editions, themes, indicators, level_counts)


def member_plans(consortium: Any) -> QuerySet[Plan]:
    """Published plans of a consortium's members in service (not suspended): what its staff may compare."""
    return Plan.objects.filter(
        municipality__in=consortium.members.all(),
        municipality__suspended_at__isnull=True,
        published=True,
        current_edition__isnull=False,
    ).select_related("municipality", "current_edition")
