from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse

from yakusho.cli import main

pytestmark = pytest.mark.django_db


def test_public_home_lists_the_municipalities(demo, client: Client) -> None:
    page = client.get(reverse("public:home")).content.decode()
    for name in ("潟上市", "潮来市", "村上市", "大江町", "美郷町"):
        assert name in page
    assert 'lang="ja"' in page


def test_municipality_page_shows_whether_it_is_open(demo, client: Client) -> None:
    page = client.get(reverse("public:municipality", args=["oe"])).content.decode()
    assert "大江町" in page and "開庁" in page
    assert client.get(reverse("public:municipality", args=["nowhere"])).status_code == 404


def test_english_through_the_language_switch(demo, client: Client) -> None:
    response = client.get(reverse("set_language"), {"language": "en", "next": "/m/oe/"})
    assert response.status_code == 302 and response["Location"] == "/m/oe/"
    page = client.get("/m/oe/").content.decode()
    assert 'lang="en"' in page and "Opening hours" in page
    offsite = client.get(reverse("set_language"), {"language": "ja", "next": "https://evil.example/"})
    assert offsite["Location"] == "/"
    assert 'lang="ja"' in client.get("/m/oe/").content.decode()
    client.get(reverse("set_language"), {"language": "xx"})
    assert 'lang="ja"' in client.get("/m/oe/").content.decode()


def test_public_home_is_cached_per_language(demo, client: Client) -> None:
    from django.core.cache import caches

    cache = caches["pages"]

    from yakusho.core.models import Municipality

    cache.clear()
    first = client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    Municipality.objects.filter(slug="oe").update(name="大江町（改称）")
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode() == first  # served from the cache
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in english and "大江町（改称）" in english
    cache.clear()
    assert "大江町（改称）" in client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()


def test_system_checks_pass() -> None:
    assert [e for e in run_checks() if e.level >= 40] == []


def test_cli_maps_hyphenated_names(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["yakusho", "send-mail", "--help"])
    assert "Deliver queued e-mail" in capsys.readouterr().out


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "yakusho"
    result = subprocess.run([str(script), "help"], capture_output=True, text=True, check=False, timeout=60)  # noqa: S603
    assert result.returncode == 0
    for command in ("demo", "serve", "createadmin", "send_mail", "purge_expired"):
        assert command in result.stdout


def test_createadmin(monkeypatch) -> None:
    from django.core.management import CommandError, call_command

    from tests.factories import MunicipalityFactory
    from yakusho.core.models import Membership, Role

    town = MunicipalityFactory(slug="newtown")
    monkeypatch.setenv("YAKUSHO_ADMIN_PASSWORD", "123")
    with pytest.raises(CommandError, match=r"短すぎ|too short"):
        call_command("createadmin", municipality="newtown", email="Chief@Example.jp")
    monkeypatch.setenv("YAKUSHO_ADMIN_PASSWORD", "a-sound-passphrase-42")
    call_command("createadmin", municipality="newtown", email="Chief@Example.jp")
    membership = Membership.objects.get(user__email="chief@example.jp")
    assert membership.municipality == town and membership.role == Role.ADMIN
    assert membership.user.check_password("a-sound-passphrase-42")
    with pytest.raises(CommandError, match="見つかりません"):
        call_command("createadmin", municipality="nowhere", email="x@example.jp")
