"""``/readyz``: the readiness check as JSON (:mod:`yakusho.core.readiness`, docs/operations.md)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from yakusho.core import readiness

#: ``?strict=1`` (or ``true``, ``yes``): "degraded" answers 503 too, for monitors that read only the status
STRICT_VALUES = frozenset({"1", "true", "yes"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """503 when the database does not answer; otherwise 200 with "ok" or "degraded" (503 if strict)."""
    result = readiness.check()
    strict = request.GET.get("strict", "").lower() in STRICT_VALUES
    failed = result.status == readiness.UNAVAILABLE or (strict and result.status == readiness.DEGRADED)
    return JsonResponse(
        result.as_json(), status=503 if failed else 200, json_dumps_params={"ensure_ascii": False}
    )
