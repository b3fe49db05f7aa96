from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

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
