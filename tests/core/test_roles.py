"""The role table: every staff view, every role, and a user of another municipality."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.core.roles_world import MUNI_ROLES
from tests.factories import MembershipFactory, MunicipalityFactory, UserFactory
from tests.helpers import login_verified
from yakusho.core.models import Role
from yakusho.core.urls import staff_patterns
from yakusho.metrics import urls as metrics_urls
from yakusho.plans.models import Node, NodeReview, Plan, PlanEdition, ReviewEvidence
from yakusho.plans.review import urls as review_urls
from yakusho.plans.review.services import open_cycle
from yakusho.procedures.catalogue import staff_urls as procedure_staff_urls
from yakusho.procedures.models import Procedure

ALL = frozenset(MUNI_ROLES)
ADMIN = frozenset({"admin"})
AUDIT = frozenset({"admin", "hq"})

#: Sign-in and account pages: reachable without a role, tested in test_accounts.py.
ACCOUNT_VIEWS = {"login", "logout", "2fa_setup", "2fa_verify", "invitation_accept", "password_reset_confirm"}

#: the role tables ask who may open each page: the same on every database, so they run once
#: (in the PostgreSQL run; in the SQLite run when no PostgreSQL answers, see the Makefile)
pytestmark = pytest.mark.once


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
    "consortium": Case(frozenset({"consortium"})),
}
ROLES = (*MUNI_ROLES, "consortium", "other", "anonymous")


def login_as(client: Client, users: dict[str, Any], role: str) -> None:
    if role != "anonymous":
        login_verified(client, users[role])


def check_access(response: Any, role: str, allowed: frozenset[str], ok: int | tuple[int, ...] = 200) -> bool:
    """The role table's rule: anonymous visitors go to the login page, allowed roles get ``ok``,
    every other role 403. Returns whether the request was refused (to check nothing changed)."""
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff:login"))
        return True
    if role in allowed:
        expected = ok if isinstance(ok, tuple) else (ok,)
        assert response.status_code in expected, (response.status_code, response.content[:500])
        return False
    assert response.status_code == 403
    return True


#: The yearly review's pages: every role of the municipality reads them; what each may *do* is
#: the transition table (tests/plans/test_review.py).
REVIEW_TABLE = {"reviews:list": ALL, "reviews:cycle": ALL, "reviews:node": ALL}
REVIEW_TABLE |= {"reviews:report": ALL, "reviews:report_download": ALL}  # 進捗状況報告書
#: The review dashboards: a cycle's for every role of the municipality, a consortium's for its staff.
REVIEW_TABLE |= {"reviews:dashboard": ALL, "reviews:consortium_dashboard": frozenset({"consortium"})}
REVIEW_TABLE |= {"reviews:evidence": ALL}  # a review's evidence file
#: A plan's grading scales and a cycle's external evaluation: every role reads; the DX推進室 and the
#: administrator change them.
SECRETARIAT_ADMIN = frozenset({"admin", "secretariat"})
REVIEW_TABLE |= {"reviews:scales": ALL, "reviews:scale": ALL, "reviews:scale_create": SECRETARIAT_ADMIN}
REVIEW_TABLE |= {"reviews:scale_delete": SECRETARIAT_ADMIN, "reviews:scale_retire": SECRETARIAT_ADMIN}
REVIEW_TABLE |= {"reviews:external": ALL}
REVIEW_TABLE |= {"reviews:external_edit": SECRETARIAT_ADMIN, "reviews:external_delete": SECRETARIAT_ADMIN}


def _evidence(node_review: NodeReview) -> ReviewEvidence:
    from django.core.files.base import ContentFile

    evidence = ReviewEvidence(
        municipality_id=node_review.municipality_id,
        review=node_review,
        name="根拠.pdf",
        kind="pdf",
        size=9,
        sha256="0" * 64,
    )
    evidence.file.save("根拠.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return evidence


def _external(cycle: Any) -> Any:
    from yakusho.plans.models import ExternalEvaluation

    return ExternalEvaluation.objects.create(
        municipality_id=cycle.municipality_id,
        cycle=cycle,
        body="外部評価委員会",
        date=cycle.due_date,
        text="意見",
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(REVIEW_TABLE))
def test_review_role_table(world, client: Client, name: str, role: str) -> None:
    town, consortium, users, _objects = world
    edition = _edition(town)
    cycle = open_cycle(edition, 2024, timezone.localdate())
    node_review = cycle.node_reviews.first()
    assert node_review is not None
    args: list[object] = [town.slug]
    args += {
        "reviews:list": [edition.plan.key],
        "reviews:cycle": [cycle.pk],
        "reviews:node": [cycle.pk, node_review.pk],
        "reviews:report": [cycle.pk],
        "reviews:report_download": [cycle.pk, "xlsx"],
        "reviews:dashboard": [cycle.pk],
        "reviews:consortium_dashboard": [],
        "reviews:evidence": [cycle.pk, node_review.pk, _evidence(node_review).pk],
        "reviews:scales": [edition.plan.key],
        "reviews:scale_create": [edition.plan.key],
        "reviews:scale": [edition.grading_scale_id],
        "reviews:scale_delete": [edition.grading_scale_id],
        "reviews:scale_retire": [edition.grading_scale_id],
        "reviews:external": [cycle.pk],
        "reviews:external_edit": [cycle.pk, _external(cycle).pk],
        "reviews:external_delete": [cycle.pk, _external(cycle).pk],
    }[name]
    if name == "reviews:consortium_dashboard":
        args = [consortium.slug]
    login_as(client, users, role)
    response = client.get(reverse(name, args=args))
    check_access(response, role, REVIEW_TABLE[name], 200)


#: Joint goals: the consortium's goal pages for its staff only; the member page for every role of
#: the municipality (only the DX推進室 and the administrator may answer: tests/plans/test_joint_goals.py).
CONSORTIUM_ONLY = frozenset({"consortium"})
JOINT_GOAL_TABLE = {
    "joint_goals:list": CONSORTIUM_ONLY,
    "joint_goals:create": CONSORTIUM_ONLY,
    "joint_goals:update": CONSORTIUM_ONLY,
    "joint_goals:delete": CONSORTIUM_ONLY,
    "joint_goals:detail": CONSORTIUM_ONLY,
    "joint_goals:export": CONSORTIUM_ONLY,
    "joint_goals:member": ALL,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(JOINT_GOAL_TABLE))
def test_joint_goal_role_table(world, client: Client, name: str, role: str) -> None:
    from yakusho.plans.models import JointGoal

    town, consortium, users, _objects = world
    goal = JointGoal.objects.create(consortium=consortium, key="g", title="共通目標", target_text="試験")
    if name == "joint_goals:member":
        args: list[object] = [town.slug]
    elif name in ("joint_goals:update", "joint_goals:delete", "joint_goals:detail"):
        args = [consortium.slug, goal.key]
    elif name == "joint_goals:export":
        args = [consortium.slug, goal.key, "csv"]
    else:
        args = [consortium.slug]
    login_as(client, users, role)
    response = client.get(reverse(name, args=args))
    check_access(response, role, JOINT_GOAL_TABLE[name], 200)


#: Plan revision: every role of the municipality reads the editions and the editor; only the DX推進室
#: and the administrator open the new-KPI and adopt pages, and POST anything (a new edition, node or
#: KPI edits, adoption). (name, method) → roles allowed.
REVISE = frozenset({"admin", "secretariat"})
REVISION_TABLE = {
    ("revisions:list", "get"): ALL,
    ("revisions:draft", "get"): ALL,
    ("revisions:node", "get"): ALL,
    ("revisions:kpi", "get"): ALL,
    ("revisions:kpi_new", "get"): REVISE,
    ("revisions:adopt", "get"): REVISE,
    ("revisions:list", "post"): REVISE,
    ("revisions:draft", "post"): REVISE,
    ("revisions:node", "post"): REVISE,
    ("revisions:kpi", "post"): REVISE,
    ("revisions:kpi_new", "post"): REVISE,
    ("revisions:adopt", "post"): REVISE,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), sorted(REVISION_TABLE))
def test_revision_role_table(world, client: Client, name: str, method: str, role: str) -> None:
    import datetime

    from yakusho.plans.revision import editing as revision

    town, _consortium, users, _objects = world
    plan = _edition(town).plan
    draft = revision.new_edition(plan, "2", datetime.date(2025, 4, 1))
    node = draft.nodes.get()
    kpi = revision.save_kpi(draft, None, node=node, targets=[], name="指標", direction="qualitative")
    args: list[object] = [town.slug, plan.key]
    args += {
        "revisions:list": [],
        "revisions:draft": [draft.number],
        "revisions:node": [draft.number, node.key],
        "revisions:kpi": [draft.number, kpi.key],
        "revisions:kpi_new": [draft.number],
        "revisions:adopt": [draft.number],
    }[name]
    login_as(client, users, role)
    response = getattr(client, method)(reverse(name, args=args))
    check_access(response, role, REVISION_TABLE[(name, method)], 200 if method == "get" else (200, 302, 400))


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
    assert names - ACCOUNT_VIEWS == set(TABLE) | set(OPERATOR_TABLE), (
        "add the new staff view to TABLE with its roles"
    )
    review_names = {f"reviews:{p.name}" for p in review_urls.urlpatterns}
    assert review_names == set(REVIEW_TABLE), "add the new review view to REVIEW_TABLE"
    procedure_names = {f"procedures_staff:{p.name}" for p in procedure_staff_urls.urlpatterns}
    assert procedure_names == set(PROCEDURE_TABLE), "add the new procedure view to PROCEDURE_TABLE"
    metrics_names = {f"metrics:{p.name}" for p in metrics_urls.urlpatterns}
    assert metrics_names == set(METRICS_TABLE), "add the new metrics view to METRICS_TABLE"


#: The metrics app's staff page (moved out of core, which imports no other app).
METRICS_TABLE = {"metrics:staff": ALL}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(METRICS_TABLE))
def test_metrics_role_table(world, client: Client, name: str, role: str) -> None:
    town, _consortium, users, _objects = world
    login_as(client, users, role)
    response = client.get(reverse(name, args=[town.slug]))
    check_access(response, role, METRICS_TABLE[name], 200)


@pytest.fixture
def world(role_world):
    """The world every role table stands on (``tests/core/roles_world.py``, built once per process)."""
    return role_world


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
    login_as(client, users, role)
    response = getattr(client, case.method)(url)
    check_access(response, role, case.allowed, 302 if case.method == "post" else 200)


#: The system operator's pages (docs/operator.md): for operators only, whatever role one holds in a
#: municipality; GET only here (what a POST does: tests/core/test_operator.py).
OPERATOR_TABLE = {
    "operator_municipalities": [],
    "operator_consortia": [],
    "operator_municipality_add": [],
    "operator_consortium_add": [],
    "operator_municipality": ["here"],
    "operator_suspend": ["here"],
    "operator_resume": ["here"],  # not suspended: back to its page (302)
}


@pytest.mark.parametrize("role", (*ROLES, "operator"))
@pytest.mark.parametrize("name", sorted(OPERATOR_TABLE))
def test_operator_role_table(world, client: Client, name: str, role: str) -> None:
    _town, _consortium, users, _objects = world
    if role == "operator":
        users["operator"] = UserFactory(is_operator=True)
    login_as(client, users, role)
    response = client.get(reverse(f"staff:{name}", args=OPERATOR_TABLE[name]))
    check_access(response, role, frozenset({"operator"}), 302 if name == "operator_resume" else 200)
    if name == "operator_resume" and role == "operator":
        assert response["Location"] == reverse("staff:operator_municipality", args=["here"])


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


#: The procedure catalogue's staff pages: every role reads; uploading a form is for administrators
#: and department staff of the procedure's 課 (the fixture's department user is bound to it).
PROCEDURE_TABLE = {
    "procedures_staff:list": ALL,
    "procedures_staff:detail": ALL,
    "procedures_staff:form_upload": frozenset({"admin", "department"}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(PROCEDURE_TABLE))
def test_procedure_role_table(world, client: Client, name: str, role: str) -> None:
    town, _consortium, users, objects = world
    procedure = Procedure.objects.create(
        municipality=town, department=objects["department"], key="p", name="試験の手続"
    )
    args: list[object] = [town.slug] + ([] if name == "procedures_staff:list" else [procedure.pk])
    login_as(client, users, role)
    response = client.get(reverse(name, args=args))
    check_access(response, role, PROCEDURE_TABLE[name], 200)


#: The submissions inbox: every role of the municipality reads it (department staff only their
#: 課's submissions — the fixture's submission is of their 課); acting on a submission (here: an
#: internal note) is for administrators, the DX推進室 and the 課's staff. Who may make which
#: status transition is the table in procedures/submissions.py (tests/procedures/test_submissions_inbox.py).
INBOX_TABLE: dict[str, tuple[frozenset[str], str]] = {
    "inbox:list": (ALL, "get"),
    "inbox:export": (ALL, "get"),
    "inbox:detail": (ALL, "get"),
    "inbox:file": (ALL, "get"),
    "inbox:pdf": (ALL, "get"),
    "inbox:action": (frozenset({"admin", "secretariat", "department"}), "post"),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(INBOX_TABLE))
def test_inbox_role_table(world, client: Client, settings, tmp_path, name: str, role: str) -> None:
    from tests.procedures.helpers import minimal_form
    from yakusho.procedures.catalogue.services import add_form_definition
    from yakusho.procedures.models import Submission, SubmissionAttachment

    settings.MEDIA_ROOT = tmp_path
    town, _consortium, users, objects = world
    procedure = Procedure.objects.create(
        municipality=town, department=objects["department"], key="p", name="手続"
    )
    form = add_form_definition(procedure, minimal_form("p"))
    submission = Submission.objects.create(
        municipality=town,
        procedure=procedure,
        form=form,
        form_version=1,
        data={"name": "試験"},
        code="ACEFHJK3",
        secret_hash="x",
        idempotency_key="k",
        submitted_at=timezone.now(),
    )
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "f").write_bytes(b"%PDF-1.4")
    attachment = SubmissionAttachment.objects.create(
        municipality=town,
        submission=submission,
        source="form",
        name="a.pdf",
        size=8,
        content_type="application/pdf",
        sha256="",
        path="f",
    )
    allowed, method = INBOX_TABLE[name]
    args: list[object] = {
        "inbox:list": [town.slug],
        "inbox:export": [town.slug, "csv"],
        "inbox:detail": [town.slug, submission.pk],
        "inbox:file": [town.slug, submission.pk, attachment.pk],
        "inbox:pdf": [town.slug, submission.pk],
        "inbox:action": [town.slug, submission.pk, "note"],
    }[name]
    login_as(client, users, role)
    data = {"body": "メモ"} if method == "post" else None
    response = getattr(client, method)(reverse(name, args=args), data)
    check_access(response, role, allowed, 302 if method == "post" else 200)


#: Queue tickets (整理券): every role of the municipality reads the list and a service's board;
#: issuing, calling and acting on tickets is for administrators, 窓口職員 and the 課's own staff
#: (the fixture's department user is bound to the service's 課); services are set up by
#: administrators. Who may make which transition is the table in bookings/queue.py
#: (tests/bookings/test_queue.py). (name, method) → roles allowed.
QUEUE_OPERATORS = frozenset({"admin", "counter", "department"})
QUEUE_TABLE = {
    ("queue_staff:list", "get"): ALL,
    ("queue_staff:board", "get"): ALL,
    ("queue_staff:service_create", "get"): ADMIN,
    ("queue_staff:service_edit", "get"): ADMIN,
    ("queue_staff:issue", "post"): QUEUE_OPERATORS,
    ("queue_staff:call_next", "post"): QUEUE_OPERATORS,
    ("queue_staff:action", "post"): QUEUE_OPERATORS,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), sorted(QUEUE_TABLE))
def test_queue_role_table(world, client: Client, name: str, method: str, role: str) -> None:
    from yakusho.bookings.queue.models import QueueDayCounter, QueueService, QueueTicket

    town, _consortium, users, objects = world
    service = QueueService.objects.create(
        municipality=town, department=objects["department"], key="counter", name="住民窓口", windows=["窓口1"]
    )
    ticket = QueueTicket.objects.create(
        municipality=town,
        service=service,
        day=timezone.localdate(),
        number=1,
        code="ACEFHJK3",
        channel="kiosk",
        issued_at=timezone.now(),
    )
    QueueDayCounter.objects.create(service=service, day=ticket.day, last_number=1)
    extra: dict[str, list[object]] = {
        "queue_staff:list": [],
        "queue_staff:service_create": [],
        "queue_staff:board": [service.key],
        "queue_staff:service_edit": [service.key],
        "queue_staff:issue": [service.key],
        "queue_staff:call_next": [service.key],
        "queue_staff:action": [service.key, ticket.pk, "call"],
    }
    args: list[object] = [town.slug, *extra[name]]
    login_as(client, users, role)
    data = {"window": "窓口1"} if method == "post" else None
    response = getattr(client, method)(reverse(name, args=args), data)
    if check_access(response, role, QUEUE_TABLE[(name, method)], 302 if method == "post" else 200):
        assert list(QueueTicket.objects.values_list("status", flat=True)) == ["waiting"]


#: Bookings (予約): every role of the municipality reads the day and week views and exports; entering,
#: cancelling and marking bookings, blocking slots and closing a day are for administrators, counter
#: staff and the resource's 課 (the fixture's department user is bound to it). Rules in
#: tests/bookings/test_staff.py.
BOOKING_MANAGERS = frozenset({"admin", "department", "counter"})
BOOKING_TABLE: dict[tuple[str, str], frozenset[str]] = {
    ("bookings_staff:resources", "get"): ALL,
    ("bookings_staff:day", "get"): ALL,
    ("bookings_staff:week", "get"): ALL,
    ("bookings_staff:export", "get"): ALL,
    ("bookings_staff:booking", "get"): ALL,
    ("bookings_staff:book", "get"): BOOKING_MANAGERS,
    ("bookings_staff:slot_block", "post"): BOOKING_MANAGERS,
    ("bookings_staff:close_day", "get"): BOOKING_MANAGERS,
    ("bookings_staff:booking_action", "post"): BOOKING_MANAGERS,
    ("bookings_staff:booking_cancel", "get"): BOOKING_MANAGERS,
    ("bookings_staff:resource_create", "get"): BOOKING_MANAGERS,
    ("bookings_staff:resource_edit", "get"): BOOKING_MANAGERS,
    ("bookings_staff:session_add", "get"): BOOKING_MANAGERS,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), sorted(BOOKING_TABLE))
def test_booking_role_table(world, client: Client, name: str, method: str, role: str) -> None:
    from datetime import datetime, time, timedelta

    from yakusho.bookings.models import Booking, Resource, Slot

    town, _consortium, users, objects = world
    resource = Resource.objects.create(
        municipality=town, department=objects["department"], key="room", name="会議室", kind="room"
    )
    starts = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=10), time(10)))
    slot = Slot.objects.create(
        municipality=town,
        resource=resource,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        capacity=2,
        booked=1,
    )
    booking = Booking.objects.create(
        municipality=town, resource=resource, slot=slot, code="ACEFHJK3", status="confirmed", name="予約 太郎"
    )
    day = timezone.localdate().isoformat()
    extra: dict[str, list[object]] = {
        "bookings_staff:resources": [],
        "bookings_staff:day": [day],
        "bookings_staff:week": [day],
        "bookings_staff:export": ["csv"],
        "bookings_staff:booking": [booking.pk],
        "bookings_staff:book": [slot.pk],
        "bookings_staff:slot_block": [slot.pk],
        "bookings_staff:close_day": [resource.pk, day],
        "bookings_staff:booking_action": [booking.pk, "attended"],
        "bookings_staff:booking_cancel": [booking.pk],
        "bookings_staff:resource_create": [],
        "bookings_staff:resource_edit": [resource.pk],
        "bookings_staff:session_add": [resource.pk],
    }
    args: list[object] = [town.slug, *extra[name]]
    login_as(client, users, role)
    data = {"reason": "点検"} if method == "post" else None
    response = getattr(client, method)(reverse(name, args=args), data)
    if check_access(response, role, BOOKING_TABLE[(name, method)], 302 if method == "post" else 200):
        booking.refresh_from_db()
        slot.refresh_from_db()
        assert booking.status == "confirmed" and not slot.is_blocked


#: Card-reader adapters (カードリーダー): administrators switch and configure them; counter staff and
#: administrators list them and try a reading (Perm.READ_CARDS). (name, method) → roles allowed.
CARD_READERS = frozenset({"admin", "counter"})
READER_TABLE = {
    ("readers_staff:list", "get"): CARD_READERS,
    ("readers_staff:setting", "get"): ADMIN,
    ("readers_staff:setting", "post"): ADMIN,
    ("readers_staff:switch", "post"): ADMIN,
    ("readers_staff:try", "get"): CARD_READERS,
    ("readers_staff:try", "post"): CARD_READERS,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), sorted(READER_TABLE))
def test_reader_role_table(world, client: Client, name: str, method: str, role: str) -> None:
    from yakusho.procedures.models import ReaderSetting

    town, _consortium, users, _objects = world
    args: list[object] = [town.slug] if name == "readers_staff:list" else [town.slug, "manual"]
    data = {
        "readers_staff:setting": {"config": '{"require_kana": true}'},
        "readers_staff:switch": {"enabled": "0"},
        "readers_staff:try": {
            "name": "試験 太郎",
            "address": "試験町1",
            "birth_date": "R1.5.1",
            "sex": "male",
        },
    }.get(name)
    login_as(client, users, role)
    response = getattr(client, method)(reverse(name, args=args), data if method == "post" else None)
    ok = 302 if method == "post" and name != "readers_staff:try" else 200
    if check_access(response, role, READER_TABLE[(name, method)], ok):
        assert not ReaderSetting.objects.exists()


def test_reader_table_covers_every_view() -> None:
    from yakusho.procedures.counter.readers import urls as reader_urls

    names = {f"readers_staff:{p.name}" for p in reader_urls.urlpatterns}
    assert names == {name for name, _method in READER_TABLE}, "add the new card-reader view to READER_TABLE"


#: The counter (書かない窓口): counter staff and administrators serve residents (Perm.SERVE_COUNTER);
#: administrators configure the one-stop rules. (name, method) → roles allowed.
COUNTER_STAFF = frozenset({"admin", "counter"})
COUNTER_TABLE = {
    ("counter:home", "get"): COUNTER_STAFF,
    ("counter:home", "post"): COUNTER_STAFF,
    ("counter:screens", "get"): COUNTER_STAFF,
    ("counter:screens", "post"): COUNTER_STAFF,
    ("counter:one_stop", "get"): ADMIN,
    ("counter:one_stop_edit", "get"): ADMIN,
    ("counter:one_stop_edit", "post"): ADMIN,
    ("counter:visit", "get"): COUNTER_STAFF,
    ("counter:status", "get"): COUNTER_STAFF,
    ("counter:identify", "get"): COUNTER_STAFF,
    ("counter:identify", "post"): COUNTER_STAFF,
    ("counter:procedures", "get"): COUNTER_STAFF,
    ("counter:procedures", "post"): COUNTER_STAFF,
    ("counter:item", "get"): COUNTER_STAFF,
    ("counter:item", "post"): COUNTER_STAFF,
    ("counter:request_confirmation", "post"): COUNTER_STAFF,
    ("counter:reopen", "post"): COUNTER_STAFF,
    ("counter:finish", "post"): COUNTER_STAFF,
    ("counter:abandon", "post"): COUNTER_STAFF,
    ("counter:done", "get"): COUNTER_STAFF,
    ("counter:paper", "get"): COUNTER_STAFF,
    ("counter:receipt", "get"): COUNTER_STAFF,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), sorted(COUNTER_TABLE))
def test_counter_role_table(world, client: Client, name: str, method: str, role: str) -> None:
    from tests.procedures.helpers import make_procedure, minimal_form
    from yakusho.procedures.catalogue.services import add_form_definition
    from yakusho.procedures.counter import services as counter
    from yakusho.procedures.models import CounterVisit, CounterVisitItem, OneStopRule

    town, _consortium, users, objects = world
    procedure = make_procedure(town, objects["department"], "kakunin", "確認の手続", paper_at_counter=True)
    add_form_definition(procedure, minimal_form("kakunin"))
    visit = counter.start_visit(town, None)
    counter.identify(
        visit, "manual", {"name": "試験 太郎", "address": "試験町1", "birth_date": "R1.5.1", "sex": "1"}
    )
    (item,) = counter.set_procedures(visit, [procedure.pk])
    if name in ("counter:done", "counter:paper", "counter:receipt"):
        counter.save_item(visit, item, {"name": ["試験 太郎"]})
        counter.request_confirmation(visit)
        counter.resident_confirms(visit)
        counter.finish(visit)
    extra: dict[str, list[object]] = {
        "counter:home": [],
        "counter:one_stop": [],
        "counter:screens": [],
        "counter:one_stop_edit": ["moving-in"],
        "counter:item": [visit.code, item.pk],
    }
    args: list[object] = [town.slug, *extra.get(name, [visit.code])]
    data = {
        "counter:identify": {
            "reader": "manual",
            "name": "試験 花子",
            "address": "試験町2",
            "birth_date": "R2.1.1",
            "sex": "female",
        },
        "counter:procedures": {"procedures": [procedure.pk]},
        "counter:item": {"name": "試験 次郎"},
        "counter:one_stop_edit": {f"use_{procedure.pk}": "on", f"order_{procedure.pk}": "1"},
        "counter:screens": {"name": "1番窓口のタブレット"},
    }.get(name, {})
    before = (visit.status, CounterVisit.objects.count(), OneStopRule.objects.count())
    login_as(client, users, role)
    response = getattr(client, method)(reverse(name, args=args), data if method == "post" else None)
    ok = 302 if method == "post" and name != "counter:screens" else 200  # pairing shows the address once
    if check_access(response, role, COUNTER_TABLE[(name, method)], ok):
        visit.refresh_from_db()
        assert (visit.status, CounterVisit.objects.count(), OneStopRule.objects.count()) == before
        assert visit.identity["name"] == "試験 太郎"
        assert CounterVisitItem.objects.get().answers.get("name") != ["試験 次郎"]


def test_the_residents_confirmation_page_needs_no_sign_in_only_its_token(world, client: Client) -> None:
    from tests.procedures.helpers import make_procedure, minimal_form
    from yakusho.procedures.catalogue.services import add_form_definition
    from yakusho.procedures.counter import services as counter

    town, _consortium, _users, objects = world
    procedure = make_procedure(town, objects["department"], "kakunin", "確認の手続")
    add_form_definition(procedure, minimal_form("kakunin"))
    visit = counter.start_visit(town, None)
    counter.identify(
        visit, "manual", {"name": "試験 太郎", "address": "試験町1", "birth_date": "R1.5.1", "sex": "1"}
    )
    (item,) = counter.set_procedures(visit, [procedure.pk])
    counter.save_item(visit, item, {"name": ["試験 太郎"]})
    token = counter.request_confirmation(visit)
    assert client.get(reverse("counter_public:confirm", args=[token])).status_code == 200
    assert client.get(reverse("counter_public:confirm", args=[token[::-1]])).status_code == 404


#: The form designer: administrators and department staff of the procedure's 課 (the fixture's
#: department user is bound to it) — Perm.EDIT_FORMS and services.can_edit_forms. (name, method) → roles.
FORM_EDITORS = frozenset({"admin", "department"})
DESIGNER_TABLE = {
    ("designer:procedure_create", "get"): FORM_EDITORS,
    ("designer:overview", "get"): FORM_EDITORS,
    ("designer:start", "post"): FORM_EDITORS,
    ("designer:discard", "post"): FORM_EDITORS,
    ("designer:settings", "get"): FORM_EDITORS,
    ("designer:page_add", "post"): FORM_EDITORS,
    ("designer:page", "get"): FORM_EDITORS,
    ("designer:page_move", "post"): FORM_EDITORS,
    ("designer:page_delete", "post"): FORM_EDITORS,
    ("designer:field_add", "post"): FORM_EDITORS,
    ("designer:field", "get"): FORM_EDITORS,
    ("designer:field_type", "post"): FORM_EDITORS,
    ("designer:field_move", "post"): FORM_EDITORS,
    ("designer:field_delete", "post"): FORM_EDITORS,
    ("designer:preview", "get"): FORM_EDITORS,
    ("designer:preview_counter", "get"): FORM_EDITORS,
    ("designer:publish", "get"): FORM_EDITORS,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), sorted(DESIGNER_TABLE))
def test_designer_role_table(world, client: Client, name: str, method: str, role: str) -> None:
    from tests.procedures.helpers import minimal_form
    from yakusho.procedures import designer
    from yakusho.procedures.catalogue.services import add_form_definition

    town, _consortium, users, objects = world
    procedure = Procedure.objects.create(
        municipality=town, department=objects["department"], key="p", name="試験の手続"
    )
    add_form_definition(procedure, minimal_form("p"))
    draft = designer.start_draft(procedure)
    before = (designer.stamp(draft), draft.definition)
    extra: dict[str, list[object]] = {
        "designer:procedure_create": [],
        "designer:page": [procedure.pk, 0],
        "designer:page_move": [procedure.pk, 0],
        "designer:page_delete": [procedure.pk, 0],
        "designer:field": [procedure.pk, "0-0"],
        "designer:field_type": [procedure.pk, "0-0"],
        "designer:field_move": [procedure.pk, "0-0"],
        "designer:field_delete": [procedure.pk, "0-0"],
    }
    args: list[object] = [town.slug, *extra.get(name, [procedure.pk])]
    data = {
        "stamp": before[0],
        "title": "追加",
        "page": "0",
        "type": "textarea",
        "label": "追加",
        "direction": "down",
    }
    login_as(client, users, role)
    response = getattr(client, method)(reverse(name, args=args), data if method == "post" else None)
    if check_access(response, role, DESIGNER_TABLE[(name, method)], 302 if method == "post" else 200):
        draft.refresh_from_db()
        assert (designer.stamp(draft), draft.definition) == before
        assert Procedure.objects.count() == 1


def _names(table: Any) -> set[str]:
    return {key[0] if isinstance(key, tuple) else key for key in table}


@pytest.mark.parametrize(
    ("urlconf", "namespace", "table"),
    [
        ("yakusho.plans.joint_goals.urls", "joint_goals", "JOINT_GOAL_TABLE"),
        ("yakusho.plans.revision.urls", "revisions", "REVISION_TABLE"),
        ("yakusho.procedures.submissions.inbox_urls", "inbox", "INBOX_TABLE"),
        ("yakusho.bookings.queue.staff_urls", "queue_staff", "QUEUE_TABLE"),
        ("yakusho.bookings.staff_urls", "bookings_staff", "BOOKING_TABLE"),
        ("yakusho.procedures.counter.readers.urls", "readers_staff", "READER_TABLE"),
        ("yakusho.procedures.designer.urls", "designer", "DESIGNER_TABLE"),
        ("yakusho.procedures.counter.urls", "counter", "COUNTER_TABLE"),
    ],
)
def test_every_view_of_a_module_is_in_its_role_table(urlconf: str, namespace: str, table: str) -> None:
    from importlib import import_module

    names = {f"{namespace}:{p.name}" for p in import_module(urlconf).urlpatterns}
    assert names == _names(globals()[table]), f"add the new view to {table}"


#: The FAQ's staff pages (docs/faq.md): every role reads the analysis, the entries, the synonyms and
#: the questions; administrators and 課 staff edit entries of their 課 (the fixture's department user
#: is bound to the entry's 課); administrators alone import and change the synonyms. Answering a
#: question: tests/faq/test_questions.py.
FAQ_EDITORS = frozenset({"admin", "department"})
FAQ_TABLE: dict[tuple[str, str], frozenset[str]] = {
    ("faq_staff:analysis", "get"): ALL,
    ("faq_staff:analysis_export", "get"): ALL,
    ("faq_staff:entries", "get"): ALL,
    ("faq_staff:entry_create", "get"): FAQ_EDITORS,
    ("faq_staff:entry_edit", "get"): FAQ_EDITORS,
    ("faq_staff:entries_export", "get"): ALL,
    ("faq_staff:entries_import", "get"): ADMIN,
    ("faq_staff:override_edit", "get"): FAQ_EDITORS,
    ("faq_staff:synonyms", "get"): ALL,
    ("faq_staff:synonym_delete", "post"): ADMIN,
    ("faq_staff:questions", "get"): ALL,
    ("faq_staff:question", "get"): ALL,
    ("faq_staff:question_to_entry", "post"): FAQ_EDITORS,
}


def test_faq_table_covers_every_faq_staff_view() -> None:
    from yakusho.faq import staff_urls as faq_staff_urls

    assert {f"faq_staff:{p.name}" for p in faq_staff_urls.urlpatterns} == {n for n, _m in FAQ_TABLE}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), sorted(FAQ_TABLE))
def test_faq_role_table(world, client: Client, name: str, method: str, role: str) -> None:
    from yakusho.core.models import SynonymGroup
    from yakusho.faq.models import Entry, Question, SharedEntry

    town, consortium, users, objects = world
    entry = Entry.objects.create(
        municipality=town,
        key="k",
        category="ごみ",
        question="問い",
        answer="答え",
        department=objects["department"],
    )
    shared = SharedEntry.objects.create(
        consortium=consortium, key="s", category="ごみ", question="共有", answer="答"
    )
    synonyms = SynonymGroup.objects.create(municipality=town, words="マイナ、マイナンバーカード")
    question = Question.objects.create(
        municipality=town,
        code="ACEF3467",
        asked_at=timezone.now(),
        text="質問",
        email="q@example.jp",
        department=objects["department"],
    )
    extra: dict[str, list[object]] = {
        "faq_staff:entry_edit": [entry.pk],
        "faq_staff:entries_export": ["csv"],
        "faq_staff:override_edit": [shared.pk],
        "faq_staff:synonym_delete": [synonyms.pk],
        "faq_staff:question": [question.pk],
        "faq_staff:question_to_entry": [question.pk],
    }
    login_as(client, users, role)
    response = getattr(client, method)(reverse(name, args=[town.slug, *extra.get(name, [])]))
    if check_access(response, role, FAQ_TABLE[(name, method)], 302 if method == "post" else 200):
        assert SynonymGroup.objects.filter(pk=synonyms.pk).exists()
        assert not Entry.objects.exclude(pk=entry.pk).exists()


#: The payment pages (docs/payments.md): every role reads; the till and the close are the counter's
#: and the administrators'; the catalogue is edited and approvals given by administrators.
TILL_STAFF = frozenset({"admin", "counter"})
PAYMENTS_TABLE: dict[tuple[str, str], frozenset[str]] = {
    ("payments_staff:payments", "get"): ALL,
    ("payments_staff:till", "get"): TILL_STAFF,
    ("payments_staff:till", "post"): TILL_STAFF,
    ("payments_staff:payment", "get"): ALL,
    ("payments_staff:payment", "post"): TILL_STAFF,
    ("payments_staff:payment_settle", "post"): TILL_STAFF,  # those who close the day
    ("payments_staff:receipt", "get"): ALL,
    ("payments_staff:reversal_decide", "post"): ADMIN,
    ("payments_staff:days", "get"): ALL,
    ("payments_staff:day", "get"): ALL,
    ("payments_staff:day", "post"): TILL_STAFF,
    ("payments_staff:day_pdf", "get"): ALL,
    ("payments_staff:day_export", "get"): TILL_STAFF,  # the finance export: those who close
    ("payments_staff:fees", "get"): ALL,
    ("payments_staff:fee_create", "get"): ADMIN,
    ("payments_staff:fee_edit", "get"): ADMIN,
    ("payments_staff:rate_create", "get"): ADMIN,
    ("payments_staff:fees_export", "get"): ALL,
    ("payments_staff:fees_import", "get"): ADMIN,
    ("payments_staff:selfcheckout", "get"): TILL_STAFF,
    ("payments_staff:selfcheckout", "post"): TILL_STAFF,
    ("payments_staff:selfcheckout_retire", "post"): TILL_STAFF,
}


def test_payments_table_covers_every_payment_staff_view() -> None:
    from yakusho.payments import staff_urls as payments_staff_urls

    assert {f"payments_staff:{p.name}" for p in payments_staff_urls.urlpatterns} == {
        n for n, _m in PAYMENTS_TABLE
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), sorted(PAYMENTS_TABLE))
def test_payments_role_table(world, client: Client, name: str, method: str, role: str) -> None:
    from tests.payments.conftest import make_catalogue
    from yakusho.payments import selfcheckout, services
    from yakusho.payments.models import DailyClose, Payment, Reversal

    town, _consortium, users, _objects = world
    kiosk, _token = selfcheckout.register(town, users["admin"], "ロビー")
    items = make_catalogue(town)
    payment = services.take(
        town, [services.quote(items["kaikan"], 9)], method="cash", tendered=9000, request_key="paid"
    )
    reversal = services.request_reversal(
        payment, kind="refund", amount=9000, reason="利用中止", staff=users["counter"], request_key="r"
    )
    today = timezone.localdate()
    services.close_day(town, today, counted_cash=9000, reason="", staff=users["admin"])
    extra: dict[str, list[object]] = {
        "payments_staff:payment": [payment.code],
        "payments_staff:receipt": [payment.code],
        "payments_staff:payment_settle": [payment.code],
        "payments_staff:reversal_decide": [reversal.pk],
        "payments_staff:day": [today.isoformat()],
        "payments_staff:day_pdf": [today.isoformat()],
        "payments_staff:day_export": [today.isoformat()],
        "payments_staff:fee_edit": [items["juminhyo"].pk],
        "payments_staff:rate_create": [items["juminhyo"].pk],
        "payments_staff:selfcheckout_retire": [kiosk.pk],
    }
    login_as(client, users, role)
    response = getattr(client, method)(reverse(name, args=[town.slug, *extra.get(name, [])]))
    # a post from an allowed role answers with its form's errors (200) or a redirect; refused ones
    # change nothing
    if check_access(
        response, role, PAYMENTS_TABLE[(name, method)], (200, 303, 302, 400) if method == "post" else 200
    ):
        assert Payment.objects.filter(municipality=town).count() == 1
        assert Reversal.objects.get(pk=reversal.pk).status == "pending"
        assert DailyClose.objects.filter(municipality=town).count() == 1
