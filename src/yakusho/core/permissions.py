"""What each staff role may do. Views name one permission; this table is the only place roles map.

The role table test (tests/core/test_roles.py) checks every staff URL against its own copy of the
expectations, so a new view without an entry there fails the suite.
"""

from __future__ import annotations

from enum import StrEnum

from yakusho.core.models import Role


class Perm(StrEnum):
    VIEW = "view"  # read the municipality's back-office pages
    MANAGE_STAFF = "manage_staff"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_AUDIT = "view_audit"
    OPEN_REVIEW = "open_review"  # open a yearly review of a plan (DX推進室)


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.SECRETARIAT: frozenset({Perm.VIEW, Perm.OPEN_REVIEW}),
    Role.DEPARTMENT: frozenset({Perm.VIEW}),
    Role.COUNTER: frozenset({Perm.VIEW}),
    Role.HQ: frozenset({Perm.VIEW, Perm.VIEW_AUDIT}),
}


def role_allows(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())
