"""From an empty database to a working municipality that is not in the demo (issue 20).

``add-municipality`` (西川町, 山形県), a non-interactive ``setup`` from a file with a small plan file,
then a phone-sized browser opens its public plan page, and its administrator signs in (setting up
two-factor authentication) to its staff home. No demo data is loaded.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import PHONE, ContextFactory
from tests.browser.test_staff_login import log_in, path_of, submit_code, totp_code
from tests.core.test_setup import PLAN
from yakusho.core.models import Municipality

pytestmark = pytest.mark.browser

PASSWORD = "nishikawa-first-2026"
SETUP = {
    "municipality": "063223",
    "slug": "nishikawa",
    "email": "info@town.nishikawa.example.jp",
    "admin": {"email": "admin@town.nishikawa.example.jp", "name": "西川 太郎"},
    "office_hours": {"opens": "8:30", "closes": "17:15"},
    "closures": [{"date": "2027-01-04", "reason": "庁舎設備点検"}],
    "departments": ["総務課", "住民税務課"],
    "plan": "plan.yaml",
}


def test_a_new_town_from_an_empty_database(
    live_server: LiveServer, transactional_db: None, new_context: ContextFactory, tmp_path: Path, monkeypatch
) -> None:
    assert not Municipality.objects.exists()
    monkeypatch.setenv("YAKUSHO_ADMIN_PASSWORD", PASSWORD)
    call_command("add_municipality", "063223", "--slug", "nishikawa", stdout=io.StringIO())
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(PLAN, allow_unicode=True, sort_keys=False), "utf-8")
    (tmp_path / "setup.yaml").write_text(yaml.safe_dump(SETUP, allow_unicode=True, sort_keys=False), "utf-8")
    out = io.StringIO()
    call_command("setup", "--from", str(tmp_path / "setup.yaml"), stdout=out)
    transcript = out.getvalue()
    assert "西川町の初期設定を終えました。" in transcript and "次にすること：" in transcript
    site = str(live_server.url)

    # A resident on a phone opens the town's plan.
    public = new_context(viewport=PHONE).new_page()
    response = public.goto(f"{site}/m/nishikawa/")
    assert response is not None and response.status == 200
    expect(public.get_by_role("heading", level=1)).to_contain_text("西川町")
    with public.expect_navigation():
        public.get_by_role("link", name="DX推進計画", exact=True).first.click()
    with public.expect_navigation():
        public.get_by_role("link", name="西川町DX推進計画").first.click()
    expect(public.get_by_role("heading", level=1)).to_contain_text("西川町DX推進計画")
    expect(public.get_by_text("手続のオンライン化").first).to_be_visible()

    # Its administrator signs in, sets up two-factor authentication and reaches the staff home.
    staff = new_context(viewport=PHONE).new_page()
    log_in(staff, site, "admin@town.nishikawa.example.jp", PASSWORD)
    assert path_of(staff) == "/staff/2fa/setup/", staff.url
    secret = staff.locator("#totp-secret").inner_text().strip()
    submit_code(staff, totp_code(secret), "設定する")
    assert path_of(staff) == "/staff/", staff.url
    expect(staff.get_by_role("heading", level=1)).to_have_text("職員ホーム")
    with staff.expect_navigation():
        staff.get_by_role("link", name="西川町", exact=True).click()
    assert path_of(staff) == "/staff/m/nishikawa/"
    expect(staff.get_by_role("heading", level=1)).to_contain_text("西川町")
