"""Departments, municipality settings and closures through the staff pages, bad input included."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DepartmentFactory, MembershipFactory
from tests.helpers import login_verified
from yakusho.core.models import Closure, Department, Municipality, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client: Client):
    membership = MembershipFactory(role=Role.ADMIN)
    login_verified(client, membership.user)
    return membership.municipality


def test_create_department_normalises_input(client: Client, admin: Municipality) -> None:
    response = client.post(
        reverse("staff:department_create", args=[admin.slug]),
        {"name": " 総務課 ", "kana": "ｿｳﾑｶ", "phone": "０２３７－６２－２１１１", "order": 1},
    )
    assert response.status_code == 302
    department = Department.objects.get(municipality=admin)
    assert (department.name, department.kana, department.phone) == ("総務課", "ソウムカ", "0237-62-2111")


def test_duplicate_department_name_is_refused(client: Client, admin: Municipality) -> None:
    DepartmentFactory(municipality=admin, name="総務課")
    DepartmentFactory(name="企画課")  # same name elsewhere does not matter
    response = client.post(
        reverse("staff:department_create", args=[admin.slug]), {"name": "総務課", "order": 2}
    )
    assert response.status_code == 200
    assert "「総務課」という課はすでに" in response.content.decode()
    assert Department.objects.filter(municipality=admin).count() == 1
    ok = client.post(reverse("staff:department_create", args=[admin.slug]), {"name": "企画課", "order": 2})
    assert ok.status_code == 302


def test_renaming_a_department_to_its_own_name_is_fine(client: Client, admin: Municipality) -> None:
    department = DepartmentFactory(municipality=admin, name="総務課")
    response = client.post(
        reverse("staff:department_update", args=[admin.slug, department.pk]), {"name": "総務課", "order": 5}
    )
    assert response.status_code == 302


def settings_data(m: Municipality, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": m.name,
        "name_en": "",
        "kana": m.kana,
        "prefecture": m.prefecture,
        "kind": m.kind,
        "code": m.code,
        "population": "",
        "website": "",
        "email_from": m.email_from,
        "closes_year_end": "on",
        "address": "",
        "phone": "",
        "office_opens": "8:30",
        "office_closes": "17:15",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("code", "message"),
    [("063241", "検査数字が正しくありません"), ("06324", "6桁の数字"), ("0632400", "6桁")],
)
def test_invalid_municipality_code(client: Client, admin: Municipality, code: str, message: str) -> None:
    before = admin.code
    response = client.post(
        reverse("staff:settings", args=[admin.slug]), settings_data(admin, code=code, name="変更")
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    admin.refresh_from_db()
    assert admin.code == before and admin.name != "変更"


def test_settings_accept_full_width_code(client: Client, admin: Municipality) -> None:
    response = client.post(
        reverse("staff:settings", args=[admin.slug]),
        settings_data(admin, code="０６３２４０", population="７０００"),
    )
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.code == "063240" and admin.population == 7000


def test_closure_accepts_wareki(client: Client, admin: Municipality) -> None:
    response = client.post(
        reverse("staff:closure_create", args=[admin.slug]), {"date": "R8.4.1", "reason": "庁舎移転"}
    )
    assert response.status_code == 302
    assert Closure.objects.get(municipality=admin).date == date(2026, 4, 1)
    page = client.get(reverse("staff:closure_list", args=[admin.slug]))
    assert "令和8年4月1日" in page.content.decode() or "庁舎移転" in page.content.decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("令和8年2月30日", "存在しない日付"),
        ("平成35年1月1日", "平成は31年まで"),
        ("あした", "日付として読み取れません"),
    ],
)
def test_closure_bad_dates(client: Client, admin: Municipality, value: str, message: str) -> None:
    response = client.post(
        reverse("staff:closure_create", args=[admin.slug]), {"date": value, "reason": "臨時"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Closure.objects.exists()


def test_closure_twice_is_refused(client: Client, admin: Municipality) -> None:
    Closure.objects.create(municipality=admin, date=date(2026, 4, 1), reason="一回目")
    response = client.post(
        reverse("staff:closure_create", args=[admin.slug]), {"date": "令和8年4月1日", "reason": "二回目"}
    )
    assert "すでに閉庁日として登録" in response.content.decode()
    assert Closure.objects.count() == 1
