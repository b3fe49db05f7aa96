from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from yakusho.core.responses import not_found

EXEMPT = {"staff:login", "staff:logout", "staff:2fa_setup", "staff:2fa_verify"}


def has_totp_device(request: HttpRequest) -> bool:
    """Whether the signed-in user has a confirmed TOTP device (asked once per request)."""
    if not hasattr(request, "_yakusho_has_device"):
        request._yakusho_has_device = TOTPDevice.objects.filter(  # type: ignore[attr-defined]
            user=request.user, confirmed=True
        ).exists()
    return bool(request._yakusho_has_device)  # type: ignore[attr-defined]


class StaffTwoFactorMiddleware:
    """Staff with a TOTP device must verify it; administrators must set one up first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            request.path_info.startswith("/staff/") and user.is_authenticated and not user.is_verified()  # type: ignore[attr-defined]  # set by OTPMiddleware
        ):
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = ""
            if name not in EXEMPT:
                query = urlencode({"next": request.get_full_path()})
                if has_totp_device(request):
                    return HttpResponseRedirect(f"{reverse('staff:2fa_verify')}?{query}")
                if user.requires_two_factor():
                    return HttpResponseRedirect(f"{reverse('staff:2fa_setup')}?{query}")
        return self.get_response(request)


#: the largest id a database column holds (PostgreSQL's bigint; SQLite's integer)
MAX_ID = 2**63 - 1


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in data.getlist(key)) for key in data)


class InputGuardMiddleware:
    """Answers what no person types and no page can use before a view sees it.

    - A NUL character in the path, the query string or a form's fields: 400, with a page that says
      so (PostgreSQL cannot store or even compare it, so every lookup would fail).
    - A number in the path beyond what a database id holds (``<int:pk>`` takes any digits): 404, as
      for any id that does not exist.

    The JSON API (``/api/``) answers its own faults with its documented error bodies.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith("/api/") and (
            "\x00" in request.path_info
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            return render(
                request,
                "core/bad_request.html",
                {"message": _("送られた内容に、使えない文字（NUL文字）が含まれています。")},
                status=400,
            )
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        if request.path_info.startswith("/api/"):
            return None
        if any(isinstance(v, int) and not -MAX_ID <= v <= MAX_ID for v in (*args, *kwargs.values())):
            return not_found(request, _("この番号のページはありません。"))
        return None


class AuditActorMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, handing over the actor without looking the user up.

    The original decides on every request whether ``request.user`` is a signed-in user, which reads
    the session: one query on every page a visitor with a session cookie opens (the chat's turn,
    every public page), whether anything audited changes or not. Here the lazy user goes into the
    audit context as it is: auditlog's receiver asks ``isinstance(actor, User)`` only when it writes
    an entry, which resolves it then. A visitor who is not signed in is still no actor, and a
    signed-in member of staff still is (tests/core/test_audit.py).
    """

    @staticmethod
    def _get_actor(request: HttpRequest) -> Any:
        return getattr(request, "user", None)
