"""Queue tickets (整理券): numbering, the transition table per role, estimates, the audit trail."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from auditlog.models import LogEntry

from tests.bookings.queue_helpers import at, make_service, members, served
from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from yakusho.bookings.queue import services as queue
from yakusho.bookings.queue.models import QueueDayCounter, QueueTicket, TicketStatus
from yakusho.bookings.queue.services import QueueError
from yakusho.core.models import Closure

pytestmark = pytest.mark.django_db
NOW = at("2026-02-16", "10:00")
S = TicketStatus


@pytest.fixture
def service():
    return make_service()


@pytest.fixture
def staff(service):
    return members(service)


def issue(service, n=1, now=NOW, **kwargs):
    return [queue.issue_ticket(service, channel="kiosk", now=now, **kwargs) for _ in range(n)]


def test_numbers_are_consecutive_per_service_and_restart_every_day(service) -> None:
    other = make_service(service.municipality, key="tax", prefix="S")
    assert [t.number for t in issue(service, 3)] == [1, 2, 3]
    assert [t.number for t in issue(other, 2)] == [1, 2]
    assert [t.display_number for t in issue(service, 1)] == ["A004"]
    next_day = issue(service, 2, now=at("2026-02-17", "08:45"))
    assert [(t.day.isoformat(), t.number) for t in next_day] == [("2026-02-17", 1), ("2026-02-17", 2)]
    assert QueueDayCounter.objects.get(service=service, day=NOW.date()).last_number == 4
    codes = set(QueueTicket.objects.values_list("code", flat=True))
    assert len(codes) == QueueTicket.objects.count()


def test_the_unique_constraint_refuses_a_duplicate_number(service) -> None:
    from django.db import IntegrityError, transaction

    ticket = issue(service)[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        QueueTicket.objects.create(
            municipality=service.municipality,
            service=service,
            day=ticket.day,
            number=ticket.number,
            code="ACEFHJK3",
            channel="staff",
            issued_at=NOW,
        )


def test_kiosk_refuses_outside_hours_and_inactive_services(service) -> None:
    service.opens_at, service.closes_at = time(8, 30), time(17, 0)
    service.save()
    with pytest.raises(QueueError, match="受付時間は08:30〜17:00です"):
        issue(service, now=at("2026-02-16", "07:59"))
    service.is_active = False
    service.save()
    with pytest.raises(QueueError, match="現在、整理券を発券していません"):
        issue(service)
    assert not QueueTicket.objects.exists()


@pytest.mark.parametrize(
    ("now", "opening"),
    [
        (("2026-12-07", "07:00"), "次の受付は本日8時30分からです。"),  # Monday, before opening
        (("2026-12-07", "15:30"), "次の受付は12月8日（火）8時30分からです。"),  # after closing
        (("2026-12-04", "18:00"), "次の受付は12月7日（月）8時30分からです。"),  # Friday night
        (("2026-12-06", "10:00"), "次の受付は12月7日（月）8時30分からです。"),  # Sunday
        (("2026-11-22", "10:00"), "次の受付は11月24日（火）8時30分からです。"),  # 勤労感謝の日 on Monday
        (("2026-12-28", "16:00"), "次の受付は1月4日（月）8時30分からです。"),  # 年末年始
        (("2026-12-09", "07:00"), "次の受付は12月10日（木）8時30分からです。"),  # a closure
    ],
)
def test_the_next_opening_follows_the_hours_and_the_calendar(service, now, opening) -> None:
    service.opens_at, service.closes_at = time(8, 30), time(15, 30)
    service.save()
    Closure.objects.create(municipality=service.municipality, date=date(2026, 12, 9), reason="庁舎の停電点検")
    moment = at(*now)
    assert queue.opening_text(queue.next_opening(service, moment), moment) == opening
    with pytest.raises(QueueError, match=opening):
        issue(service, now=moment)
    assert not QueueTicket.objects.exists()


def test_a_closed_day_is_named_and_an_open_one_issues(service) -> None:
    service.opens_at, service.closes_at = time(9, 0), time(15, 30)
    service.save()
    with pytest.raises(QueueError) as refused:
        issue(service, now=at("2026-12-06", "10:00"))
    assert str(refused.value) == (
        "本日は閉庁日（日曜日）のため、「住民窓口」の整理券は発券していません。次の受付は12月7日（月）9時からです。"
    )
    assert [t.number for t in issue(service, now=at("2026-12-07", "09:00"))] == [1]
    # staff may issue on a closed day (someone let in by the 日直)
    ticket = queue.issue_ticket(
        service, channel="staff", membership=members(service)["counter"], now=at("2026-12-06", "10:00")
    )
    assert ticket.number == 1


def test_kiosk_state_lists_open_services_and_the_next_opening_of_the_others(service) -> None:
    service.opens_at, service.closes_at = time(8, 30), time(17, 0)
    service.save()
    tax = make_service(service.municipality, key="tax", name="申告相談", prefix="S", opens_at=time(9, 0))
    town = service.municipality
    before = queue.kiosk_state(town, [service, tax], at("2026-12-07", "08:45"))
    assert [r["service"] for r in before["open"]] == [service]
    assert [(r["service"], r["opening_text"]) for r in before["closed"]] == [
        (tax, "次の受付は本日9時からです。")
    ]
    assert before["opening_text"] == "" and before["closed_reason"] is None
    assert before["reload_seconds"] == queue.KIOSK_RELOAD_SECONDS  # tax opens in 15 minutes: later
    sunday = queue.kiosk_state(town, [service, tax], at("2026-12-06", "10:00"))
    assert sunday["open"] == [] and sunday["closed_reason"] == "日曜日"
    assert sunday["opening_text"] == ""  # they open at different times: one line each
    tax.opens_at = time(8, 30)
    sunday = queue.kiosk_state(town, [service, tax], at("2026-12-06", "10:00"))
    assert sunday["opening_text"] == "次の受付は12月7日（月）8時30分からです。"
    opening_soon = queue.kiosk_state(town, [service], at("2026-12-07", "08:29"))
    assert opening_soon["reload_seconds"] == 61  # looks again just after 8:30


def test_staff_may_issue_outside_hours_but_only_at_their_services(service, staff) -> None:
    service.opens_at, service.closes_at = time(8, 30), time(17, 0)
    service.save()
    late = at("2026-02-16", "17:30")
    ticket = queue.issue_ticket(service, channel="staff", membership=staff["counter"], now=late)
    assert ticket.number == 1
    with pytest.raises(QueueError, match="発券する権限がありません"):
        queue.issue_ticket(service, channel="staff", membership=staff["hq"], now=late)


def test_full_life_of_a_ticket_measures_wait_and_service_time(service, staff) -> None:
    counter = staff["counter"]
    ticket = issue(service)[0]
    called = queue.call_next(service, "窓口2", counter, now=at("2026-02-16", "10:12"))
    assert called is not None and called.pk == ticket.pk
    assert (called.status, called.window, called.wait_seconds) == (S.CALLED, "窓口2", 12 * 60)
    queue.transition(called, "recall", membership=counter, now=at("2026-02-16", "10:14"))
    queue.transition(called, "start", membership=counter, now=at("2026-02-16", "10:15"))
    done = queue.transition(called, "finish", membership=counter, now=at("2026-02-16", "10:23"))
    assert (done.status, done.call_count, done.wait_seconds, done.service_seconds) == (S.SERVED, 2, 720, 480)
    assert done.handled_by == counter.user


def test_call_next_takes_transferred_tickets_first_then_numbers(service, staff) -> None:
    a, b = issue(service, 2)
    other = make_service(service.municipality, key="tax", prefix="S")
    moved = queue.transition(issue(other)[0], "transfer", membership=staff["admin"], target=service, now=NOW)
    assert moved.priority and moved.service == service and moved.number == 3
    order = [queue.call_next(service, "窓口1", staff["counter"], now=NOW) for _ in range(4)]
    assert [t.pk if t else None for t in order] == [moved.pk, a.pk, b.pk, None]


def test_call_next_refuses_an_unknown_window(service, staff) -> None:
    issue(service)
    with pytest.raises(QueueError, match="呼び出す窓口を選んでください"):
        queue.call_next(service, "窓口9", staff["counter"], now=NOW)
    assert QueueTicket.objects.get().status == S.WAITING


#: action → the source status a ticket is put in first
SOURCES = {
    "call": S.WAITING,
    "recall": S.CALLED,
    "start": S.CALLED,
    "finish": S.SERVING,
    "skip": S.WAITING,
    "restore": S.SKIPPED,
    "transfer": S.WAITING,
    "cancel": S.WAITING,
}
ALLOWED = {"admin", "counter", "department"}


@pytest.mark.parametrize("role", ["admin", "secretariat", "department", "counter", "hq"])
@pytest.mark.parametrize("action", sorted(SOURCES))
def test_transitions_per_role(service, staff, action: str, role: str) -> None:
    ticket = issue(service)[0]
    QueueTicket.objects.filter(pk=ticket.pk).update(status=SOURCES[action], window="窓口1")
    target = make_service(service.municipality, key="other", prefix="B")
    kwargs: dict[str, Any] = {"window": "窓口1", "target": target, "now": NOW}
    if role in ALLOWED:
        result = queue.transition(ticket, action, membership=staff[role], **kwargs)
        ticket.refresh_from_db()
        assert ticket.status == queue.TRANSITIONS[action].target
        if action == "transfer":
            assert result.service == target and result.transferred_from == ticket
    else:
        with pytest.raises(QueueError, match=r"この操作は、あなたの役割（.+）ではできません。"):
            queue.transition(ticket, action, membership=staff[role], **kwargs)
        ticket.refresh_from_db()
        assert ticket.status == SOURCES[action]


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.WAITING, "finish"),
        (S.WAITING, "recall"),
        (S.SERVED, "call"),
        (S.SERVED, "skip"),
        (S.CANCELLED, "restore"),
        (S.CALLED, "cancel"),
        (S.TRANSFERRED, "transfer"),
        (S.SKIPPED, "start"),
    ],
)
def test_refused_transitions_say_why_in_japanese_and_change_nothing(service, staff, status, action) -> None:
    ticket = issue(service)[0]
    QueueTicket.objects.filter(pk=ticket.pk).update(status=status)
    label = TicketStatus(status).label
    with pytest.raises(QueueError, match=f"「{label}」の整理券（A001）には、「.+」はできません。"):
        queue.transition(ticket, action, membership=staff["admin"], window="窓口1", now=NOW)
    ticket.refresh_from_db()
    assert ticket.status == status


def test_department_staff_act_only_at_services_of_their_own_department(service, staff) -> None:
    ticket = issue(service)[0]
    stranger = MembershipFactory(municipality=service.municipality, role="department")
    stranger.departments.set([DepartmentFactory(municipality=service.municipality)])
    with pytest.raises(QueueError, match="所属していない課の窓口は操作できません"):
        queue.call_next(service, "窓口1", stranger, now=NOW)
    assert queue.transition(ticket, "call", membership=staff["department"], window="窓口1").status == S.CALLED


def test_staff_of_another_municipality_are_refused(service) -> None:
    ticket = issue(service)[0]
    elsewhere = MembershipFactory(municipality=MunicipalityFactory(), role="admin")
    with pytest.raises(QueueError, match="この団体の整理券を操作する権限がありません"):
        queue.transition(ticket, "call", membership=elsewhere, window="窓口1")
    with pytest.raises(QueueError):
        queue.call_next(service, "窓口1", elsewhere)
    assert QueueTicket.objects.get().status == S.WAITING


def test_the_resident_may_cancel_only_a_waiting_ticket(service, staff) -> None:
    first, second = issue(service, 2)
    assert queue.transition(first, "cancel", resident=True).status == S.CANCELLED
    queue.call_next(service, "窓口1", staff["counter"], now=NOW)
    with pytest.raises(QueueError, match="「呼出中」の整理券"):
        queue.transition(second, "cancel", resident=True)
    with pytest.raises(QueueError, match="窓口の職員が行います"):
        queue.transition(second, "skip", resident=True)


def test_transfer_needs_another_service_of_the_same_municipality(service, staff) -> None:
    ticket = issue(service)[0]
    foreign = make_service(MunicipalityFactory(), key="x")
    for target, message in (
        (None, "案内先の窓口を選んでください"),
        (foreign, "案内先の窓口を選んでください"),
        (service, "いまと違う窓口"),
    ):
        with pytest.raises(QueueError, match=message):
            queue.transition(ticket, "transfer", membership=staff["admin"], target=target)
    assert QueueTicket.objects.count() == 1


def test_every_transition_is_in_the_audit_trail(service, staff) -> None:
    ticket = issue(service)[0]
    queue.call_next(service, "窓口1", staff["counter"], now=NOW)
    queue.transition(ticket, "skip", membership=staff["counter"], now=NOW)
    entries = LogEntry.objects.get_for_object(ticket).order_by("timestamp")
    statuses = [e.changes_dict["status"][1] for e in entries if "status" in (e.changes_dict or {})]
    assert statuses[-2:] == [S.CALLED, S.SKIPPED]
    assert all(e.additional_data == {"municipality": service.municipality_id} for e in entries)


def test_estimate_is_median_service_time_times_people_ahead_over_windows(service) -> None:
    served(service, "2026-02-13", [60] * 5, services=[300, 600, 900, 1200, 60000])
    assert queue.median_service_seconds(service) == 900
    tickets = issue(service, 4)
    state = queue.ticket_state(tickets[3])
    # 3 ahead × 900 s ÷ 2 windows = 1350 s → 23 minutes (rounded up)
    assert (state["ahead"], state["estimate_minutes"]) == (3, 23)
    assert state["position_text"] == "あなたの前に3人お待ちです。"
    assert state["estimate_text"] == "待ち時間の目安：約23分"
    first = queue.ticket_state(tickets[0])
    assert (first["ahead"], first["estimate_minutes"], first["position_text"]) == (0, 0, "次にお呼びします。")


def test_estimate_uses_the_standard_time_until_enough_tickets_are_measured(service) -> None:
    service.default_service_minutes = 12
    service.windows = ["窓口1"]
    service.save()
    served(service, "2026-02-13", [60, 60], services=[60, 60])
    assert queue.median_service_seconds(service) == 12 * 60
    assert queue.ticket_state(issue(service, 3)[2])["estimate_minutes"] == 24


def test_a_transferred_ticket_leads_the_resident_to_the_new_one(service, staff) -> None:
    other = make_service(service.municipality, key="tax", prefix="S", name="申告相談")
    held = issue(service)[0]
    queue.transition(held, "transfer", membership=staff["counter"], target=other, now=NOW)
    held.refresh_from_db()
    state = queue.ticket_state(held)
    assert (state["number"], state["service"], state["transferred"], state["held_number"]) == (
        "S001",
        "申告相談",
        True,
        "A001",
    )
