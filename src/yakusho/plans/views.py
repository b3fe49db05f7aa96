"""Plan pages, public for published plans and for the municipality's staff whatever their state.

Every page reads one edition (the current one, or ``?edition=N``) with a fixed number of queries:
nodes, schedule rows, KPIs with their targets and actuals are fetched in bulk and arranged in
Python, so a 2,000-node plan costs the same number of queries as a 10-node one.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from yakusho.core import responses
from yakusho.core.csvutil import csv_response
from yakusho.core.jcal import format_fiscal_year
from yakusho.core.models import Department, Membership, Municipality
from yakusho.core.pagecache import cache_public_page
from yakusho.core.validators import normalize_text
from yakusho.plans import exports, figures
from yakusho.plans.achievement import Status, evaluate, statuses
from yakusho.plans.charts import chart
from yakusho.plans.models import (
    ClosingReview,
    GlossaryTerm,
    Kpi,
    KpiActual,
    Node,
    NodeContinuation,
    NodeDepartment,
    Plan,
    PlanEdition,
    PlanFigure,
    PlanList,
    ProgressNote,
    ScheduleEntry,
)
from yakusho.plans.pdf import plan_pdf
from yakusho.plans.planfile.export import dump_json, dump_yaml, export_edition
from yakusho.plans.review.forms import NoteForm
from yakusho.plans.review.services import ReviewError, add_note
from yakusho.plans.revision.diff import node_history
from yakusho.plans.revision.editions import adopted, is_draft


def year_span(first: int, last: int) -> str:
    """令和6年度〜令和11年度 (one year alone when they are the same)."""
    start = format_fiscal_year(first, short=True)
    return start if first == last else f"{start}〜{format_fiscal_year(last, short=True)}"


def not_found(request: HttpRequest, message: str, municipality: Municipality | None = None) -> HttpResponse:
    """The 404 page, offering the municipality's plans."""
    links = []
    if municipality is not None:
        label = _("%(name)sのDX推進計画の一覧") % {"name": municipality.name}
        links.append((label, reverse("plans:list", args=[municipality.slug])))
    return responses.not_found(request, message, municipality, links)


def staff_membership(request: HttpRequest, municipality: Municipality) -> Membership | None:
    """The signed-in user's active membership in ``municipality`` (with its 課), if any."""
    if not request.user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=request.user, municipality=municipality, is_active=True)
        .prefetch_related("departments")
        .first()
    )


def visible_plans(request: HttpRequest, municipality: Municipality) -> QuerySet[Plan]:
    """Published plans, and every plan for the municipality's own staff."""
    plans = Plan.objects.for_municipality(municipality).select_related("current_edition")
    if staff_membership(request, municipality) is not None:
        return plans
    return plans.filter(published=True)


#: Plan pages are read far more than they change: a rendered page is kept under a key of its URL,
#: language, visitor (anonymous visitors share it; a signed-in user has their own, so a staff
#: member's view of an unpublished plan is never served to anyone else) and the municipality's data
#: version, so a new edition or actual shows on the next request (core.pagecache).
cached_page = method_decorator(cache_public_page, name="get")


@cached_page
class PlanListView(TemplateView):
    template_name = "plans/list.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        municipality = Municipality.objects.filter(slug=kwargs["municipality"]).first()
        if municipality is None:
            return not_found(request, _("この自治体は見つかりません。"))
        visible = visible_plans(request, municipality).select_related("predecessor__current_edition")
        plans = [p for p in visible.order_by("-current_edition__first_year", "key") if p.current_edition]
        shown = {p.pk for p in plans}
        rows = [
            {
                "plan": p,
                # a predecessor is linked only where this reader may see it
                "predecessor": p.predecessor if p.predecessor_id in shown else None,
            }
            for p in plans
        ]
        return self.render_to_response({"municipality": municipality, "plans": plans, "rows": rows})


class EditionMixin(TemplateView):
    """Resolves municipality, plan and edition from the URL, or answers with a helpful 404."""

    municipality: Municipality
    plan: Plan
    edition: PlanEdition
    staff: bool
    visible_editions: QuerySet[PlanEdition]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        municipality = Municipality.objects.filter(slug=kwargs["municipality"]).first()
        if municipality is None:
            return not_found(request, _("この自治体は見つかりません。"))
        plan = visible_plans(request, municipality).filter(key=kwargs["plan"]).first()
        if plan is None:
            return not_found(request, _("この計画は見つかりません。"), municipality)
        # Editions staff are still writing (drafts) are for the municipality's staff only.
        self.staff = staff_membership(request, municipality) is not None
        self.visible_editions = plan.editions.all() if self.staff else adopted(plan.editions.all())
        number = request.GET.get("edition")
        edition = self.visible_editions.filter(number=number).first() if number else plan.current_edition
        if edition is None:
            return not_found(request, _("この版は見つかりません。"), municipality)
        self.municipality, self.plan, self.edition = municipality, plan, edition
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        suffix = "" if self.edition.pk == self.plan.current_edition_id else f"?edition={self.edition.number}"
        editions = list(self.visible_editions.order_by("date", "number"))
        for e in editions:
            e.is_draft = is_draft(e)  # type: ignore[attr-defined]
        context.update(
            municipality=self.municipality,
            plan=self.plan,
            edition=self.edition,
            node_base=reverse("plans:node", args=[self.municipality.slug, self.plan.key, "KEY"]).removesuffix(
                "KEY/"
            ),
            edition_query=suffix,
            editions=editions,
            period=year_span(self.edition.first_year, self.edition.last_year),
        )
        return context

    def nodes(self) -> list[Node]:
        """All nodes with ``dept_links`` and ``items`` lists (no queryset per node)."""
        return list(
            Node.objects.filter(edition=self.edition)  # type: ignore[no-redef]  # to_attr names typed on Node
            .prefetch_related(
                Prefetch(
                    "node_departments",
                    queryset=NodeDepartment.objects.select_related("department").order_by("order"),
                    to_attr="dept_links",
                ),
                Prefetch("national_items", to_attr="items"),
            )
            .order_by("order")
        )

    def visible(self) -> QuerySet[Plan]:
        """The municipality's plans this reader may see (published ones; all of them for its staff)."""
        plans = Plan.objects.for_municipality(self.municipality)
        return plans if self.staff else plans.filter(published=True)

    def figures_and_lists(self, node: Node | None) -> tuple[list[PlanFigure], list[PlanList]]:
        """The figures and lists printed with ``node`` (or with the plan as a whole): two queries."""
        where = {"node": node} if node is not None else {"node__isnull": True}
        return (
            list(PlanFigure.objects.filter(edition=self.edition, **where).order_by("order")),
            list(PlanList.objects.filter(edition=self.edition, **where).order_by("order")),
        )

    def kpis(self, queryset: QuerySet[Kpi] | None = None) -> QuerySet[Kpi]:
        qs = queryset if queryset is not None else Kpi.objects.filter(edition=self.edition)
        return qs.select_related("node", "edition", "indicator", "reprint_of").prefetch_related(
            "targets",
            Prefetch("actuals", queryset=KpiActual.objects.order_by("fiscal_year")),
            Prefetch("reprints", queryset=Kpi.objects.select_related("node").order_by("order")),
        )


def kpi_rows(kpis: Any, fold_reprints: bool = False) -> list[dict[str, Any]]:
    """One row per KPI with its achievement. With ``fold_reprints`` (a list of KPIs from several
    nodes) a reprint (再掲) whose original is in the list is left out, and the original says where
    it is reprinted, so no KPI is listed twice."""
    kpis = list(kpis)
    if fold_reprints:
        shown = {k.pk for k in kpis}
        kpis = [k for k in kpis if k.reprint_of_id not in shown]
    rows = []
    for k in kpis:
        achievement = evaluate(k)
        rows.append(
            {
                "kpi": k,
                "achievement": achievement,
                "reprints": [r.node.code or r.node.title for r in k.reprints.all()] if fold_reprints else [],
                "window": figures.window_text(achievement),  # 令和6〜8年度に1回
            }
        )
    return rows


def actual_sources(edition: PlanEdition, excluded: set[int]) -> list[dict[str, Any]]:
    """The sources of the actuals the KPIs' statuses rest on (each KPI's latest numeric actual):
    how many from each source and the latest "as of" — so the overview says when they are デモ."""
    latest: dict[int, tuple[int, str, Any]] = {}
    for kpi_id, year, source, day in KpiActual.objects.filter(
        kpi__edition=edition, value__isnull=False
    ).values_list("kpi_id", "fiscal_year", "source", "date"):
        if kpi_id not in excluded and (kpi_id not in latest or year > latest[kpi_id][0]):
            latest[kpi_id] = (year, source, day)
    out = []
    for source in KpiActual.Source:
        days = [day for _year, s, day in latest.values() if s == source]
        if days:
            out.append(
                {
                    "source": source.value,
                    "label": str(source.label),
                    "count": len(days),
                    "as_of": max((d for d in days if d), default=None),
                    "demo": source == KpiActual.Source.DEMO,
                }
            )
    return out


def summary(all_statuses: Any) -> dict[str, int]:
    counts = Counter(all_statuses)
    return {
        "achieved": counts[Status.ACHIEVED],
        "on_track": counts[Status.ON_TRACK],
        "behind": counts[Status.BEHIND],
        "no_data": counts[Status.NO_DATA],
        "qualitative": counts[Status.QUALITATIVE],
        "total": sum(counts.values()),
    }


@cached_page
class OverviewView(EditionMixin):
    template_name = "plans/overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # a reprint (再掲) is the same KPI printed again: counted once, with its original
        reprints = set(
            Kpi.objects.filter(edition=self.edition, reprint_of__isnull=False).values_list("pk", flat=True)
        )
        nodes = self.nodes()
        per_level = Counter(n.level for n in nodes)  # what each node is, not how deep it sits
        labels = self.edition.level_labels
        context.update(
            tree=nodes,
            level_counts=[
                (labels[d - 1] if d - 1 < len(labels) else str(d), per_level[d]) for d in sorted(per_level)
            ],
            kpi_summary=summary(s for i, s in statuses(self.edition.pk).items() if i not in reprints),
            actual_sources=actual_sources(self.edition, reprints),
            observations=list(self.edition.observations.select_related("node")),
        )
        figures_, lists = self.figures_and_lists(None)
        visible = self.visible().select_related("current_edition")
        predecessor = (
            visible.filter(pk=self.plan.predecessor_id).first() if self.plan.predecessor_id else None
        )
        context.update(
            figures=figures_,
            lists=lists,
            predecessor=predecessor if predecessor and predecessor.current_edition else None,
            successors=[
                p for p in visible.filter(predecessor=self.plan).order_by("key") if p.current_edition
            ],
            closing_reviews=ClosingReview.objects.filter(plan=self.plan).count(),
        )
        return context


@cached_page
class NodeView(EditionMixin):
    template_name = "plans/node.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        nodes = {n.key: n for n in self.nodes()}
        node = nodes.get(self.kwargs["node"])
        if node is None:
            context["node"] = None
            return context
        chain = []
        cursor: Node | None = node
        by_id = {n.pk: n for n in nodes.values()}
        while cursor is not None:
            chain.append(cursor)
            cursor = by_id.get(cursor.parent_id) if cursor.parent_id else None
        labels = self.edition.level_labels
        schedule = list(node.schedule.order_by("order"))
        # a plan printing two schedules (a roadmap and a sheet per measure): each row says which
        sources = (
            list(
                ScheduleEntry.objects.filter(node__edition=self.edition)
                .order_by()
                .values_list("source", flat=True)
                .distinct()[:2]
            )
            if schedule
            else []
        )
        context.update(
            node=node,
            level_label=labels[node.level - 1] if node.level - 1 < len(labels) else "",
            breadcrumbs=[
                (labels[n.level - 1] if n.level - 1 < len(labels) else "", n) for n in reversed(chain)
            ],
            children=[n for n in nodes.values() if n.parent_id == node.pk],
            schedule=schedule,
            schedule_sources=len(sources) > 1,
            kpis=[
                {
                    **row,
                    "chart": figures.labelled_chart(row["kpi"], chart(row["kpi"])),
                    "actuals_by_year": {a.fiscal_year: a for a in row["kpi"].actuals.all()},
                    "chart_sources": figures.chart_sources(row["kpi"]),
                }
                for row in kpi_rows(self.kpis(Kpi.objects.filter(node=node)))
            ],
            observations=list(node.observations.all()),
            notes=list(
                ProgressNote.objects.filter(plan=self.plan, node_key=node.key).select_related("author")[:50]
            ),
            note_form=NoteForm() if staff_membership(self.request, self.municipality) else None,
            history=node_history(self.plan, node.key, self.edition, context["editions"], self.staff),
        )
        figures_, lists = self.figures_and_lists(node)
        continued_from, continued_in = self.continuations(node.key)
        context.update(
            figures=figures_, lists=lists, continued_from=continued_from, continued_in=continued_in
        )
        return context

    def continuations(self, key: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The previous plan's nodes this node carries on, and the later plans' nodes that carry it on
        (plans this reader may see, in their current editions): three queries at most."""
        visible = self.visible()
        earlier = list(
            NodeContinuation.objects.filter(plan=self.plan, node_key=key, previous_plan__in=visible)
            .select_related("previous_plan__current_edition")
            .order_by("pk")
        )
        later = list(
            NodeContinuation.objects.filter(previous_plan=self.plan, previous_node_key=key, plan__in=visible)
            .select_related("plan__current_edition")
            .order_by("plan__key", "pk")
        )
        before = [
            (r.previous_plan, r.previous_node_key) for r in earlier if r.previous_plan.current_edition_id
        ]
        after = [(r.plan, r.node_key) for r in later if r.plan.current_edition_id]
        wanted = Q()
        for plan, node_key in before + after:
            wanted |= Q(edition_id=plan.current_edition_id, key=node_key)
        found: dict[tuple[int | None, str], Node] = (
            {(n.edition_id, n.key): n for n in Node.objects.filter(wanted)} if before or after else {}
        )

        def links(pairs: list[tuple[Plan, str]]) -> list[dict[str, Any]]:
            return [
                {"plan": plan, "key": node_key, "node": found.get((plan.current_edition_id, node_key))}
                for plan, node_key in pairs
            ]

        return links(before), links(after)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        municipality = Municipality.objects.filter(slug=kwargs["municipality"]).first()
        membership = staff_membership(request, municipality) if municipality else None
        if municipality is None or membership is None:
            return not_found(request, _("この計画は見つかりません。"), municipality)
        plan = (
            Plan.objects.for_municipality(municipality)
            .filter(key=kwargs["plan"])
            .select_related("current_edition")
            .first()
        )
        node = (
            Node.objects.filter(edition=plan.current_edition, key=kwargs["node"])
            .prefetch_related("node_departments")
            .first()
            if plan
            else None
        )
        if node is None:
            return not_found(request, _("この項目は計画にありません。"), municipality)
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                note = add_note(node, membership, form.cleaned_data["date"], form.cleaned_data["text"])
            except ReviewError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("進捗メモを追加しました。"))
                # A URL of its own, so the page comes fresh rather than from the minute-long cache.
                return redirect(f"{request.path}?note={note.pk}")
        else:
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(request.path)

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        if context["node"] is None:
            return not_found(self.request, _("この項目は計画にありません。"), self.municipality)
        return super().render_to_response(context, **kwargs)


@cached_page
class DepartmentView(EditionMixin):
    template_name = "plans/department.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        department = get_object_or_404(
            Department.objects.for_municipality(self.municipality), pk=self.kwargs["department"]
        )
        nodes = [
            n for n in self.nodes() if department.pk in {nd.department_id for nd in n.node_departments.all()}
        ]
        context.update(
            department=department,
            nodes=nodes,
            kpis=kpi_rows(
                self.kpis(Kpi.objects.filter(edition=self.edition, node__in=nodes)), fold_reprints=True
            ),
        )
        return context


@cached_page
class GlossaryView(TemplateView):
    template_name = "plans/glossary.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        municipality = Municipality.objects.filter(slug=kwargs["municipality"]).first()
        if municipality is None:
            return not_found(request, _("この自治体は見つかりません。"))
        editions = [p.current_edition for p in visible_plans(request, municipality) if p.current_edition]
        query = normalize_text(request.GET.get("q", ""))
        terms = GlossaryTerm.objects.filter(edition__in=editions).select_related("edition__plan")
        if query:
            terms = terms.filter(
                Q(term__icontains=query) | Q(reading__icontains=query) | Q(definition__icontains=query)
            )
        return self.render_to_response(
            {"municipality": municipality, "terms": list(terms.order_by("term")[:500]), "query": query}
        )


class ExportView(EditionMixin):
    """Downloads of one edition: xlsx and pdf (施策体系・工程表・KPI), csv (KPIs), yaml or json (the file)."""

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        fmt = self.kwargs["format"]
        base = f"{self.plan.key}-{self.edition.number}"
        if fmt == "xlsx":
            response = HttpResponse(
                exports.workbook(self.edition),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="{base}.xlsx"'
            return response
        if fmt == "pdf":
            response = HttpResponse(plan_pdf(self.edition), content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{base}.pdf"'
            return response
        if fmt == "csv":
            return csv_response(f"{base}-kpi.csv", exports.KPI_HEADER, exports.kpi_table(self.edition))
        data = export_edition(self.edition)
        if fmt == "json":
            response = HttpResponse(dump_json(data), content_type="application/json; charset=utf-8")
        else:
            response = HttpResponse(dump_yaml(data), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{base}.{fmt}"'
        return response
