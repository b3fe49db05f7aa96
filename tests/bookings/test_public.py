"""The resident's pages: calendar, day, booking form, bad input, the e-mailed link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.bookings.helpers import EVERY_DAY, contact, make_resource, next_weekday, slot_at
from yakusho.bookings import services
from yakusho.bookings.models import Booking, BookingStatus, ResourceClosure
from yakusho.core.models import OutboundEmail

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "役所 花子",
    "kana": "やくしょ はなこ",
    "email": "ＨＡＮＡＫＯ@Example.JP",
    "phone": "０９０ー１２３４ー５６７８",
}


def _book_url(resource, day, at="1000") -> str:
    return reverse("bookings:book", args=[resource.municipality.slug, resource.key, day.isoformat(), at])


def test_month_calendar_says_places_in_words(client: Client) -> None:
    resource = make_resource(capacity=5)
    day = next_weekday(timezone.localdate())
    slot_at(resource, day)
    response = client.get(
        reverse("bookings:resource", args=[resource.municipality.slug, resource.key]) + f"?month={day:%Y-%m}"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "空きあり" in body and "○" in body
    assert "休み" in body  # weekends have no hours


def test_calendar_queries_do_not_grow_with_slots(client: Client) -> None:
    from yakusho.bookings.services import generate_slots

    resource = make_resource(opening_hours=EVERY_DAY, slot_minutes=30, opens_days_ahead=365)
    today = timezone.localdate()
    url = reverse("bookings:resource", args=[resource.municipality.slug, resource.key])
    generate_slots(resource, today, today + timedelta(days=3))
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    generate_slots(resource, today, today + timedelta(days=60))
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert 0 < len(many) == len(few)


def test_resident_books_and_the_link_confirms(client: Client) -> None:
    resource = make_resource()
    day = next_weekday(timezone.localdate())
    slot_at(resource, day)
    response = client.post(_book_url(resource, day), GOOD)
    assert response.status_code == 302, response.content.decode()[:2000]
    booking = Booking.objects.get()
    # NFKC and formats: 全角 e-mail and phone normalised, ひらがな kana → カタカナ
    assert (booking.email, booking.phone, booking.kana) == (
        "hanako@example.jp",
        "090-1234-5678",
        "ヤクショ ハナコ",
    )
    assert booking.status == BookingStatus.PENDING
    page = client.get(response["Location"]).content.decode()
    assert booking.display_code in page
    mail = OutboundEmail.objects.get()
    link = re.search(r"http://[^\s]+/b/[^\s]+/", mail.body)
    assert link
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)  # opening the link (or a mail scanner's preview) changes nothing
    assert response.status_code == 200 and "予約を確定する" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING
    response = client.post("/" + path, {"action": "confirm"}, follow=True)
    assert "予約が確定しました" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    again = client.post("/" + path, {"action": "confirm"}, follow=True)  # pressed twice: still one
    assert again.status_code == 200 and Booking.objects.get().status == BookingStatus.CONFIRMED
    response = client.post("/" + path, {"action": "cancel"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def _refused(client: Client, url: str, data: dict[str, str], message: str) -> None:
    before = (Booking.objects.count(), OutboundEmail.objects.count())
    response = client.post(url, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Booking.objects.count(), OutboundEmail.objects.count()) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "hanako@example", "メールアドレスの形式が正しくありません"),
        ("email", "", "メールアドレスを入力してください"),
        ("phone", "12345", "電話番号の形式が正しくありません"),
        ("phone", "090-1234-567", "電話番号の形式が正しくありません"),
        ("kana", "花子", "フリガナはカタカナで入力してください"),
        ("name", "", "氏名を入力してください"),
    ],
)
def test_malformed_contact_details_are_refused(client: Client, field: str, value: str, message: str) -> None:
    resource = make_resource()
    day = next_weekday(timezone.localdate())
    slot_at(resource, day)
    _refused(client, _book_url(resource, day), GOOD | {field: value}, message)


def test_past_date_is_refused(client: Client) -> None:
    resource = make_resource()
    day = timezone.localdate() - timedelta(days=7)
    _refused(client, _book_url(resource, day), GOOD, "過去の日時")


def test_closed_day_is_refused(client: Client) -> None:
    resource = make_resource()
    day = next_weekday(timezone.localdate())
    slot_at(resource, day)
    ResourceClosure.objects.create(
        municipality=resource.municipality, resource=resource, date=day, reason="館内点検"
    )
    _refused(client, _book_url(resource, day), GOOD, "休館日（館内点検）")


def test_saturday_without_hours_is_refused(client: Client) -> None:
    resource = make_resource()
    day = next_weekday(timezone.localdate(), weekday=5)
    _refused(client, _book_url(resource, day), GOOD, "土曜日は休み")


def test_outside_opening_hours_is_refused(client: Client) -> None:
    resource = make_resource()
    day = next_weekday(timezone.localdate())
    slot_at(resource, day)
    _refused(client, _book_url(resource, day, "1200"), GOOD, "受付時間外")
    _refused(client, _book_url(resource, day, "2000"), GOOD, "受付時間外")


def test_beyond_the_window_is_refused(client: Client) -> None:
    resource = make_resource(opens_days_ahead=14)
    day = next_weekday(timezone.localdate() + timedelta(days=30))
    _refused(client, _book_url(resource, day), GOOD, "日前から")


def test_too_late_is_refused(client: Client) -> None:
    resource = make_resource(opening_hours=EVERY_DAY, closes_hours_before=72)
    day = timezone.localdate() + timedelta(days=1)
    from yakusho.bookings.services import generate_slots

    generate_slots(resource, day, day)
    if resource.slots.count() == 0:
        pytest.skip("tomorrow is a holiday")
    _refused(client, _book_url(resource, day), GOOD, "時間前で締め切りました")


def test_over_the_per_resident_limit_is_refused(client: Client) -> None:
    resource = make_resource(limit_active=1, limit_per_day=0)
    day = next_weekday(timezone.localdate())
    first = slot_at(resource, day, 10)
    slot_at(resource, day, 14)
    services.book(first.pk, contact(email="hanako@example.jp"))
    _refused(client, _book_url(resource, day, "1400"), GOOD, "1人1件までです")


def test_full_slot_offers_the_waitlist(client: Client) -> None:
    resource = make_resource()
    day = next_weekday(timezone.localdate())
    slot = slot_at(resource, day)
    services.book(slot.pk, contact(9))
    page = client.get(_book_url(resource, day)).content.decode()
    assert "空き待ちの登録" in page and "満員" in page
    response = client.post(_book_url(resource, day), GOOD | {"waitlist": "1"})
    assert response.status_code == 302
    assert Booking.objects.get(email="hanako@example.jp").status == BookingStatus.WAITING


def test_an_offered_place_is_taken_only_by_the_button(client: Client) -> None:
    resource = make_resource()
    day = next_weekday(timezone.localdate())
    slot = slot_at(resource, day)
    first = services.book(slot.pk, contact(9))
    waiting = services.book(slot.pk, contact(email="hanako@example.jp"), waitlist_if_full=True)
    services.cancel(first)
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.OFFERED
    url = reverse("bookings:manage", args=[resource.municipality.slug, services.token_for(waiting)])
    page = client.get(url).content.decode()
    assert "この枠で予約を確定する" in page
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.OFFERED  # opening the link is not accepting
    response = client.post(url, {"action": "confirm"}, follow=True)
    assert "空きの出た枠で予約が確定しました" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.CONFIRMED


def test_a_cancelled_booking_cannot_be_confirmed(client: Client) -> None:
    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = services.book(slot.pk, contact())
    services.cancel(booking)
    url = reverse("bookings:manage", args=[resource.municipality.slug, services.token_for(booking)])
    response = client.post(url, {"action": "confirm"})
    assert response.status_code == 400 and "この予約は確定できません" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_a_bad_link_is_not_found(client: Client) -> None:
    resource = make_resource()
    assert (
        client.get(reverse("bookings:manage", args=[resource.municipality.slug, "XXXX:bad"])).status_code
        == 404
    )


def test_ics_download(client: Client) -> None:
    import icalendar

    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = services.book(slot.pk, contact())
    response = client.get(
        reverse("bookings:ics", args=[resource.municipality.slug, services.token_for(booking)])
    )
    assert response["Content-Type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert event.decoded("DTSTART") == slot.starts_at


def test_change_by_the_link(client: Client) -> None:
    resource = make_resource()
    day = next_weekday(timezone.localdate())
    old, new = slot_at(resource, day, 10), slot_at(resource, day, 14)
    booking = services.book(old.pk, contact())
    services.confirm(booking)
    token = services.token_for(booking)
    url = reverse("bookings:change", args=[resource.municipality.slug, token])
    page = client.get(url + f"?day={day}").content.decode()
    assert "14:00〜15:00" in page and "10:00〜11:00" in page  # current booking shown, 14:00 offered
    response = client.post(url, {"day": day.isoformat(), "at": "1200"})
    assert response.status_code == 400 and "変更先の枠を選んでください" in response.content.decode()
    response = client.post(url, {"day": day.isoformat(), "at": "1400"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.slot_id == new.pk
    assert OutboundEmail.objects.filter(subject__contains="予約を変更しました").count() == 1
