"""Queue tickets in Chromium: a ticket issued at the kiosk is called and served by staff while
the hall's screen and the resident's phone page follow by polling; the public pages are axe-clean."""

from __future__ import annotations

import json
from datetime import time

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.bookings.queue_helpers import on_a_business_day
from tests.browser.conftest import PHONE, ContextFactory
from tests.browser.test_accessibility import assert_fits, axe_violations, open_checked
from tests.browser.test_staff_login import log_in
from yakusho.bookings.queue import services as queue
from yakusho.bookings.queue.models import QueueService, QueueTicket
from yakusho.core.models import Municipality

pytestmark = pytest.mark.browser
POLL_MS = 25_000  # the screen polls every 5 s, the phone every 10 s


def _service(monkeypatch: pytest.MonkeyPatch) -> QueueService:
    town = Municipality.objects.get(slug="murakami")
    on_a_business_day(monkeypatch, town)  # the kiosk issues on business days only
    return QueueService.objects.create(
        municipality=town,
        key="resident-counter",
        name="住民窓口",
        kind="resident_counter",
        prefix="A",
        windows=["窓口1", "窓口2"],
        opens_at=time(0, 0),
        closes_at=time(23, 59),
    )


def _click(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).first.click()


def test_issue_call_and_serve_while_screen_and_phone_follow(
    site: str, new_context: ContextFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _service(monkeypatch)
    kiosk = new_context(viewport={"width": 1024, "height": 768}).new_page()
    kiosk.goto(site + reverse("queue:kiosk", args=["murakami"]))
    _click(kiosk, "住民窓口")
    expect(kiosk.locator(".queue-ticket-number")).to_have_text("A001")
    expect(kiosk.locator(".queue-ticket-qr svg")).to_have_count(1)
    ticket = QueueTicket.objects.get(service=service)

    display = new_context().new_page()
    display.goto(site + reverse("queue:display", args=["murakami"]))
    expect(display.locator("[data-service='resident-counter'] [data-field='waiting']")).to_have_text("1")

    phone = new_context(viewport=PHONE).new_page()
    phone.goto(site + reverse("queue:ticket", args=["murakami", ticket.code]))
    expect(phone.locator("[data-field='status_label']")).to_have_text("お待ちください")
    expect(phone.locator("[data-field='position_text']")).to_have_text("次にお呼びします。")

    staff = new_context().new_page()
    log_in(staff, site, "counter@example.jp")
    staff.goto(site + reverse("queue_staff:board", args=["murakami", service.key]))
    _click(staff, "窓口2に呼ぶ")
    expect(staff.locator(".messages")).to_contain_text("A001番の方を窓口2へ呼び出しました。")

    calling = display.locator("[data-service='resident-counter'] [data-list='calling']")
    expect(calling).to_contain_text("A001", timeout=POLL_MS)
    expect(calling).to_contain_text("窓口2")
    expect(display.locator("[data-field='announce']")).to_have_text("A001番の方、窓口2へお越しください。")
    expect(display.locator("[data-field='waiting']")).to_have_text("0")
    expect(phone.locator("[data-field='status_label']")).to_have_text("呼出中", timeout=POLL_MS)
    expect(phone.locator("[data-field='message']")).to_have_text("窓口2へお越しください。")
    expect(phone.locator("[data-field='position_text']")).to_be_hidden()
    assert phone.locator(".queue-resident-state").inner_text().count("窓口2") == 1  # said once

    _click(staff, "対応を始める")
    _click(staff, "対応を終える")
    expect(phone.locator("[data-field='status_label']")).to_have_text("対応済み", timeout=POLL_MS)
    expect(phone.locator("[data-field='message']")).to_have_text(
        "対応が終わりました。ご利用ありがとうございました。"
    )
    expect(calling).to_have_text("なし", timeout=POLL_MS)
    expect(display.locator("[data-list='recent']")).to_contain_text("A001 → 窓口2")
    ticket.refresh_from_db()
    assert (
        ticket.status == "served" and ticket.wait_seconds is not None and ticket.service_seconds is not None
    )


@pytest.mark.parametrize("width", ["360", "1280"])
def test_queue_public_pages_are_axe_clean(
    site: str, new_context: ContextFactory, width: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _service(monkeypatch)
    ticket = queue.issue_ticket(service, channel="kiosk")
    for name, args in (
        ("queue:kiosk", ["murakami"]),
        ("queue:kiosk_ticket", ["murakami", ticket.code]),
        ("queue:display", ["murakami"]),
        ("queue:ticket", ["murakami", ticket.code]),
        ("queue:ticket_print", ["murakami", ticket.code]),
    ):
        page = open_checked(new_context, site + reverse(name, args=args), width)
        violations = axe_violations(page)
        assert violations == [], f"{name}: " + json.dumps(violations, ensure_ascii=False, indent=1)
        assert_fits(page, width)
        page.context.close()
    page = open_checked(
        new_context,
        site + reverse("queue_staff:board", args=["murakami", service.key]),
        width,
        login_as="counter@example.jp",
    )
    assert axe_violations(page) == []
    assert_fits(page, width)
