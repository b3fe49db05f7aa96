"""The payment pages in a real browser: the public fee list and the staff till, payments, daily
close and fee catalogue axe-clean at 360 px and 1280 px without sideways scrolling; a counter clerk
takes a cash payment at phone width (お預かり typed in full-width digits, the change shown, the
領収書 a PDF) and a card payment through the demo terminal (its transaction number shown)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import ContextFactory
from tests.browser.test_accessibility import WIDTHS
from tests.browser.test_accessibility_staff_forms import Checker, admin_page
from tests.browser.test_staff_login import log_in
from yakusho.core import shortcodes
from yakusho.core.models import Municipality
from yakusho.payments import services
from yakusho.payments.models import Channel, DailyClose, FeeItem, Method, Payment, PaymentStatus

pytestmark = pytest.mark.browser

COUNTER = "counter@example.jp"
TOWN = "oe"


def counter_page(new_context: ContextFactory, site: str, width: str) -> Page:
    """A counter clerk (窓口職員) of every demo town, signed in; axe allowed (CSP bypassed)."""
    page = new_context(viewport=WIDTHS[width], bypass_csp=True).new_page()
    log_in(page, site, COUNTER)
    assert page.url.endswith(reverse("staff:home")), page.url
    return page


def stuck_payment() -> Payment:
    """A card payment whose terminal never answered (the server stopped), twenty minutes ago."""
    town = Municipality.objects.get(slug=TOWN)
    return Payment.objects.create(
        municipality=town,
        code=shortcodes.unique_code(Payment, town),
        channel=Channel.COUNTER,
        method=Method.CARD,
        status=PaymentStatus.PENDING,
        total_yen=300,
        paid_at=timezone.now() - timedelta(minutes=20),
        till="1番窓口",
        request_key="browser-stuck",
    )


def payment_count() -> int:
    return Payment.objects.filter(municipality__slug=TOWN).count()


def check_public_fee_pages(site_with_plans: str, new_context: ContextFactory, width: str) -> None:
    """The public 「手数料と支払方法」 of 大江町 and 美郷町 (with the staff pages' test: one demo load)."""
    page = new_context(viewport=WIDTHS[width], bypass_csp=True).new_page()
    pages = Checker(page, width)
    for slug in ("oe", "misato"):
        pages.open(site_with_plans + reverse("payments:fees", args=[slug]), f"fees of {slug}")
        expect(page.get_by_role("heading", level=1)).to_have_text("手数料と支払方法")
        expect(page.get_by_role("heading", name="デモデータ", exact=True)).to_be_visible()
        # 住民票 takes cashless payment in both towns: its キャッシュレス cell says so in words
        row = page.locator("tr", has=page.locator("th", has_text="住民票の写し交付手数料"))
        expect(row).to_have_count(1)
        headings = page.locator("table", has=row).locator("thead th").all_inner_texts()
        cashless = headings.index("キャッシュレス")
        expect(row.locator("th, td").nth(cashless)).to_contain_text("○ 利用できます")
        expect(row.locator("th, td").nth(cashless)).to_contain_text("クレジットカード")
    pages.assert_clean(2)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_public_and_staff_payment_pages_are_axe_clean(
    site_with_plans: str, new_context: ContextFactory, width: str
) -> None:
    check_public_fee_pages(site_with_plans, new_context, width)
    closed_day = DailyClose.objects.filter(municipality__slug=TOWN).latest("business_day").business_day
    today = services.today()
    assert closed_day < today
    demo_payment = Payment.objects.filter(municipality__slug=TOWN).first()
    assert demo_payment is not None
    item = FeeItem.objects.get(municipality__slug=TOWN, key="juminhyo")
    stuck = stuck_payment()
    before = payment_count()

    page = counter_page(new_context, site_with_plans, width)
    pages = Checker(page, width)
    pages.open(site_with_plans + reverse("payments_staff:payments", args=[TOWN]), "payments of today")
    expect(page.locator("#stuck-heading")).to_have_text("決済端末の応答がないまま止まった会計（1件）")
    pages.open(site_with_plans + reverse("payments_staff:till", args=[TOWN]), "till, empty")
    expect(page.get_by_role("heading", level=1)).to_have_text("会計")
    page.get_by_label("現金", exact=True).check()
    pages.submit("会計する", "till, no item and no お預かり")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("会計する項目を1つ以上選んでください。")
    expect(summary).to_contain_text("お預かり")
    expect(page.get_by_label("現金", exact=True)).to_be_checked()  # nothing chosen is lost
    assert payment_count() == before
    pages.open(site_with_plans + reverse("payments_staff:days", args=[TOWN]), "days")
    pages.open(
        site_with_plans + reverse("payments_staff:day", args=[TOWN, closed_day.isoformat()]), "a closed day"
    )
    expect(page.locator("dl.summary").first).to_contain_text("締め済み")
    expect(page.get_by_role("button", name="この日を締める")).to_have_count(0)
    pages.open(site_with_plans + reverse("payments_staff:day", args=[TOWN, today.isoformat()]), "today, open")
    expect(page.locator("dl.summary").first).to_contain_text("未締め")
    expect(page.get_by_role("button", name="この日を締める")).to_be_visible()
    pages.open(
        site_with_plans + reverse("payments_staff:payment", args=[TOWN, demo_payment.code]), "a demo payment"
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(demo_payment.display_code)
    pages.open(
        site_with_plans + reverse("payments_staff:payment", args=[TOWN, stuck.code]),
        "a payment the terminal never answered",
    )
    pages.submit("結果を記録する", "the terminal's record, nothing chosen")
    expect(page.locator(".error-summary")).to_contain_text("決済されていたかどうかを選んでください。")
    page.get_by_label("決済されていない（不成立にする）").check()
    with page.expect_navigation():
        page.get_by_role("button", name="結果を記録する").click()
    expect(page.locator("dl.summary")).to_contain_text("不成立")
    stuck.refresh_from_db()
    assert stuck.status == PaymentStatus.FAILED

    admin = admin_page(new_context, site_with_plans, width)
    admin_pages = Checker(admin, width)
    admin_pages.open(site_with_plans + reverse("payments_staff:fees", args=[TOWN]), "fee catalogue")
    admin_pages.open(site_with_plans + reverse("payments_staff:fee_edit", args=[TOWN, item.pk]), "a fee item")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("住民票の写し交付手数料")
    # every page's failures in one report, the counter clerk's (9 pages) and the administrator's (2)
    assert (pages.checked, admin_pages.checked) == (9, 2)
    failures = pages.failures + admin_pages.failures
    assert failures == [], f"at {width}px:\n" + "\n".join(failures)


def fill_till(page: Page, method: str, tendered: str = "") -> None:
    """住民票 × 2 in the first row, ``method``, and お預かり; then 会計する."""
    page.goto(page.url.split("/staff/")[0] + reverse("payments_staff:till", args=[TOWN]))
    item = page.get_by_label("1行目の項目")
    item.select_option(value="juminhyo")
    expect(item.locator("option:checked")).to_contain_text("住民票")
    page.get_by_label("1行目の数量").fill("2")
    page.get_by_label(method, exact=True).check()
    if tendered:
        page.get_by_label("お預かり").fill(tendered)
    with page.expect_navigation():
        page.get_by_role("button", name="会計する", exact=True).click()


def test_a_clerk_takes_cash_and_card_at_phone_width_and_prints_the_receipt(
    site_with_plans: str, new_context: ContextFactory
) -> None:
    """Cash with change and its 領収書, then a card through the demo terminal (one demo load)."""
    page = counter_page(new_context, site_with_plans, "360")
    before = payment_count()
    fill_till(page, "現金", "１，０００")
    expect(page.get_by_role("heading", level=1)).to_contain_text("支払")
    result = page.locator(".till-result")
    expect(result.locator(".till-total")).to_have_text("合計 600円")
    expect(result).to_contain_text("お預かり 1,000円")
    expect(result).to_contain_text("おつり 400円")
    assert payment_count() == before + 1
    payment = Payment.objects.filter(municipality__slug=TOWN).latest("pk")
    assert (payment.method, payment.total_yen, payment.tendered_yen, payment.change_yen) == (
        "cash",
        600,
        1000,
        400,
    )
    assert payment.display_code in page.locator("h1").inner_text()

    receipt = page.get_by_role("link", name="領収書（PDF）")
    href = receipt.get_attribute("href")
    assert href == reverse("payments_staff:receipt", args=[TOWN, payment.code])
    response = page.request.get(site_with_plans + href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.body().startswith(b"%PDF")

    before = payment_count()
    fill_till(page, "クレジットカード")
    expect(page.locator(".till-result .till-total")).to_have_text("合計 600円（クレジットカード）")
    term = page.locator("dl.summary dt", has_text="端末の取引番号")
    reference = term.locator("xpath=following-sibling::dd[1]")
    expect(reference).to_have_text(re.compile(r"^DEMO-[0-9A-F]{12}$"))
    assert payment_count() == before + 1
    payment = Payment.objects.filter(municipality__slug=TOWN).latest("pk")
    assert (payment.method, payment.total_yen, payment.tendered_yen) == ("card", 600, None)
    assert payment.terminal_ref == reference.inner_text()
