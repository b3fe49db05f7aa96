"""Searching a municipality's FAQ (docs/faq.md, "Search").

A municipality's index holds its public entries valid today and its consortia's shared entries
(with its own answer where it gave one); a second index holds its procedures and bookable resources,
so one question finds both the answer and what settles it. Both are built with
:mod:`yakusho.core.textsearch` on first use and kept in the process until the municipality's FAQ
version changes (:mod:`yakusho.core.searchversion`, watched by :mod:`yakusho.faq.signals`: any save of
an entry, a local answer, a procedure, a resource, a department or a synonym group, on commit).

The decision to answer: the best entry must hold at least :data:`THRESHOLD` of the question's
words weighted by how telling they are (their idf; or, for a question written in kana, of its
reading), else the answer is honestly "no entry fits" with the contacts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q
from django.utils import timezone

from yakusho.bookings.models import Resource
from yakusho.core.models import Department, Municipality
from yakusho.core.searchwords import synonyms_for
from yakusho.core.textsearch import MAX_QUERY_LENGTH, Index, Synonyms
from yakusho.faq.models import Entry, Override, SharedEntry, Visibility
from yakusho.faq.signals import index_version
from yakusho.procedures.models import Procedure

#: the least share of the question (its terms weighted by idf) the best entry must hold to be given
#: as the answer. Chosen on the evaluation set (bench/faq_questions.yaml, docs/faq.md "Quality,
#: measured") for a no-answer precision of at least 0.8: when the page says that no entry fits, it
#: should nearly always be so.
THRESHOLD = 0.15
#: a procedure or resource is shown beside the answer when it holds this share of the question and
#: scores this share of the best one
SERVICE_COVERAGE = 0.5
SERVICE_SHARE_OF_BEST = 0.5
#: the longest question read (the rest is ignored): the search component's own limit
MAX_QUERY = MAX_QUERY_LENGTH
#: field weights of the entries' index: (field, words | readings) → weight
ENTRY_WEIGHTS = {
    ("question", "words"): 1.0,
    ("question", "readings"): 0.6,
    ("answer", "words"): 0.3,
    ("answer", "readings"): 0.1,
}
SERVICE_WEIGHTS = {("name", "words"): 1.0, ("name", "readings"): 0.6, ("text", "words"): 0.3}


@dataclass(frozen=True)
class Item:
    """An entry as a resident reads it: a municipality's own, or a shared one with the local answer."""

    kind: str  # "entry" | "shared"
    pk: int
    key: str
    question: str
    phrasings: tuple[str, ...]
    answer: str
    category: str
    subcategory: str
    department_id: int | None
    is_demo: bool
    procedure_ids: tuple[int, ...] = ()
    resource_ids: tuple[int, ...] = ()

    @property
    def ref(self) -> str:
        """The id the API and the feedback use: ``e<pk>`` or ``s<pk>``."""
        return f"{self.kind[0]}{self.pk}"


@dataclass(frozen=True)
class Service:
    kind: str  # "procedure" | "resource"
    pk: int
    name: str


def _valid_today(today: date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=today)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    )


def items_for(municipality: Municipality, today: date | None = None, *, staff: bool = False) -> list[Item]:
    """The entries a resident of ``municipality`` can be answered with today (three queries)."""
    today = today or timezone.localdate()
    visible = Q() if staff else Q(visibility=Visibility.PUBLIC)
    own = (
        Entry.objects.for_municipality(municipality)
        .filter(visible & _valid_today(today))
        .prefetch_related("procedures", "resources")
        .order_by("pk")
    )
    items = [
        Item(
            "entry",
            e.pk,
            e.key,
            e.question,
            tuple(e.phrasing_list()),
            e.answer,
            e.category,
            e.subcategory,
            e.department_id,
            e.is_demo,
            tuple(p.pk for p in e.procedures.all() if p.published),
            tuple(r.pk for r in e.resources.all()),
        )
        for e in own
    ]
    local = {o.entry_id: o for o in Override.objects.for_municipality(municipality)}
    shared = SharedEntry.objects.filter(consortium__members=municipality).filter(
        visible & _valid_today(today)
    )
    for s in shared.order_by("pk").distinct():
        override = local.get(s.pk)
        items.append(
            Item(
                "shared",
                s.pk,
                s.key,
                s.question,
                tuple(s.phrasing_list()),
                override.answer if override else s.answer,
                s.category,
                s.subcategory,
                override.department_id if override else None,
                s.is_demo,
            )
        )
    return items


@dataclass
class Linked:
    """What answers link to, kept with the index (its version changes with any of them): the
    published procedures and active resources by pk (key and name only) and every 課."""

    procedures: dict[int, Procedure] = field(default_factory=dict)
    resources: dict[int, Resource] = field(default_factory=dict)
    departments: dict[int, Department] = field(default_factory=dict)


def services_for(municipality: Municipality) -> tuple[list[Service], list[str], Linked]:
    procedures = Procedure.objects.for_municipality(municipality).filter(published=True).order_by("pk")
    resources = Resource.objects.for_municipality(municipality).filter(is_active=True).order_by("pk")
    services, texts, linked = [], [], Linked()
    for p in procedures.only("pk", "municipality_id", "key", "name", "kana", "summary"):
        services.append(Service("procedure", p.pk, p.name))
        texts.append(f"{p.kana}\n{p.summary}")
        linked.procedures[p.pk] = p
    for r in resources.only("pk", "municipality_id", "key", "name", "description"):
        services.append(Service("resource", r.pk, r.name))
        texts.append(r.description[:500])
        linked.resources[r.pk] = r
    linked.departments = Department.objects.for_municipality(municipality).order_by().in_bulk()
    return services, texts, linked


@dataclass
class FaqIndex:
    items: list[Item]
    entries: Index
    services: list[Service]
    service_index: Index
    linked: Linked = field(default_factory=Linked)

    @classmethod
    def build(cls, municipality: Municipality, *, staff: bool = False) -> FaqIndex:
        synonyms = synonyms_for(municipality)
        index = cls.from_items(items_for(municipality, staff=staff), synonyms)
        services, texts, linked = services_for(municipality)
        index.services = services
        index.linked = linked
        index.service_index = Index.build(
            [s.pk for s in services],
            {"name": [s.name for s in services], "text": texts},
            SERVICE_WEIGHTS,
            synonyms,
        )
        return index

    @classmethod
    def from_items(cls, items: list[Item], synonyms: Synonyms) -> FaqIndex:
        """The entries' index alone (no procedures or resources)."""
        entries = Index.build(
            [i.ref for i in items],
            {
                "question": ["\n".join((i.question, *i.phrasings)) for i in items],
                "answer": [i.answer for i in items],
            },
            ENTRY_WEIGHTS,
            synonyms,
        )
        return cls(items, entries, [], Index.build([], {"name": [], "text": []}, SERVICE_WEIGHTS, synonyms))


@dataclass(frozen=True)
class Answer:
    item: Item
    score: float
    coverage: float


@dataclass(frozen=True)
class Result:
    query: str
    answers: list[Answer]
    services: list[tuple[Service, float]]
    answered: bool

    @property
    def best(self) -> Answer | None:
        return self.answers[0] if self.answered and self.answers else None


_indexes: dict[tuple[int, bool], tuple[str, FaqIndex]] = {}
_lock = threading.Lock()


def index_for(municipality: Municipality, *, staff: bool = False) -> FaqIndex:
    """The municipality's index, built again when its FAQ version or the day has changed."""
    version = f"{index_version(municipality.pk)}:{timezone.localdate().isoformat()}"
    key = (municipality.pk, staff)
    found = _indexes.get(key)
    if found is not None and found[0] == version:
        return found[1]
    with _lock:
        found = _indexes.get(key)
        if found is not None and found[0] == version:
            return found[1]
        index = FaqIndex.build(municipality, staff=staff)
        _indexes[key] = (version, index)
        return index


def search(
    municipality: Municipality,
    query: str,
    *,
    limit: int = 5,
    staff: bool = False,
    index: FaqIndex | None = None,
) -> Result:
    """The ranked entries for ``query``, the matching procedures and resources, and whether the best
    entry is good enough to give as the answer (``index``: the municipality's, when the caller has
    it already)."""
    index = index or index_for(municipality, staff=staff)
    by_ref = {i.ref: i for i in index.items}
    hits = index.entries.search(query, limit=max(limit, 10))
    answers = [Answer(by_ref[index.entries.keys[h.position]], h.score, h.coverage) for h in hits]
    service_hits = index.service_index.search(query, limit=5)
    top = service_hits[0].score if service_hits else 0.0
    services = [
        (index.services[h.position], h.score)
        for h in service_hits
        if h.coverage >= SERVICE_COVERAGE and h.score >= SERVICE_SHARE_OF_BEST * top
    ]
    answered = bool(answers) and answers[0].coverage >= THRESHOLD
    return Result(query=query, answers=answers[:limit], services=services[:3], answered=answered)


def clear() -> None:
    """Forget every built index (tests)."""
    _indexes.clear()


def describe(result: Result) -> dict[str, Any]:
    """The result as plain data (the API's body)."""
    return {
        "query": result.query,
        "answered": result.answered,
        "threshold": THRESHOLD,
        "entries": [
            {
                "id": a.item.ref,
                "key": a.item.key,
                "question": a.item.question,
                "category": a.item.category,
                "score": round(a.score, 4),
                "coverage": round(a.coverage, 3),
            }
            for a in result.answers
        ],
        "services": [
            {"kind": s.kind, "id": s.pk, "name": s.name, "score": round(score, 4)}
            for s, score in result.services
        ],
    }


#: at most this many municipalities' indexes are built before the server forks (the rest on first use)
WARM_MUNICIPALITIES = 50


def warm_indexes(sender: Any = None, **kwargs: Any) -> int:
    """``core.prefork.preparing`` receiver: build the public index of each municipality with FAQ
    entries (or a consortium's shared ones) before the server forks, so the workers share it instead
    of each building its own on its first question."""
    towns = (
        Municipality.objects.filter(
            Q(faq_entries__isnull=False) | Q(consortia__in=SharedEntry.objects.values("consortium_id"))
        )
        .distinct()
        .order_by("pk")[:WARM_MUNICIPALITIES]
    )
    built = 0
    for town in towns:
        index_for(town)
        built += 1
    return built
