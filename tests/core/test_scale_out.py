"""Two `yakusho serve` processes on one PostgreSQL behave as one: sessions and lockouts are shared."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.factories import MembershipFactory
from tests.servers import serving
from yakusho.core.models import Role

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[list[str]]:
    with serving(tmp_path, 2) as urls:
        yield urls


class Browser:
    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(url, timeout=10) as r:
                return r.status, r.geturl(), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, url, e.read().decode()

    def login(self, base: str, email: str, password: str) -> tuple[int, str, str]:
        _, _, page = self.get(base + "/staff/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        data = urllib.parse.urlencode({"username": email, "password": password, "csrfmiddlewaretoken": token})
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            base + "/staff/login/", data=data.encode(), headers={"Referer": base + "/staff/login/"}
        )
        try:
            with self.opener.open(request, timeout=10) as r:
                return r.status, r.geturl(), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, base, e.read().decode()


def server_user():
    """A staff user whose password hash the servers (default hashers, not the tests' MD5) can check."""
    user = MembershipFactory(role=Role.COUNTER).user
    user.password = PBKDF2PasswordHasher().encode("correct-horse-battery", "saltsaltsalt", iterations=1000)
    user.save(update_fields=["password"])
    return user


def test_session_from_one_process_works_on_the_other(two_servers: list[str]) -> None:
    a, b = two_servers
    user = server_user()
    browser = Browser()
    status, final_url, _ = browser.login(a, user.email, "correct-horse-battery")
    assert status == 200 and final_url.endswith("/staff/")
    status, final_url, page = browser.get(b + "/staff/")
    assert status == 200 and final_url == b + "/staff/" and "職員ホーム" in page


def test_lockout_counts_failures_on_both_processes(two_servers: list[str]) -> None:
    a, b = two_servers
    user = server_user()
    assert Browser().login(b, user.email, "correct-horse-battery")[1].endswith("/staff/")
    browser = Browser()
    for i in range(4):
        status, _, _ = browser.login(a if i % 2 else b, user.email, "wrong")
        assert status == 200
    status, _, page = browser.login(a, user.email, "wrong")
    assert status == 429 and "15分間停止" in page
    status, _, _ = browser.login(b, user.email, "correct-horse-battery")
    assert status == 429


def test_a_page_built_by_one_process_is_taken_by_the_other(two_servers: list[str]) -> None:
    """The public home built by one server is left in the built-pages table; the other server
    serves it from there rather than building it (here: the stored copy is replaced by a marked
    one, and that is what the second server answers)."""
    from django.core.cache.backends.db import DatabaseCache
    from django.db import connection
    from django.http import HttpResponse

    a, b = two_servers
    status, _, first = Browser().get(a + "/")
    assert status == 200 and "<html" in first
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM yakusho_built_pages")
        keys = [row[0] for row in cursor.fetchall()]
    pages = [k for k in keys if ":yakusho:page:" in k and "claim:" not in k]
    assert len(pages) == 1 and not [k for k in keys if "claim:" in k]
    table = DatabaseCache("yakusho_built_pages", {})
    key = pages[0].split(":", 2)[2]  # without the key prefix and version the cache adds
    table.set(key, HttpResponse("taken from the table, not built again"), 60)
    status, _, second = Browser().get(b + "/")
    assert status == 200 and second == "taken from the table, not built again"
