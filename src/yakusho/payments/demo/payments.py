"""Demo payments at the counter of 美郷町 and 大江町, so that the till's lists, the daily closes and
the payment figures (美郷町's 「キャッシュレス件数」 KPI) have something to show.

From the start of the fiscal year to yesterday, on each business day (the municipality's calendar):
6 to 16 certificate payments at the counter (住民票, 印鑑登録証明書, 戸籍, 税証明 — whichever of
those the demo catalogue holds), one to three copies each, about one in eight paid by card, QR code
or e-money (美郷町's plan reports 266 cashless payments in 令和6年度: about one a business day), and
each past day closed with the cash counted as expected. In 美郷町, whose plan brings in a
self-checkout (セルフレジ, 施策 1-2), about half of the cashless payments are made there (channel
セルフレジ, till 「セルフレジ」, no member of staff): the self-checkout's share of the payments in
person (``payments.self_checkout_share``) has a figure, and the cashless count stays what it was
(the choice is drawn apart from the day's generator, so every payment, method and total is the
same). Everything is marked as demo data and drawn from a generator seeded by the town and the day;
a day that already has payments is left alone, so loading again adds nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from yakusho.core import shortcodes
from yakusho.core.calendar import BusinessCalendar
from yakusho.core.jcal import fiscal_year_of
from yakusho.core.models import Membership, Municipality, Role
from yakusho.payments import services
from yakusho.payments.models import (
    CASHLESS,
    Channel,
    DailyClose,
    FeeItem,
    Method,
    Payment,
    PaymentLine,
    PaymentStatus,
)

DEMO_TOWNS = ("misato", "oe")
CERTIFICATES = ("juminhyo", "inkan", "koseki", "zeishomei")
PER_DAY = (6, 16)
CASHLESS_SHARE = 0.125
#: the towns whose demo has a self-checkout, and the share of their cashless payments made there
SELF_CHECKOUT_TOWNS = ("misato",)
SELF_CHECKOUT_SHARE = 0.5
SELF_CHECKOUT_TILL = "セルフレジ"


def _clerk(municipality: Municipality) -> Membership | None:
    members = Membership.objects.filter(municipality=municipality).select_related("user").order_by("pk")
    return members.filter(role=Role.COUNTER).first() or members.filter(role=Role.ADMIN).first()


def _load_town(municipality: Municipality, today: date) -> int:
    items = list(
        FeeItem.objects.for_municipality(municipality).filter(key__in=CERTIFICATES).prefetch_related("rates")
    )
    clerk = _clerk(municipality)
    if not items or clerk is None:
        return 0
    start = date(fiscal_year_of(today), 4, 1)
    taken = set(
        Payment.objects.for_municipality(municipality)
        .filter(business_day__gte=start)
        .values_list("business_day", flat=True)
        .distinct()
    )
    codes = set(Payment.objects.for_municipality(municipality).values_list("code", flat=True))
    calendar = BusinessCalendar(municipality, years=range(start.year, today.year + 1))
    added = 0
    day = start
    while day < today:
        if day in taken or calendar.closed_reason(day) is not None:
            day += timedelta(days=1)
            continue
        rng = random.Random(f"payments-demo:{municipality.slug}:{day.isoformat()}")  # noqa: S311 - demo
        added += _load_day(municipality, day, items, clerk, rng, codes)
        day += timedelta(days=1)
    return added


def _load_day(
    municipality: Municipality,
    day: date,
    items: list[FeeItem],
    clerk: Membership,
    rng: random.Random,
    codes: set[str],
) -> int:
    """The day's payments and its close; ``codes`` holds every payment code of the town, the new
    ones added (thousands of codes in a year: drawn blindly, two would meet about once in 200
    loads)."""
    payments: list[Payment] = []
    lines: list[list[PaymentLine]] = []
    for n in range(rng.randint(*PER_DAY)):
        chosen = rng.sample(items, k=1 if rng.random() < 0.7 else min(2, len(items)))
        priced: list[PaymentLine] = []
        for fee in chosen:
            rate = fee.rate_on(day)
            if rate is None:
                continue
            quantity = rng.choice((1, 1, 1, 2, 3))
            priced.append(
                PaymentLine(
                    item=fee,
                    rate=rate,
                    name=fee.name,
                    unit_yen=rate.amount_yen,
                    quantity=quantity,
                    amount_yen=rate.amount_yen * quantity,
                    account_code=fee.account_code,
                    order=len(priced),
                )
            )
        if not priced:
            continue
        total = sum(line.amount_yen for line in priced)
        cashless = [
            m for m in Method.values if m in CASHLESS and all(line.item.accepts(m) for line in priced)
        ]
        method = rng.choice(cashless) if cashless and rng.random() < CASHLESS_SHARE else Method.CASH
        tendered = -(-total // 1000) * 1000 if method == Method.CASH else None
        moment = datetime.combine(day, time(8, 30), tzinfo=timezone.get_current_timezone()) + timedelta(
            minutes=rng.randint(0, 8 * 60)
        )
        at_self_checkout = _at_self_checkout(municipality, day, n, method)
        payments.append(
            Payment(
                municipality=municipality,
                code=shortcodes.fresh(codes),
                channel=Channel.SELF if at_self_checkout else Channel.COUNTER,
                method=method,
                status=PaymentStatus.PAID,
                total_yen=total,
                tendered_yen=tendered,
                change_yen=(tendered - total) if tendered is not None else 0,
                business_day=day,
                paid_at=moment,
                staff=None if at_self_checkout else clerk.user,
                till=SELF_CHECKOUT_TILL if at_self_checkout else "1番窓口",
                terminal="demo" if method != Method.CASH else "",
                terminal_ref=f"DEMO-{rng.getrandbits(48):012X}" if method != Method.CASH else "",
                request_key=f"demo-{day.isoformat()}-{n}",
                is_demo=True,
            )
        )
        lines.append(priced)
    Payment.objects.bulk_create(payments)
    for payment, priced in zip(payments, lines, strict=True):
        for line in priced:
            line.payment = payment
    PaymentLine.objects.bulk_create([line for priced in lines for line in priced])
    summary = services.day_summary(municipality, day)
    DailyClose.objects.create(
        municipality=municipality,
        business_day=day,
        expected_cash_yen=summary.expected_cash_yen,
        counted_cash_yen=summary.expected_cash_yen,
        totals=summary.as_json(),
        closed_by=clerk.user,
        closed_at=datetime.combine(day, time(17, 30), tzinfo=timezone.get_current_timezone()),
    )
    return len(payments)


def _at_self_checkout(municipality: Municipality, day: date, n: int, method: str) -> bool:
    """Whether the day's ``n``-th payment was made at the self-checkout: a cashless one, in a town
    with one, drawn from a generator of its own (the day's draws stay as they were)."""
    if method not in CASHLESS or municipality.slug not in SELF_CHECKOUT_TOWNS:
        return False
    rng = random.Random(f"payments-demo-self:{municipality.slug}:{day.isoformat()}:{n}")  # noqa: S311 - demo
    return rng.random() < SELF_CHECKOUT_SHARE


def load_demo_payments(today: date | None = None) -> int:
    """Add the demo payments for the days of this fiscal year before ``today`` that have none;
    returns how many were added (0 on a second load)."""
    today = today or timezone.localdate()
    added = 0
    with transaction.atomic():
        for municipality in Municipality.objects.filter(slug__in=DEMO_TOWNS).order_by("slug"):
            added += _load_town(municipality, today)
    return added


def load_demo_payments_signal(sender: object, **kwargs: object) -> str:
    """A ``demo_loaded`` receiver (connect it after the demo catalogue, which it pays for)."""
    return f"Payments: {load_demo_payments()} demo payments added."
