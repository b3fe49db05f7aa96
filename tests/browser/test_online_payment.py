"""Paying online in a real browser at phone width (issue 25's "done when"): a resident of 大江町
applies for 粗大ごみ, sees the amount and how it is paid before sending, pays on the real local demo
provider's page, comes back to the receipt page with the 領収書, and the status page shows it paid;
the provider's signed notification reaches the running server too, and changes nothing. Axe-clean
on Yakusho's pages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import ContextFactory
from tests.browser.test_accessibility import axe_violations
from yakusho.payments.models import Payment, PaymentStatus
from yakusho.payments.providers.demo_service import DemoProviderServer, start
from yakusho.procedures.models.submissions import PaymentState, Submission, SubmissionStatus

pytestmark = pytest.mark.browser
SECRET = "browser-provider-secret-0123456789"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def provider() -> Iterator[DemoProviderServer]:
    server = start(secret=SECRET)
    with override_settings(PAYMENT_PROVIDER_DEMO_URL=server.url, PAYMENT_PROVIDER_DEMO_SECRET=SECRET):
        yield server
    server.stop()


def test_a_resident_applies_for_sodai_gomi_and_pays_on_a_phone(
    site_with_plans: str, provider: DemoProviderServer, new_context: ContextFactory
) -> None:
    page = new_context(viewport=PHONE, bypass_csp=True).new_page()

    def clean(what: str) -> None:
        violations = axe_violations(page)
        assert not violations, (what, violations)
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not overflow, f"{what}: scrolls sideways at phone width"

    page.goto(site_with_plans + reverse("procedures:apply", args=["oe", "sodai-gomi"]))
    page.get_by_label("個人情報の取扱いに同意する").check()
    page.get_by_role("button", name="同意して申請を始める").click()
    page.fill('input[name="name-family_name"]', "大江")
    page.fill('input[name="name-given_name"]', "太郎")
    for name, value in (("name-family_kana", "オオエ"), ("name-given_kana", "タロウ")):
        if page.locator(f'input[name="{name}"]').count():
            page.fill(f'input[name="{name}"]', value)
    page.fill('input[name="address-postal_code"]', "990-1101")
    page.fill('input[name="address-address"]', "山形県西村山郡大江町大字左沢882-1")
    page.fill('input[name="phone"]', "0237-62-2111")
    page.fill('input[name="email"]', "taro@example.jp")
    page.get_by_role("button", name="次へ").click()
    page.select_option('select[name="items-0-item"]', "bed")
    page.locator('input[name="items-0-size"][value="large"]').check()
    day = timezone.localdate() + timedelta(days=10)
    page.fill('input[name="collection_date"]', f"{day:%Y-%m-%d}")
    page.get_by_role("button", name="次へ").click()
    page.locator('input[name="agree"]').check()
    page.get_by_role("button", name="次へ").click()
    # the check page: the amount from the catalogue (a large item: 2 tickets of 500円) and the method
    expect(page.get_by_role("heading", level=1)).to_have_text("入力内容の確認")
    expect(page.locator("main")).to_contain_text("1,000円")
    expect(page.locator("main")).to_contain_text("オンライン決済")
    clean("check page")
    page.get_by_role("button", name="申請して支払う").click()
    # the provider's own page, on its own port
    expect(page.get_by_role("heading", level=1)).to_have_text("お支払い")
    assert page.url.startswith(provider.url)
    expect(page.locator("body")).to_contain_text("1,000")
    page.get_by_label("カード番号").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="支払う", exact=True).click()
    # back at Yakusho: received, paid, the 領収書
    expect(page.get_by_role("heading", level=1)).to_have_text("申請を受け付けました")
    expect(page.locator("main")).to_contain_text("お支払い済みです")
    clean("receipt page")
    submission = Submission.objects.get(procedure__key="sodai-gomi", municipality__slug="oe")
    payment = Payment.objects.get(payable="procedures.submission", payable_ref=submission.code)
    assert submission.status == SubmissionStatus.RECEIVED and submission.payment_state == PaymentState.PAID
    assert payment.status == PaymentStatus.PAID and payment.total_yen == 1000
    href = page.get_by_role("link", name="領収書（PDF）を開く").get_attribute("href")
    assert href
    receipt = page.request.get(site_with_plans + href)
    assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
    assert receipt.body().startswith(b"%PDF")
    # the status page says it is paid
    page.get_by_role("link", name="申請の状況ページを開く").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("申請の状況")
    expect(page.locator("main")).to_contain_text("受付")
    expect(page.locator("main")).to_contain_text("お支払い済みです")
    expect(page.locator("main")).to_contain_text(payment.code)
    clean("status page")
    # the provider's signed notification reaches the running server too: still one payment, paid
    time.sleep(1)
    assert list(Payment.objects.filter(payable_ref=submission.code).values_list("status", flat=True)) == [
        PaymentStatus.PAID
    ]
