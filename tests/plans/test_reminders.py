"""Review reminders through the outbox to a real SMTP server: before, on and after the due date,
each once, to the department's contacts; and the secretariat's digest."""

from __future__ import annotations

from datetime import date, timedelta
from email.header import decode_header, make_header

import pytest
from django.core.management import call_command

from tests.smtp import SmtpServer
from yakusho.core.models import Department, Membership, Municipality, Role, User
from yakusho.core.outbox import deliver_due
from yakusho.plans.models import NodeReview, Plan
from yakusho.plans.review.reminders import send_reminders
from yakusho.plans.review.services import open_cycle

pytestmark = pytest.mark.django_db
DUE = date(2025, 5, 30)


def subjects(server: SmtpServer) -> list[str]:
    return [str(make_header(decode_header(m["Subject"]))) for m in server.messages]


@pytest.fixture
def cycle(demo_with_plans):
    itako = Municipality.objects.get(slug="itako")
    for department in Department.objects.filter(municipality=itako):
        department.email = f"d{department.pk}@city.itako.example.jp"
        department.save()
    Department.objects.filter(municipality=itako, name="DX戦略室").update(
        email="dx-office@city.itako.example.jp"
    )
    plan = Plan.objects.get(key="itako-dx")
    assert plan.current_edition is not None
    return open_cycle(plan.current_edition, 2024, DUE)


def test_reminders_before_on_and_after_the_due_date(cycle, smtp: SmtpServer) -> None:
    assert send_reminders(DUE - timedelta(days=3)) == 0  # not a reminder day
    first = send_reminders(DUE - timedelta(days=7))
    assert first > 0
    assert send_reminders(DUE - timedelta(days=7)) == 0  # running again sends nothing twice
    deliver_due()
    to_office = [m for m in smtp.messages if "dx-office@city.itako.example.jp" in m["To"]]
    assert len(to_office) == 1
    payload = to_office[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode("utf-8")
    assert "DX戦略室" in body and "令和7年5月30日" in body and "/staff/m/itako/reviews/" in body
    assert "dept@example.jp" in to_office[0]["To"]  # department staff of DX戦略室 too
    digest = [s for s in subjects(smtp) if "提出状況" in s]
    assert len(digest) == 1

    NodeReview.objects.filter(cycle=cycle, department__name="DX戦略室").update(
        state=NodeReview.State.SUBMITTED
    )
    count_before = len(smtp.messages)
    assert send_reminders(DUE) > 0
    report = deliver_due()
    assert report.sent > 0, report
    assert not any("dx-office@" in m["To"] for m in smtp.messages[count_before:])  # nothing pending there
    others = [m for m in smtp.messages[count_before:] if "@city.itako.example.jp" in m["To"]]
    assert others and all("dx-office@" not in m["To"] for m in others)  # other departments are reminded
    assert send_reminders(DUE + timedelta(days=7)) > 0  # weekly while overdue
    assert send_reminders(DUE + timedelta(days=8)) == 0


def test_command_and_secretariat_only_when_someone_is_pending(cycle, smtp: SmtpServer, capsys) -> None:
    NodeReview.objects.filter(cycle=cycle).update(state=NodeReview.State.ACCEPTED)
    call_command("send_reminders", today=DUE)
    assert "queued 0" in capsys.readouterr().out
    assert Membership.objects.filter(
        user=User.objects.get(email="dx@example.jp"), role=Role.SECRETARIAT
    ).exists()
