"""Two `yakusho serve` processes on one PostgreSQL and one Redis (YAKUSHO_REDIS_URL): a change shows
through both on the next request, and a rate limit reached through one holds on the other."""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import MunicipalityFactory, UserFactory
from tests.servers import SECRET_KEY, serving

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REDIS = ("127.0.0.1", 6379)
CSRF = "a" * 32  # an unmasked CSRF secret, sent as cookie and header


def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    if not redis_answers():
        message = f"Redis at {REDIS[0]}:{REDIS[1]} does not answer"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: the shared-cache test is mandatory in CI")
        pytest.skip(f"SKIPPED: {message}; the shared-cache test did not run")
    return f"redis://{REDIS[0]}:{REDIS[1]}/0"


@pytest.fixture
def shared(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Iterator[list[str]]:
    prefix = f"test-{uuid.uuid4().hex}"
    monkeypatch.setenv("YAKUSHO_REDIS_URL", redis_url)
    monkeypatch.setenv("YAKUSHO_CACHE_KEY_PREFIX", prefix)
    monkeypatch.setenv("YAKUSHO_RATELIMIT_PUBLIC_FORM", "3/m")
    redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    # this process writes through the same Redis, like a third server
    settings.CACHES = {
        "default": {**redis, "KEY_PREFIX": prefix},
        "ratelimit": {**redis, "KEY_PREFIX": f"{prefix}:ratelimit"},
        "pages": {**redis, "KEY_PREFIX": f"{prefix}:pages"},
    }
    with serving(tmp_path, 2) as urls:
        yield urls
    import redis as redis_client

    client = redis_client.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def fetch(url: str, data: bytes | None = None, cookie: str = "") -> tuple[int, str]:
    headers = {"Cookie": cookie} if cookie else {}
    if data is not None:
        headers.update({"Cookie": f"csrftoken={CSRF}; {cookie}", "X-CSRFToken": CSRF})
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - 127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_a_change_shows_through_both_servers_at_once(shared: list[str]) -> None:
    a, b = shared
    town = MunicipalityFactory(name="共有町")
    for base in (a, b, a, b):  # both have the page stored
        status, page = fetch(base + "/", cookie=f"visitor={uuid.uuid4().hex}")
        assert status == 200 and "共有町" in page
    town.name = "改名町"
    town.save()  # committed: the data version changes in Redis
    for base in (a, b):
        status, page = fetch(base + "/", cookie="visitor=someone")
        assert status == 200 and "改名町" in page and "共有町" not in page


def operator_cookie() -> str:
    """A signed-in, TOTP-verified system operator's session, stored as ``login`` would store it,
    signed with the servers' secret key."""
    user = UserFactory(is_operator=True)
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    with override_settings(SECRET_KEY=SECRET_KEY):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store["otp_device_id"] = device.persistent_id
        store.save()
    return f"sessionid={store.session_key}"


def test_a_staff_action_through_one_server_shows_through_the_other(shared: list[str]) -> None:
    a, b = shared
    town = MunicipalityFactory(name="共有町")
    for base in (a, b):  # both have the public list stored
        assert "共有町" in fetch(base + "/", cookie=f"visitor={uuid.uuid4().hex}")[1]
    cookie = operator_cookie()
    suspend = reverse("staff:operator_suspend", args=[town.slug])
    status, page = fetch(a + suspend, data=urlencode({"reason": "契約の確認中"}).encode(), cookie=cookie)
    assert status == 200, page[:300]  # the operator's page after the redirect
    town.refresh_from_db()
    assert town.is_suspended
    status, page = fetch(b + "/", cookie="visitor=someone-else")
    assert status == 200 and "共有町" not in page
    status, page = fetch(b + f"/m/{town.slug}/")
    assert status == 403 and "現在ご利用いただけません" in page


def test_a_rate_limit_reached_through_one_server_holds_on_the_other(shared: list[str]) -> None:
    a, b = shared
    town = MunicipalityFactory()
    path = reverse("bookings:book", args=[town.slug, "no-such-room", "2030-01-07", "10:00"])
    statuses = [fetch(base + path, data=b"name=x")[0] for base in (a, b, a)]
    assert 429 not in statuses
    status, page = fetch(b + path, data=b"name=x")
    assert status == 429, page[:200]
