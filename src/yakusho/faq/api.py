"""The FAQ search as JSON (``/api/v1/faq/{municipality}/search?q=…``): the same ranking and the same
no-answer decision as the chat and the FAQ page, so any client — and an evaluation run from
outside — can ask the same questions."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from yakusho.core.apiutil import TOO_MANY, MunicipalitySlug, could_name_something, responses
from yakusho.core.models import Municipality
from yakusho.faq import search as faq_search
from yakusho.faq import services
from yakusho.faq.models import Channel
from yakusho.faq.views import flooded

router = Router(tags=["faq"])
#: values of ``log`` that leave a question out of the log
NOT_LOGGED = frozenset({"false", "0", "no", "off"})


class EntryHitOut(Schema):
    id: str = Field(description="`e<number>` for the municipality's own entry, `s<number>` for a shared one")
    key: str = Field(description="the entry's key in its FAQ file")
    question: str
    category: str
    score: float = Field(description="BM25 score, the fields' scores added with their weights")
    coverage: float = Field(description="share of the question's words (or reading) the entry holds, 0–1")


class ServiceHitOut(Schema):
    kind: str = Field(description="`procedure` or `resource` (a bookable resource)")
    id: int
    name: str
    score: float


class SearchOut(Schema):
    query: str
    answered: bool = Field(
        description="whether the best entry is given as the answer (its coverage ≥ threshold)"
    )
    threshold: float = Field(description="the least coverage of the best entry for an answer")
    entries: list[EntryHitOut] = Field(
        description="the best five entries, best first (also when not answered)"
    )
    services: list[ServiceHitOut] = Field(description="procedures and bookable resources that match")


@router.get(
    "/faq/{municipality}/search",
    **responses(SearchOut, not_found="No municipality has this URL name.", limited=True),
)
def search(
    request: HttpRequest,
    municipality: MunicipalitySlug,
    q: Annotated[
        str,
        Query(
            description="the resident's question, as typed (at most 200 characters are read)",
            example="じゅうみんひょう",
        ),
    ] = "",
    log: Annotated[
        str,
        Query(
            description="`false` (or `0`, `no`, `off`) leaves the question out of the municipality's log "
            "(an evaluation run); anything else logs it, masked, as the chat does",
            example="true",
        ),
    ] = "true",
) -> dict[str, Any]:
    """Rank the municipality's public FAQ entries for a question, with the no-answer decision.

    Questions count against the same per-address limit as the FAQ page and the chat (429)."""
    if not could_name_something(municipality):
        raise Http404
    town = get_object_or_404(Municipality, slug=municipality)
    query = q.strip()[: faq_search.MAX_QUERY]
    if query and flooded(request):
        raise HttpError(429, TOO_MANY)
    result = faq_search.search(town, query)
    if query and log.strip().lower() not in NOT_LOGGED:
        services.record(town, query, result, Channel.API)
    return faq_search.describe(result)
