"""Every change to bookings: book, wait, confirm, move, cancel, offer, expire, block, close.

Each function is one transaction that first locks the slot row (``select_for_update``), then
changes ``Slot.booked`` with the booking and queues its mail. The database refuses
``booked > capacity`` (check constraint), so the count can never be exceeded even by a code path
that forgot the lock. On SQLite the project's transactions are ``IMMEDIATE``: a writer takes the
database lock when its transaction starts, so writers run one after another (docs/bookings.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Replace
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from yakusho.bookings import ics, payment
from yakusho.bookings.models import (
    ACTIVE,
    HOLDING,
    Booking,
    BookingMail,
    BookingStatus,
    Channel,
    Resource,
    ResourceClosure,
    Slot,
)
from yakusho.bookings.rules import Rules, local_day, local_start
from yakusho.core import normalize, shortcodes
from yakusho.core.jcal import format_date
from yakusho.core.models import User
from yakusho.core.outbox import Attachment, queue_mail
from yakusho.core.services import absolute

TOKEN_SALT = "yakusho.bookings.manage"  # noqa: S105 (a salt, not a secret)


def conf(name: str) -> Any:
    defaults = {"PENDING_HOURS": 24}
    return getattr(settings, "YAKUSHO_BOOKINGS", {}).get(name, defaults[name])


class BookingError(Exception):
    """A refusal with a Japanese message for the person; ``field`` names the form field if any."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class SlotFull(BookingError):
    def __init__(self, waitlist: bool) -> None:
        message = (
            _("この枠は満員です。空き待ちに登録できます。")
            if waitlist
            else _("この枠は満員です。別の枠を選んでください。")
        )
        super().__init__(message, code="full")
        self.waitlist = waitlist


@dataclass(frozen=True)
class Contact:
    name: str
    kana: str = ""
    email: str = ""
    phone: str = ""
    note: str = ""


# --- tokens ---------------------------------------------------------------------------------------


def token_for(booking: Booking) -> str:
    return signing.Signer(salt=TOKEN_SALT).sign(f"{booking.municipality_id}.{booking.code}")


def booking_for_token(municipality: Any, token: str) -> Booking | None:
    try:
        value = signing.Signer(salt=TOKEN_SALT).unsign(token)
    except signing.BadSignature:
        return None
    municipality_id, _dot, code = value.partition(".")
    if str(municipality.pk) != municipality_id:
        return None
    return (
        Booking.objects.for_municipality(municipality)
        .select_related("slot", "resource", "municipality")
        .filter(code=code)
        .first()
    )


def booking_for_code_and_phone(municipality: Any, code: str, phone: str) -> Booking | None:
    """A booking found by what a resident without e-mail has: its code and the phone number given
    when booking (any grouping of the digits). None unless both match."""
    booking = (
        Booking.objects.for_municipality(municipality)
        .select_related("slot", "resource", "municipality")
        .filter(code=code)
        .first()
    )
    if booking is None or not booking.phone or phone_digits(booking.phone) != phone_digits(phone):
        return None
    return booking


def manage_url(booking: Booking) -> str:
    return absolute(reverse("bookings:manage", args=[booking.municipality.slug, token_for(booking)]))


# --- locking --------------------------------------------------------------------------------------


def locked_slot(slot_id: int) -> Slot:
    try:
        return (
            Slot.objects.select_for_update()
            .select_related("resource", "resource__municipality")
            .get(pk=slot_id)
        )
    except Slot.DoesNotExist:  # remade by a change of the resource's hours since the page was shown
        raise BookingError(
            _("この枠はなくなりました（受付時間が変わりました）。もう一度、日時を選んでください。"),
            code="gone",
        ) from None


def _lock(resource: Resource, *keys: str) -> None:
    """Serialise bookings of one person (an e-mail address, a phone number, a network) at one
    resource so per-person limits hold under concurrency: PostgreSQL advisory locks for the
    transaction, always taken in the order given; SQLite writers are serial anyway."""
    if connection.vendor != "postgresql":
        return
    for key in keys:
        if not key:
            continue
        digest = hashlib.blake2b(f"bookings:{resource.pk}:{key}".encode(), digest_size=8).digest()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def phone_digits(phone: str) -> str:
    """The digits of a phone number: 「0182-12-3456」 and 「018-212-3456」 are one number."""
    return "".join(c for c in normalize.normalize_digits(phone) if c.isdigit())


def _with_phone(bookings: QuerySet[Booking], phone: str) -> QuerySet[Booking]:
    return bookings.annotate(phone_key=Replace(F("phone"), Value("-"), Value(""))).filter(
        phone_key=phone_digits(phone)
    )


def _phone_only(resource: Resource) -> QuerySet[Booking]:
    """The resource's bookings made online without an e-mail address."""
    return Booking.objects.filter(resource=resource, email="", channel=Channel.ONLINE)


def _check_limits(resource: Resource, contact: Contact, email: str, slot: Slot, now: datetime) -> None:
    """Per-person limits: a person is their e-mail address or, without one, their phone number."""
    mine: QuerySet[Booking]
    if email:
        mine = Booking.objects.filter(resource=resource, email=email)
        field, who = "email", _("このメールアドレス")
    elif contact.phone:
        mine = _with_phone(_phone_only(resource), contact.phone)
        field, who = "phone", _("この電話番号")
    else:
        return
    if resource.limit_active:
        active = mine.filter(
            status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.OFFERED],
            slot__starts_at__gte=now,
        ).count()
        if active >= resource.limit_active:
            raise BookingError(
                _("「%(resource)s」の予約は1人%(n)s件までです。%(who)sの予約がすでに%(n)s件あります。")
                % {"resource": resource.name, "n": resource.limit_active, "who": who},
                field=field,
                code="limit",
            )
    if resource.limit_per_day:
        day = local_day(slot.starts_at)
        same_day = mine.filter(
            status__in=HOLDING,
            slot__starts_at__gte=local_start(day),
            slot__starts_at__lt=local_start(day + timedelta(1)),
        ).count()
        if same_day >= resource.limit_per_day:
            raise BookingError(
                _("「%(resource)s」は1日に1人%(n)s件まで予約できます。%(day)sの予約がすでにあります。")
                % {"resource": resource.name, "n": resource.limit_per_day, "day": format_date(day)},
                field=field,
                code="limit",
            )


def _check_phone_only_limits(resource: Resource, contact: Contact, source: str, now: datetime) -> None:
    """Against abuse of booking without e-mail: bookings accepted per phone number and per network
    (connection address) on one day, whatever became of them since."""
    today = local_day(now)
    made_today = _phone_only(resource).filter(
        created_at__gte=local_start(today), created_at__lt=local_start(today + timedelta(days=1))
    )
    n = resource.limit_phone_per_day
    if n and _with_phone(made_today, contact.phone).count() >= n:
        raise BookingError(
            _(
                "メールアドレスなしの予約は、1つの電話番号につき1日%(n)s件までです。"
                "今日はこの電話番号での予約をすでに%(n)s件受け付けました。"
                "メールアドレスを入力して予約するか、担当課に電話でお問い合わせください。"
            )
            % {"n": n},
            field="phone",
            code="limit",
        )
    n = resource.limit_network_per_day
    if n and source and made_today.filter(source=source).count() >= n:
        raise BookingError(
            _(
                "メールアドレスなしの予約は、同じ接続元（回線）から1日%(n)s件までです。"
                "メールアドレスを入力して予約するか、担当課に電話でお問い合わせください。"
            )
            % {"n": n},
            field="email",
            code="limit",
        )


# --- booking --------------------------------------------------------------------------------------


def book(
    slot_id: int,
    contact: Contact,
    *,
    channel: str = Channel.ONLINE,
    staff: User | None = None,
    waitlist_if_full: bool = False,
    now: datetime | None = None,
    rules: Rules | None = None,
    source: str = "",
) -> Booking:
    """Book one place (or join the waitlist when full and asked to). Raises :class:`BookingError`.

    Online bookings with an e-mail address are pending until the e-mailed link's button is pressed;
    online bookings without one (a phone number only, where the resource allows it) are confirmed
    at once, unverified, within per-phone and per-network limits a day (``source`` names the
    network); bookings entered by staff are confirmed at once.
    """
    now = now or timezone.now()
    email = contact.email.strip().lower()
    try:
        with transaction.atomic():
            slot = locked_slot(slot_id)
            resource = slot.resource
            by_staff = staff is not None
            if not by_staff and resource.audience == "staff":
                raise BookingError(_("この予約は電話または窓口で受け付けています。"), code="staff_only")
            if not resource.is_active:
                raise BookingError(_("現在、予約を受け付けていません。"), code="inactive")
            refusal = (rules or Rules(resource)).refusal(slot, now, staff=by_staff)
            if refusal:
                raise BookingError(refusal, code="rules")
            phone_only = not by_staff and not email
            if phone_only:
                _admit_without_email(resource, slot, contact, source, now)
            else:
                _lock(resource, email)
                if email and Booking.objects.filter(slot=slot, email=email, status__in=ACTIVE).exists():
                    raise _duplicate_email()
                if email:  # staff taking a booking without an address check nothing per person
                    _check_limits(resource, contact, email, slot, now)
            _release_expired(slot, now)
            if slot.booked >= slot.capacity:
                if waitlist_if_full and resource.waitlist:
                    if phone_only:
                        raise BookingError(
                            _(
                                "空き待ちの登録にはメールアドレスが必要です（空きが出たらメールでお知らせするため）。"
                            ),
                            field="email",
                            code="required",
                        )
                    return _create(slot, contact, email, BookingStatus.WAITING, channel, staff, now)
                raise SlotFull(resource.waitlist)
            # the constraint booked <= capacity refuses this update if it would overbook
            Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)
            slot.booked += 1
            # a charge paid online holds the place until it is paid (bookings.payment)
            pay = not by_staff and payment.pays_online(resource)
            status = BookingStatus.PENDING if (email or pay) and not by_staff else BookingStatus.CONFIRMED
            return _create(slot, contact, email, status, channel, staff, now, source=source, pay=pay)
    except IntegrityError as exc:
        if "UNIQUE" in str(exc).upper() or "once_per" in str(exc):
            raise (_duplicate_email() if email else _duplicate_phone()) from None
        raise SlotFull(False) from None


def _admit_without_email(
    resource: Resource, slot: Slot, contact: Contact, source: str, now: datetime
) -> None:
    """Under the slot's lock: may this person book without an e-mail address? Raises if not."""
    if not resource.allow_without_email:
        raise BookingError(_("メールアドレスを入力してください。"), field="email", code="required")
    if not contact.phone:
        raise BookingError(
            _("メールアドレスなしで予約するときは、電話番号を入力してください。"),
            field="phone",
            code="required",
        )
    _lock(resource, "phone:" + phone_digits(contact.phone), f"network:{source}" if source else "")
    if _with_phone(_phone_only(resource).filter(slot=slot, status__in=ACTIVE), contact.phone).exists():
        raise _duplicate_phone()
    _check_limits(resource, contact, "", slot, now)
    _check_phone_only_limits(resource, contact, source, now)


def _duplicate_email() -> BookingError:
    return BookingError(
        _("このメールアドレスで、この枠の予約（または空き待ち）がすでにあります。"),
        field="email",
        code="duplicate",
    )


def _duplicate_phone() -> BookingError:
    return BookingError(
        _("この電話番号で、この枠の予約がすでにあります。予約番号は、予約したときの画面に出ています。"),
        field="phone",
        code="duplicate",
    )


def _create(
    slot: Slot,
    contact: Contact,
    email: str,
    status: str,
    channel: str,
    staff: User | None,
    now: datetime,
    *,
    source: str = "",
    pay: bool = False,
) -> Booking:
    booking = Booking(
        municipality_id=slot.municipality_id,
        resource=slot.resource,
        slot=slot,
        code=shortcodes.unique_code(Booking, slot.municipality_id),
        status=status,
        channel=channel,
        name=contact.name,
        kana=contact.kana,
        email=email,
        phone=contact.phone,
        note=contact.note,
        created_by=staff,
        source=source if not email and staff is None else "",
    )
    if pay:
        booking.payment_state = payment.DUE
        booking.hold_until = min(now + timedelta(minutes=settings.BOOKING_PAYMENT_MINUTES), slot.starts_at)
    elif status == BookingStatus.PENDING:
        booking.hold_until = min(now + timedelta(hours=conf("PENDING_HOURS")), slot.starts_at)
    booking.save()
    if email and not pay:  # a booking paid online is confirmed, and mailed, by its payment
        # the calendar file comes with a confirmed booking only (staff's), not with a pending one
        kind = "waiting" if status == BookingStatus.WAITING else "booked"
        _mail(booking, kind, with_ics=status == BookingStatus.CONFIRMED)
    return booking


def confirm(booking: Booking, now: datetime | None = None) -> Booking:
    """The e-mailed link's button was pressed: a pending booking or an offered place becomes
    confirmed, and the confirmation mail brings the calendar file (once)."""
    now = now or timezone.now()
    with transaction.atomic():
        slot = locked_slot(booking.slot_id)
        _release_expired(slot, now)
        booking.refresh_from_db()
        if booking.status in (BookingStatus.PENDING, BookingStatus.OFFERED):
            booking.status = BookingStatus.CONFIRMED
            booking.verified_at = now
            booking.hold_until = None
            booking.save(update_fields=["status", "verified_at", "hold_until"])
            if booking.email:
                _mail(booking, "confirmed", with_ics=True)
    return booking


def cancel(booking: Booking, *, reason: str = "", now: datetime | None = None, offer: bool = True) -> Booking:
    """Cancel a booking or leave the waitlist; a freed place is offered to the first waiting person."""
    now = now or timezone.now()
    with transaction.atomic():
        slot = locked_slot(booking.slot_id)
        booking.refresh_from_db()
        if booking.status not in ACTIVE:
            return booking
        held = booking.status in HOLDING
        had_calendar = booking.status == BookingStatus.CONFIRMED
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.cancel_reason = reason
        booking.hold_until = None
        booking.save(update_fields=["status", "cancelled_at", "cancel_reason", "hold_until"])
        if held:
            Slot.objects.filter(pk=slot.pk).update(booked=F("booked") - 1)
            slot.booked -= 1
        if booking.email:
            _mail(booking, "cancelled", with_ics=had_calendar, once=False)
        if offer:
            offer_places(slot, now)
    return booking


def move(booking: Booking, new_slot_id: int, now: datetime | None = None) -> Booking:
    """Change a booking to another slot of the same resource (both slots locked in id order)."""
    now = now or timezone.now()
    with transaction.atomic():
        first, second = sorted({booking.slot_id, new_slot_id})
        locked = {first: locked_slot(first)}
        if second != first:
            locked[second] = locked_slot(second)
        old, new = locked[booking.slot_id], locked[new_slot_id]
        booking.refresh_from_db()
        if booking.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED) or new.pk == old.pk:
            raise BookingError(_("この予約は変更できません。"), code="state")
        if new.resource_id != old.resource_id:
            raise BookingError(_("別の施設・窓口への変更はできません。"), code="resource")
        refusal = Rules(new.resource).refusal(new, now)
        if refusal:
            raise BookingError(refusal, code="rules")
        _release_expired(new, now)
        if new.booked >= new.capacity:
            raise SlotFull(False)
        if (
            booking.email
            and Booking.objects.filter(slot=new, email=booking.email, status__in=ACTIVE).exists()
        ):
            raise BookingError(
                _("変更先の枠に、このメールアドレスの予約がすでにあります。"), code="duplicate"
            )
        if (
            booking.phone_only
            and _with_phone(
                _phone_only(new.resource).filter(slot=new, status__in=ACTIVE), booking.phone
            ).exists()
        ):
            raise BookingError(_("変更先の枠に、この電話番号の予約がすでにあります。"), code="duplicate")
        Slot.objects.filter(pk=new.pk).update(booked=F("booked") + 1)
        Slot.objects.filter(pk=old.pk).update(booked=F("booked") - 1)
        old.booked -= 1
        booking.slot = new
        booking.save(update_fields=["slot"])
        if booking.email:
            _mail(booking, "moved", with_ics=booking.status == BookingStatus.CONFIRMED, once=False)
        offer_places(old, now)
    return booking


def _release_expired(slot: Slot, now: datetime) -> int:
    """Under the slot's lock: pending bookings not confirmed and offers not taken in time expire;
    their places go to the waitlist first."""
    expired = list(
        Booking.objects.filter(
            slot=slot, status__in=[BookingStatus.PENDING, BookingStatus.OFFERED], hold_until__lt=now
        ).values_list("pk", flat=True)
    )
    if not expired:
        return 0
    Booking.objects.filter(pk__in=expired).update(status=BookingStatus.EXPIRED, hold_until=None)
    Slot.objects.filter(pk=slot.pk).update(booked=F("booked") - len(expired))
    slot.booked -= len(expired)
    offer_places(slot, now)
    return len(expired)


def offer_places(slot: Slot, now: datetime) -> list[Booking]:
    """Offer each free place to the next waiting person (each offered once), held for a time."""
    resource = slot.resource
    offered: list[Booking] = []
    if slot.starts_at <= now or slot.is_blocked:
        return offered
    free = slot.capacity - slot.booked
    if free <= 0:
        return offered
    waiting = Booking.objects.filter(slot=slot, status=BookingStatus.WAITING).order_by("created_at", "pk")[
        :free
    ]
    for booking in waiting:
        booking.status = BookingStatus.OFFERED
        booking.offered_at = now
        booking.hold_until = min(now + timedelta(hours=resource.offer_hours), slot.starts_at)
        booking.save(update_fields=["status", "offered_at", "hold_until"])
        offered.append(booking)
    if offered:
        Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + len(offered))
        slot.booked += len(offered)
        for booking in offered:
            if booking.email:
                _mail(booking, "offered", with_ics=False)
    return offered


def expire_holds(now: datetime | None = None) -> int:
    """Expire every overdue hold (``yakusho expire-booking-holds``, or on request per slot)."""
    now = now or timezone.now()
    slot_ids = set(
        Booking.objects.filter(
            status__in=[BookingStatus.PENDING, BookingStatus.OFFERED], hold_until__lt=now
        ).values_list("slot_id", flat=True)
    )
    count = 0
    for slot_id in sorted(slot_ids):
        with transaction.atomic():
            count += _release_expired(locked_slot(slot_id), now)
    return count


def mark(booking: Booking, status: str) -> Booking:
    """Staff mark attendance or a no-show (both keep the place held: the slot was used)."""
    if status not in (BookingStatus.ATTENDED, BookingStatus.NO_SHOW, BookingStatus.CONFIRMED):
        raise BookingError(_("この状態にはできません。"), code="state")
    with transaction.atomic():
        locked_slot(booking.slot_id)
        booking.refresh_from_db()
        if booking.status not in (
            BookingStatus.PENDING,
            BookingStatus.CONFIRMED,
            BookingStatus.ATTENDED,
            BookingStatus.NO_SHOW,
        ):
            raise BookingError(_("取消・空き待ちの予約には出欠をつけられません。"), code="state")
        booking.status = status
        booking.save(update_fields=["status"])
    return booking


def set_blocked(slot: Slot, blocked: bool, reason: str = "") -> Slot:
    """Block a slot (no new bookings; existing ones stay) or release it."""
    with transaction.atomic():
        locked = locked_slot(slot.pk)
        locked.is_blocked = blocked
        locked.block_reason = reason if blocked else ""
        locked.save(update_fields=["is_blocked", "block_reason"])
        if not blocked:
            offer_places(locked, timezone.now())
    return locked


def close_day(resource: Resource, day: date, reason: str, now: datetime | None = None) -> int:
    """An ad-hoc closure of one resource: record it, block the day's slots, cancel every booking
    and waitlist place on it, and tell each person by e-mail. Returns the bookings cancelled."""
    with transaction.atomic():
        ResourceClosure.objects.get_or_create(
            municipality_id=resource.municipality_id, resource=resource, date=day, defaults={"reason": reason}
        )
        return cancel_for_closure(Slot.objects.filter(resource=resource), day, reason, now)


def cancel_for_closure(slots: QuerySet[Slot], day: date, reason: str, now: datetime | None = None) -> int:
    now = now or timezone.now()
    count = 0
    day_slots = slots.filter(
        starts_at__gte=local_start(day), starts_at__lt=local_start(day + timedelta(days=1))
    )
    with transaction.atomic():
        for slot_id in sorted(day_slots.values_list("pk", flat=True)):
            slot = locked_slot(slot_id)
            slot.is_blocked = True
            slot.block_reason = reason
            slot.save(update_fields=["is_blocked", "block_reason"])
            for booking in Booking.objects.filter(slot=slot, status__in=ACTIVE).select_related("resource"):
                held = booking.status in HOLDING
                had_calendar = booking.status == BookingStatus.CONFIRMED
                booking.status = BookingStatus.CANCELLED
                booking.cancelled_at = now
                booking.cancel_reason = _("臨時休館（%(reason)s）") % {"reason": reason}
                booking.hold_until = None
                booking.save(update_fields=["status", "cancelled_at", "cancel_reason", "hold_until"])
                if held:
                    Slot.objects.filter(pk=slot.pk).update(booked=F("booked") - 1)
                if booking.email:
                    _mail(booking, "closure", with_ics=had_calendar, extra={"reason": reason})
                count += 1
    return count


# --- mail ----------------------------------------------------------------------------------------------

SUBJECTS = {
    "booked": N_("【%(municipality)s】予約を受け付けました（%(code)s）"),
    "confirmed": N_("【%(municipality)s】予約が確定しました（%(code)s）"),
    "waiting": N_("【%(municipality)s】空き待ちに登録しました（%(code)s）"),
    "offered": N_("【%(municipality)s】空きが出ました。予約を確定してください（%(code)s）"),
    "cancelled": N_("【%(municipality)s】予約を取り消しました（%(code)s）"),
    "moved": N_("【%(municipality)s】予約を変更しました（%(code)s）"),
    "closure": N_("【%(municipality)s】臨時休館のため予約を取り消しました（%(code)s）"),
    "reminder": N_("【%(municipality)s】明日のご予約のお知らせ（%(code)s）"),
}


def mail_context(booking: Booking) -> dict[str, Any]:
    start = timezone.localtime(booking.slot.starts_at)
    end = timezone.localtime(booking.slot.ends_at)
    return {
        "booking": booking,
        "resource": booking.resource,
        "municipality": booking.municipality,
        "day": format_date(start.date()),
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
        "url": manage_url(booking),
        "hold_until": timezone.localtime(booking.hold_until) if booking.hold_until else None,
    }


def _mail(
    booking: Booking, kind: str, *, with_ics: bool, once: bool = True, extra: dict[str, Any] | None = None
) -> bool:
    """Queue one mail about ``booking``; with ``once`` a second mail of the same kind is not sent."""
    if once:
        try:
            with transaction.atomic():
                BookingMail.objects.create(
                    municipality_id=booking.municipality_id, booking=booking, kind=kind
                )
        except IntegrityError:
            return False
    context = mail_context(booking) | (extra or {})
    subject = _(SUBJECTS[kind]) % {"municipality": booking.municipality.name, "code": booking.display_code}
    body = render_to_string(f"bookings/mail/{kind}.txt", context)
    attachments = []
    if with_ics:
        cancelled = booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED)
        attachments.append(
            Attachment(
                "booking.ics",
                ics.booking_calendar(booking, context["url"], cancelled=cancelled),
                "text/calendar",
            )
        )
    queue_mail(booking.municipality, [booking.email], subject, body, attachments)
    return True


def send_reminders(today: date | None = None) -> int:
    """Reminders for tomorrow's bookings (``yakusho send-booking-reminders``); once per booking."""
    today = today or timezone.localdate()
    tomorrow = today + timedelta(days=1)
    bookings = (
        Booking.objects.filter(
            status__in=[BookingStatus.CONFIRMED, BookingStatus.PENDING],
            slot__starts_at__gte=local_start(tomorrow),
            slot__starts_at__lt=local_start(tomorrow + timedelta(days=1)),
        )
        .exclude(email="")
        .exclude(mails__kind="reminder")
        .select_related("slot", "resource", "municipality")
    )
    sent = 0
    for booking in bookings:
        with transaction.atomic():
            if _mail(booking, "reminder", with_ics=False):
                sent += 1
    return sent
