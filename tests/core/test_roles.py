"""The role table: every staff view, every role, and a user of another municipality."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory, UserFactory
from tests.helpers import login_verified
from yakusho.core.models import Closure, Consortium, ConsortiumMembership, Invitation, Role
from yakusho.core.urls import staff_patterns
from yakusho.plans import review_urls
from yakusho.plans.models import Node, Plan, PlanEdition
from yakusho.plans.review import open_cycle

MUNI_ROLES = ("admin", "secretariat", "department", "counter", "hq")
ALL = frozenset(MUNI_ROLES)
ADMIN = frozenset({"admin"})
AUDIT = frozenset({"admin", "hq"})

#: Sign-in and account pages: reachable without a role, tested in test_accounts.py.
ACCOUNT_VIEWS = {"login", "logout", "2fa_setup", "2fa_verify", "invitation_accept", "password_reset_confirm"}


@dataclass(frozen=True)
class Case:
    allowed: frozenset[str]
    method: str = "get"
    obj: str | None = None  # which fixture object's pk the URL takes
    extra: tuple[str, ...] = ()  # further URL arguments


TABLE: dict[str, Case] = {
    "home": Case(ALL | {"consortium", "other"}),
    "municipality": Case(ALL),
    "settings": Case(ADMIN),
    "department_list": Case(ALL),
    "department_create": Case(ADMIN),
    "department_detail": Case(ALL, obj="department"),
    "department_update": Case(ADMIN, obj="department"),
    "department_delete": Case(ADMIN, obj="department"),
    "staff_list": Case(ADMIN),
    "staff_invite": Case(ADMIN),
    "invitation_cancel": Case(ADMIN, method="post", obj="invitation"),
    "staff_detail": Case(ADMIN, obj="membership"),
    "staff_update": Case(ADMIN, obj="membership"),
    "staff_reset_password": Case(ADMIN, method="post", obj="membership"),
    "staff_deactivate": Case(ADMIN, method="post", obj="membership"),
    "staff_reactivate": Case(ADMIN, method="post", obj="membership"),
    "closure_list": Case(ALL),
    "closure_create": Case(ADMIN),
    "closure_delete": Case(ADMIN, obj="closure"),
    "audit_log": Case(AUDIT),
    "outbox": Case(ADMIN),
    "policy_page_edit": Case(ADMIN, extra=("accessibility",)),
    "metrics": Case(ALL),
    "consortium": Case(frozenset({"consortium"})),
}
ROLES = (*MUNI_ROLES, "consortium", "other", "anonymous")

#: The yearly review's pages: every role of the municipality reads them; what each may *do* is
#: the transition table (tests/plans/test_review.py).
REVIEW_TABLE = {"reviews:list": ALL, "reviews:cycle": ALL, "reviews:node": ALL}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(REVIEW_TABLE))
def test_review_role_table(world, client: Client, name: str, role: str) -> None:
    town, _consortium, users, _objects = world
    edition = _edition(town)
    cycle = open_cycle(edition, 2024, timezone.localdate())
    node_review = cycle.node_reviews.first()
    assert node_review is not None
    args: list[object] = [town.slug]
    args += {
        "reviews:list": [edition.plan.key],
        "reviews:cycle": [cycle.pk],
        "reviews:node": [cycle.pk, node_review.pk],
    }[name]
    if role != "anonymous":
        login_verified(client, users[role])
    response = client.get(reverse(name, args=args))
    if role == "anonymous":
        assert response.status_code == 302
    elif role in REVIEW_TABLE[name]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def _edition(town):
    plan = Plan.objects.create(municipality=town, key="p")
    edition = PlanEdition.objects.create(
        municipality=town,
        plan=plan,
        number="1",
        title="試験計画",
        kind="計画",
        first_year=2024,
        last_year=2026,
        level_labels=["施策"],
        digest="x",
    )
    Node.objects.create(municipality=town, edition=edition, key="n", depth=1, title="施策", order=0)
    plan.current_edition = edition
    plan.save()
    return edition


def test_table_covers_every_staff_view() -> None:
    names = {p.name for p in staff_patterns[0]}
    assert names - ACCOUNT_VIEWS == set(TABLE), "add the new staff view to TABLE with its roles"
    review_names = {f"reviews:{p.name}" for p in review_urls.urlpatterns}
    assert review_names == set(REVIEW_TABLE), "add the new review view to REVIEW_TABLE"


@pytest.fixture
def world(db):
    town = MunicipalityFactory(slug="here")
    elsewhere = MunicipalityFactory(slug="elsewhere")
    department = DepartmentFactory(municipality=town)
    users = {}
    for role in MUNI_ROLES:
        membership = MembershipFactory(municipality=town, role=role)
        if role == Role.DEPARTMENT:
            membership.departments.set([department])
        users[role] = membership.user
    users["other"] = MembershipFactory(municipality=elsewhere, role=Role.ADMIN).user
    consortium = Consortium.objects.create(slug="pref", name="試験県", kind="prefecture")
    consortium.members.set([town])
    users["consortium"] = UserFactory()
    ConsortiumMembership.objects.create(user=users["consortium"], consortium=consortium)
    target = MembershipFactory(municipality=town, role=Role.COUNTER)
    objects = {
        "department": department,
        "membership": target,
        "invitation": Invitation.objects.create(municipality=town, email="new@example.jp", role=Role.COUNTER),
        "closure": Closure.objects.create(municipality=town, date=timezone.localdate(), reason="臨時"),
    }
    return town, consortium, users, objects


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(TABLE))
def test_role_table(world, client: Client, name: str, role: str) -> None:
    town, consortium, users, objects = world
    case = TABLE[name]
    if name == "home":
        url = reverse("staff:home")
    elif name == "consortium":
        url = reverse("staff:consortium", args=[consortium.slug])
    else:
        args: list[object] = [town.slug]
        if case.obj:
            args.append(objects[case.obj].pk)
        args.extend(case.extra)
        url = reverse(f"staff:{name}", args=args)
    if role != "anonymous":
        login_verified(client, users[role])
    response = getattr(client, case.method)(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff:login"))
    elif role in case.allowed:
        assert response.status_code == (302 if case.method == "post" else 200), response.content[:500]
    else:
        assert response.status_code == 403


def test_records_of_another_municipality_are_not_found(world, client: Client) -> None:
    """An administrator of one municipality guessing ids of another's records gets 404."""
    _town, _consortium, _users, objects = world
    other_town = MunicipalityFactory(slug="other-town")
    admin_there = MembershipFactory(municipality=other_town, role=Role.ADMIN).user
    login_verified(client, admin_there)
    for name, key in (("department_detail", "department"), ("staff_detail", "membership")):
        url = reverse(f"staff:{name}", args=[other_town.slug, objects[key].pk])
        assert client.get(url).status_code == 404
    response = client.post(
        reverse("staff:staff_deactivate", args=[other_town.slug, objects["membership"].pk])
    )
    assert response.status_code == 404
    objects["membership"].refresh_from_db()
    assert objects["membership"].is_active
