"""Security baseline: lockout, CSRF, CSP, rate limits, production settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import MembershipFactory
from yakusho.core.models import Invitation, Role

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "yakusho" / "templates"


def login(client: Client, email: str, password: str):
    return client.post(reverse("staff:login"), {"username": email, "password": password})


def test_lockout_after_five_failures(client: Client) -> None:
    user = MembershipFactory(role=Role.COUNTER).user
    for _ in range(4):
        assert login(client, user.email, "wrong").status_code == 200
    locked = login(client, user.email, "wrong")
    assert locked.status_code == 429
    assert "15分間停止" in locked.content.decode()
    # Even the right password is refused while locked.
    assert login(client, user.email, "correct-horse-battery").status_code == 429
    # Another account from the same address is not affected.
    other = MembershipFactory(role=Role.COUNTER).user
    assert login(client, other.email, "correct-horse-battery").status_code == 302


def test_csrf_is_enforced_on_staff_and_public_forms() -> None:
    client = Client(enforce_csrf_checks=True)
    assert (
        client.post(reverse("staff:login"), {"username": "a@example.jp", "password": "x"}).status_code == 403
    )
    invitation_url = reverse("staff:invitation_accept", args=["x" * 20])
    assert client.post(invitation_url, {}).status_code == 403
    assert client.post(reverse("staff:2fa_verify"), {"token": "123456"}).status_code == 403


def test_content_security_policy_header(client: Client) -> None:
    response = client.get(reverse("public:home"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_no_inline_scripts_or_styles_in_templates() -> None:
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text("utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"<style\b", text):
            offenders.append(path.name)
        if re.search(r"\son[a-z]+=\"", text) or re.search(r'\sstyle="', text):
            offenders.append(path.name)
    assert offenders == []


def test_public_forms_are_rate_limited(client: Client) -> None:
    invitation = Invitation.objects.create(
        municipality=MembershipFactory().municipality, email="n@example.jp", role=Role.COUNTER
    )
    path = reverse("staff:invitation_accept", args=[invitation.token])
    with override_settings(RATELIMIT_PUBLIC_FORM="3/m"):
        responses = [client.post(path, {"display_name": "x"}) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert "しばらくしてから" in responses[-1].content.decode()


def test_debug_is_off_unless_asked() -> None:
    env = {k: v for k, v in os.environ.items() if k != "YAKUSHO_DEBUG"}
    code = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='yakusho.settings';django.setup();"
        "from django.conf import settings;print(settings.DEBUG)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "False"


def run_deploy_check(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("YAKUSHO_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update({"DJANGO_SETTINGS_MODULE": "yakusho.settings_production", **env_extra})
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = run_deploy_check(
        {
            "YAKUSHO_SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-deploy-check-0123456789",
            "YAKUSHO_VAR_DIR": str(tmp_path),
        }
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run_deploy_check({"YAKUSHO_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "YAKUSHO_SECRET_KEY must be set" in result.stderr
