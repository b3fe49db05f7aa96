"""Whom to call (issue 18): every procedure page shows its department's phone, place and hours;
the demo's invented numbers carry each town's real 市外局番, reach no one and say so; no public page
says 「お問い合わせください」 without a number; staff keep the details right."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.bookings.models import Resource
from yakusho.core.models import Department, Role
from yakusho.core.normalize import phone_number
from yakusho.procedures.models import Procedure

pytestmark = pytest.mark.django_db

#: The real 市外局番 of the five demo towns (the seeds print no numbers).
AREA_CODES = {"oe": "0237", "misato": "0187", "katagami": "018", "itako": "0299", "murakami": "0254"}
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "yakusho" / "templates"
PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{4}")


def contact_section(html: str) -> str:
    match = re.search(
        r'<section aria-labelledby="contact-heading" class="contact-card">.*?</section>', html, re.S
    )
    assert match, "no contact card on the page"
    return match.group(0)


def test_demo_departments_have_invented_numbers_with_the_towns_area_code(demo) -> None:
    departments = list(Department.objects.select_related("municipality"))
    assert len(departments) == 67
    for department in departments:
        area = AREA_CODES[department.municipality.slug]
        assert department.phone.startswith(area + "-"), department
        assert phone_number(department.phone) == department.phone  # a well-formed 10-digit number
        exchange = department.phone.split("-")[1]
        assert set(exchange) == {"0"}, department.phone  # no real 市内局番 starts with 0
        assert department.place and department.contact_is_demo
    assert len({d.phone for d in departments}) == len(departments)


def test_every_demo_procedure_page_shows_a_phone_with_the_towns_area_code(
    demo_with_plans, client: Client
) -> None:
    procedures = list(Procedure.objects.filter(published=True).select_related("municipality", "department"))
    assert len(procedures) >= 60
    for procedure in procedures:
        html = client.get(
            reverse("procedures:detail", args=[procedure.municipality.slug, procedure.key])
        ).content
        card = contact_section(html.decode())
        area = AREA_CODES[procedure.municipality.slug]
        assert f'<span class="contact-phone">{procedure.department.phone}</span>' in card, procedure.key
        assert procedure.department.phone.startswith(area + "-")
        assert procedure.department.place in card
        assert "平日 8:30〜17:15（土日・祝日・年末年始を除く）" in card
        assert "デモ用に作った架空のもの" in card and 'href="tel:' not in card


def test_no_public_page_says_ask_us_without_a_number(demo_with_plans, client: Client) -> None:
    """The demo's pages that point residents to a department: procedures, online-application
    placeholders, booking resources; each says お問い合わせ only beside a phone number."""
    urls = [
        reverse("procedures:detail", args=[p.municipality.slug, p.key])
        for p in Procedure.objects.filter(published=True).select_related("municipality")
    ]
    without_form = Procedure.objects.filter(published=True, form_definitions__isnull=True)
    urls += [  # the placeholder of 「オンライン申請（準備中）」
        reverse("procedures:apply", args=[p.municipality.slug, p.key])
        for p in without_form.select_related("municipality")[:10]
    ]
    urls += [
        reverse("bookings:resource", args=[r.municipality.slug, r.key])
        for r in Resource.objects.select_related("municipality")
    ]
    assert len(urls) > 70
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for match in re.finditer(
            "お問い合わせください|お問い合わせを|担当の課に(?:お問い合わせ|お尋ね)", html
        ):
            assert PHONE.search(html), f"{url}: {match.group(0)} with no number"
        assert PHONE.search(contact_section(html)), url


def test_templates_that_send_residents_to_a_department_show_its_card() -> None:
    """A template that says 「お問い合わせください」 also renders the contact card (mails print the
    number in their footer)."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text("utf-8")
        if "お問い合わせください" in text and "contact_card" not in text:
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []


@pytest.fixture
def town(db):
    town = MunicipalityFactory(
        slug="here", name="試験町", office_opens=time(8, 45), office_closes=time(17, 30)
    )
    return town


def page_of(client: Client, town, department) -> str:
    from tests.procedures.helpers import make_procedure

    make_procedure(town, department, "p1", "転入届")
    return contact_section(client.get(reverse("procedures:detail", args=[town.slug, "p1"])).content.decode())


def test_a_real_number_is_a_tel_link_with_the_departments_own_place_and_hours(town, client: Client) -> None:
    department = DepartmentFactory(
        municipality=town,
        name="町民課",
        phone="0237-62-2111",
        place="本庁舎1階 2番窓口",
        hours="平日 8:30〜19:00",
    )
    card = page_of(client, town, department)
    assert '<a class="contact-phone" href="tel:0237622111">0237-62-2111</a>' in card
    assert "本庁舎1階 2番窓口" in card and "平日 8:30〜19:00" in card
    assert "（代表）" not in card and "デモ" not in card


def test_without_its_own_number_the_card_gives_the_main_number_and_office_hours(town, client: Client) -> None:
    town.phone, town.address, town.closes_year_end = (
        "0237-62-2111",
        "山形県西村山郡大江町大字左沢882-1",
        False,
    )
    town.save()
    card = page_of(client, town, DepartmentFactory(municipality=town, name="町民課"))
    assert "0237-62-2111</a>（代表）" in card
    assert "山形県西村山郡大江町大字左沢882-1" in card
    assert "平日 8:45〜17:30（土日・祝日を除く）" in card  # no 年末年始: this town opens then
    assert "None" not in card


def test_with_no_number_anywhere_the_card_says_no_ask_us_and_shows_the_website(town, client: Client) -> None:
    town.website = "https://www.town.example.jp/"
    town.save()
    html = page_of(client, town, DepartmentFactory(municipality=town, name="町民課"))
    assert "電話" not in html and "お問い合わせください" not in html
    assert "https://www.town.example.jp/" in html


def test_booking_resource_and_receipt_pages_show_the_card(demo_with_plans, client: Client) -> None:
    resource = Resource.objects.select_related("municipality", "department").first()
    assert resource is not None
    html = client.get(reverse("bookings:resource", args=[resource.municipality.slug, resource.key])).content
    card = contact_section(html.decode())
    assert resource.department.name in card and resource.department.phone in card


def test_channels_are_labels_with_a_tick_not_circles(demo_with_plans, client: Client) -> None:
    html = client.get(reverse("procedures:detail", args=["oe", "sodai-gomi"])).content.decode()
    assert "✓</span> 利用できます" in html
    assert "○</span> 利用できます" not in html
    catalogue = client.get(reverse("procedures:catalogue", args=["oe"])).content.decode()
    assert 'class="tag tag-available"><span aria-hidden="true">✓</span>' in catalogue
    assert '<span aria-hidden="true">○</span>' not in catalogue


# --- staff edit the details -------------------------------------------------------------------


@pytest.fixture
def admin(client: Client):
    membership = MembershipFactory(role=Role.ADMIN)
    login_verified(client, membership.user)
    return membership.municipality


def test_staff_save_place_and_hours_and_the_number_is_normalised(client: Client, admin) -> None:
    response = client.post(
        reverse("staff:department_create", args=[admin.slug]),
        {
            "name": "町民課",
            "phone": "０２３７ー６２ー２１１１",
            "place": "本庁舎１階",
            "hours": "平日 8:30〜17:15",
            "order": 1,
        },
    )
    assert response.status_code == 302
    department = Department.objects.get(municipality=admin)
    assert (department.phone, department.place, department.hours) == (
        "0237-62-2111",
        "本庁舎1階",
        "平日 8:30〜17:15",
    )


def test_a_bad_number_is_refused_naming_the_field_and_nothing_is_saved(client: Client, admin) -> None:
    response = client.post(
        reverse("staff:department_create", args=[admin.slug]),
        {"name": "町民課", "phone": "12345", "place": "本庁舎1階", "order": 1},
    )
    assert response.status_code == 200
    assert "電話番号：電話番号は市外局番から" in response.content.decode()
    assert not Department.objects.filter(municipality=admin).exists()


def test_editing_the_number_clears_the_demo_mark_but_renaming_does_not(client: Client, admin) -> None:
    department = DepartmentFactory(
        municipality=admin, name="町民課", phone="0237-00-1001", place="役場 1階", contact_is_demo=True
    )
    url = reverse("staff:department_update", args=[admin.slug, department.pk])
    data = {"name": "住民課", "phone": "0237-00-1001", "place": "役場 1階", "order": 1}
    assert client.post(url, data).status_code == 302
    department.refresh_from_db()
    assert department.name == "住民課" and department.contact_is_demo
    assert client.post(url, {**data, "phone": "0237-62-2111"}).status_code == 302
    department.refresh_from_db()
    assert department.phone == "0237-62-2111" and not department.contact_is_demo
    detail = client.get(reverse("staff:department_detail", args=[admin.slug, department.pk])).content.decode()
    assert "0237-62-2111" in detail and "役場 1階" in detail
    assert "実際の番号と場所を入力してください" not in detail
    assert "連絡先はデモ用の架空のもの</strong>：はい → いいえ" in detail  # the change history says so
