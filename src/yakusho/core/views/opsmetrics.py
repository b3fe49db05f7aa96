"""``/-/metrics``: the operator metrics for Prometheus, behind a bearer token (docs/monitoring.md)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from yakusho.core import opsmetrics


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """404 while metrics are off; 401 without the right ``Authorization: Bearer <token>``."""
    if not opsmetrics.enabled():
        raise Http404  # as for any address that does not exist
    if not opsmetrics.token_matches(request.headers.get("Authorization", "")):
        response = HttpResponse(
            _("運用メトリクスを読むには、正しいトークン（Authorization: Bearer …）が必要です。") + "\n",
            content_type="text/plain; charset=utf-8",
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="yakusho-metrics"'
        return response
    body, content_type = opsmetrics.render()
    return HttpResponse(body, content_type=content_type)
