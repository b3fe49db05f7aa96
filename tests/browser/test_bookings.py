"""A resident books a room on a phone and cancels it by the e-mailed link (Chromium, 390 px wide).

The mail is read from the outbox table, as `yakusho send-mail` would send it. The calendar and the
booking form are checked with axe-core and for sideways scrolling at that width, and the calendar
again at desktop width, where it is a month grid.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.bookings.helpers import make_resource, next_weekday
from tests.browser.conftest import ContextFactory
from tests.browser.test_accessibility import assert_fits, axe_violations
from yakusho.bookings.models import Booking, BookingStatus
from yakusho.bookings.slots import generate_slots
from yakusho.core.models import Department, Municipality, OutboundEmail

pytestmark = pytest.mark.browser


def _axe_clean(new_context: ContextFactory, url: str, width: int = 360) -> Page:
    page = new_context(viewport={"width": width, "height": 780}, bypass_csp=True).new_page()
    page.goto(url)
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
    assert_fits(page, str(width))
    return page


def test_resident_books_a_room_and_cancels_by_the_emailed_link(
    site: str, phone_page: Page, new_context: ContextFactory
) -> None:
    oe = Municipality.objects.get(slug="oe")
    resource = make_resource(
        oe,
        department=Department.objects.filter(municipality=oe).first(),
        key="kaigishitsu",
        name="会議室（ブラウザ試験）",
    )
    day = next_weekday(timezone.localdate())
    generate_slots(resource, day, day)
    page = phone_page

    page.goto(site + reverse("bookings:list", args=["oe"]))
    page.get_by_role("link", name="会議室（ブラウザ試験）").click()
    if day.month != timezone.localdate().month:
        page.goto(site + reverse("bookings:resource", args=["oe", resource.key]) + f"?month={day:%Y-%m}")
    page.locator(f"a[href$='/{day.isoformat()}/']").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{day.day}日")
    page.get_by_role("link", name=re.compile(r"この時間で予約する\s*（10:00）")).click()
    form_url = page.url
    page.get_by_label("氏名").fill("役所 花子")
    page.get_by_label("フリガナ").fill("やくしょ はなこ")
    page.get_by_label("メールアドレス").fill("hanako@example.jp")
    page.get_by_label("電話番号").fill("０９０－１２３４－５６７８")
    page.get_by_role("button", name="予約する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メールを確認してください")
    booking = Booking.objects.get(resource=resource)
    expect(page.locator(".receipt-code")).to_have_text(booking.display_code)
    assert booking.status == BookingStatus.PENDING

    mail = OutboundEmail.objects.get(to=["hanako@example.jp"])
    link = re.search(r"https?://\S+/b/\S+/", mail.body)
    assert link, mail.body
    page.goto(site + urlsplit(link.group(0)).path)
    expect(page.locator(".booking-status-pending")).to_be_visible()  # opening the link alone changes nothing
    page.get_by_role("button", name="予約を確定する").click()
    expect(page.locator(".messages")).to_contain_text("予約が確定しました")
    expect(page.locator(".booking-status-confirmed")).to_have_text("確定")
    expect(page.get_by_role("link", name="カレンダーに登録する（.ics ファイル）")).to_be_visible()
    page.get_by_role("link", name="予約を取り消す").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("この予約を取り消しますか")
    page.get_by_role("button", name="取消を確定する").click()
    expect(page.locator(".messages")).to_contain_text("予約を取り消しました")
    expect(page.locator(".booking-status-cancelled")).to_have_text("取消")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    calendar_url = site + reverse("bookings:resource", args=["oe", resource.key]) + f"?month={day:%Y-%m}"
    _axe_clean(new_context, calendar_url)
    _axe_clean(new_context, form_url)
    desktop = _axe_clean(new_context, calendar_url, width=1280)
    # a 7-column grid from Sunday: the day sits in its weekday's column, under 日 … 土
    day_cell = desktop.locator(f"li:has(a[href$='/{day.isoformat()}/'])").bounding_box()
    header = desktop.locator(".booking-weekdays span").nth((day.weekday() + 1) % 7).bounding_box()
    assert day_cell and header and abs(day_cell["x"] - header["x"]) < 2
