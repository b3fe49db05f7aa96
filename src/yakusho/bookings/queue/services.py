"""Rules of queue tickets (整理券): issuing, the one transition table, estimates and figures.

Views call these functions; every rule lives here with a Japanese message. A ticket's life as one
table (``TRANSITIONS``)::

    waiting ──call──▶ called ──start──▶ serving ──finish──▶ served
       │  ▲            │ ▲ recall         │
       │  └─restore─ skipped ◀──skip──────┤ (from waiting or called)
       ├──transfer──▶ transferred  (from waiting, called or serving: a new ticket in the other service)
       └──cancel────▶ cancelled    (staff, or the resident from their phone)

``finish`` is also allowed straight from ``called`` (a short answer at the window). Every change
saves the ticket, so django-auditlog records it with the acting staff member.

Who acts: administrators and 窓口職員 on every service; 担当課職員 on the services of their own 課;
the DX推進室 and the DX推進本部 read. The kiosk issues tickets; the resident may cancel their own.

Numbers: one ``QueueDayCounter`` row per (service, day) is incremented by an ``UPDATE … SET
last_number = last_number + 1`` — on PostgreSQL that takes the row's lock until the transaction
ends, on SQLite the write lock of the whole database (transactions are ``IMMEDIATE``) — so two
concurrent issuers never read the same number, and the unique constraint on (service, day,
number) would refuse a duplicate anyway. ``call_next`` locks the ticket it calls
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two windows never call the same person.
"""

from __future__ import annotations

import math
import statistics
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from yakusho.bookings.queue.models import (
    QueueDayCounter,
    QueueService,
    QueueTicket,
    TicketChannel,
    TicketStatus,
)
from yakusho.core import jcal, shortcodes
from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Membership, Municipality, Role
from yakusho.core.workflow import Transition, TransitionRefused, Workflow
from yakusho.metrics.registry import Period

RESIDENT = "resident"  # the ticket holder, through the phone page (not a staff role)
QUEUE_STAFF = frozenset({Role.ADMIN, Role.COUNTER, Role.DEPARTMENT})
#: how many recent finished tickets the estimate's median looks at, and how many it needs
RECENT_SERVICE_TIMES = 20
MIN_SERVICE_TIMES = 3
#: how long the hall's screen lists a call
RECENT_CALLS = 8
#: how many transfers the resident's page follows from the ticket they hold
MAX_TRANSFER_HOPS = 5
#: the kiosk's start screen looks again at least this often (seconds), and at every opening and closing
KIOSK_RELOAD_SECONDS = 600
#: after a ticket is issued, the kiosk shows it this long before it returns to its start screen, and
#: its QR code (which leads to the resident's page, where the ticket can be cancelled) at most this
#: long or until it is printed; once printed, the kiosk returns this soon
KIOSK_RETURN_SECONDS = 45
KIOSK_QR_SECONDS = 30
KIOSK_RETURN_AFTER_PRINT_SECONDS = 10


class QueueError(TransitionRefused):
    """A refused queue action, with a message for the person who tried it."""


S = TicketStatus
TRANSITIONS = Workflow(
    {
        "call": Transition(N_("呼び出す"), {S.WAITING}, S.CALLED, QUEUE_STAFF),
        "recall": Transition(N_("もう一度呼び出す"), {S.CALLED}, S.CALLED, QUEUE_STAFF),
        "start": Transition(N_("対応を始める"), {S.CALLED}, S.SERVING, QUEUE_STAFF),
        "finish": Transition(N_("対応を終える"), {S.CALLED, S.SERVING}, S.SERVED, QUEUE_STAFF),
        "skip": Transition(N_("不在にする"), {S.WAITING, S.CALLED}, S.SKIPPED, QUEUE_STAFF),
        "restore": Transition(N_("待ち列に戻す"), {S.SKIPPED}, S.WAITING, QUEUE_STAFF),
        "transfer": Transition(
            N_("他の窓口へ案内する"), {S.WAITING, S.CALLED, S.SERVING}, S.TRANSFERRED, QUEUE_STAFF
        ),
        "cancel": Transition(N_("取り消す"), {S.WAITING}, S.CANCELLED, QUEUE_STAFF | {RESIDENT}),
    },
    model=QueueTicket,
    error=QueueError,
    wrong_actor=N_("この操作は、あなたの役割（%(role)s）ではできません。"),
    wrong_state=N_("「%(status)s」の整理券（%(number)s）には、「%(action)s」はできません。"),
)
#: what the resident reads about each status on their phone, below the status's name (「お待ちください」,
#: 「呼出中」 …) and without repeating it: once called, where to go, said once
STATUS_TEXT = {
    S.WAITING: N_("お呼びするときは、行き先の窓口をこの画面でお知らせします。"),
    S.CALLED: N_("%(window)sへお越しください。"),
    S.SERVING: N_("%(window)sで対応しています。"),
    S.SERVED: N_("対応が終わりました。ご利用ありがとうございました。"),
    S.SKIPPED: N_("お呼びしましたが、いらっしゃいませんでした。窓口の職員にお声がけください。"),
    S.TRANSFERRED: N_("他の窓口へご案内しました。"),
    S.CANCELLED: N_("この整理券は取り消されました。"),
}
ACTIVE = (S.WAITING, S.CALLED, S.SERVING)


def transition_label(action: str) -> str:
    return TRANSITIONS.label(action)


def status_text(ticket: QueueTicket) -> str:
    return _(STATUS_TEXT[TicketStatus(ticket.status)]) % {"window": where(ticket)}


def where(ticket: QueueTicket) -> str:
    """The window a called ticket goes to, with the service's place when it has one: 「本庁舎 1階の窓口2」."""
    window = ticket.window or _("窓口")
    if ticket.service.location:
        return _("%(location)sの%(window)s") % {"location": ticket.service.location, "window": window}
    return window


# --- who may act ----------------------------------------------------------------------------------


def can_operate(membership: Membership | None, service: QueueService) -> bool:
    """Call, serve and issue at ``service``: administrators and counter staff everywhere, department
    staff at the services of their own 課."""
    if (
        membership is None
        or not membership.is_active
        or membership.municipality_id != service.municipality_id
    ):
        return False
    if membership.role in (Role.ADMIN, Role.COUNTER):
        return True
    return membership.role == Role.DEPARTMENT and any(
        d.pk == service.department_id for d in membership.departments.all()
    )


def _check_actor(service: QueueService, action: str, membership: Membership | None, resident: bool) -> None:
    if resident:
        if RESIDENT not in TRANSITIONS[action].actors:
            raise QueueError(_("この操作は窓口の職員が行います。"))
        return
    if (
        membership is None
        or membership.municipality_id != service.municipality_id
        or not membership.is_active
    ):
        raise QueueError(_("この団体の整理券を操作する権限がありません。"))
    TRANSITIONS.check_actor(action, membership.role, {"role": membership.get_role_display()})
    if not can_operate(membership, service):
        raise QueueError(_("所属していない課の窓口は操作できません。"))


def allowed_actions(membership: Membership | None, ticket: QueueTicket) -> list[str]:
    if not can_operate(membership, ticket.service):
        return []
    return [a for a in TRANSITIONS.available(ticket.status) if a != "call"]


# --- issuing ----------------------------------------------------------------------------------------


def _is_open(service: QueueService, now: datetime, calendar: BusinessCalendar | None = None) -> bool:
    """Whether the kiosk issues the service's tickets at ``now``: a business day of the municipality's
    calendar (no weekend, public holiday, 年末年始 or closure), within the service's hours."""
    local = timezone.localtime(now)
    calendar = calendar or BusinessCalendar(service.municipality)
    return service.opens_at <= local.time() < service.closes_at and calendar.is_business_day(local.date())


def next_opening(service: QueueService, now: datetime, calendar: BusinessCalendar | None = None) -> datetime:
    """When the kiosk next starts issuing the service's tickets after ``now`` (in Japan's time):
    today's opening before it, else the opening of the next business day."""
    local = timezone.localtime(now)
    calendar = calendar or BusinessCalendar(service.municipality)
    today = local.date()
    if calendar.is_business_day(today) and local.time() < service.opens_at:
        day = today
    else:
        day = calendar.add_business_days(today, 1)
    return datetime.combine(day, service.opens_at, tzinfo=local.tzinfo)


def clock_text(moment: time) -> str:
    """8時30分, 9時 (8:30, 9:00 in English): a time of day as said on a sign."""
    if moment.minute == 0:
        return _("%(hour)d時") % {"hour": moment.hour}
    return _("%(hour)d時%(minute)d分") % {"hour": moment.hour, "minute": moment.minute}


def opening_text(opening: datetime, now: datetime) -> str:
    """「次の受付は12月7日（月）8時30分からです。」 (「本日8時30分」 when it is today)."""
    local = timezone.localtime(opening)
    if local.date() == timezone.localdate(now):
        day = _("本日")
    else:
        day = jcal.format_date(local.date(), style="short", weekday=True)
    return _("次の受付は%(day)s%(time)sからです。") % {"day": day, "time": clock_text(local.time())}


def _closed_text(service: QueueService, now: datetime, calendar: BusinessCalendar) -> str:
    reason = calendar.closed_reason(timezone.localdate(now))
    if reason:
        text = _("本日は閉庁日（%(reason)s）のため、「%(name)s」の整理券は発券していません。") % {
            "reason": reason,
            "name": service.name,
        }
    else:
        text = _("「%(name)s」の受付時間は%(opens)s〜%(closes)sです。") % {
            "name": service.name,
            "opens": service.opens_at.strftime("%H:%M"),
            "closes": service.closes_at.strftime("%H:%M"),
        }
    return text + opening_text(next_opening(service, now, calendar), now)


def kiosk_state(
    municipality: Municipality, services: list[QueueService], now: datetime | None = None
) -> dict[str, Any]:
    """What the kiosk's start screen shows: the services issuing now, the others with their next
    opening, today's closing reason (閉庁日) and when the screen must look again (an opening or a
    closing). One query (the closures) besides the services given."""
    now = now or timezone.now()
    calendar = BusinessCalendar(municipality)
    rows = []
    changes = []
    for service in services:
        is_open = _is_open(service, now, calendar)
        if is_open:
            local = timezone.localtime(now)
            changes.append(datetime.combine(local.date(), service.closes_at, tzinfo=local.tzinfo))
            rows.append({"service": service, "open": True, "opening": None, "opening_text": ""})
        else:
            opening = next_opening(service, now, calendar)
            changes.append(opening)
            rows.append(
                {
                    "service": service,
                    "open": False,
                    "opening": opening,
                    "opening_text": opening_text(opening, now),
                }
            )
    closed = [row for row in rows if not row["open"]]
    openings = {row["opening"] for row in closed}
    seconds = min((c - now).total_seconds() for c in changes) if changes else KIOSK_RELOAD_SECONDS
    return {
        "open": [row for row in rows if row["open"]],
        "closed": closed,
        "closed_reason": calendar.closed_reason(timezone.localdate(now)),
        # one sentence for all when every service is closed and opens at the same time
        "opening_text": closed[0]["opening_text"]
        if closed and len(closed) == len(rows) and len(openings) == 1
        else "",
        "reload_seconds": int(min(max(seconds + 1, 5), KIOSK_RELOAD_SECONDS)),
    }


def _next_number(service: QueueService, day: date) -> int:
    counter, _created = QueueDayCounter.objects.get_or_create(service=service, day=day)
    counter_rows = QueueDayCounter.objects.filter(pk=counter.pk)
    counter_rows.update(last_number=F("last_number") + 1)
    return int(counter_rows.values_list("last_number", flat=True).get())


@transaction.atomic
def issue_ticket(
    service: QueueService,
    *,
    channel: str,
    membership: Membership | None = None,
    now: datetime | None = None,
    priority: bool = False,
    transferred_from: QueueTicket | None = None,
) -> QueueTicket:
    """A new ticket with the service's next number of the day.

    The kiosk is refused outside the service's hours; staff may issue at any time (a resident who
    came in just before closing)."""
    now = now or timezone.now()
    if not service.is_active:
        raise QueueError(_("「%(name)s」は現在、整理券を発券していません。") % {"name": service.name})
    if channel == TicketChannel.KIOSK:
        if not service.kiosk_enabled:
            raise QueueError(_("「%(name)s」の整理券は窓口でお受け取りください。") % {"name": service.name})
        calendar = BusinessCalendar(service.municipality)
        if not _is_open(service, now, calendar):
            raise QueueError(_closed_text(service, now, calendar))
    elif channel == TicketChannel.STAFF and not can_operate(membership, service):
        raise QueueError(_("この窓口の整理券を発券する権限がありません。"))
    day = timezone.localdate(now)
    number = _next_number(service, day)
    return QueueTicket.objects.create(
        municipality_id=service.municipality_id,
        service=service,
        day=day,
        number=number,
        code=shortcodes.unique_code(QueueTicket, service.municipality_id),
        channel=channel,
        priority=priority,
        issued_at=now,
        transferred_from=transferred_from,
    )


# --- transitions -------------------------------------------------------------------------------------


def _locked(ticket: QueueTicket) -> QueueTicket:
    return QueueTicket.objects.select_for_update().select_related("service").get(pk=ticket.pk)


def _seconds(later: datetime, earlier: datetime) -> int:
    return max(0, round((later - earlier).total_seconds()))


@transaction.atomic
def transition(
    ticket: QueueTicket,
    action: str,
    *,
    membership: Membership | None = None,
    resident: bool = False,
    window: str = "",
    target: QueueService | None = None,
    now: datetime | None = None,
) -> QueueTicket:
    """Apply one transition of ``TRANSITIONS``; returns the ticket (for ``transfer``, the new one)."""
    rule = TRANSITIONS.rule(action)
    now = now or timezone.now()
    ticket = _locked(ticket)
    service = ticket.service
    _check_actor(service, action, membership, resident)
    TRANSITIONS.check_state(
        action, ticket.status, {"status": ticket.get_status_display(), "number": ticket.display_number}
    )
    if action in ("call", "recall"):
        window = window or ticket.window
        if window not in service.window_labels:
            raise QueueError(_("呼び出す窓口を選んでください。"))
        ticket.window = window
        ticket.last_called_at = now
        ticket.call_count += 1
        if ticket.called_at is None:
            ticket.called_at = now
            ticket.wait_seconds = _seconds(now, ticket.issued_at)
    elif action == "start":
        ticket.served_at = now
    elif action == "finish":
        ticket.finished_at = now
        ticket.service_seconds = _seconds(now, ticket.served_at or ticket.called_at or now)
    elif action == "skip":
        ticket.finished_at = now
    elif action == "restore":
        ticket.window = ""
        ticket.finished_at = None
    elif action == "transfer":
        if target is None or target.municipality_id != service.municipality_id:
            raise QueueError(_("案内先の窓口を選んでください。"))
        if target.pk == service.pk:
            raise QueueError(_("案内先には、いまと違う窓口を選んでください。"))
        ticket.finished_at = now
    if membership is not None:
        ticket.handled_by = membership.user
    ticket.status = rule.target
    ticket.save()
    if action == "transfer":
        assert target is not None
        return issue_ticket(
            target, channel=TicketChannel.TRANSFER, now=now, priority=True, transferred_from=ticket
        )
    return ticket


def waiting_in_call_order(service: QueueService, day: date) -> QuerySet[QueueTicket]:
    return QueueTicket.objects.filter(service=service, day=day, status=S.WAITING).order_by(
        "-priority", "number"
    )


@transaction.atomic
def call_next(
    service: QueueService, window: str, membership: Membership, now: datetime | None = None
) -> QueueTicket | None:
    """Call the first waiting ticket of today to ``window``; None when nobody is waiting.

    Transferred tickets come first, then by number. The called row is locked (skipping rows another
    window is calling at the same moment on PostgreSQL)."""
    now = now or timezone.now()
    _check_actor(service, "call", membership, False)
    if window not in service.window_labels:
        raise QueueError(_("呼び出す窓口を選んでください。"))
    candidates = waiting_in_call_order(service, timezone.localdate(now))
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True)
    ticket = candidates.first()
    if ticket is None:
        return None
    return transition(ticket, "call", membership=membership, window=window, now=now)


# --- estimates --------------------------------------------------------------------------------------


def median_service_seconds(service: QueueService) -> float:
    """Median service time of the service's last ``RECENT_SERVICE_TIMES`` finished tickets (any day),
    or its standard time while fewer than ``MIN_SERVICE_TIMES`` have been measured."""
    rows = (
        QueueTicket.objects.filter(service=service, status=S.SERVED, service_seconds__isnull=False)
        .order_by("-finished_at")
        .values_list("service_seconds", flat=True)[:RECENT_SERVICE_TIMES]
    )
    recent = [seconds for seconds in rows if seconds is not None]
    if len(recent) < MIN_SERVICE_TIMES:
        return float(service.default_service_minutes * 60)
    return float(statistics.median(recent))


def estimate_minutes(service: QueueService, ahead: int, median_seconds: float | None = None) -> int:
    """Estimated wait: median service time × people ahead ÷ windows, rounded up to a minute."""
    if ahead <= 0:
        return 0
    median_seconds = median_service_seconds(service) if median_seconds is None else median_seconds
    return math.ceil(median_seconds * ahead / len(service.window_labels) / 60)


def ahead_of(ticket: QueueTicket) -> int:
    """How many waiting tickets of the same service and day will be called before this one."""
    if ticket.status != S.WAITING:
        return 0
    before = Q(priority=True) if not ticket.priority else Q(pk__in=[])
    before |= Q(priority=ticket.priority, number__lt=ticket.number)
    return (
        QueueTicket.objects.filter(service_id=ticket.service_id, day=ticket.day, status=S.WAITING)
        .filter(before)
        .count()
    )


def current_ticket(ticket: QueueTicket) -> QueueTicket:
    """The ticket a resident's code leads to now: itself, or the ticket it was transferred to."""
    for _hop in range(MAX_TRANSFER_HOPS):
        if ticket.status != S.TRANSFERRED:
            break
        following = QueueTicket.objects.select_related("service").filter(transferred_from=ticket).first()
        if following is None:
            break
        ticket = following
    return ticket


def ticket_state(ticket: QueueTicket) -> dict[str, Any]:
    """What the resident's page shows (and its JSON endpoint returns), in words."""
    held = ticket
    ticket = current_ticket(ticket)
    ahead = ahead_of(ticket)
    minutes = estimate_minutes(ticket.service, ahead) if ticket.status == S.WAITING else None
    if ticket.status == S.WAITING:
        position = _("あなたの前に%(n)d人お待ちです。") % {"n": ahead} if ahead else _("次にお呼びします。")
        # nobody ahead: 「次にお呼びします。」 says it all
        estimate = (
            (_("待ち時間の目安：約%(m)d分") % {"m": minutes} if minutes else _("まもなくお呼びします。"))
            if ahead
            else ""
        )
    else:
        position = estimate = ""
    return {
        "number": ticket.display_number,
        "service": ticket.service.name,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "message": status_text(ticket),
        "ahead": ahead if ticket.status == S.WAITING else None,
        "estimate_minutes": minutes,
        "position_text": position,
        "estimate_text": estimate,
        "window": ticket.window if ticket.status in (S.CALLED, S.SERVING) else "",
        "transferred": held.pk != ticket.pk,
        "held_number": held.display_number,
        "ticket": ticket,
    }


# --- the hall's screen and the staff's overview -------------------------------------------------------


def display_state(
    municipality: Municipality, services: list[QueueService], now: datetime | None = None
) -> dict[str, Any]:
    """Numbers being called (with their windows) and how many wait, per service, and the recent calls.

    Three queries whatever the number of tickets."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    by_id = {s.pk: s for s in services}
    today = QueueTicket.objects.for_municipality(municipality).filter(service_id__in=list(by_id), day=day)
    fields = ("pk", "service_id", "number", "status", "window", "last_called_at", "call_count")
    calling = list(today.filter(status__in=[S.CALLED, S.SERVING]).order_by("-last_called_at").values(*fields))
    recent = list(
        today.filter(last_called_at__isnull=False)
        .exclude(status=S.CANCELLED)
        .order_by("-last_called_at")
        .values(*fields)[:RECENT_CALLS]
    )
    waiting = dict(
        today.filter(status=S.WAITING)
        .order_by()
        .values("service_id")
        .annotate(n=Count("pk"))
        .values_list("service_id", "n")
    )
    rows = [
        {
            "key": service.key,
            "name": service.name,
            "waiting": waiting.get(service.pk, 0),
            "calling": [_call_row(by_id, c) for c in calling if c["service_id"] == service.pk],
        }
        for service in services
    ]
    return {
        "services": rows,
        "recent": [_call_row(by_id, c) for c in recent],
        "updated": timezone.localtime(now).strftime("%H:%M:%S"),
    }


def _call_row(services: dict[int, QueueService], row: dict[str, Any]) -> dict[str, Any]:
    service = services[row["service_id"]]
    return {
        "id": f"{row['pk']}-{row['call_count']}",
        "service": service.name,
        "number": f"{service.prefix}{row['number']:03d}",
        "window": row["window"],
        "status": row["status"],
        "status_label": str(TicketStatus(row["status"]).label),
        "time": timezone.localtime(row["last_called_at"]).strftime("%H:%M"),
    }


def today_summary(municipality: Municipality, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each active service with today's tickets per status and the average wait: two queries."""
    day = timezone.localdate(now or timezone.now())
    services = list(
        QueueService.objects.for_municipality(municipality).filter(is_active=True).order_by("order", "name")
    )
    counts: dict[int, dict[str, int]] = {}
    waits: dict[int, list[int]] = {}
    rows = (
        QueueTicket.objects.for_municipality(municipality)
        .filter(day=day)
        .values_list("service_id", "status", "wait_seconds")
    )
    for service_id, status, wait in rows:
        counts.setdefault(service_id, {}).setdefault(status, 0)
        counts[service_id][status] += 1
        if wait is not None:
            waits.setdefault(service_id, []).append(wait)
    out = []
    for service in services:
        c = counts.get(service.pk, {})
        w = waits.get(service.pk, [])
        out.append(
            {
                "service": service,
                "waiting": c.get(S.WAITING, 0),
                "called": c.get(S.CALLED, 0) + c.get(S.SERVING, 0),
                "served": c.get(S.SERVED, 0),
                "issued": sum(c.values()),
                "average_wait": round(sum(w) / len(w) / 60) if w else None,
            }
        )
    return out


# --- figures for the metrics registry -------------------------------------------------------------------


def season_period(fiscal_year: int, months: tuple[int, ...] = (2, 3)) -> Period:
    """The months of a season inside a fiscal year, e.g. 申告相談 (February–March of FY+1)."""
    first, last = min(months), max(months)
    year_of = lambda m: fiscal_year if m >= 4 else fiscal_year + 1  # noqa: E731
    start = date(year_of(first), first, 1)
    end_month_start = date(year_of(last), last, 1)
    end = (end_month_start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return Period(start, end)


def measured_waits(municipality: Municipality, period: Period, kind: str | None = None) -> list[int]:
    """Measured waits (seconds) of the period's called tickets, of services of ``kind`` or all."""
    tickets = QueueTicket.objects.for_municipality(municipality).filter(
        day__gte=period.start, day__lte=period.end, wait_seconds__isnull=False
    )
    if kind:
        tickets = tickets.filter(service__kind=kind)
    return list(tickets.values_list("wait_seconds", flat=True))


def _minutes(seconds: float) -> Decimal:
    return (Decimal(str(seconds)) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def average_wait_minutes(waits: list[int]) -> Decimal | None:
    return _minutes(sum(waits) / len(waits)) if waits else None


def p90_wait_minutes(waits: list[int]) -> Decimal | None:
    """90th percentile by the nearest-rank method: the smallest wait at or above 90 % of the waits."""
    if not waits:
        return None
    ordered = sorted(waits)
    rank = math.ceil(0.9 * len(ordered))
    return _minutes(ordered[rank - 1])
