"""The queue's screens in the hall, in Chromium at 1920×1080: the ticket kiosk leads nowhere else,
resets itself after each ticket and forgets the ticket's QR code; the hall's display fills the screen
with the called numbers (each at least 15 % of its height) and keeps itself fresh. Both axe-clean."""

from __future__ import annotations

import json
import re
from datetime import time

import pytest
from django.urls import reverse
from playwright.sync_api import Page, ViewportSize, expect

from tests.bookings.queue_helpers import on_a_business_day
from tests.browser.conftest import ContextFactory
from tests.browser.test_accessibility import axe_violations
from yakusho.bookings.queue import services as queue
from yakusho.bookings.queue.models import QueueService
from yakusho.core.models import Membership, Municipality

pytestmark = pytest.mark.browser
HALL: ViewportSize = {"width": 1920, "height": 1080}
MIN_NUMBER_HEIGHT = 0.15 * HALL["height"]  # 162 px: readable from the back of a hall
POLL_MS = 15_000  # the display polls every 5 s


def _service(monkeypatch: pytest.MonkeyPatch, **fields: object) -> QueueService:
    town = Municipality.objects.get(slug="murakami")
    on_a_business_day(monkeypatch, town)  # the kiosk issues on business days only
    values: dict[str, object] = {
        "key": "resident-counter",
        "name": "住民窓口",
        "kind": "resident_counter",
        "prefix": "A",
        "location": "本庁舎 1階",
        "windows": ["窓口1", "窓口2", "窓口3"],
        "opens_at": time(0, 0),
        "closes_at": time(23, 59),
    }
    values.update(fields)
    return QueueService.objects.create(municipality=town, **values)


def _axe_clean(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: " + json.dumps(violations, ensure_ascii=False, indent=1)


def _stays_in_the_kiosk(page: Page, kiosk: str) -> None:
    """Nothing to leave through: no site header, footer or language switcher, and every link and
    form stays under the kiosk's URL."""
    assert page.locator(".site-header, .site-footer, .lang-switch, .brand").count() == 0
    targets = page.eval_on_selector_all(
        "a[href], form[action]", "els => els.map(e => new URL(e.href || e.action, location.href).pathname)"
    )
    assert targets and all(t.startswith(kiosk) for t in targets), targets


def test_the_kiosk_resets_itself_and_forgets_each_ticket(
    site: str, new_context: ContextFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    _service(monkeypatch)
    kiosk = reverse("queue:kiosk", args=["murakami"])
    page = new_context(viewport=HALL, bypass_csp=True).new_page()
    page.clock.install()  # the kiosk's timers run when the test says so
    page.goto(site + kiosk)
    _stays_in_the_kiosk(page, kiosk)
    _axe_clean(page)

    # printed: the QR code leaves the page at once, and the kiosk returns to its start soon after
    with page.expect_navigation():
        page.get_by_role("button", name="住民窓口").click()
    expect(page.locator(".queue-ticket-number")).to_have_text("A001")
    expect(page.locator(".queue-ticket-qr svg")).to_have_count(1)
    expect(page.locator("[data-screen-forgotten]")).to_be_hidden()
    _stays_in_the_kiosk(page, kiosk)
    _axe_clean(page)
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    expect(page.locator(".queue-ticket-qr")).to_have_count(0)
    expect(page.locator(".queue-ticket-access")).to_have_count(0)  # its code and address too
    expect(page.locator("[data-screen-forgotten]")).to_be_visible()
    # 45 s were left before printing; 10 at most after
    expect(page.locator("[data-screen-countdown]")).to_have_text(
        re.compile(r"^([1-9]|10)秒後に最初の画面に戻ります。$")
    )
    expect(page.locator(".queue-ticket-number")).to_have_text("A001")  # the number stays meanwhile
    with page.expect_navigation():
        page.clock.run_for(11_000)
    assert page.url == site + kiosk

    # not printed: the QR code goes after 30 s, the ticket after 45 s
    with page.expect_navigation():
        page.get_by_role("button", name="住民窓口").click()
    expect(page.locator(".queue-ticket-number")).to_have_text("A002")
    expect(page.locator(".queue-ticket-qr svg")).to_have_count(1)
    page.clock.run_for(queue.KIOSK_QR_SECONDS * 1000 + 1000)
    expect(page.locator(".queue-ticket-qr")).to_have_count(0)
    assert "/kiosk/t/" in page.url  # the number stays until the kiosk returns
    expect(page.locator("[data-screen-forgotten]")).to_be_visible()
    with page.expect_navigation():
        page.clock.run_for((queue.KIOSK_RETURN_SECONDS - queue.KIOSK_QR_SECONDS) * 1000)
    assert page.url == site + kiosk
    expect(page.get_by_role("button", name="住民窓口")).to_be_visible()


def test_the_hall_display_fills_the_screen_with_the_called_numbers(
    site: str, new_context: ContextFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _service(monkeypatch)
    counter = Membership.objects.get(user__email="counter@example.jp", municipality=service.municipality)
    for _ in range(4):
        queue.issue_ticket(service, channel="kiosk")
    queue.call_next(service, "窓口1", counter)
    queue.call_next(service, "窓口2", counter)
    page = new_context(viewport=HALL, bypass_csp=True).new_page()
    page.goto(site + reverse("queue:display", args=["murakami"]))
    assert page.locator(".site-header, .site-footer, .lang-switch, a").count() == 0
    calls = page.locator("[data-list='calling'] .queue-call")
    expect(calls).to_have_count(2)
    expect(calls.nth(0)).to_contain_text("A002")
    expect(calls.nth(0)).to_contain_text("窓口2")
    expect(calls.nth(1)).to_contain_text("A001")
    expect(calls.nth(1)).to_contain_text("窓口1")
    expect(page.locator("[data-field='waiting']")).to_have_text("2")

    def heights() -> list[float]:
        boxes = [n.bounding_box() for n in page.locator(".queue-calling-number").all()]
        return [b["height"] for b in boxes if b is not None]

    assert len(heights()) == 2 and min(heights()) >= MIN_NUMBER_HEIGHT, heights()
    window = page.locator(".queue-calling-window").first.bounding_box()
    assert window is not None and window["height"] >= 0.07 * HALL["height"]
    # all of it on the screen, nothing to scroll
    assert page.evaluate("document.documentElement.scrollHeight") <= HALL["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= HALL["width"]
    _axe_clean(page)

    # polling keeps it fresh, and the new number is as large
    queue.call_next(service, "窓口3", counter)
    expect(calls).to_have_count(3, timeout=POLL_MS)
    expect(calls.nth(0)).to_contain_text("A003")
    expect(page.locator("[data-field='announce']")).to_have_text("A003番の方、窓口3へお越しください。")
    expect(page.locator("[data-field='waiting']")).to_have_text("1")
    assert len(heights()) == 3 and min(heights()) >= MIN_NUMBER_HEIGHT, heights()
    assert page.evaluate("document.documentElement.scrollHeight") <= HALL["height"]
