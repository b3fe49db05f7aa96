"""Public pages of a municipality's procedure catalogue: search, life events, one procedure.

Every page reads with a fixed number of queries whatever the number of procedures: procedures
with their 課, channels and life events come in bulk (``select_related`` / ``prefetch_related``)
and which of them have a form is one more query.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from yakusho.core import responses
from yakusho.core.calendar import BusinessCalendar
from yakusho.core.contacts import department_contact, office_hours_text
from yakusho.core.models import Department, Municipality
from yakusho.core.responses import NotFound
from yakusho.payments.models import FeeItem, Unit
from yakusho.procedures.catalogue.forms import CHANNEL_FILTERS, CatalogueSearchForm
from yakusho.procedures.catalogue.hints import Hint, script_hint, shorter_hint
from yakusho.procedures.catalogue.life_events import life_event_label, life_event_title
from yakusho.procedures.catalogue.search import RANK, query_words, search
from yakusho.procedures.catalogue.services import current_forms, definition_of, processing_deadline
from yakusho.procedures.models import (
    ChannelKind,
    ChannelStatus,
    FormDefinition,
    LifeEvent,
    Procedure,
    ProcedureChannel,
    ProcedureLifeEvent,
)

PAGE_SIZE = 20


def not_found(request: HttpRequest, message: str, municipality: Municipality | None = None) -> HttpResponse:
    """The 404 page, offering the municipality's procedures."""
    links = []
    if municipality is not None:
        label = _("%(name)sの手続の案内") % {"name": municipality.name}
        links.append((label, reverse("procedures:catalogue", args=[municipality.slug])))
    return responses.not_found(request, message, municipality, links)


def public_procedures(municipality: Municipality) -> QuerySet[Procedure]:
    """Published procedures with what a list shows, fetched in bulk."""
    return (
        Procedure.objects.for_municipality(municipality)
        .filter(published=True)
        .select_related("department")
        .prefetch_related(
            Prefetch("channels", queryset=ProcedureChannel.objects.order_by("order", "pk")),
            Prefetch("life_event_links", queryset=ProcedureLifeEvent.objects.order_by("pk")),
        )
        .annotate(has_form=Exists(FormDefinition.objects.filter(procedure=OuterRef("pk"))))
    )


def filter_by_channel(queryset: QuerySet[Procedure], channel: str) -> QuerySet[Procedure]:
    kinds = CHANNEL_FILTERS[channel][1]
    available = ProcedureChannel.objects.filter(
        procedure=OuterRef("pk"), kind__in=kinds, status=ChannelStatus.AVAILABLE
    )
    return queryset.filter(Exists(available))


def filter_by_event(queryset: QuerySet[Procedure], event: str) -> QuerySet[Procedure]:
    return queryset.filter(Exists(ProcedureLifeEvent.objects.filter(procedure=OuterRef("pk"), event=event)))


def can_apply_online(procedure: Procedure, has_form: bool) -> bool:
    """A Yakusho form exists and the procedure's Yakusho channel is available."""
    return has_form and any(
        c.kind == ChannelKind.YAKUSHO and c.status == ChannelStatus.AVAILABLE
        for c in procedure.channels.all()
    )


def life_event_links(municipality: Municipality | None = None) -> list[dict[str, Any]]:
    """Every life event with its label and title in the municipality's words (「引越し（町内）」)."""
    return [
        {
            "value": e.value,
            "label": life_event_label(e.value, municipality),
            "title": life_event_title(e.value, municipality),
        }
        for e in LifeEvent
    ]


def no_results_help(municipality: Municipality, query: str, event: str, channel: str) -> dict[str, Any]:
    """What to try when a search finds nothing (see ``catalogue.hints``): a few more queries, made
    only then, and as many whatever the number of procedures (at most one per word)."""
    url = reverse("procedures:catalogue", args=[municipality.slug])
    hints: list[Hint] = []
    words = query_words(query)
    if len(words) > 1:
        links = []
        for word in words:
            found = search(
                public_procedures(municipality), word, municipality=municipality, public=True
            ).count()
            if found:
                label = _("「%(word)s」だけで探す（%(n)s件）") % {"word": word, "n": found}
                links.append((label, f"{url}?{urlencode({'q': word})}"))
        if links:
            hints.append(Hint(_("言葉を減らしてみてください。"), links))
    if event or channel:
        if query:
            found = search(
                public_procedures(municipality), query, municipality=municipality, public=True
            ).count()
            if found:
                label = _("絞り込みをはずして「%(query)s」で探す（%(n)s件）") % {"query": query, "n": found}
                hints.append(
                    Hint(_("絞り込みをはずすと見つかります。"), [(label, f"{url}?{urlencode({'q': query})}")])
                )
        else:
            hints.append(Hint(_("絞り込みの条件を変えてみてください。"), [(_("すべての手続を見る"), url)]))
    if query:
        hints.extend(h for h in (script_hint(query), shorter_hint(query)) if h is not None)
    used = set(
        ProcedureLifeEvent.objects.filter(procedure__municipality=municipality, procedure__published=True)
        .values_list("event", flat=True)
        .distinct()
    )
    departments = (
        Department.objects.for_municipality(municipality)
        .filter(procedures__municipality=municipality, procedures__published=True)
        .distinct()
        .order_by("order", "name")
    )
    contacts = [department_contact(d, municipality) for d in departments]
    return {
        "hints": hints,
        "hint_events": [e for e in life_event_links(municipality) if e["value"] in used],
        "hint_contacts": contacts,
        "hint_contacts_demo": any(c.is_demo for c in contacts),
        "hint_own_hours": any(c.department.hours for c in contacts),
        "office_hours": office_hours_text(municipality),
    }


class MunicipalityPage(TemplateView):
    municipality: Municipality

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        municipality = Municipality.objects.filter(slug=kwargs["municipality"]).first()
        if municipality is None:
            return not_found(request, _("この自治体は見つかりません。"))
        self.municipality = municipality
        try:
            return super().get(request, *args, **kwargs)
        except Http404 as exc:
            return not_found(request, str(exc), municipality)


class CatalogueView(MunicipalityPage):
    """手続の案内: search (kanji, kana, readings), filters by life event and channel, pages of 20."""

    template_name = "procedures/catalogue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = CatalogueSearchForm(self.request.GET or None, municipality=self.municipality)
        procedures = public_procedures(self.municipality)
        query = event = channel = ""
        if form.is_valid():
            query = form.cleaned_data["q"]
            event = form.cleaned_data["event"]
            channel = form.cleaned_data["channel"]
            if query:
                procedures = search(procedures, query, municipality=self.municipality, public=True)
            if event:
                procedures = filter_by_event(procedures, event)
            if channel:
                procedures = filter_by_channel(procedures, channel)
        # best match first for a query (``search`` ranks), else the catalogue's own order
        ordering = (RANK, "pk") if query else ("order", "kana", "name", "pk")
        paginator = Paginator(procedures.order_by(*ordering), PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        kept = {k: v for k, v in (("q", query), ("event", event), ("channel", channel)) if v}
        if kept and not page.object_list:
            context.update(no_results_help(self.municipality, query, event, channel))
        context.update(
            municipality=self.municipality,
            form=form,
            page_obj=page,
            procedures=[(p, can_apply_online(p, p.has_form)) for p in page.object_list],  # type: ignore[attr-defined]
            query=query,
            filtered=bool(kept),
            query_string=urlencode(kept),
            life_events=life_event_links(self.municipality),
        )
        return context


class LifeEventView(MunicipalityPage):
    """転入：引っ越してきたときの手続 — the event's procedures by 課, and what to bring."""

    template_name = "procedures/life_event.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        try:
            event = LifeEvent(kwargs["event"])
        except ValueError:
            raise NotFound(_("このライフイベントはありません。")) from None
        procedures = list(
            filter_by_event(public_procedures(self.municipality), event.value).order_by(
                "department__order", "department__name", "order", "kana", "pk"
            )
        )
        groups: OrderedDict[Any, list[tuple[Procedure, bool]]] = OrderedDict()
        bring: OrderedDict[str, list[Procedure]] = OrderedDict()
        for procedure in procedures:
            groups.setdefault(procedure.department, []).append(
                (procedure, can_apply_online(procedure, procedure.has_form))  # type: ignore[attr-defined]
            )
            for document in procedure.documents or []:
                bring.setdefault(str(document), []).append(procedure)
        context.update(
            municipality=self.municipality,
            event=event,
            event_label=life_event_label(event.value, self.municipality),
            event_title=life_event_title(event.value, self.municipality),
            groups=list(groups.items()),
            count=len(procedures),
            bring=list(bring.items()),
            life_events=life_event_links(self.municipality),
        )
        return context


class ProcedureView(MunicipalityPage):
    """Everything a resident needs about one procedure."""

    template_name = "procedures/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        procedure = (
            public_procedures(self.municipality)
            .select_related("priority")
            .filter(key=kwargs["procedure"])
            .first()
        )
        if procedure is None:
            raise NotFound(_("この手続は見つかりません。"))
        today = timezone.localdate()
        deadline = processing_deadline(procedure, today, BusinessCalendar(self.municipality))
        form = current_forms([procedure]).get(procedure.pk)
        definition = definition_of(form) if form is not None else None
        context.update(
            municipality=self.municipality,
            procedure=procedure,
            fee_items=fee_item_texts(self.municipality, definition, today) if definition else [],
            fee_note=definition.fee_note if definition else "",
            channels=list(procedure.channels.all()),
            events=[
                (link.event, life_event_label(link.event, self.municipality))
                for link in procedure.life_event_links.all()
            ],
            can_apply=can_apply_online(procedure, form is not None),
            form_definition=form,
            today=today,
            deadline=deadline,
        )
        return context


def fee_item_texts(municipality: Municipality, definition: Any, day: Any) -> list[str]:
    """The form's fee items as residents read them: an item the fee catalogue prices (its
    ``fee_item``) with the price of the day and its unit (「住民票の写し等の交付手数料：1通 300円」),
    any other by its label (its amount follows from the answers)."""
    keys = definition.catalogue_keys
    rates = {}
    if keys:
        for item in (
            FeeItem.objects.for_municipality(municipality).filter(key__in=keys).prefetch_related("rates")
        ):
            rate = item.rate_on(day)
            if rate is not None:
                rates[item.key] = rate
    texts = []
    for rule in definition.fee_rules:
        rate = rates.get(rule.fee_item) if rule.fee_item else None
        if rate is None:
            texts.append(rule.label)
        else:
            texts.append(
                _("%(label)s：%(unit)s %(yen)s円")
                % {"label": rule.label, "unit": Unit(rate.unit).label, "yen": f"{rate.amount_yen:,}"}
            )
    return texts
