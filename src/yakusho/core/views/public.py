"""Public pages of core: the list of municipalities, a municipality's page, its office status and
policy pages; health, language and the rate-limit page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import (
    DetailView,
    ListView,
)
from django_ratelimit.decorators import ratelimit

from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import (
    Municipality,
    PolicyPage,
)
from yakusho.core.office import office_phase, office_status, upcoming_days
from yakusho.core.pagecache import cache_public_page
from yakusho.core.ui import public_links, public_searches

# --- public ---------------------------------------------------------------------------------


def _public_form_rate(group: str, request: HttpRequest) -> str:
    return str(settings.RATELIMIT_PUBLIC_FORM)


#: Applied to the dispatch of every form a person can post without being signed in.
public_form_ratelimit = method_decorator(
    ratelimit(key="ip", rate=_public_form_rate, method="POST", block=True), name="dispatch"
)


def ratelimited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "ratelimited.html", status=429)


def switch_language(request: HttpRequest) -> HttpResponse:
    """Set the interface language from a link or a GET form and go back.

    A GET form (rather than Django's POST ``set_language``) keeps public pages free of CSRF
    tokens, so they can be cached; changing the language is harmless if forced on someone.
    """
    code = request.GET.get("language", "")
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe: the cheapest response this stack can give (the benchmark's ceiling)."""
    return HttpResponse("ok", content_type="text/plain")


@method_decorator(cache_public_page, name="get")
class PublicHomeView(ListView):
    """The list of municipalities: the most visited page, kept rendered per language and visitor
    under the global data version (core.pagecache)."""

    template_name = "core/public/home.html"
    context_object_name = "municipalities"

    def get_queryset(self) -> QuerySet[Municipality]:
        # a suspended municipality's pages answer 403 (core.suspension): not listed
        return Municipality.objects.filter(suspended_at__isnull=True).order_by("code")


def _office_phase(request: HttpRequest, *args: Any, municipality: str = "", **kwargs: Any) -> str:
    return office_phase(municipality)


@method_decorator(cache_public_page(vary=_office_phase), name="get")
class MunicipalityPublicView(DetailView):
    """A municipality's home: kept rendered under its data version, the date and whether the offices
    are open now (core.pagecache, core.office.office_phase)."""

    template_name = "core/public/municipality.html"
    slug_url_kwarg = "municipality"
    model = Municipality
    context_object_name = "municipality"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        calendar = BusinessCalendar(self.object)
        context["status"] = office_status(self.object, calendar=calendar)
        context["upcoming"] = upcoming_days(self.object, calendar=calendar)
        context["links"] = public_links.for_municipality(self.object)
        context["search"] = public_searches.first()
        return context


class OfficeStatusFragmentView(MunicipalityPublicView):
    """The 開庁中/閉庁中 line alone, polled by site.js to keep an open page current."""

    template_name = "core/public/office_status.html"


class PolicyPagePublicView(DetailView):
    template_name = "core/public/policy_page.html"
    kind: str = PolicyPage.Kind.ACCESSIBILITY

    def get_object(self, queryset: Any = None) -> PolicyPage:
        municipality = get_object_or_404(Municipality, slug=self.kwargs["municipality"])
        page = PolicyPage.objects.for_municipality(municipality).filter(kind=self.kind).first()
        return page or PolicyPage(municipality=municipality, kind=self.kind)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["municipality"] = self.object.municipality
        return context
