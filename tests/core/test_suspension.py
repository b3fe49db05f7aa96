"""A suspended municipality: its public pages, staff pages and API answer 403 (never a 5xx), its staff
cannot sign in, lists leave it out — and resuming restores everything, nothing having been deleted."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory, UserFactory
from tests.helpers import login_verified
from yakusho.core import suspension
from yakusho.core.models import Department, Membership, Municipality, Role

PASSWORD = "correct-horse-battery"  # the factories' password
PUBLIC_PAGES = [
    "public:municipality",
    "public:privacy",
    "plans:list",
    "procedures:catalogue",
    "bookings:list",
    "queue:kiosk",
]


@pytest.fixture
def town(db) -> Municipality:
    town = MunicipalityFactory(slug="kou", name="甲町", kind="town", phone="0237-62-2111")
    DepartmentFactory(municipality=town, name="住民課")
    return town


def test_public_pages_answer_403_with_the_name_and_the_office_never_the_reason(client: Client, town) -> None:
    suspension.suspend(town, "契約の終了（内部メモ）")
    for name in PUBLIC_PAGES:
        response = client.get(reverse(name, args=[town.slug]))
        page = response.content.decode()
        assert response.status_code == 403, name
        assert "現在ご利用いただけません" in page and "甲町" in page, name
        assert "町役場（電話 0237-62-2111）へお電話ください" in page
        assert "契約の終了" not in page and "内部メモ" not in page
    village = MunicipalityFactory(kind="village", phone="")
    suspension.suspend(village, "試験")
    page = client.get(reverse("public:municipality", args=[village.slug])).content.decode()
    assert "村役場の窓口へお越しください" in page
    # a page that does not exist under it is a 404 that does not link to it
    missing = client.get(f"/m/{town.slug}/nothing-here/")
    link = f'href="{reverse("public:municipality", args=[town.slug])}"'
    assert missing.status_code == 404 and link not in missing.content.decode()


def test_staff_pages_answer_403_but_not_to_operators(client: Client, town) -> None:
    admin = MembershipFactory(municipality=town, role=Role.ADMIN).user
    login_verified(client, admin)
    assert client.get(reverse("staff:municipality", args=[town.slug])).status_code == 200
    suspension.suspend(town, "試験")
    for name in ("staff:municipality", "staff:staff_list", "inbox:list", "staff:audit_log"):
        response = client.get(reverse(name, args=[town.slug]))
        assert response.status_code == 403 and "現在ご利用いただけません" in response.content.decode()
    home = client.get(reverse("staff:home")).content.decode()
    assert "甲町は現在利用停止中のため、ページを開けません。" in home
    assert reverse("staff:municipality", args=[town.slug]) not in home

    operator = MembershipFactory(municipality=town, role=Role.ADMIN).user
    operator.is_operator = True
    operator.save()
    login_verified(client, operator)
    assert client.get(reverse("staff:municipality", args=[town.slug])).status_code == 200


def _sign_in(client: Client, email: str) -> str:
    response = client.post(reverse("staff:login"), {"username": email, "password": PASSWORD})
    return "" if response.status_code == 302 else response.content.decode()


def test_staff_of_only_suspended_municipalities_cannot_sign_in(client: Client, town) -> None:
    only_here = MembershipFactory(municipality=town, role=Role.COUNTER).user
    elsewhere_too = MembershipFactory(municipality=town, role=Role.COUNTER).user
    MembershipFactory(municipality=MunicipalityFactory(), role=Role.COUNTER, user=elsewhere_too)
    suspension.suspend(town, "試験")

    page = _sign_in(client, only_here.email)
    assert "甲町は現在ご利用いただけないため、ログインできません。" in page
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("staff:login"), {"username": only_here.email, "password": "wrong"})
    assert "現在ご利用いただけない" not in wrong.content.decode()  # said only to the account holder
    assert _sign_in(client, elsewhere_too.email) == ""
    client.logout()

    suspension.resume(town)
    assert _sign_in(client, only_here.email) == ""
    assert client.get(reverse("staff:municipality", args=[town.slug])).status_code == 200


def test_the_api_answers_403_with_its_error_body_and_lists_without_it(client: Client, town) -> None:
    other = MunicipalityFactory(slug="otsu")
    suspension.suspend(town, "試験")
    for url in (
        f"/api/v1/municipalities/{town.slug}",
        f"/api/v1/plans/{town.slug}/any-plan",
        f"/api/v1/plans/{town.slug}/any-plan/kpis",
        f"/api/v1/plans?municipality={town.slug}",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json() == {"detail": suspension.API_DETAIL}
    slugs = [m["slug"] for m in client.get("/api/v1/municipalities").json()]
    assert slugs == [other.slug]
    assert client.get(f"/api/v1/municipalities/{other.slug}").status_code == 200
    suspension.resume(town)
    assert client.get(f"/api/v1/municipalities/{town.slug}").status_code == 200


def test_lists_leave_it_out_and_resuming_restores_everything(demo_with_plans, client: Client) -> None:
    oe = Municipality.objects.get(slug="oe")
    before = (
        Department.objects.filter(municipality=oe).count(),
        Membership.objects.filter(municipality=oe).count(),
    )
    assert "大江町" in client.get(reverse("public:home")).content.decode()
    suspension.suspend(oe, "試験")

    home = client.get(reverse("public:home")).content.decode()
    assert "大江町" not in home and "美郷町" in home
    compare = client.get(reverse("plans:compare")).content.decode()
    assert reverse("plans:overview", args=["oe", "oe-dx"]) not in compare and "美郷町" in compare
    assert all(p["municipality"] != "oe" for p in client.get("/api/v1/plans").json())
    assert client.get(reverse("plans:overview", args=["oe", "oe-dx"])).status_code == 403

    consortium_staff = UserFactory()
    misato = Municipality.objects.get(slug="misato")
    akita = misato.consortia.get()
    akita.memberships.create(user=consortium_staff)
    suspension.suspend(misato, "試験")
    login_verified(client, consortium_staff)
    page = client.get(reverse("staff:consortium", args=[akita.slug])).content.decode()
    assert "（利用停止中）" in page and reverse("public:municipality", args=["misato"]) not in page
    client.logout()

    suspension.resume(oe)
    assert (
        Department.objects.filter(municipality=oe).count(),
        Membership.objects.filter(municipality=oe).count(),
    ) == before
    assert "大江町" in client.get(reverse("public:home")).content.decode()
    assert client.get(reverse("plans:overview", args=["oe", "oe-dx"])).status_code == 200
    assert client.get("/api/v1/municipalities/oe").status_code == 200
