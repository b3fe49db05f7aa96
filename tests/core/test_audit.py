"""The audit trail: who changed what, when, before and after; reads of personal data; erasure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core import audit
from yakusho.core.middleware import AuditActorMiddleware
from yakusho.core.models import Department, Invitation, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client: Client):
    membership = MembershipFactory(role=Role.ADMIN)
    login_verified(client, membership.user)
    return membership


def test_create_update_delete_are_kept_with_actor_and_values(client: Client, admin) -> None:
    town = admin.municipality
    client.post(reverse("staff:department_create", args=[town.slug]), {"name": "総務課", "order": 1})
    department = Department.objects.get(municipality=town)
    client.post(
        reverse("staff:department_update", args=[town.slug, department.pk]),
        {"name": "総務企画課", "order": 1},
    )
    entries = list(audit.history(department))
    assert [e.action for e in entries] == [LogEntry.Action.UPDATE, LogEntry.Action.CREATE]
    assert all(e.actor == admin.user for e in entries)
    assert entries[0].changes_dict["name"] == ["総務課", "総務企画課"]
    page = client.get(reverse("staff:department_detail", args=[town.slug, department.pk])).content.decode()
    assert "変更履歴" in page and "総務課 → 総務企画課" in page
    pk = department.pk
    client.post(reverse("staff:department_delete", args=[town.slug, pk]))
    deleted = LogEntry.objects.get(
        object_pk=str(pk), action=LogEntry.Action.DELETE, content_type__model="department"
    )
    assert deleted.actor == admin.user and deleted.changes_dict["name"][0] == "総務企画課"


def test_municipality_audit_log_shows_only_its_own_records(client: Client, admin) -> None:
    town = admin.municipality
    DepartmentFactory(municipality=town, name="こちらの課")
    DepartmentFactory(municipality=MunicipalityFactory(), name="よその課")
    page = client.get(reverse("staff:audit_log", args=[town.slug])).content.decode()
    assert "こちらの課" in page
    assert "よその課" not in page


def test_reading_a_staff_page_is_logged(client: Client, admin) -> None:
    target = MembershipFactory(municipality=admin.municipality, role=Role.COUNTER)
    client.get(reverse("staff:staff_detail", args=[admin.municipality.slug, target.pk]))
    reads = LogEntry.objects.get_for_object(target).filter(action=LogEntry.Action.ACCESS)
    assert reads.count() == 1 and reads.get().actor == admin.user


def test_role_change_is_kept_with_departments(client: Client, admin) -> None:
    town = admin.municipality
    department = DepartmentFactory(municipality=town)
    target = MembershipFactory(municipality=town, role=Role.COUNTER)
    client.post(
        reverse("staff:staff_update", args=[town.slug, target.pk]),
        {"role": Role.DEPARTMENT, "departments": [department.pk]},
    )
    changes = [e.changes_dict for e in audit.history(target)]
    assert any(c.get("role") == ["counter", "department"] for c in changes)
    assert any("departments" in c for c in changes)


def test_erasure_removes_personal_data_from_history_but_keeps_the_fact() -> None:
    town = MunicipalityFactory()
    invitation = Invitation.objects.create(
        municipality=town, email="secret.person@example.jp", role=Role.COUNTER
    )
    invitation.display_name = "秘密 太郎"
    invitation.save()
    pk = invitation.pk
    assert LogEntry.objects.filter(object_pk=str(pk), content_type__model="invitation").count() == 2
    audit.erase_with_history(invitation, "保存期間の経過")
    remaining = LogEntry.objects.filter(object_pk=str(pk), content_type__model="invitation")
    assert remaining.count() == 1
    entry = remaining.get()
    assert entry.action == LogEntry.Action.DELETE and entry.changes_dict == {"erased": ["", "保存期間の経過"]}
    dump = " ".join(str(v) for v in LogEntry.objects.values_list("changes", "object_repr", "changes_text"))
    assert "secret.person" not in dump and "秘密" not in dump
    assert not Invitation.objects.filter(pk=pk).exists()
    assert entry in audit.for_municipality(town)


def test_purge_expired_erases_only_past_retention() -> None:
    town = MunicipalityFactory()
    old = Invitation.objects.create(
        municipality=town,
        email="old@example.jp",
        role=Role.COUNTER,
        expires_at=timezone.now() - Invitation.RETENTION - timedelta(days=1),
    )
    recent = Invitation.objects.create(
        municipality=town,
        email="recent@example.jp",
        role=Role.COUNTER,
        expires_at=timezone.now() - timedelta(days=1),
    )
    call_command("purge_expired", verbosity=0)
    assert not Invitation.objects.filter(pk=old.pk).exists()
    assert Invitation.objects.filter(pk=recent.pk).exists()
    assert "old@example.jp" not in str(list(LogEntry.objects.values_list("changes", flat=True)))


def test_a_public_page_does_not_look_up_the_visitors_session_for_the_audit_log(client: Client, db) -> None:
    """The audit log's actor is resolved only when an entry is written: a resident's page opened
    with a session cookie reads no session (it did on every request)."""
    town = MunicipalityFactory(slug="koko")
    client.cookies["sessionid"] = "x" * 32
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("public:privacy", args=[town.slug]))
    assert response.status_code == 200
    assert [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]] == []


@pytest.mark.django_db
def test_the_actor_is_the_signed_in_user_resolved_when_an_entry_is_written() -> None:
    staff = MembershipFactory(role=Role.ADMIN)
    resolved: list[str] = []

    def request_by(who: Any, name: str | None) -> None:
        def view(request: HttpRequest) -> HttpResponse:
            if name:
                DepartmentFactory(municipality=staff.municipality, name=name)
            return HttpResponse()

        def look_up() -> Any:
            resolved.append(name or "")
            return who

        request = RequestFactory().get("/")
        request.user = SimpleLazyObject(look_up)  # type: ignore[assignment]  # as AuthenticationMiddleware sets it
        AuditActorMiddleware(view)(request)

    request_by(staff.user, None)
    assert resolved == []  # nothing audited was written: the user was never looked up
    request_by(staff.user, "職員の課")
    request_by(AnonymousUser(), "住民の課")
    for name, actor in (("職員の課", staff.user), ("住民の課", None)):
        entry = LogEntry.objects.get_for_object(Department.objects.get(name=name)).get()
        assert entry.action == LogEntry.Action.CREATE and entry.actor == actor
    assert resolved == ["職員の課", "住民の課"]
