"""Staff pages: day and week views, phone bookings, attendance, blocking, closures, exports, audit."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.bookings.helpers import contact, make_resource, next_weekday, slot_at
from tests.factories import DepartmentFactory, MembershipFactory
from tests.helpers import login_verified
from yakusho.bookings import services
from yakusho.bookings import slots as slot_making
from yakusho.bookings.models import Booking, BookingStatus, Slot
from yakusho.core.models import OutboundEmail, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(client: Client):
    resource = make_resource(capacity=3)
    day = next_weekday(timezone.localdate())
    slot = slot_at(resource, day)
    staff = MembershipFactory(municipality=resource.municipality, role=Role.COUNTER).user
    login_verified(client, staff)
    return resource, day, slot, staff


def test_phone_booking_is_confirmed_and_audited(client: Client, setup) -> None:
    resource, _day, slot, staff = setup
    url = reverse("bookings_staff:book", args=[resource.municipality.slug, slot.pk])
    response = client.post(
        url, {"name": "電話 次郎", "kana": "", "email": "", "phone": "0182-12-3456", "channel": "phone"}
    )
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (
        booking.status == BookingStatus.CONFIRMED
        and booking.channel == "phone"
        and booking.created_by == staff
    )
    assert LogEntry.objects.get_for_object(booking).filter(actor=staff).exists()
    page = client.get(response["Location"]).content.decode()
    assert "電話 次郎" in page and "予約 1 / 定員 3" in page


def test_phone_booking_with_a_bad_phone_number_saves_nothing(client: Client, setup) -> None:
    resource, _day, slot, _staff = setup
    url = reverse("bookings_staff:book", args=[resource.municipality.slug, slot.pk])
    response = client.post(url, {"name": "電話 次郎", "phone": "0182", "channel": "phone"})
    assert response.status_code == 400 and "電話番号の形式が正しくありません" in response.content.decode()
    assert not Booking.objects.exists()


def test_attendance_no_show_and_cancel(client: Client, setup) -> None:
    resource, _day, slot, _staff = setup
    a, b, c = (services.book(slot.pk, contact(i)) for i in range(3))
    slug = resource.municipality.slug
    client.post(reverse("bookings_staff:booking_action", args=[slug, a.pk, "attended"]))
    client.post(reverse("bookings_staff:booking_action", args=[slug, b.pk, "no_show"]))
    client.post(reverse("bookings_staff:booking_cancel", args=[slug, c.pk]))
    statuses = {x.pk: x.status for x in Booking.objects.all()}
    assert statuses == {a.pk: "attended", b.pk: "no_show", c.pk: "cancelled"}
    slot.refresh_from_db()
    assert slot.booked == 2


def test_block_and_release_a_slot(client: Client, setup) -> None:
    resource, _day, slot, _staff = setup
    url = reverse("bookings_staff:slot_block", args=[resource.municipality.slug, slot.pk])
    client.post(url, {"action": "block", "reason": "清掃"})
    slot.refresh_from_db()
    assert slot.is_blocked and slot.block_reason == "清掃"
    with pytest.raises(services.BookingError, match="受付を停止"):
        services.book(slot.pk, contact())
    client.post(url, {"action": "release"})
    slot.refresh_from_db()
    assert not slot.is_blocked


def test_department_staff_manage_only_their_own_resources(client: Client, setup) -> None:
    resource, _day, slot, _staff = setup
    other = DepartmentFactory(municipality=resource.municipality)
    member = MembershipFactory(municipality=resource.municipality, role=Role.DEPARTMENT)
    member.departments.set([other])
    login_verified(client, member.user)
    url = reverse("bookings_staff:slot_block", args=[resource.municipality.slug, slot.pk])
    assert client.post(url, {"action": "block"}).status_code == 403
    slot.refresh_from_db()
    assert not slot.is_blocked
    assert (
        client.get(
            reverse("bookings_staff:day", args=[resource.municipality.slug, slot.starts_at.date()])
        ).status_code
        == 200
    )


def test_staff_closure_cancels_and_mails(client: Client, setup) -> None:
    resource, day, slot, _staff = setup
    booking = services.book(slot.pk, contact())
    OutboundEmail.objects.all().delete()
    url = reverse("bookings_staff:close_day", args=[resource.municipality.slug, resource.pk, day.isoformat()])
    assert "1件" in client.get(url).content.decode()
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "休館の理由を入力してください" in response.content.decode()
    client.post(url, {"reason": "雨漏り"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert OutboundEmail.objects.filter(to=[booking.email], body__contains="雨漏り").count() == 1


def test_day_and_week_views_query_count_does_not_grow(client: Client, setup) -> None:
    resource, day, slot, _staff = setup
    slug = resource.municipality.slug
    day_url = reverse("bookings_staff:day", args=[slug, day.isoformat()])
    week_url = reverse("bookings_staff:week", args=[slug, day.isoformat()])
    services.book(slot.pk, contact(1))
    with CaptureQueriesContext(connection) as few_day:
        client.get(day_url)
    with CaptureQueriesContext(connection) as few_week:
        client.get(week_url)
    for hour in (9, 11, 13, 14, 15, 16):
        other = slot_at(resource, day, hour)
        services.book(other.pk, contact(hour))
        services.book(other.pk, contact(hour + 100))
    with CaptureQueriesContext(connection) as many_day:
        page = client.get(day_url).content.decode()
    with CaptureQueriesContext(connection) as many_week:
        week = client.get(week_url).content.decode()
    assert 0 < len(many_day) == len(few_day)
    assert 0 < len(many_week) == len(few_week)
    assert "予約 太郎109" in page
    assert "13 / " in week


def test_csv_export_has_bom_and_rows(client: Client, setup) -> None:
    resource, day, slot, _staff = setup
    booking = services.book(slot.pk, contact())
    url = reverse("bookings_staff:export", args=[resource.municipality.slug, "csv"]) + f"?from={day}&to={day}"
    response = client.get(url)
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff予約番号,")
    assert booking.display_code in content and "予約 太郎1" in content


@pytest.mark.excel
def test_excel_export(client: Client, setup) -> None:
    from openpyxl import load_workbook

    resource, day, slot, _staff = setup
    booking = services.book(slot.pk, contact())
    url = (
        reverse("bookings_staff:export", args=[resource.municipality.slug, "xlsx"])
        + f"?from={day}&to={day + timedelta(days=1)}"
    )
    sheet = load_workbook(io.BytesIO(client.get(url).content)).active
    assert sheet is not None
    assert sheet["A1"].value == "予約番号"
    assert sheet["A2"].value == booking.display_code and sheet["I2"].value == booking.name


def test_staff_home_panel_and_public_link(client: Client) -> None:
    resource = make_resource(
        opening_hours={str(d): [["00:00", "23:59"]] for d in range(7)},
        closed_on_holidays=False,
        slot_minutes=60,
    )
    today = timezone.localdate()
    slot_making.generate_slots(resource, today, today)
    later = Slot.objects.filter(resource=resource, starts_at__gt=timezone.now() + timedelta(hours=1)).first()
    if later is None:
        pytest.skip("too late in the day for a slot")
    services.book(later.pk, contact(), staff=MembershipFactory(municipality=resource.municipality).user)
    admin = MembershipFactory(municipality=resource.municipality, role=Role.COUNTER).user
    login_verified(client, admin)
    page = client.get(reverse("staff:home")).content.decode()
    assert "今日の予約" in page and "会議室A" in page and "1件" in page
    public = client.get(reverse("public:municipality", args=[resource.municipality.slug])).content.decode()
    assert reverse("bookings:list", args=[resource.municipality.slug]) in public


def test_resource_form_creates_slots_and_refuses_bad_hours(client: Client, setup) -> None:
    resource, _day, _slot, _staff = setup
    slug = resource.municipality.slug
    url = reverse("bookings_staff:resource_create", args=[slug])
    data = {
        "name": "多目的ホール",
        "key": "hall",
        "kind": "room",
        "department": resource.department_id,
        "capacity": "1",
        "schedule": "slots",
        "slot_minutes": "60",
        "hours": "月 ２５:００-12:00",
        "opens_days_ahead": "14",
        "closes_hours_before": "24",
        "limit_active": "2",
        "limit_per_day": "1",
        "fee_yen": "0",
        "fee_unit": "booking",
        "payment_methods": ["cash"],
        "audience": "anyone",
        "allow_without_email": "on",
        "limit_phone_per_day": "2",
        "limit_network_per_day": "5",
        "offer_hours": "24",
        "is_active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and "1行目" in response.content.decode()
    assert not resource.municipality.booking_resources.filter(key="hall").exists()
    response = client.post(url, data | {"hours": "月 ０９:００〜12:00\n水 13:00-15:00、15:00-17:00"})
    assert response.status_code == 302
    hall = resource.municipality.booking_resources.get(key="hall")
    assert hall.opening_hours == {"0": [["09:00", "12:00"]], "2": [["13:00", "15:00"], ["15:00", "17:00"]]}
    assert hall.slots.exists()
    assert client.post(url, data | {"hours": "月 09:00-12:00"}).status_code == 400  # key taken


def test_session_add(client: Client, setup) -> None:
    resource, day, _slot, _staff = setup
    klass = make_resource(resource.municipality, key="class", kind="class", schedule="sessions", capacity=10)
    url = reverse("bookings_staff:session_add", args=[resource.municipality.slug, klass.pk])
    response = client.post(url, {"day": day.isoformat(), "starts": "10:00", "ends": "09:00"})
    assert response.status_code == 400 and "終了時刻は開始時刻より後" in response.content.decode()
    response = client.post(
        url, {"day": day.isoformat(), "starts": "10:00", "ends": "12:00", "title": "第1回"}
    )
    assert response.status_code == 302
    assert klass.slots.get().title == "第1回" and klass.slots.get().capacity == 10


def test_staff_cancel_asks_first_and_says_who_is_told(client: Client, setup) -> None:
    resource, day, slot, _staff = setup
    booking = services.book(slot.pk, contact(email="", phone="0182-12-3456"))
    slug = resource.municipality.slug
    day_page = client.get(reverse("bookings_staff:day", args=[slug, day.isoformat()])).content.decode()
    url = reverse("bookings_staff:booking_cancel", args=[slug, booking.pk])
    assert url in day_page
    page = client.get(url).content.decode()
    assert "取り消しますか" in page and "メールアドレスがないため、お知らせは届きません" in page
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # the question changes nothing
    response = client.post(url, {"reason": "本人から電話"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.cancel_reason == "本人から電話"
    client.post(url)  # twice: refused with a message, nothing changes
    booking.refresh_from_db()
    assert booking.cancel_reason == "本人から電話"


def test_a_booking_without_email_is_shown_as_unverified(client: Client, setup) -> None:
    resource, day, slot, _staff = setup
    phone_only = services.book(slot.pk, contact(email="", name="電話 だけ子"))
    with_email = services.book(slot.pk, contact(2))
    slug = resource.municipality.slug
    page = client.get(reverse("bookings_staff:day", args=[slug, day.isoformat()])).content.decode()
    assert page.count("メール未確認（電話番号のみ）") == 1
    line = next(li for li in page.split("<li>") if "電話 だけ子" in li)
    assert "メール未確認（電話番号のみ）" in line
    detail = client.get(reverse("bookings_staff:booking", args=[slug, phone_only.pk])).content.decode()
    assert "メール未確認（電話番号のみ）" in detail and "本人の確認はしていません" in detail
    other = client.get(reverse("bookings_staff:booking", args=[slug, with_email.pk])).content.decode()
    assert "メール未確認" not in other


def test_changing_the_slot_length_remakes_empty_slots(client: Client, setup) -> None:
    resource, day, slot, _staff = setup
    services.book(slot.pk, contact())
    slug = resource.municipality.slug
    form = client.get(reverse("bookings_staff:resource_edit", args=[slug, resource.pk])).content.decode()
    assert "料金の単位" in form and "持ち物" in form and "メールなしの予約" in form
    data = {
        "name": resource.name,
        "key": resource.key,
        "kind": resource.kind,
        "department": resource.department_id,
        "capacity": "3",
        "schedule": "slots",
        "slot_minutes": "30",
        "hours": "月 09:00-12:00\n火 09:00-12:00\n水 09:00-12:00\n木 09:00-12:00\n金 09:00-12:00",
        "opens_days_ahead": "60",
        "closes_hours_before": "24",
        "limit_active": "2",
        "limit_per_day": "1",
        "fee_yen": "500",
        "fee_unit": "hour",
        "what_to_bring": "上履き",
        "audience": "anyone",
        "limit_phone_per_day": "2",
        "limit_network_per_day": "5",
        "offer_hours": "24",
        "is_active": "on",
    }
    response = client.post(
        reverse("bookings_staff:resource_edit", args=[slug, resource.pk]), data, follow=True
    )
    assert "作り直しました" in response.content.decode()
    resource.refresh_from_db()
    assert (resource.fee_unit, resource.what_to_bring, resource.allow_without_email) == (
        "hour",
        "上履き",
        False,
    )
    starts = [
        timezone.localtime(s.starts_at).strftime("%H:%M")
        for s in Slot.objects.filter(resource=resource, starts_at__date=day).order_by("starts_at")
    ]
    # the booked 10:00–11:00 stays; half-hour slots around it, none in the afternoon any more
    assert starts == ["09:00", "09:30", "10:00", "11:00", "11:30"]
