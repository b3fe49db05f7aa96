"""Japanese search of the procedure catalogue, with the component the FAQ uses (``core.textsearch``).

The same analysis (SudachiPy's normalised forms, reading bigrams), the same synonyms (the shipped
groups and the municipality's own, ``core.searchwords``) and the same BM25 ranking as the FAQ, so
「こせき」, 「戸籍」, 「じゅうみんひょう」, 「ｼﾞｭｳﾐﾝﾋｮｳ」 and 「マイナ」 find their procedures, and an
improvement of the component reaches both (docs/procedures.md, "Search").

A municipality's index holds all its procedures (published or not: staff and the counter search
them too; :func:`matches` leaves the unpublished out for residents). It is built on first use and
kept in the process under the municipality's search version (``core.searchversion``: a save of a
procedure, a 課 or a synonym group replaces it on commit) and the procedures' count and latest
``updated_at`` — one cheap query that also sees a change not yet committed in this transaction and
rows written by ``bulk_create``, which sends no signal. Publishing has no dates: no day in the key.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, F, Func, IntegerField, Max, QuerySet, Value

from yakusho.core.models import Municipality
from yakusho.core.searchversion import index_version
from yakusho.core.searchwords import synonyms_for
from yakusho.core.textsearch import Analysed, Index, Synonyms, analyse, bigrams, normalize
from yakusho.procedures.models import Procedure

#: field weights: (field, words | readings) → weight, in the style of ``faq.search.SERVICE_WEIGHTS``.
#: The name (with its kana) decides; what the page says of it and its 課 count less.
WEIGHTS = {
    ("name", "words"): 1.0,
    ("name", "readings"): 0.6,
    ("text", "words"): 0.3,
    ("text", "readings"): 0.1,
    ("department", "words"): 0.3,
    ("department", "readings"): 0.2,
}
#: a procedure is listed when it holds this share of the query (its terms weighted by idf;
#: ``textsearch.Index.coverage``): a word of the query missing from the procedure leaves it out,
#: as a stray reading bigram (こせき's せき in 実績) does not bring it in. No share of the best
#: score is asked (as the FAQ's services are): a procedure that names the word only in its
#: description is listed too, after those that name it.
MIN_COVERAGE = 0.6
#: the rank a queryset gets as ``search_rank`` (0 is the best) when :func:`search` is given a query
RANK = "search_rank"
MAX_QUERY_WORDS = 5
MAX_QUERY_LENGTH = 100


def query_words(query: str) -> list[str]:
    """The words of a query (split on spaces, full-width ones included), at most five: what the
    no-results help offers one by one, and whether a query has anything to search for."""
    text = unicodedata.normalize("NFKC", query or "")[:MAX_QUERY_LENGTH]
    return [w for w in text.split() if w][:MAX_QUERY_WORDS]


@dataclass(frozen=True)
class Match:
    pk: int
    score: float
    coverage: float


@dataclass
class CatalogueIndex:
    """A municipality's procedures (``keys`` are their pks, in the catalogue's order) and which of
    them are published."""

    index: Index
    published: frozenset[int]

    @classmethod
    def build(cls, municipality: Municipality) -> CatalogueIndex:
        procedures = list(
            Procedure.objects.for_municipality(municipality)
            .select_related("department")
            .only(
                "pk",
                "department",
                "name",
                "kana",
                "summary",
                "audience",
                "description",
                "legal_basis",
                "published",
                "department__name",
                "department__kana",
            )
            .order_by("order", "kana", "name", "pk")
        )
        return cls.from_procedures(procedures, synonyms_for(municipality))

    @classmethod
    def from_procedures(cls, procedures: Iterable[Procedure], synonyms: Synonyms) -> CatalogueIndex:
        procedures = list(procedures)
        departments: dict[str, Analysed] = {}  # a few 課 for hundreds of procedures: analysed once

        def department(p: Procedure) -> Analysed:
            text = f"{p.department.name}\n{p.department.kana}"
            if text not in departments:
                departments[text] = analyse(text, synonyms)
            return departments[text]

        fields = {
            "name": [analyse(f"{p.name}\n{p.kana}", synonyms) for p in procedures],
            # the legal basis too: 出生届 and 死亡届 are found by 戸籍 (戸籍法)
            "text": [
                analyse("\n".join((p.summary, p.audience, p.description, p.legal_basis)), synonyms)
                for p in procedures
            ],
            "department": [department(p) for p in procedures],
        }
        index = Index([p.pk for p in procedures], fields, WEIGHTS, synonyms)
        return cls(index, frozenset(p.pk for p in procedures if p.published))

    def matches(self, query: str, *, public: bool = True) -> list[Match]:
        """The procedures that match ``query``, best first (see :data:`MIN_COVERAGE`). A query of
        several words (split on spaces) lists those that match each word, ranked by the whole."""
        words = query_words(query)
        if len(words) <= 1:
            return self._matches(" ".join(words), public=public, select=True)
        every = set.intersection(
            *({m.pk for m in self._matches(w, public=public, select=True)} for w in words)
        )
        return [m for m in self._matches(" ".join(words), public=public, select=False) if m.pk in every]

    def _matches(self, query: str, *, public: bool, select: bool) -> list[Match]:
        hits = self.index.search(query, limit=len(self.index.keys))
        if public:
            hits = [h for h in hits if self.index.keys[h.position] in self.published]
        if select:
            whole = _as_read(analyse(query, self.index.synonyms, query=True), query)
            if whole is not None:
                for h in hits:
                    h.coverage = self.index.coverage(whole, h.position)
            hits = [h for h in hits if h.coverage >= MIN_COVERAGE]
        return [Match(self.index.keys[h.position], h.score, h.coverage) for h in hits]


def _as_read(query: Analysed, text: str) -> Analysed | None:
    """A query without kanji is its own reading: how much of it a procedure holds is the share of
    its bigrams, whole, or of the synonym groups it names (ひっこし → 転入, こくほ → 国民健康保険).
    The analyser's words and reading runs of a kana query break at what it takes for particles or
    question words (こわーきんぐ → こ/わ/きん/ぐ, いんかん → い/ん/かん): they would lose a word
    written in kana, or let a stray piece (かん of 図書館) stand for it. ``None`` for a query with
    kanji, which the analyser cuts reliably."""
    if query.has_kanji:
        return None
    groups = frozenset(c for c in query.concepts if c.startswith("syn:"))
    return replace(query, readings=bigrams(normalize(text)), concepts=groups)


_indexes: dict[int, tuple[str, CatalogueIndex]] = {}
_lock = threading.Lock()


def _version(municipality_id: int) -> str:
    state = Procedure.objects.filter(municipality_id=municipality_id).aggregate(
        n=Count("pk"), last=Max("updated_at")
    )
    last = state["last"].isoformat() if state["last"] else ""
    return f"{index_version(municipality_id)}:{state['n']}:{last}"


def index_for(municipality: Municipality) -> CatalogueIndex:
    """The municipality's index, built again when its search version or its procedures changed."""
    version = _version(municipality.pk)
    found = _indexes.get(municipality.pk)
    if found is not None and found[0] == version:
        return found[1]
    with _lock:
        found = _indexes.get(municipality.pk)
        if found is not None and found[0] == version:
            return found[1]
        index = CatalogueIndex.build(municipality)
        _indexes[municipality.pk] = (version, index)
        return index


def matches(municipality: Municipality, query: str, *, public: bool = True) -> list[Match]:
    """The municipality's procedures that match ``query``, best first; only the published ones when
    ``public``. Every match, not a top few: the catalogue pages them."""
    if not query_words(query):
        return []
    return index_for(municipality).matches(query, public=public)


def clear() -> None:
    """Forget every built index (tests)."""
    _indexes.clear()


def search(
    queryset: QuerySet[Procedure],
    query: str,
    *,
    municipality: Municipality | None = None,
    public: bool = False,
) -> QuerySet[Procedure]:
    """The procedures of ``queryset`` that match ``query``, ordered by rank (best first, the rank
    annotated as ``search_rank``: 0 for all with a blank query, which keeps them all). The
    queryset's own filters (life event, channel, published …) still apply, before or after. Without
    ``municipality`` it is read from the queryset (one more query)."""
    if not query_words(query):
        return queryset.annotate(**{RANK: Value(0, output_field=IntegerField())})
    if municipality is not None:
        found = matches(municipality, query, public=public)
    else:
        ids = queryset.order_by().values_list("municipality_id", flat=True).distinct()
        found = [
            m
            for town in Municipality.objects.filter(pk__in=list(ids))
            for m in matches(town, query, public=public)
        ]
        found.sort(key=lambda m: -m.score)
    if not found:
        return queryset.none().annotate(**{RANK: Value(0, output_field=IntegerField())})
    pks = [m.pk for m in found]
    return queryset.filter(pk__in=pks).annotate(**{RANK: Rank(pks)}).order_by(RANK, "pk")


class Rank(Func):
    """``CASE <pk> WHEN <pk> THEN <rank> … END``: a procedure's place among the matches. Written as
    one expression: hundreds of ``When`` would take Django ~50 ms to compile per query. The pks
    and ranks are integers, written into the SQL (no limit on parameters)."""

    output_field = IntegerField()

    def __init__(self, pks: list[int]) -> None:
        super().__init__(F("pk"))
        self.pks = [int(pk) for pk in pks]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        column, params = compiler.compile(self.source_expressions[0])
        whens = " ".join(f"WHEN {pk} THEN {rank}" for rank, pk in enumerate(self.pks))
        return f"CASE {column} {whens} ELSE {len(self.pks)} END", list(params)
