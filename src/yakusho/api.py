"""The read-only JSON API (django-ninja). Public data only without login.

Its OpenAPI description is committed as ``docs/openapi.json`` (``make openapi`` writes it); a test
fails when the committed file differs from what the code generates. The interactive docs page is
off: it loads Swagger UI from a CDN, and Yakusho serves nothing from outside.

Every operation documents its errors with their body (``core.apiutil.ErrorOut``, ``{"detail": "…"}``):
404 for something named in the request that does not exist, 403 for a municipality that is
suspended (``core.suspension``), 400 where the query string is read and
Django refuses it (too many parameters). ``tests/test_api_contract.py`` runs schemathesis against a
live server on the committed description (PostgreSQL run).
"""

from __future__ import annotations

import logging
from typing import Annotated

from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Path, Schema

from yakusho.core.apiutil import could_name_something, responses
from yakusho.core.models import Department, Municipality
from yakusho.core.office import office_status
from yakusho.faq import api as faq_api
from yakusho.plans import api as plans_api

api = NinjaAPI(
    title="Yakusho API",
    version="1",
    description="Read-only public data of the municipalities served by this Yakusho.",
    urls_namespace="api",
    docs_url=None,
)


@api.exception_handler(SuspiciousOperation)
def bad_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """Django's 400 (e.g. too many query parameters), with the API's error body instead of the HTML
    page; logged to ``django.security.<name>`` as Django's own handler does."""
    logging.getLogger(f"django.security.{exc.__class__.__name__}").error(
        str(exc), extra={"status_code": 400, "request": request}
    )
    return api.create_response(request, {"detail": "Bad Request"}, status=400)


class MunicipalityOut(Schema):
    slug: str
    name: str
    name_en: str
    kana: str
    prefecture: str
    kind: str
    code: str
    population: int | None
    website: str


class DepartmentOut(Schema):
    name: str
    kana: str


class MunicipalityDetailOut(MunicipalityOut):
    is_open_now: bool
    departments: list[DepartmentOut]


@api.get(
    "/municipalities",
    **responses(list[MunicipalityOut], query=False, suspended=False),
    tags=["municipalities"],
)
def list_municipalities(request: object) -> list[Municipality]:
    """Every municipality in service (none that is suspended), by 全国地方公共団体コード."""
    return list(Municipality.objects.filter(suspended_at__isnull=True).order_by("code"))


@api.get(
    "/municipalities/{slug}",
    **responses(MunicipalityDetailOut, not_found="No municipality has this URL name.", query=False),
    tags=["municipalities"],
)
def get_municipality(
    request: object,
    slug: Annotated[str, Path(description="The municipality's URL name.", example="oe")],
) -> dict[str, object]:
    """One municipality with its departments and whether its offices are open now."""
    if not could_name_something(slug):
        raise Http404
    municipality = get_object_or_404(Municipality, slug=slug)
    departments = Department.objects.for_municipality(municipality).order_by("order", "name")
    return {
        **MunicipalityOut.from_orm(municipality).dict(),
        "is_open_now": office_status(municipality).is_open,
        "departments": [{"name": d.name, "kana": d.kana} for d in departments],
    }


api.add_router("/", plans_api.router)
api.add_router("/", faq_api.router)
