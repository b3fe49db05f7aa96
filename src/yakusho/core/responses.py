"""Responses every app gives alike."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from yakusho.core.models import Municipality


class NotFound(Http404):
    """A 404 whose message is written for people (Japanese, translated): the 404 page shows it.
    Django's own 404s (an unknown URL, ``get_object_or_404``) carry messages for developers, so the
    page shows a general sentence for those."""


_MUNICIPALITY_IN_PATH = re.compile(r"^/(?:staff/)?m/([-\w]+)/")


def _municipality_of(request: HttpRequest) -> Municipality | None:
    match = _MUNICIPALITY_IN_PATH.match(request.path_info)
    if match is None:
        return None
    # a suspended municipality's page answers 403: the 404 page does not link to it
    return Municipality.objects.filter(slug=match.group(1), suspended_at__isnull=True).first()


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 page of every HTML view (``handler404``)."""
    message = (
        str(exception)
        if isinstance(exception, NotFound) and exception.args
        else _("お探しのページは見つかりませんでした。URLが正しいか確かめてください。")
    )
    return not_found(request, message, _municipality_of(request))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 400 page (``handler400``): a request Django refused (too many fields, a broken upload)."""
    return render(
        request,
        "core/bad_request.html",
        {"message": _("送られた内容を読み取れませんでした。")},
        status=400,
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page (``handler403``): the reason the view gave, when it gave one."""
    reason = str(exception) if exception is not None and str(exception) else ""
    return render(request, "core/forbidden.html", {"reason": reason}, status=403)


def not_found(
    request: HttpRequest,
    message: str,
    municipality: Municipality | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> HttpResponse:
    """A 404 page that says what was not found and where to go instead: the app's own ``links``
    (label, URL) first, then the municipality's page and the list of municipalities."""
    return render(
        request,
        "core/not_found.html",
        {"message": message, "municipality": municipality, "links": links},
        status=404,
    )
