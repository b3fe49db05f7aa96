"""The plan as tables: the roadmap (工程表), the KPI list with its filters, and the plan against
the national framework."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.core.jcal import fiscal_year_of, format_fiscal_year
from yakusho.core.validators import normalize_text
from yakusho.metrics.registry import Period, registry
from yakusho.plans.achievement import LABELS, Status, statuses
from yakusho.plans.models import (
    Kpi,
    Node,
    ScheduleEntry,
)
from yakusho.plans.views import EditionMixin, cached_page, kpi_rows, summary, year_span


def _int_or_none(request: HttpRequest, name: str) -> tuple[int | None, bool]:
    raw = request.GET.get(name, "")
    if not raw:
        return None, True
    try:
        return int(normalize_text(raw)), True
    except ValueError:
        return None, False


@cached_page
class RoadmapView(EditionMixin):
    """工程表: a fiscal-year grid over the period; one row per node; filters; a today marker."""

    template_name = "plans/roadmap.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request = self.request
        nodes = self.nodes()
        schedule: dict[int, list[ScheduleEntry]] = defaultdict(list)
        sources: dict[str, None] = {}  # in the order the plan has them
        for row in ScheduleEntry.objects.filter(node__edition=self.edition).order_by("order"):
            schedule[row.node_id].append(row)
            sources.setdefault(row.source)
        departments = sorted(
            {nd.department for n in nodes for nd in n.dept_links}, key=lambda d: (d.order, d.name)
        )
        items = sorted({i for n in nodes for i in n.items}, key=lambda i: (i.framework_id, i.order))
        tops = [n for n in nodes if n.depth == 1]

        department_id, ok1 = _int_or_none(request, "department")
        top_id, ok2 = _int_or_none(request, "policy")
        item = request.GET.get("item", "")
        if (
            not (ok1 and ok2)
            or (department_id and department_id not in {d.pk for d in departments})
            or (top_id and top_id not in {n.pk for n in tops})
            or (item and item not in {i.key for i in items})
        ):
            messages.warning(request, _("絞り込みの指定が正しくないため、無視しました。"))
            department_id = top_id = None
            item = ""

        by_id = {n.pk: n for n in nodes}

        def top_of(n: Node) -> Node:
            while n.parent_id:
                n = by_id[n.parent_id]
            return n

        def keep(n: Node) -> bool:
            if department_id and department_id not in {nd.department_id for nd in n.dept_links}:
                return False
            if top_id and top_of(n).pk != top_id:
                return False
            return not (item and item not in {i.key for i in n.items})

        years = list(range(self.edition.first_year, self.edition.last_year + 1))
        current = fiscal_year_of(timezone.localdate())
        rows = []
        filtered = bool(department_id or top_id or item)
        # A plan may print two schedules that disagree (a roadmap and a sheet per measure): each
        # row shows the bars of each, labelled with their source.
        for n in nodes:
            if filtered and not keep(n):
                continue
            groups = []
            for source in sources:
                bars = [_bar(r, years) for r in schedule.get(n.pk, []) if r.source == source]
                if bars:
                    groups.append({"source": source, "bars": bars})
            rows.append({"node": n, "groups": groups})
        context.update(
            years=[(y, format_fiscal_year(y, short=True), y == current) for y in years],
            today_column=years.index(current) + 1 if current in years else None,
            rows=rows,
            departments=departments,
            tops=tops,
            items=items,
            selected={"department": department_id, "policy": top_id, "item": item},
            filtered=filtered,
        )
        return context


def _bar(r: ScheduleEntry, years: list[int]) -> dict[str, Any]:
    """A schedule row on the period's grid: a bar running past the period (「～R12」) is drawn to the
    period's end and says in words how far it runs."""
    return {
        "row": r,
        "start": max(r.first_year, years[0]) - years[0] + 1,
        "span": min(r.last_year, years[-1]) - max(r.first_year, years[0]) + 1,
        "years": year_span(r.first_year, r.last_year),
        "until": format_fiscal_year(r.last_year, short=True) if r.last_year > years[-1] else "",
    }


@cached_page
class KpiListView(EditionMixin):
    template_name = "plans/kpis.html"
    per_page = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request = self.request
        qs = Kpi.objects.filter(edition=self.edition).order_by("order")
        status = request.GET.get("status", "")
        if status and status not in Status.__members__.values():
            messages.warning(request, _("絞り込みの指定が正しくないため、無視しました。"))
            status = ""
        query = normalize_text(request.GET.get("q", ""))
        if query:
            qs = qs.filter(Q(name__icontains=query) | Q(node__title__icontains=query))
        by_id = statuses(self.edition.pk)
        found = list(qs.values_list("id", "reprint_of_id"))
        # a reprint (再掲) is listed once, as its original, when the original is in the list too
        listed = {i for i, _original in found}
        ids = [i for i, original in found if original not in listed]
        if status:
            ids = [i for i in ids if by_id.get(i) == status]
        page = Paginator(ids, self.per_page).get_page(request.GET.get("page"))
        wanted = list(page.object_list)
        kpis = {k.pk: k for k in self.kpis(Kpi.objects.filter(pk__in=wanted))}
        rows = kpi_rows((kpis[i] for i in wanted), fold_reprints=True)
        today = timezone.localdate()
        period = Period.fiscal_year(fiscal_year_of(today))
        # stored figures, read in one query: the page never measures (see the metrics registry)
        keys = [k for k in (row["kpi"].metric for row in rows) if k and k in registry]
        figures = registry.figures(self.municipality, keys, period) if keys else {}
        for row in rows:
            row["metric"] = figures.get(row["kpi"].metric or "")
        context.update(
            page=page,
            rows=rows,
            status=status,
            query=query,
            statuses=[(s.value, label) for s, label in _status_labels()],
            summary=summary(by_id[i] for i in ids),
        )
        return context


def _status_labels() -> list[tuple[Status, str]]:
    return [(s, str(label)) for s, label in LABELS.items()]


@cached_page
class AlignmentView(EditionMixin):
    """Nodes × national items, and the items the plan leaves uncovered."""

    template_name = "plans/alignment.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        nodes = self.nodes()
        framework = self.edition.national_framework
        items = list(framework.items.order_by("order")) if framework else []
        linked = [n for n in nodes if n.items]
        covered = {i.pk for n in nodes for i in n.items}
        context.update(
            framework=framework,
            items=items,
            matrix=[(n, [i.pk in {x.pk for x in n.items} for i in items]) for n in linked],
            uncovered=[i for i in items if i.pk not in covered],
        )
        return context
