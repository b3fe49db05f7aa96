"""Suspending a municipality (利用停止) and resuming it (利用再開), and what a suspension refuses.

A system operator suspends a municipality with a reason (internal: never shown outside the operator's
pages and the audit trail). While it is suspended:

- every page whose URL names it (a ``municipality`` argument: ``/m/<slug>/…`` and
  ``/staff/m/<slug>/…``, whichever app serves it) answers 403 with a page that says
  「現在ご利用いただけません」, its name and how to reach its office — system operators still open
  its staff pages;
- the JSON API answers 403 with its error body (``{"detail": …}``) where a request names it
  (``/plans/<municipality>/…``, ``/municipalities/<slug>``, ``?municipality=``);
- a staff member whose every active membership is in suspended municipalities cannot sign in;
- lists of municipalities (the public home, the API's list, the comparison of plans) leave it out.

Nothing is deleted: resuming clears the two fields and everything is as it was. Both are audited
(django-auditlog records the change of ``Municipality``; :func:`yakusho.core.audit.describe` reads
it as 「利用停止」 with the reason, or 「利用再開」).

The middleware asks no query per request: the URL names of suspended municipalities are kept in the
process's page cache for :data:`CHECK_SECONDS` (one query to refresh them). Suspending or resuming
clears that cache in the process that did it; other server processes follow within
:data:`CHECK_SECONDS` (their rendered public pages at once: core.pagecache).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from yakusho.core import pagecache
from yakusho.core.models import Municipality, User

#: how long a process trusts its list of suspended municipalities (``YAKUSHO_SUSPENSION_CHECK_SECONDS``)
CHECK_SECONDS = 5
_CACHE_KEY = "yakusho:suspended-slugs"
#: the API's error body for a suspended municipality (English, like its other errors)
API_DETAIL = "This municipality's service is suspended."


def suspended_slugs() -> frozenset[str]:
    """URL names of the suspended municipalities (one query every :data:`CHECK_SECONDS` at most)."""
    cache = caches["pages"]
    slugs = cache.get(_CACHE_KEY)
    if slugs is None:
        slugs = frozenset(
            Municipality.objects.filter(suspended_at__isnull=False).values_list("slug", flat=True)
        )
        remember(slugs)
    return frozenset(slugs)


def remember(slugs: frozenset[str]) -> None:
    """Keep ``slugs`` as this process's list of suspended municipalities for the check interval.

    The tests start each test with an empty list (their municipalities are suspended through
    :func:`suspend`, which refreshes it), so that the first request of a test makes the same
    queries as the next."""
    seconds = getattr(settings, "YAKUSHO_SUSPENSION_CHECK_SECONDS", CHECK_SECONDS)
    caches["pages"].set(_CACHE_KEY, slugs, seconds)


def _forget() -> None:
    """Drop the list of suspended municipalities and every rendered page (a new data version:
    core.pagecache) after a change. Never ``clear()``: with Redis that would empty the whole shared
    database, rate-limit counters included."""
    caches["pages"].delete(_CACHE_KEY)
    pagecache.changed(None)


def suspend(municipality: Municipality, reason: str) -> None:
    """Suspend ``municipality`` (the actor of the audit entry is the signed-in user, or the one set
    with ``auditlog.context.set_actor``). Suspending a suspended municipality changes nothing."""
    if municipality.is_suspended:
        return
    municipality.suspended_at = timezone.now()
    municipality.suspended_reason = reason.strip()
    with transaction.atomic():
        municipality.save(update_fields=["suspended_at", "suspended_reason"])
    _forget()


def resume(municipality: Municipality) -> None:
    """Resume ``municipality``: its pages, API and staff sign-in work again, with all their data."""
    if not municipality.is_suspended:
        return
    municipality.suspended_at = None
    municipality.suspended_reason = ""
    with transaction.atomic():
        municipality.save(update_fields=["suspended_at", "suspended_reason"])
    _forget()


def sign_in_refused(user: User) -> list[Municipality]:
    """The suspended municipalities that keep ``user`` from signing in: all those of their active
    memberships, when every one is suspended and they have nothing else to do here (no consortium,
    not an operator); else none."""
    if user.is_operator or user.consortium_memberships.filter(is_active=True).exists():
        return []
    municipalities = [
        m.municipality for m in user.memberships.filter(is_active=True).select_related("municipality")
    ]
    if municipalities and all(m.is_suspended for m in municipalities):
        return sorted(municipalities, key=lambda m: m.code)
    return []


def suspended_page(request: HttpRequest, municipality: Municipality) -> HttpResponse:
    """The 403 page 「現在ご利用いただけません」: the municipality's name and office phone, never the
    reason (which is internal)."""
    return render(request, "core/suspended.html", {"suspended": municipality}, status=403)


def _named_slugs(request: HttpRequest, kwargs: dict[str, Any], api: bool) -> list[str]:
    names = [kwargs.get("municipality")]
    if api:
        names.append(kwargs.get("slug"))  # /municipalities/<slug>
        with suppress(SuspiciousOperation):  # too many parameters: the API answers that itself
            names.append(request.GET.get("municipality"))
    return [n for n in names if isinstance(n, str) and n]


class SuspensionMiddleware:
    """Answers 403 for a page or API request that names a suspended municipality (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        api = request.path_info.startswith("/api/")
        named = _named_slugs(request, kwargs, api)
        if not named:
            return None
        suspended = suspended_slugs()
        slug = next((n for n in named if n in suspended), None)
        if slug is None:
            return None
        if api:
            return JsonResponse({"detail": API_DETAIL}, status=403)
        user = getattr(request, "user", None)
        if request.path_info.startswith("/staff/") and getattr(user, "is_operator", False):
            return None
        municipality = Municipality.objects.filter(slug=slug).first()
        if municipality is None:  # removed since the list was read
            return None
        return suspended_page(request, municipality)
