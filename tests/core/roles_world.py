"""The role tables' world (tests/core/test_roles.py): two municipalities, a 課, a user of each role,
a consortium with its staff, and the objects the staff pages take.

About 1,400 role-table tests stand on it. Built for every test it cost more than the request the test
makes, so it is a kept layer (``tests/conftest.py``, ``ROLES_WORLD``): built once per test process,
below each test's own transaction, and read back by primary key for each test (fresh objects, so
nothing one test does to them in memory reaches the next).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory, UserFactory
from yakusho.core.models import (
    Closure,
    Consortium,
    ConsortiumMembership,
    Department,
    Invitation,
    Membership,
    Municipality,
    Role,
)

MUNI_ROLES = ("admin", "secretariat", "department", "counter", "hq")

#: the primary keys of the world built in this process (while its layer is kept)
_built: dict[str, Any] | None = None


def build() -> None:
    global _built  # one world per test process, like the kept demo
    town = MunicipalityFactory(slug="here")
    elsewhere = MunicipalityFactory(slug="elsewhere")
    department = DepartmentFactory(municipality=town)
    users: dict[str, int] = {}
    for role in MUNI_ROLES:
        membership = MembershipFactory(municipality=town, role=role)
        if role == Role.DEPARTMENT:
            membership.departments.set([department])
        users[role] = membership.user.pk
    users["other"] = MembershipFactory(municipality=elsewhere, role=Role.ADMIN).user.pk
    consortium = Consortium.objects.create(slug="pref", name="試験県", kind="prefecture")
    consortium.members.set([town])
    consortium_user = UserFactory()
    users["consortium"] = consortium_user.pk
    ConsortiumMembership.objects.create(user=consortium_user, consortium=consortium)
    target = MembershipFactory(municipality=town, role=Role.COUNTER)
    invitation = Invitation.objects.create(municipality=town, email="new@example.jp", role=Role.COUNTER)
    closure = Closure.objects.create(municipality=town, date=timezone.localdate(), reason="臨時")
    _built = {
        "town": town.pk,
        "consortium": consortium.pk,
        "users": users,
        "objects": {
            "department": (Department, department.pk),
            "membership": (Membership, target.pk),
            "invitation": (Invitation, invitation.pk),
            "closure": (Closure, closure.pk),
        },
    }


def load() -> tuple[Municipality, Consortium, dict[str, Any], dict[str, Any]]:
    """The world as ``(town, consortium, users by role, objects by name)``, read afresh."""
    if _built is None:
        raise RuntimeError("the role tables' world is not built: ask for the role_world fixture")
    user_model = get_user_model()
    by_pk = user_model.objects.in_bulk(list(_built["users"].values()))
    users = {role: by_pk[pk] for role, pk in _built["users"].items()}
    objects = {name: model.objects.get(pk=pk) for name, (model, pk) in _built["objects"].items()}
    town = Municipality.objects.get(pk=_built["town"])
    return town, Consortium.objects.get(pk=_built["consortium"]), users, objects
