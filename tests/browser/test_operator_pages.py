"""The system operator in a real browser: sign-in with TOTP set-up, the operator's pages axe-clean at
phone and desktop width, a suspension through the page, and the 403 page residents then see."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import WIDTHS, ContextFactory, assert_fits, axe_violations
from tests.browser.test_staff_login import log_in, submit_code, totp_code
from yakusho.core.models import Municipality

pytestmark = pytest.mark.browser

OPERATOR = "operator@example.jp"


def test_operator_pages_and_the_suspended_page(site: str, new_context: ContextFactory) -> None:
    page = new_context(viewport=WIDTHS["360"], bypass_csp=True).new_page()
    log_in(page, site, OPERATOR)
    assert "/staff/2fa/setup/" in page.url  # an operator must set up two-factor authentication
    submit_code(page, totp_code(page.locator("#totp-secret").inner_text().strip()), "設定する")
    page.get_by_role("link", name="運用管理（全団体・広域連携の管理）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("団体一覧")

    for width in WIDTHS:
        page.set_viewport_size(WIDTHS[width])
        for path in (
            "/staff/operator/",
            "/staff/operator/consortia/",
            "/staff/operator/new/",
            "/staff/operator/consortia/new/",
            "/staff/operator/m/oe/",
            "/staff/operator/m/misato/suspend/",
        ):
            assert (response := page.goto(site + path)) is not None and response.status == 200
            violations = axe_violations(page)
            assert violations == [], (path, json.dumps(violations, ensure_ascii=False, indent=1))
            assert_fits(page, width)

    page.get_by_role("button", name="利用を停止する").click()  # no reason: refused, said beside it
    expect(page.locator(".error-summary")).to_contain_text("利用停止の理由を入力してください。")
    page.get_by_label("利用停止の理由").fill("試験のための停止")
    with page.expect_navigation():
        page.get_by_role("button", name="利用を停止する").click()
    expect(page.locator("main")).to_contain_text("利用停止（理由：試験のための停止）")
    assert Municipality.objects.get(slug="misato").is_suspended

    resident = new_context(viewport=WIDTHS["360"], bypass_csp=True).new_page()
    response = resident.goto(f"{site}/m/misato/")
    assert response is not None and response.status == 403
    expect(resident.get_by_role("heading", level=1)).to_have_text("現在ご利用いただけません")
    expect(resident.locator("main")).not_to_contain_text("試験のための停止")
    assert axe_violations(resident) == []
    assert_fits(resident, "360")
