"""Hostile input gets a 4xx that says what is wrong (issue 15); ``tests/test_hostile_inputs.py``
walks every URL on PostgreSQL, these name the behaviour."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.bookings.helpers import make_resource
from tests.factories import DepartmentFactory, MunicipalityFactory
from yakusho.bookings.models import Resource
from yakusho.core.jcal import JapaneseDateError, parse_iso_day, parse_iso_month, parse_japanese_date
from yakusho.core.models import Closure, Department, Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["/m/here/plans/?q=a%00b", "/m/here/%00/", "/m/here/procedures/?q=%00", "/staff/login/?next=%00"],
)
def test_a_nul_character_anywhere_is_refused_with_a_page_that_says_so(client: Client, url: str) -> None:
    MunicipalityFactory(slug="here")
    response = client.get(url)
    assert response.status_code == 400
    assert "使えない文字（NUL文字）" in response.content.decode()


def test_a_nul_in_a_posted_field_is_refused_and_nothing_is_saved(client: Client, signed_in) -> None:
    town = MunicipalityFactory(slug="here")
    signed_in(town, Role.ADMIN)
    response = client.post(reverse("staff:department_create", args=["here"]), {"name": "町民\x00課"})
    assert response.status_code == 400
    assert not Department.objects.filter(municipality=town).exists()


def test_the_api_answers_its_own_faults(client: Client) -> None:
    response = client.get("/api/v1/municipalities/a%00b")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("number", ["99999999999999999999", "9223372036854775808"])
def test_an_id_no_database_holds_is_a_404(client: Client, signed_in, number: str) -> None:
    town = MunicipalityFactory(slug="here")
    signed_in(town, Role.ADMIN)
    response = client.get(f"/staff/m/here/departments/{number}/")
    assert response.status_code == 404
    assert "この番号のページはありません" in response.content.decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9999-12-31", "1873年から2199年までの日付にしてください"),
        ("0001-01-01", "1873年から2199年までの日付にしてください"),
        ("2027-02-30", "2026-04-01 の形で書いてください"),
        ("20270101", "2026-04-01 の形で書いてください"),
    ],
)
def test_days_in_urls_are_read_within_the_years_a_town_uses(value: str, message: str) -> None:
    with pytest.raises(JapaneseDateError, match=message):
        parse_iso_day(value)


def test_months_and_typed_dates_have_the_same_bounds() -> None:
    assert parse_iso_month("2199-12").isoformat() == "2199-12-01"
    with pytest.raises(JapaneseDateError):
        parse_iso_month("9999-12")
    with pytest.raises(JapaneseDateError, match="2199年より後の日付は扱えません"):
        parse_japanese_date("9999-12-31")


def test_booking_pages_answer_far_dates_and_times_with_a_404_that_says_why(client: Client) -> None:
    resource: Resource = make_resource()
    slug, key = resource.municipality.slug, resource.key
    calendar = client.get(reverse("bookings:resource", args=[slug, key]) + "?month=9999-12")
    assert calendar.status_code == 200  # an unusable month shows this month
    day = client.get(reverse("bookings:day", args=[slug, key, "9999-12-31"]))
    assert day.status_code == 404 and "1873年から2199年まで" in day.content.decode()
    book = client.get(reverse("bookings:book", args=[slug, key, "2027-01-05", "99999999999999999999"]))
    assert book.status_code == 404 and "時刻の形式が正しくありません" in book.content.decode()


def test_staff_booking_views_and_export_refuse_far_dates(client: Client, signed_in) -> None:
    resource: Resource = make_resource()
    signed_in(resource.municipality, Role.ADMIN)
    slug = resource.municipality.slug
    for url in (
        reverse("bookings_staff:day", args=[slug, "9999-12-31"]),
        reverse("bookings_staff:week", args=[slug, "9999-12-31"]),
        reverse("bookings_staff:export", args=[slug, "csv"]) + "?from=9999-12-31",
        reverse("bookings_staff:close_day", args=[slug, resource.pk, "0000-01-01"]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "2026-04-01" in response.content.decode() or "2199年" in response.content.decode(), url


def test_a_closure_past_2199_is_a_form_error(client: Client, signed_in) -> None:
    town = MunicipalityFactory(slug="here")
    signed_in(town, Role.ADMIN)
    response = client.post(
        reverse("staff:closure_create", args=["here"]), {"date": "9999-12-31", "reason": "x"}
    )
    assert response.status_code == 200
    assert "2199年より後の日付は扱えません" in response.content.decode()
    assert not Closure.objects.exists()


def test_a_department_still_in_use_is_not_deleted_and_the_page_says_by_what(
    client: Client, signed_in
) -> None:
    town = MunicipalityFactory(slug="here")
    department = DepartmentFactory(municipality=town, name="生涯学習課")
    make_resource(town, department=department, name="交流会議室")
    signed_in(town, Role.ADMIN)
    response = client.post(reverse("staff:department_delete", args=["here", department.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "使っているため削除できません" in body and "交流会議室" in body
    assert Department.objects.filter(pk=department.pk).exists()


def test_unknown_pages_say_so_in_words_with_the_municipalitys_link(client: Client) -> None:
    MunicipalityFactory(slug="here", name="ここ町")
    response = client.get("/m/here/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "お探しのページは見つかりませんでした" in body and "ここ町のページ" in body
    assert "Not Found" not in body
