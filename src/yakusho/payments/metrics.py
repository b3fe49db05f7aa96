"""Figures payments publishes to the metrics registry, per municipality and period.

A payment belongs to the period of its business day (計上日). Voided payments count nowhere (they
were never a payment the resident made); refunded ones count as payments made. "Cashless" is a
card, a QR code payment or e-money (``models.CASHLESS``). Channels: the counter till (窓口), the
self-checkout (セルフレジ) and online. A share of nothing is None, not 0.

- ``payments.payments`` — payments taken, with a breakdown by method and by channel (``method:card``,
  ``channel:counter``).
- ``payments.cashless_count`` — cashless payments in person (counter and self-checkout): 美郷町's
  「キャッシュレス件数」.
- ``payments.cashless_share.counter`` — the share of the counter's payments made cashless: 潟上市's
  measure (14.4 % at its 市民課 counter in July 2025).
- ``payments.self_checkout`` — payments made at the self-checkout.
- ``payments.self_checkout_share`` — the share of the payments taken in person (counter and
  self-checkout) made at the self-checkout: 美郷町's 「セルフレジの利用率」 (its plan names it, with no
  number).
- ``payments.cashless_items`` — fee items of the catalogue that take a cashless method today:
  大江町's 「税金・手数料等に係るキャッシュレス決済対応項目数」. Items with the same 「集計上の項目」
  (``counted_as``: 大江町's table counts 「各種証明書発行手数料」 as one item) count once. The catalogue
  keeps no history of methods, so only a running period has this figure (a past period's is None,
  never today's count).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet

from yakusho.core.models import Municipality
from yakusho.metrics.registry import Number, Period, registry
from yakusho.payments.models import CASHLESS, Channel, FeeItem, Payment, PaymentStatus

PAYMENTS = ("payments.Payment",)
IN_PERSON = (Channel.COUNTER, Channel.SELF)


def _payments(municipality: Municipality, period: Period) -> QuerySet[Payment]:
    return Payment.objects.for_municipality(municipality).filter(
        business_day__gte=period.start,
        business_day__lte=period.end,
        status__in=(PaymentStatus.PAID, PaymentStatus.REFUNDED),
    )


def _by(municipality: Municipality, period: Period) -> dict[str, Number]:
    rows: dict[str, Number] = {}
    qs = _payments(municipality, period)
    for field in ("method", "channel"):
        for value, n in qs.values(field).annotate(n=Count("pk")).values_list(field, "n"):
            rows[f"{field}:{value}"] = n
    return rows


@registry.provider(
    "payments.payments",
    label_ja="手数料等の支払件数",
    label_en="Payments taken",
    unit="件",
    description="窓口・セルフレジ・オンラインで受けた支払の件数（取消を除く。計上日で集計）",
    depends_on=PAYMENTS,
    breakdown=_by,
)
def payments(municipality: Municipality, period: Period) -> int:
    return _payments(municipality, period).count()


@registry.provider(
    "payments.cashless_count",
    label_ja="窓口・セルフレジでのキャッシュレス決済件数",
    label_en="Cashless payments in person",
    unit="件",
    description="窓口とセルフレジで、クレジットカード・QRコード決済・電子マネーで受けた支払の件数",
    depends_on=PAYMENTS,
)
def cashless_count(municipality: Municipality, period: Period) -> int:
    return _payments(municipality, period).filter(channel__in=IN_PERSON, method__in=CASHLESS).count()


@registry.provider(
    "payments.cashless_share.counter",
    label_ja="窓口でのキャッシュレス決済の割合",
    label_en="Share of counter payments made cashless",
    unit="%",
    description="窓口で受けた支払のうち、クレジットカード・QRコード決済・電子マネーの割合",
    depends_on=PAYMENTS,
)
def cashless_share_counter(municipality: Municipality, period: Period) -> Decimal | None:
    counts = (
        _payments(municipality, period)
        .filter(channel=Channel.COUNTER)
        .aggregate(n=Count("pk"), cashless=Count("pk", filter=Q(method__in=CASHLESS)))
    )
    if not counts["n"]:
        return None
    share = Decimal(counts["cashless"] * 100) / Decimal(counts["n"])
    return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@registry.provider(
    "payments.self_checkout",
    label_ja="セルフレジの利用件数",
    label_en="Payments at the self-checkout",
    unit="件",
    description="セルフレジで受けた支払の件数",
    depends_on=PAYMENTS,
)
def self_checkout(municipality: Municipality, period: Period) -> int:
    return _payments(municipality, period).filter(channel=Channel.SELF).count()


@registry.provider(
    "payments.cashless_items",
    label_ja="キャッシュレス決済に対応した手数料・税等の項目数",
    label_en="Fees and taxes payable cashless",
    unit="項目",
    description="手数料一覧の項目のうち、クレジットカード・QRコード決済・電子マネーのいずれかで支払えるものの数（集計上の項目が同じものは1項目。現在の一覧で、過去の期間は集計しません）",
    depends_on=("payments.FeeItem",),
)
def cashless_items(municipality: Municipality, period: Period) -> int | None:
    if not period.is_running():
        return None
    items = FeeItem.objects.for_municipality(municipality).values_list("key", "counted_as", "methods")
    return len(
        {counted_as or key for key, counted_as, methods in items if any(m in CASHLESS for m in methods or ())}
    )


@registry.provider(
    "payments.self_checkout_share",
    label_ja="セルフレジの利用率",
    label_en="Share of in-person payments made at the self-checkout",
    unit="%",
    description="窓口とセルフレジで受けた支払のうち、セルフレジで受けたものの割合（美郷町の計画が掲げる「セルフレジの利用率向上」の計測。計画に目標値はありません）",
    depends_on=PAYMENTS,
)
def self_checkout_share(municipality: Municipality, period: Period) -> Decimal | None:
    counts = (
        _payments(municipality, period)
        .filter(channel__in=IN_PERSON)
        .aggregate(n=Count("pk"), self_checkout=Count("pk", filter=Q(channel=Channel.SELF)))
    )
    if not counts["n"]:
        return None
    share = Decimal(counts["self_checkout"] * 100) / Decimal(counts["n"])
    return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
