"""A resident without e-mail books on a phone (390 px wide), keeps the code shown on screen, finds
the booking again with the code and the phone number, and cancels it after the confirmation page."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.bookings.helpers import make_resource, next_weekday
from tests.browser.conftest import PHONE, ContextFactory
from tests.browser.test_accessibility import axe_violations
from yakusho.bookings.models import Booking, BookingStatus
from yakusho.bookings.slots import generate_slots
from yakusho.core.models import Department, Municipality, OutboundEmail

pytestmark = pytest.mark.browser


def _axe(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)


def test_a_booking_without_email_is_made_and_cancelled_with_confirmation(
    site: str, new_context: ContextFactory
) -> None:
    oe = Municipality.objects.get(slug="oe")
    resource = make_resource(
        oe,
        department=Department.objects.filter(municipality=oe).first(),
        key="washitsu",
        name="和室（ブラウザ試験）",
        what_to_bring="上履き",
    )
    day = next_weekday(timezone.localdate())
    generate_slots(resource, day, day)
    page = new_context(viewport=PHONE, bypass_csp=True).new_page()  # axe is injected inline

    page.goto(site + reverse("bookings:book", args=["oe", resource.key, day.isoformat(), "1000"]))
    page.get_by_label("氏名").fill("電話 花子")
    page.get_by_label("フリガナ").fill("でんわ はなこ")
    page.get_by_label("電話番号").fill("０１８２－１２－３４５６")
    page.get_by_role("button", name="予約する").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("予約が確定しました")
    booking = Booking.objects.get(resource=resource)
    assert booking.status == BookingStatus.CONFIRMED and booking.phone_only
    expect(page.locator(".receipt-code")).to_have_text(booking.display_code)
    expect(page.get_by_text("上履き")).to_be_visible()
    expect(page.get_by_role("button", name="この控えを印刷する")).to_be_visible()  # shown by site.js
    _axe(page)
    assert not OutboundEmail.objects.exists()

    page.get_by_role("link", name="予約の確認・取消のページ").click()
    page.get_by_label("予約番号").fill(booking.display_code.lower().replace("-", ""))
    page.get_by_label("電話番号").fill("0182123456")
    page.get_by_role("button", name="予約を表示する").click()
    expect(page.locator(".booking-status-confirmed")).to_have_text("確定")
    page.get_by_role("link", name="予約を取り消す").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("この予約を取り消しますか")
    expect(page.locator(".booking-facts")).to_contain_text(re.compile(r"10:00〜11:00"))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # asking changed nothing
    _axe(page)
    page.get_by_role("button", name="取消を確定する").click()
    expect(page.locator(".messages")).to_contain_text("予約を取り消しました")
    expect(page.locator(".booking-status-cancelled")).to_have_text("取消")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
