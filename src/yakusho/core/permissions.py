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
    LINK_JOINT_GOALS = "link_joint_goals"  # answer a consortium's joint goals (DX推進室)
    REVISE_PLAN = "revise_plan"  # make, edit and adopt a new edition of a plan (DX推進室)
    EDIT_FORMS = "edit_forms"  # upload procedure form definitions (department staff: their 課 only)
    MANAGE_BOOKINGS = "manage_bookings"  # enter, cancel, mark bookings, block slots (課 staff: their 課 only)
    READ_CARDS = "read_cards"  # identify a resident through a card-reader adapter (窓口)
    SERVE_COUNTER = "serve_counter"  # serve residents at the no-writing counter (書かない窓口)
    EDIT_FAQ = "edit_faq"  # write FAQ entries, local answers and synonyms (課 staff: their 課 only)
    ANSWER_QUESTIONS = "answer_questions"  # answer questions residents left (課 staff: their 課 only)
    TAKE_PAYMENTS = "take_payments"  # take payments at the till, void and refund them
    CLOSE_DAY = "close_day"  # close a business day (日計) and export it for the finance system
    MANAGE_FEES = "manage_fees"  # edit the fee catalogue and import it (every member reads and exports it)
    APPROVE_REFUNDS = "approve_refunds"  # approve another's void or refund above the limit


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.SECRETARIAT: frozenset({Perm.VIEW, Perm.OPEN_REVIEW, Perm.LINK_JOINT_GOALS, Perm.REVISE_PLAN}),
    Role.DEPARTMENT: frozenset(
        {Perm.VIEW, Perm.EDIT_FORMS, Perm.MANAGE_BOOKINGS, Perm.EDIT_FAQ, Perm.ANSWER_QUESTIONS}
    ),
    Role.COUNTER: frozenset(
        {
            Perm.VIEW,
            Perm.MANAGE_BOOKINGS,
            Perm.READ_CARDS,
            Perm.SERVE_COUNTER,
            Perm.ANSWER_QUESTIONS,
            Perm.TAKE_PAYMENTS,
            Perm.CLOSE_DAY,
        }
    ),
    Role.HQ: frozenset({Perm.VIEW, Perm.VIEW_AUDIT}),
}


def role_allows(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())
