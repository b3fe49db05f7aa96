"""The self-checkout (セルフレジ) in Chromium, as a tablet in kiosk mode: a counter visit of 大江町
(住民票 through the real counter, priced by the demo catalogue) is scanned — the slip's payload typed
into the autofocused field and Enter, as a hand-held scanner does — paid by card from the keyboard
while 「端末でお支払いください」 shows, the 領収書 opens as a PDF, and the screen returns to the start
by itself. Every screen axe-clean, without sideways scrolling and with nothing to leave the kiosk
through, at 1280×800 landscape and 800×1280 portrait. And the staff page that registers and retires a
kiosk, axe-clean at 360 and 1280 px."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, ViewportSize, expect
from pypdf import PdfReader

from tests.browser.conftest import ContextFactory
from tests.browser.test_accessibility import WIDTHS, axe_violations
from tests.browser.test_accessibility_staff_forms import Checker
from tests.browser.test_staff_login import log_in
from yakusho.core.models import Municipality, Role
from yakusho.payments import selfcheckout, services
from yakusho.payments.demo.catalogue import load_catalogues
from yakusho.payments.models import Channel, Method, Payment, PaymentStatus
from yakusho.procedures.counter import services as counter
from yakusho.procedures.demo.procedures import load_demo_procedures
from yakusho.procedures.models import CounterVisit, Procedure

pytestmark = pytest.mark.browser

TABLETS: dict[str, ViewportSize] = {
    "landscape": {"width": 1280, "height": 800},
    "portrait": {"width": 800, "height": 1280},
}
CARD = {
    "name": "大江 花子",
    "address": "山形県西村山郡大江町大字左沢882-1",
    "birth_date": "S60.5.1",
    "sex": "2",
}
JUMINHYO = {
    "requester-family_name": "大江",
    "requester-given_name": "花子",
    "requester-family_kana": "オオエ",
    "requester-given_kana": "ハナコ",
    "requester-postal_code": "990-1101",
    "requester-address": "山形県西村山郡大江町大字左沢882-1",
    "requester-birth_date": "1985-05-01",
    "requester-sex": "female",
    "relation": "self",
    "kind": "items",
    "copies": "2",
    "purpose": "license",
}


#: what the payment screen showed when it was left for the next page (the terminal being asked
#: meanwhile): the waiting panel's title and whether each method button was disabled — kept in
#: sessionStorage, which outlives the page
REMEMBER_WAITING = """() => window.addEventListener('pagehide', () => {
    const wait = document.querySelector('[data-selfcheckout-wait]');
    sessionStorage.setItem('selfcheckout-test', JSON.stringify({
        wait: wait.hidden ? null : wait.querySelector('.selfcheckout-wait-title').textContent,
        disabled: [...document.querySelectorAll('[data-selfcheckout-pay] button')].map(b => b.disabled)}));
})"""


def visit_owing(oe: Municipality) -> CounterVisit:
    """A finished visit for two copies of 住民票, through the real counter."""
    procedure = Procedure.objects.get(municipality=oe, key="juminhyo-koufu")
    clerk = oe.memberships.filter(role=Role.COUNTER).first() or oe.memberships.first()
    assert clerk is not None, "the demo has staff in 大江町"
    visit = counter.start_visit(oe, clerk.user)
    counter.identify(visit, "manual", CARD)
    (item,) = counter.set_procedures(visit, [procedure.pk])
    assert counter.save_item(visit, item, {k: [v] for k, v in JUMINHYO.items()}).ok
    counter.request_confirmation(visit)
    counter.resident_confirms(visit)
    counter.finish(visit)
    visit.refresh_from_db()
    return visit


def check_screen(page: Page, kiosk_path: str, what: str) -> None:
    """Axe-clean, no sideways scrolling, and every link and form stays in the kiosk."""
    violations = axe_violations(page)
    assert violations == [], f"{what}: " + json.dumps(violations, ensure_ascii=False, indent=1)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px"
    assert page.locator(".site-header, .site-footer, .lang-switch, .brand").count() == 0, what
    targets = page.eval_on_selector_all(
        "a[href], form[action]", "els => els.map(e => new URL(e.href || e.action, location.href).pathname)"
    )
    assert all(t.startswith(kiosk_path) for t in targets), (what, targets)


@pytest.mark.parametrize("orientation", list(TABLETS))
def test_a_resident_scans_the_slip_pays_by_card_and_the_kiosk_starts_again(
    site: str,
    new_context: ContextFactory,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    orientation: str,
) -> None:
    load_demo_procedures(None)
    load_catalogues({"oe"})
    oe = Municipality.objects.get(slug="oe")
    visit = visit_owing(oe)
    total = sum(line.amount_yen for line in services.owed_lines(oe, selfcheckout.VISIT_PAYABLE, visit.code))
    assert total > 0
    admin = oe.memberships.filter(role=Role.ADMIN).first()
    assert admin is not None, "the demo has an administrator in 大江町"
    kiosk, token = selfcheckout.register(oe, admin.user, "1階ロビーのセルフレジ")
    settings.DEMO_TERMINAL_DELAY = 1  # the terminal takes a moment, as a real one does
    monkeypatch.setattr(selfcheckout, "DONE_SECONDS", 4)  # the done screen's wait, shortened
    kiosk_path = reverse("selfcheckout:start", args=[token])
    page = new_context(viewport=TABLETS[orientation], bypass_csp=True).new_page()

    page.goto(site + kiosk_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("控えのQRコードをかざしてください")
    scan_field = page.get_by_label("お支払い番号", exact=False)
    expect(scan_field).to_be_focused()  # the scanner types straight into it
    expect(page.get_by_text("現金でのお支払いは窓口へ")).to_be_visible()
    check_screen(page, kiosk_path, "start")

    # a misread first: said in words, the field focused again for the next try
    page.keyboard.type("YAKUSHO-PAY:<script>")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("お支払い番号を読み取れませんでした")
    expect(scan_field).to_be_focused()
    check_screen(page, kiosk_path, "start, misread")

    page.keyboard.type(selfcheckout.payload(oe, visit.code))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("お支払いの内容")
    expect(page.locator(".selfcheckout-total")).to_contain_text(f"{total:,}")
    expect(page.get_by_role("row", name="住民票の写し交付手数料")).to_contain_text("2")
    expect(page.get_by_role("button", name="現金")).to_have_count(0)
    for method in ("クレジットカード", "QRコード決済", "電子マネー"):
        expect(page.get_by_role("button", name=method, exact=True)).to_be_visible()
    check_screen(page, kiosk_path, "the lines and the methods")

    card = page.get_by_role("button", name="クレジットカード", exact=True)
    card.focus()
    page.evaluate(REMEMBER_WAITING)
    with page.expect_navigation():
        page.keyboard.press("Enter")  # by keyboard
    # while the terminal was asked (a second): 「端末でお支払いください」 showed, no button answered
    waiting = page.evaluate("() => JSON.parse(sessionStorage.getItem('selfcheckout-test'))")
    assert waiting == {"wait": "端末でお支払いください", "disabled": [True, True, True]}, waiting
    expect(page.get_by_role("heading", level=1)).to_contain_text("お支払いが完了しました")
    payment = Payment.objects.get(municipality=oe, payable_ref=visit.code)
    assert (payment.status, payment.channel, payment.method, payment.total_yen, payment.till) == (
        PaymentStatus.PAID,
        Channel.SELF,
        Method.CARD,
        total,
        kiosk.name,
    )
    expect(page.locator(".selfcheckout-summary")).to_contain_text(payment.display_code)
    check_screen(page, kiosk_path, "done")

    receipt = page.get_by_role("link", name="領収書を表示・印刷する")
    href = receipt.get_attribute("href")
    assert href is not None
    pdf = page.request.get(site + href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "領収書" in text and payment.display_code in text and f"{total:,}円" in text

    # back to the start by itself, ready for the next resident
    expect(page).to_have_url(site + kiosk_path, timeout=15_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("控えのQRコードをかざしてください")
    expect(scan_field).to_be_focused()

    # the same slip again: already paid, with its 領収番号
    page.keyboard.type(selfcheckout.payload(oe, visit.code))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("この受付の料金は、お支払い済みです")
    expect(page.get_by_text(payment.display_code)).to_be_visible()
    check_screen(page, kiosk_path, "already paid")
    assert Payment.objects.filter(municipality=oe, payable_ref=visit.code).count() == 1


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_counter_clerk_registers_and_retires_a_kiosk(
    site: str, new_context: ContextFactory, width: str
) -> None:
    """The staff page: axe-clean at 360 and 1280 px; an empty name said at once, the address shown
    once with its QR code, and 「使用をやめる」 closes it."""
    page = new_context(viewport=WIDTHS[width], bypass_csp=True).new_page()
    log_in(page, site, "counter@example.jp")
    pages = Checker(page, width)
    url = site + reverse("payments_staff:selfcheckout", args=["oe"])
    pages.open(url, "the kiosks, none yet")
    expect(page.get_by_role("heading", level=1)).to_have_text("セルフレジ")
    pages.submit("登録する", "a kiosk without a name")
    expect(page.locator(".error-summary")).to_contain_text("セルフレジの名前を入力してください")
    page.get_by_label("セルフレジの名前").fill("1階ロビー")
    with page.expect_navigation():
        page.get_by_role("button", name="登録する", exact=True).click()
    address = page.locator(".counter-confirm-url code").inner_text()
    assert "/self-checkout/" in address
    expect(page.locator(".counter-qr svg")).to_be_visible()
    pages.check("the kiosk registered, its address shown once")
    kiosk = page.context.new_page()
    kiosk.goto(address)
    expect(kiosk.get_by_role("heading", level=1)).to_have_text("控えのQRコードをかざしてください")
    with page.expect_navigation():
        page.get_by_role("button", name="「1階ロビー」の使用をやめる").click()
    expect(page.get_by_role("row", name="1階ロビー")).to_contain_text("使用終了")
    pages.check("the kiosk retired")
    assert kiosk.goto(address).status == 404  # type: ignore[union-attr]
    expect(kiosk.get_by_role("heading", level=1)).to_have_text("このセルフレジは使えません")
    pages.assert_clean(4)
