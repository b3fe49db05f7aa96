"""The read-only JSON API (django-ninja). Public data only without login.

Its OpenAPI description is committed as ``docs/openapi.json`` (``make openapi`` writes it); a test
fails when the committed file differs from what the code generates. The interactive docs page is
off: it loads Swagger UI from a CDN, and Yakusho serves nothing from outside.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Schema

from yakusho.core.models import Department, Municipality
from yakusho.core.office import office_status
from yakusho.plans import api as plans_api

api = NinjaAPI(
    title="Yakusho API",
    version="1",
    description="Read-only public data of the municipalities served by this Yakusho.",
    urls_namespace="api",
    docs_url=None,
)


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


@api.get("/municipalities", response=list[MunicipalityOut], tags=["municipalities"])
def list_municipalities(request: object) -> list[Municipality]:
    """Every municipality, by 全国地方公共団体コード."""
    return list(Municipality.objects.order_by("code"))


@api.get("/municipalities/{slug}", response=MunicipalityDetailOut, tags=["municipalities"])
def get_municipality(request: object, slug: str) -> dict[str, object]:
    """One municipality with its departments and whether its offices are open now."""
    municipality = get_object_or_404(Municipality, slug=slug)
    departments = Department.objects.for_municipality(municipality).order_by("order", "name")
    return {
        **MunicipalityOut.from_orm(municipality).dict(),
        "is_open_now": office_status(municipality).is_open,
        "departments": [{"name": d.name, "kana": d.kana} for d in departments],
    }


api.add_router("/", plans_api.router)
