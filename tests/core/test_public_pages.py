"""Public municipality pages: office status, contact, policy pages; the staff home's panels."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core.models import Closure, PolicyPage, Role
from yakusho.core.office import office_status
from yakusho.core.ui import PanelRegistry

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


def at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def test_office_status_through_the_day_and_week() -> None:
    town = MunicipalityFactory(office_opens=time(8, 30), office_closes=time(17, 15))
    open_now = office_status(town, at(2026, 4, 1, 10, 0))  # Wednesday
    assert open_now.is_open and open_now.closes_at == time(17, 15)
    early = office_status(town, at(2026, 4, 1, 7, 0))
    assert not early.is_open and early.next_open_day == date(2026, 4, 1)
    evening = office_status(town, at(2026, 4, 1, 17, 15))
    assert not evening.is_open and evening.next_open_day == date(2026, 4, 2)
    friday_night = office_status(town, at(2026, 4, 3, 18, 0))
    assert friday_night.next_open_day == date(2026, 4, 6)
    holiday = office_status(town, at(2026, 4, 29, 10, 0))
    assert not holiday.is_open and holiday.today_closed_reason == "昭和の日"
    Closure.objects.create(municipality=town, date=date(2026, 4, 30), reason="システム更新")
    assert office_status(town, at(2026, 4, 28, 18, 0)).next_open_day == date(2026, 5, 1)


def test_municipality_page_shows_status_in_words_and_contact(client: Client) -> None:
    town = MunicipalityFactory(address="山形県西村山郡大江町大字左沢", phone="0237-00-0000")
    page = client.get(reverse("public:municipality", args=[town.slug])).content.decode()
    assert ("開庁中" in page) or ("閉庁中" in page)  # a word, never colour alone
    assert "0237-00-0000" in page and "大江町大字左沢" in page
    assert reverse("public:accessibility", args=[town.slug]) in page
    assert reverse("public:privacy", args=[town.slug]) in page
    assert f'data-poll-url="{reverse("public:office_status", args=[town.slug])}"' in page
    fragment = client.get(reverse("public:office_status", args=[town.slug])).content.decode()
    assert "<html" not in fragment and ("開庁中" in fragment or "閉庁中" in fragment)


def test_default_policy_pages(client: Client) -> None:
    town = MunicipalityFactory(name="試験町")
    a11y = client.get(reverse("public:accessibility", args=[town.slug])).content.decode()
    assert "JIS X 8341-3:2016" in a11y and "適合レベルAA" in a11y and "試験結果" in a11y
    privacy = client.get(reverse("public:privacy", args=[town.slug])).content.decode()
    assert "プライバシーポリシー" in privacy and "試験町" in privacy
    assert client.get(reverse("public:accessibility", args=["nowhere"])).status_code == 404


def test_administrator_edits_the_accessibility_policy(client: Client) -> None:
    admin = MembershipFactory(role=Role.ADMIN)
    town = admin.municipality
    login_verified(client, admin.user)
    url = reverse("staff:policy_page_edit", args=[town.slug, "accessibility"])
    bad = client.post(
        url, {"body": "x", "target_level": "AA", "conformance": "partial", "tested_on": "令和8年13月1日"}
    )
    assert bad.status_code == 200 and "存在しない日付" in bad.content.decode()
    assert not PolicyPage.objects.exists()
    response = client.post(
        url,
        {
            "body": "## 方針\n\n**だれもが**使えるサイトを目指します。",
            "target_level": "AA",
            "conformance": "partial",
            "tested_on": "R8.10.1",
            "test_results": "| 達成基準 | 結果 |\n|---|---|\n| 1.1.1 | 適合 |",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("public:accessibility", args=[town.slug])).content.decode()
    assert "<strong>だれもが</strong>" in page and "一部準拠" in page and "令和8年（2026年）10月1日" in page
    assert "<td>適合</td>" in page
    assert client.get(reverse("staff:policy_page_edit", args=[town.slug, "nonsense"])).status_code == 404
    privacy_form = client.get(reverse("staff:policy_page_edit", args=[town.slug, "privacy"])).content.decode()
    assert "target_level" not in privacy_form


# Without plans in the municipality, the plans panel hides itself (see tests/plans/test_panels.py).
# The home lists what needs the role's action (issue 17): no audit trail, and a department member's
# 課 only in the heading (the panel is for a member without one: tests/test_staff_home_actions.py).
PANELS_BY_ROLE = {
    Role.ADMIN: {"core.office_days", "core.staff", "core.outbox"},
    Role.SECRETARIAT: {"core.office_days"},
    Role.DEPARTMENT: {"core.office_days"},
    Role.COUNTER: {"core.office_days"},
    Role.HQ: {"core.office_days"},
}


@pytest.mark.parametrize("role", list(PANELS_BY_ROLE))
def test_staff_home_shows_panels_by_role(client: Client, role: Role) -> None:
    membership = MembershipFactory(role=role)
    if role == Role.DEPARTMENT:
        membership.departments.set(
            [DepartmentFactory(municipality=membership.municipality, name="健康福祉課")]
        )
    login_verified(client, membership.user)
    page = client.get(reverse("staff:home")).content.decode()

    shown = set(re.findall(r'data-panel="([^"]+)"', page))
    assert shown == PANELS_BY_ROLE[role]
    if role == Role.DEPARTMENT:
        assert "健康福祉課" in page


def test_panels_are_scoped_to_each_municipality(client: Client) -> None:
    first = MembershipFactory(role=Role.ADMIN)
    second = MembershipFactory(user=first.user, role=Role.COUNTER)
    MembershipFactory.create_batch(3, municipality=first.municipality, role=Role.COUNTER)
    login_verified(client, first.user)
    page = client.get(reverse("staff:home")).content.decode()
    assert "有効な職員 4 人" in page
    assert page.count('data-panel="core.staff"') == 1  # only where the user is admin
    assert second.municipality.name in page


def test_panel_registry_refuses_duplicates_and_can_hide() -> None:
    registry = PanelRegistry()
    registry.register("x.a", title="A", template="t.html", roles={"admin"})(lambda m: None)
    with pytest.raises(ValueError):
        registry.register("x.a", title="A", template="t.html", roles={"admin"})(lambda m: {})
    membership = MembershipFactory(role=Role.ADMIN)
    assert registry.for_membership(membership) == []  # a panel returning None is hidden
