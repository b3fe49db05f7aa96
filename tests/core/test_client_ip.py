"""The client's address: REMOTE_ADDR, or behind Yakusho's own proxy the address the proxy saw."""

from __future__ import annotations

import pytest
from django.http import HttpRequest
from django.test import RequestFactory, override_settings

from yakusho.core.clientip import client_ip

pytestmark = pytest.mark.once


def request(remote: str = "10.0.0.1", forwarded: str | None = None) -> HttpRequest:
    made = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        made.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return made


def test_without_the_proxy_setting_the_header_is_ignored() -> None:
    assert client_ip(request(forwarded="203.0.113.9")) == "10.0.0.1"


@override_settings(YAKUSHO_TRUST_FORWARDED_FOR=True)
def test_behind_the_proxy_the_last_forwarded_address_counts() -> None:
    assert client_ip(request(forwarded="203.0.113.9")) == "203.0.113.9"
    # an address the client put in front of the proxy's own entry is not believed
    assert client_ip(request(forwarded="198.51.100.1, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(request(forwarded=" 2001:db8::1 ")) == "2001:db8::1"


@override_settings(YAKUSHO_TRUST_FORWARDED_FOR=True)
def test_a_malformed_header_falls_back_to_the_connection() -> None:
    assert client_ip(request(forwarded="nonsense")) == "10.0.0.1"
    assert client_ip(request(forwarded="")) == "10.0.0.1"
    assert client_ip(request(remote="", forwarded="x")) == ""


@override_settings(YAKUSHO_TRUST_FORWARDED_FOR=True)
def test_the_rate_limit_and_the_lockout_use_it() -> None:
    from axes.helpers import get_client_ip_address
    from django_ratelimit.core import _get_ip

    r = request(forwarded="198.51.100.1, 203.0.113.9")
    assert get_client_ip_address(r) == "203.0.113.9"
    assert _get_ip(r) == "203.0.113.9"
