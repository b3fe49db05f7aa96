"""A double tap on 申請する on a phone: one submission, and the receipt with its 照会キー is shown
(issue 18). Before, the second request's session save dropped the receipt, and the page the
browser followed said the receipt could not be shown in this browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.procedures.helpers import make_procedure
from yakusho.core.models import Department, Municipality
from yakusho.procedures.catalogue.services import add_form_definition
from yakusho.procedures.models.submissions import Submission
from yakusho.procedures.submissions.services import secret_matches

pytestmark = pytest.mark.browser

NOTE = "町内の取扱店で処理券をお買い求めのうえ、品物に貼ってください。"
FORM = {
    "key": "tameshi",
    "version": 1,
    "title": "試しの申込み",
    "privacy_notice": "## 個人情報の取扱いについて\n\nこの申込みのためにだけ使います。",
    "pages": [
        {
            "key": "who",
            "title": "申し込む方",
            "fields": [
                {"key": "name", "type": "text", "label": "お名前", "required": True, "max_length": 50}
            ],
        }
    ],
    "fee": {"items": [{"label": "処理手数料", "amount": "500"}], "note": NOTE},
}


def test_a_double_tap_on_apply_shows_the_receipt_once(site: str, phone_page: Page) -> None:
    town = Municipality.objects.get(slug="oe")
    department = Department.objects.filter(municipality=town).order_by("pk").first()
    assert department is not None
    procedure = make_procedure(
        town, department, "tameshi", "試しの申込み", channels=(("yakusho", "available"),)
    )
    add_form_definition(procedure, FORM)

    page = phone_page
    page.goto(f"{site}/m/oe/procedures/tameshi/apply/")
    page.get_by_label("個人情報の取扱いに同意する").check()
    with page.expect_navigation():
        page.get_by_role("button", name="同意して申請を始める").click()
    page.get_by_label("お名前").fill("大江 花子")
    with page.expect_navigation():
        page.get_by_role("button", name="次へ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("入力内容の確認")

    page.get_by_role("button", name="申請する").dblclick()
    expect(page.get_by_role("heading", level=1)).to_have_text("申請を受け付けました")
    secret = page.locator("#receipt-secret")
    expect(secret).to_be_visible()
    submission = Submission.objects.get(procedure=procedure)  # one, not two
    assert secret_matches(submission, secret.inner_text())
    main = page.locator("main")
    expect(main).to_contain_text(NOTE)  # how to pay, from the procedure
    expect(main).not_to_contain_text("窓口でお支払い")
    expect(page.get_by_role("button", name="この控えを印刷する")).to_be_visible()
    size = secret.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 24, f"the 照会キー is {size}px: too small to copy by hand"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the receipt scrolls sideways by {overflow}px"
    # a reload keeps showing it
    page.reload()
    expect(page.locator("#receipt-secret")).to_have_text(secret.inner_text())
