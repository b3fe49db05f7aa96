"""Plans side by side: published plans of any municipalities, and a consortium's members' plans
for its staff."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from yakusho.core.mixins import ConsortiumStaffMixin
from yakusho.plans.compare import compare, member_plans
from yakusho.plans.models import (
    Plan,
)
from yakusho.plans.views import cached_page


def parse_plan_refs(request: HttpRequest) -> list[tuple[str, str]] | None:
    """``?plans=oe/oe-dx&plans=itako/itako-dx`` → [(slug, key)]; None when a value is malformed."""
    refs = []
    for value in request.GET.getlist("plans"):
        slug, _, key = value.partition("/")
        if not slug or not key:
            return None
        refs.append((slug, key))
    return refs


def _without_reprints(cell: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shown = {x["kpi"].pk for x in cell}
    return [x for x in cell if x["kpi"].reprint_of_id not in shown]


def render_compare(
    request: HttpRequest, plans: list[Plan], template: str = "plans/compare.html", **extra: Any
) -> HttpResponse:
    editions = [p.current_edition for p in plans if p.current_edition]
    comparison = compare(editions) if editions else None
    if comparison is not None:
        # a reprint (再掲) is the same KPI again: shown once, as its original
        comparison.indicators = [
            (indicator, [_without_reprints(cell) for cell in cells])
            for indicator, cells in comparison.indicators
        ]
    return render(request, template, {"comparison": comparison, "plans": plans, **extra})


def choose(candidates: QuerySet[Plan], refs: list[tuple[str, str]]) -> list[Plan] | None:
    """The plans named by ``refs`` among ``candidates`` (all of them without refs); None if any
    named plan is not among the candidates."""
    candidates = candidates.order_by("municipality__code")
    if not refs:
        return list(candidates)
    wanted = Q()
    for slug, key in refs:
        wanted |= Q(municipality__slug=slug, key=key)
    chosen = list(candidates.filter(wanted))
    return chosen if len(chosen) == len(set(refs)) else None


def refuse_compare(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "plans/compare_refused.html", {"message": message}, status=403)


@cached_page
class CompareView(TemplateView):
    """Published plans of any municipalities, side by side (all published plans by default)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        published = Plan.objects.filter(
            published=True, current_edition__isnull=False, municipality__suspended_at__isnull=True
        ).select_related("municipality", "current_edition")
        refs = parse_plan_refs(request)
        if refs is None:
            messages.warning(request, _("比較する計画の指定が正しくないため、すべての公開計画を表示します。"))
            refs = []
        plans = choose(published, refs)
        if plans is None:
            return refuse_compare(
                request, _("比較できない計画が含まれています（存在しないか、公開されていません）。")
            )
        return render_compare(request, plans)


class ConsortiumCompareView(ConsortiumStaffMixin, TemplateView):
    """A chosen set of the consortium's member plans; plans of other municipalities are refused."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        chosen = choose(member_plans(self.consortium), parse_plan_refs(request) or [])
        if chosen is None:
            return refuse_compare(
                request, _("構成団体以外の計画、または公開されていない計画は比較できません。")
            )
        return render_compare(request, chosen, consortium=self.consortium)
