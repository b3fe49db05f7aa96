"""Responses every app gives alike."""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yakusho.core.models import Municipality


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
