"""The sign-in lockout (django-axes): which name a failed sign-in counts against."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

#: the length of django-axes' username columns (AccessAttempt, AccessFailureLog, AccessLog)
MAX_USERNAME = 255


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The name typed at sign-in, cut to what the lockout tables hold: a longer one (no address is
    that long) would otherwise fail to be recorded and turn a refused sign-in into a server error.
    Names that share their first 255 characters share a counter, which only locks sooner."""
    source: Any = credentials if credentials else getattr(request, "POST", {})
    name = source.get("username") if source else None
    return name[:MAX_USERNAME] if isinstance(name, str) else name
