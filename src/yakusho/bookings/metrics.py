"""Figures the bookings app publishes to the metrics registry, per municipality and period.

The registry asks ``(municipality, period)``; figures per resource kind are separate keys with the
kind as a suffix (``bookings.bookings.class``, ``bookings.utilisation.room`` …) — a KPI binds to
the key of the kind it measures (美郷町's 「スマホ教室 受講者数」 → ``bookings.class_participants``).
A municipality that needs one resource alone gives it a kind of its own or reads the staff
export; the registry has no third argument for a resource (docs/bookings.md).

A booking belongs to the period in which its slot starts.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.db.models import Count, Q, QuerySet, Sum

from yakusho.bookings.models import Booking, BookingStatus, Channel, ResourceKind, Slot
from yakusho.bookings.rules import local_start
from yakusho.core.models import Municipality
from yakusho.metrics.registry import Period, registry

#: bookings that took place or were kept: the resident came, did not come, or it stands confirmed
KEPT = (BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)

KIND_LABELS = {
    ResourceKind.ROOM: ("施設・部屋", "rooms and facilities"),
    ResourceKind.COUNTER: ("窓口の来庁予約", "counter appointments"),
    ResourceKind.CONSULTATION: ("相談", "consultations"),
    ResourceKind.HEALTH_CHECK: ("健診・検診", "health checks"),
    ResourceKind.CLASS: ("教室・イベント", "classes and events"),
}


def _in_period(qs: QuerySet, period: Period, field: str) -> QuerySet:
    from datetime import timedelta

    return qs.filter(
        **{
            f"{field}__gte": local_start(period.start),
            f"{field}__lt": local_start(period.end + timedelta(days=1)),
        }
    )


def _bookings(municipality: Municipality, period: Period, kind: str | None = None) -> QuerySet[Booking]:
    qs = Booking.objects.for_municipality(municipality)
    if kind:
        qs = qs.filter(resource__kind=kind)
    return _in_period(qs, period, "slot__starts_at")


def _share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def bookings(municipality: Municipality, period: Period, kind: str | None = None) -> int:
    return _bookings(municipality, period, kind).filter(status__in=KEPT).count()


def online_share(municipality: Municipality, period: Period, kind: str | None = None) -> Decimal | None:
    kept = _bookings(municipality, period, kind).filter(status__in=KEPT)
    counts = kept.aggregate(all=Count("pk"), online=Count("pk", filter=Q(channel=Channel.ONLINE)))
    return _share(counts["online"] or 0, counts["all"] or 0)


def utilisation(municipality: Municipality, period: Period, kind: str | None = None) -> Decimal | None:
    slots = _in_period(
        Slot.objects.for_municipality(municipality).filter(is_blocked=False), period, "starts_at"
    )
    if kind:
        slots = slots.filter(resource__kind=kind)
    totals = slots.aggregate(capacity=Sum("capacity"), booked=Sum("booked"))
    return _share(totals["booked"] or 0, totals["capacity"] or 0)


def cancellations(municipality: Municipality, period: Period, kind: str | None = None) -> int:
    return _bookings(municipality, period, kind).filter(status=BookingStatus.CANCELLED).count()


def no_shows(municipality: Municipality, period: Period, kind: str | None = None) -> int:
    return _bookings(municipality, period, kind).filter(status=BookingStatus.NO_SHOW).count()


FIGURES = [
    (
        "bookings",
        bookings,
        "予約件数",
        "Bookings",
        "件",
        "確定・出席・無断欠席の予約（枠の開始日で期間に数える）",
    ),
    (
        "online_share",
        online_share,
        "オンライン予約の割合",
        "Share of bookings made online",
        "%",
        "予約件数のうちオンラインで受け付けた割合",
    ),
    (
        "utilisation",
        utilisation,
        "予約枠の利用率",
        "Utilisation of booking slots",
        "%",
        "受付停止でない枠の定員に対する予約済みの割合",
    ),
    (
        "cancellations",
        cancellations,
        "予約の取消件数",
        "Cancelled bookings",
        "件",
        "本人・職員・臨時休館による取消",
    ),
    ("no_shows", no_shows, "無断欠席件数", "No-shows", "件", "職員が無断欠席とした予約"),
]

#: the models the figures read: a change marks their stored figures stale (metrics registry)
DEPENDS_ON = ("bookings.Booking", "bookings.Slot")

for _key, _func, _ja, _en, _unit, _desc in FIGURES:
    registry.provider(
        f"bookings.{_key}", label_ja=_ja, label_en=_en, unit=_unit, description=_desc, depends_on=DEPENDS_ON
    )(_func)
    for _kind, (_kind_ja, _kind_en) in KIND_LABELS.items():
        registry.provider(
            f"bookings.{_key}.{_kind.value}",
            label_ja=f"{_ja}（{_kind_ja}）",
            label_en=f"{_en} ({_kind_en})",
            unit=_unit,
            description=_desc,
            depends_on=DEPENDS_ON,
        )(partial(_func, kind=_kind.value))


@registry.provider(
    "bookings.class_participants",
    label_ja="教室・イベントの受講者数",
    label_en="Class and event participants",
    unit="人",
    description="教室・イベントで職員が出席とした人数（スマホ教室の受講者数など）",
    depends_on=DEPENDS_ON,
)
def class_participants(municipality: Municipality, period: Period) -> int:
    return _bookings(municipality, period, ResourceKind.CLASS).filter(status=BookingStatus.ATTENDED).count()


@registry.provider(
    "bookings.class_sessions",
    label_ja="教室・イベントの開催回数",
    label_en="Class and event sessions held",
    unit="回",
    description="教室・イベントの回のうち、受付停止でなく出席者が1人以上いた回の数",
    depends_on=DEPENDS_ON,
)
def class_sessions(municipality: Municipality, period: Period) -> int:
    slots = _in_period(
        Slot.objects.for_municipality(municipality).filter(
            resource__kind=ResourceKind.CLASS, is_blocked=False
        ),
        period,
        "starts_at",
    )
    return slots.filter(bookings__status=BookingStatus.ATTENDED).distinct().count()
