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
from yakusho.bookings.models import Booking, BookingStatus, ResourceClosure, Slot
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
    from yakusho.bookings.slots import generate_slots

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
    assert mail.attachments == []  # the calendar file comes with the confirmation, not before
    link = re.search(r"http://[^\s]+/b/[^\s]+/", mail.body)
    assert link
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)  # opening the link (or a mail scanner's preview) changes nothing
    assert response.status_code == 200 and "予約を確定する" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING
    assert "booking.ics" not in response.content.decode()
    response = client.post("/" + path, {"action": "confirm"}, follow=True)
    assert "予約が確定しました" in response.content.decode()
    assert "booking.ics" in response.content.decode()  # the calendar file, now that it is confirmed
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    confirmed = OutboundEmail.objects.get(subject__contains="予約が確定しました")
    assert [a["filename"] for a in confirmed.attachments] == ["booking.ics"]
    again = client.post("/" + path, {"action": "confirm"}, follow=True)  # pressed twice: still one
    assert again.status_code == 200 and Booking.objects.get().status == BookingStatus.CONFIRMED
    assert OutboundEmail.objects.filter(subject__contains="予約が確定しました").count() == 1


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
        ("phone", "", "電話番号を入力してください"),
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
    from yakusho.bookings.slots import generate_slots

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


def test_email_is_required_where_the_resource_takes_no_booking_without_it(client: Client) -> None:
    resource = make_resource(allow_without_email=False)
    day = next_weekday(timezone.localdate())
    slot_at(resource, day)
    assert "メールアドレス（任意）" not in client.get(_book_url(resource, day)).content.decode()
    _refused(client, _book_url(resource, day), GOOD | {"email": ""}, "メールアドレスを入力してください")


def test_ics_download_only_once_confirmed(client: Client) -> None:
    import icalendar

    resource = make_resource(what_to_bring="上履き")
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = services.book(slot.pk, contact())
    url = reverse("bookings:ics", args=[resource.municipality.slug, services.token_for(booking)])
    response = client.get(url)
    assert response.status_code == 404 and "予約が確定してから" in response.content.decode()
    services.confirm(booking)
    response = client.get(url)
    assert response["Content-Type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert event.decoded("DTSTART") == slot.starts_at
    assert str(event["STATUS"]) == "CONFIRMED" and "持ち物: 上履き" in str(event["DESCRIPTION"])


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


# --- without e-mail, finding a booking, cancelling ---------------------------------------------------


def test_without_email_the_done_page_shows_the_booking_to_keep_and_print(client: Client) -> None:
    resource = make_resource(what_to_bring="上履き")
    day = next_weekday(timezone.localdate())
    slot_at(resource, day)
    form = client.get(_book_url(resource, day)).content.decode()
    assert "メールアドレス（任意）" in form and "電話番号で予約し、すぐに確定します" in form
    response = client.post(_book_url(resource, day), GOOD | {"email": ""}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302, response.content.decode()[:2000]
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.CONFIRMED and booking.phone_only and booking.source
    assert not OutboundEmail.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "予約が確定しました" in page and booking.display_code in page
    assert "090-1234-5678" in page and "上履き" in page and "1回 500円" in page
    assert "data-print" in page and "この控えを印刷する" in page
    assert reverse("bookings:lookup", args=[resource.municipality.slug]) in page
    assert reverse("bookings:ics", args=[resource.municipality.slug, services.token_for(booking)]) in page


def test_bookings_without_email_from_one_network_are_limited(client: Client) -> None:
    resource = make_resource(capacity=5, limit_network_per_day=1)
    day = next_weekday(timezone.localdate())
    slot_at(resource, day)
    url = _book_url(resource, day)
    assert client.post(url, GOOD | {"email": ""}, REMOTE_ADDR="203.0.113.7").status_code == 302
    before = Booking.objects.count()
    response = client.post(url, GOOD | {"email": "", "phone": "090-2222-3333"}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 400 and "同じ接続元（回線）から1日1件まで" in response.content.decode()
    assert Booking.objects.count() == before
    other = client.post(url, GOOD | {"email": "", "phone": "090-2222-3333"}, REMOTE_ADDR="198.51.100.1")
    assert other.status_code == 302


def test_the_waitlist_needs_an_email_address(client: Client) -> None:
    resource = make_resource()
    day = next_weekday(timezone.localdate())
    slot = slot_at(resource, day)
    services.book(slot.pk, contact(9))
    page = client.get(_book_url(resource, day)).content.decode()
    assert "メールアドレス（任意）" not in page
    _refused(
        client,
        _book_url(resource, day),
        GOOD | {"email": "", "waitlist": "1"},
        "空き待ちの登録にはメールアドレスが必要です",
    )


def test_a_booking_is_found_by_its_code_and_phone_number(client: Client) -> None:
    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = services.book(slot.pk, contact(email="", phone="0182-12-3456"))
    url = reverse("bookings:lookup", args=[resource.municipality.slug])
    assert "予約番号" in client.get(url).content.decode()
    bad_code = client.post(url, {"code": "ABCD-1234", "phone": "0182-12-3456"})
    assert bad_code.status_code == 400 and "予約番号は「ACEF-HJK3」のような" in bad_code.content.decode()
    wrong_phone = client.post(url, {"code": booking.display_code, "phone": "0182-12-9999"})
    assert (
        wrong_phone.status_code == 400
        and "組み合わせに合う予約が見つかりません" in wrong_phone.content.decode()
    )
    response = client.post(url, {"code": booking.display_code.lower(), "phone": "０１８２１２３４５６"})
    assert response["Location"] == reverse(
        "bookings:manage", args=[resource.municipality.slug, services.token_for(booking)]
    )
    page = client.get(response["Location"]).content.decode()
    assert booking.display_code in page and "予約を取り消す" in page and "booking.ics" in page


def test_cancelling_shows_what_will_be_cancelled_first(client: Client) -> None:
    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = services.book(slot.pk, contact())
    services.confirm(booking)
    slug, token = resource.municipality.slug, services.token_for(booking)
    manage = client.get(reverse("bookings:manage", args=[slug, token])).content.decode()
    url = reverse("bookings:cancel", args=[slug, token])
    assert url in manage
    assert (
        client.post(reverse("bookings:manage", args=[slug, token]), {"action": "cancel"}).status_code == 400
    )
    page = client.get(url).content.decode()
    assert "この予約を取り消しますか" in page and booking.display_code in page and "取消を確定する" in page
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # showing the question changes nothing
    response = client.post(url, follow=True)
    assert "予約を取り消しました" in response.content.decode()
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and slot.booked == 0
    assert client.post(url).status_code == 302  # pressed twice: done already
    after = client.get(url)
    assert "取り消し済みです" in after.content.decode() and "取消を確定する" not in after.content.decode()


def test_a_started_booking_cannot_be_cancelled(client: Client) -> None:
    resource = make_resource()
    slot = slot_at(resource, next_weekday(timezone.localdate()))
    booking = services.book(slot.pk, contact())
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=1)
    )
    response = client.post(
        reverse("bookings:cancel", args=[resource.municipality.slug, services.token_for(booking)])
    )
    assert response.status_code == 400 and "開始時刻を過ぎた予約は取り消せません" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


# --- the resource page ---------------------------------------------------------------------------


def test_the_month_is_a_grid_from_sunday_with_today_and_holidays_marked(client: Client) -> None:
    from yakusho.core.calendar import japanese_holidays

    resource = make_resource(closed_on_holidays=False, opening_hours=EVERY_DAY)
    today = timezone.localdate()
    url = reverse("bookings:resource", args=[resource.municipality.slug, resource.key])
    page = client.get(url).content.decode()
    first = today.replace(day=1)
    assert f"booking-start-{(first.weekday() + 1) % 7 + 1}" in page  # the 1st under its weekday
    assert 'class="booking-weekdays" aria-hidden="true"><span>日</span>' in page
    marked = re.search(r'aria-current="date">(.*?)</li>', page, re.S)
    assert (
        marked
        and f"{today.month}月{today.day}日" in marked.group(1)
        and '<span class="tag">今日</span>' in marked.group(1)
    )
    if today.day > 1:
        assert "－</span> 終了" in page  # the days before today: no link
    holiday = next(d for d in sorted(japanese_holidays([today.year, today.year + 1])) if d >= today)
    month = client.get(url + f"?month={holiday:%Y-%m}").content.decode()
    name = japanese_holidays([holiday.year])[holiday]
    assert f'<span class="booking-holiday">{name}</span>' in month


def test_the_resource_page_says_fee_unit_slot_length_places_and_what_to_bring(client: Client) -> None:
    resource = make_resource(
        fee_yen=300, fee_unit="hour", slot_minutes=120, capacity=4, what_to_bring="上履き\n筆記用具"
    )
    page = client.get(
        reverse("bookings:resource", args=[resource.municipality.slug, resource.key])
    ).content.decode()
    assert "1時間あたり 300円（1枠2時間で600円）" in page
    assert "1枠 2時間、1枠に4件まで" in page
    assert "上履き<br>筆記用具" in page
    assert "電話番号だけでも予約できます" in page
    listing = client.get(reverse("bookings:list", args=[resource.municipality.slug])).content.decode()
    assert "1時間あたり 300円" in listing
