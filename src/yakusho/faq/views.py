"""Public FAQ pages: search (with the no-answer fallback), the guided categories, one entry."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from django_ratelimit.core import is_ratelimited

from yakusho.core.contacts import department_contact, office_hours_text
from yakusho.core.models import Municipality
from yakusho.core.office import office_status
from yakusho.faq import search as faq_search
from yakusho.faq import services
from yakusho.faq.models import Category, Channel


def _rate(group: str, request: HttpRequest) -> str:
    return str(settings.RATELIMIT_FAQ_SEARCH)


#: what a flooded address is told, on the FAQ page and in the chat
FLOODED = gettext_lazy("短い時間に多くの質問がありました。1分ほど待ってから、もう一度お尋ねください。")


def flooded(request: HttpRequest) -> bool:
    """Count one question from this address; True when it has asked too many this minute
    (``RATELIMIT_FAQ_SEARCH``: the FAQ page, the chat and the API count together)."""
    return bool(is_ratelimited(request, group="faq-search", key="ip", rate=_rate, increment=True))


class FaqMixin:
    kwargs: dict[str, Any]
    municipality: Municipality

    def setup_faq(self) -> None:
        self.municipality = get_object_or_404(Municipality, slug=self.kwargs["municipality"])

    def index(self) -> faq_search.FaqIndex:
        """The municipality's public index, looked up once per request."""
        found: faq_search.FaqIndex | None = getattr(self, "_index", None)
        if found is None:
            found = self._index = faq_search.index_for(self.municipality)
        return found

    def office_context(self) -> dict[str, Any]:
        """What the escalation shows: whether the office is open now, and its hours."""
        return {
            "status": office_status(self.municipality),
            "office_hours": office_hours_text(self.municipality),
        }

    def service_links(
        self, result: faq_search.Result, shown: dict[str, Any] | None = None
    ) -> dict[str, list[Any]]:
        """The procedures and resources the search found beside the entries, in its order, less
        those the answer ``shown`` already links (no query: kept with the index)."""
        already = {
            "procedure": {p.pk for p in shown["procedures"]} if shown else set(),
            "resource": {r.pk for r in shown["resources"]} if shown else set(),
        }
        linked = self.index().linked
        found: dict[str, dict[int, Any]] = {"procedure": linked.procedures, "resource": linked.resources}
        chosen: dict[str, list[Any]] = {"procedure": [], "resource": []}
        for service, _score in result.services:
            if service.pk not in already[service.kind] and service.pk in found[service.kind]:
                chosen[service.kind].append(found[service.kind][service.pk])
        return {"service_procedures": chosen["procedure"], "service_resources": chosen["resource"]}

    def view_of(self, item: faq_search.Item) -> dict[str, Any]:
        """An answer as shown: the entry, the procedures and resources it links (kept with the
        municipality's index, so no query) and whom to ask."""
        linked = self.index().linked
        department = linked.departments.get(item.department_id) if item.department_id else None
        return {
            "item": item,
            "procedures": [linked.procedures[pk] for pk in item.procedure_ids if pk in linked.procedures],
            "resources": [linked.resources[pk] for pk in item.resource_ids if pk in linked.resources],
            "contact": department_contact(department, self.municipality) if department else None,
        }


class FaqHomeView(FaqMixin, TemplateView):
    """The FAQ's front page: a search box, the categories as buttons, and the answer to ``q``
    (logged, masked, like the chat's; rate-limited per address)."""

    template_name = "faq/home.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_faq()
        query = (request.GET.get("q") or "").strip()[: faq_search.MAX_QUERY]
        if query and flooded(request):
            context = self.get_context_data(query="")
            context["flood_message"] = FLOODED
            context["query"] = query
            return self.render_to_response(context, status=429)
        return self.render_to_response(self.get_context_data(query=query))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        query: str = kwargs.get("query", "")
        context: dict[str, Any] = {
            "municipality": self.municipality,
            "query": query,
            "categories": Category.objects.for_municipality(self.municipality).filter(parent=None),
        }
        if query:
            result = faq_search.search(self.municipality, query, index=self.index())
            context["log"] = services.record(self.municipality, query, result, Channel.PAGE)
            if not result.best:  # only the honest no-answer says whether the office is open
                context.update(self.office_context())
            context["result"] = result
            context["best"] = self.view_of(result.best.item) if result.best else None
            others = result.answers[1:4] if result.best else result.answers[:3]
            context["alternatives"] = [a.item for a in others]
            context.update(self.service_links(result, context["best"]))
        return context


class CategoryView(FaqMixin, TemplateView):
    """Guided mode: one category's sub-categories, each with its questions, as buttons."""

    template_name = "faq/category.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.setup_faq()
        category = get_object_or_404(
            Category.objects.for_municipality(self.municipality).filter(parent=None),
            pk=self.kwargs["category"],
        )
        items = [i for i in self.index().items if i.category == category.name]
        groups = [
            (sub.name, [i for i in items if i.subcategory == sub.name]) for sub in category.children.all()
        ]
        known = {sub.name for sub in category.children.all()}
        rest = [i for i in items if i.subcategory not in known]
        if rest:
            groups.append(("", rest))
        return {
            "municipality": self.municipality,
            "category": category,
            "groups": [(name, entries) for name, entries in groups if entries],
        }


class EntryView(FaqMixin, TemplateView):
    """One question and its answer, with what settles it and whom to ask."""

    template_name = "faq/entry.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.setup_faq()
        kinds = {"e": "entry", "s": "shared"}
        if self.kwargs["kind"] not in kinds:
            raise Http404
        kind = kinds[self.kwargs["kind"]]
        items = self.index().items
        item = next((i for i in items if i.kind == kind and i.key == self.kwargs["key"]), None)
        if item is None:
            raise Http404
        category = (
            Category.objects.for_municipality(self.municipality)
            .filter(parent=None, name=item.category)
            .first()
        )
        return {"municipality": self.municipality, **self.view_of(item), "category": category}
