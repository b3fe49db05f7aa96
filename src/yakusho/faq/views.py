"""Public FAQ pages: search (with the no-answer fallback), the guided categories, one entry."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from yakusho.bookings.models import Resource
from yakusho.core.contacts import department_contact, office_hours_text
from yakusho.core.models import Department, Municipality
from yakusho.core.office import office_status
from yakusho.faq import search as faq_search
from yakusho.faq.models import Category
from yakusho.procedures.models import Procedure


class FaqMixin:
    kwargs: dict[str, Any]
    municipality: Municipality

    def setup_faq(self) -> None:
        self.municipality = get_object_or_404(Municipality, slug=self.kwargs["municipality"])

    def links(self, items: list[faq_search.Item]) -> dict[str, Any]:
        """The procedures, resources and departments the ``items`` name (three queries)."""
        m = self.municipality
        procedure_ids = {pk for i in items for pk in i.procedure_ids}
        resource_ids = {pk for i in items for pk in i.resource_ids}
        department_ids = {i.department_id for i in items if i.department_id}
        return {
            "procedures": Procedure.objects.for_municipality(m).in_bulk(procedure_ids)
            if procedure_ids
            else {},
            "resources": Resource.objects.for_municipality(m).in_bulk(resource_ids) if resource_ids else {},
            "departments": Department.objects.for_municipality(m).in_bulk(department_ids)
            if department_ids
            else {},
        }

    def view_of(self, item: faq_search.Item, links: dict[str, Any]) -> dict[str, Any]:
        department = links["departments"].get(item.department_id)
        return {
            "item": item,
            "procedures": [links["procedures"][pk] for pk in item.procedure_ids if pk in links["procedures"]],
            "resources": [links["resources"][pk] for pk in item.resource_ids if pk in links["resources"]],
            "contact": department_contact(department, self.municipality) if department else None,
        }


class FaqHomeView(FaqMixin, TemplateView):
    """The FAQ's front page: a search box, the categories as buttons, and the answer to ``q``."""

    template_name = "faq/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.setup_faq()
        query = (self.request.GET.get("q") or "").strip()[: faq_search.MAX_QUERY]
        context: dict[str, Any] = {
            "municipality": self.municipality,
            "query": query,
            "categories": Category.objects.for_municipality(self.municipality).filter(parent=None),
        }
        if query:
            result = faq_search.search(self.municipality, query)
            if not result.best:  # only the honest no-answer says whether the office is open
                context["status"] = office_status(self.municipality)
                context["office_hours"] = office_hours_text(self.municipality)
            shown = [a.item for a in result.answers[:4]]
            links = self.links(shown)
            context["result"] = result
            context["best"] = self.view_of(result.best.item, links) if result.best else None
            others = result.answers[1:4] if result.best else result.answers[:3]
            context["alternatives"] = [a.item for a in others]
            service_ids = {"procedure": [], "resource": []}  # type: dict[str, list[int]]
            for service, _score in result.services:
                service_ids[service.kind].append(service.pk)
            context["service_procedures"] = list(
                Procedure.objects.for_municipality(self.municipality).filter(pk__in=service_ids["procedure"])
            )
            context["service_resources"] = list(
                Resource.objects.for_municipality(self.municipality).filter(pk__in=service_ids["resource"])
            )
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
        items = [i for i in faq_search.index_for(self.municipality).items if i.category == category.name]
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
        items = faq_search.index_for(self.municipality).items
        item = next((i for i in items if i.kind == kind and i.key == self.kwargs["key"]), None)
        if item is None:
            raise Http404
        links = self.links([item])
        category = (
            Category.objects.for_municipality(self.municipality)
            .filter(parent=None, name=item.category)
            .first()
        )
        return {"municipality": self.municipality, **self.view_of(item, links), "category": category}
