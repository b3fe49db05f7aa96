"""The address a request came from, for rate limits, sign-in lockout and per-network counts.

Behind Yakusho's own reverse proxy (``YAKUSHO_BEHIND_PROXY=1``, deploy/nginx-yakusho.conf.in) every
request arrives from the proxy's address; the proxy puts the client's address in
``X-Forwarded-For``. The last entry is the one the proxy itself saw: earlier entries come from the
client and anyone may forge them. Without the proxy setting the header is ignored entirely.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's IP address ("" when none can be told, e.g. a Unix socket without a proxy)."""
    if getattr(settings, "YAKUSHO_TRUST_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and (last := _valid(forwarded.split(",")[-1])):
            return last
    return _valid(request.META.get("REMOTE_ADDR") or "") or ""
