"""The figures payments publishes: payments by method and channel, cashless in person, the
counter's cashless share, the self-checkout, and the catalogue's cashless items; the demo payments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.payments.conftest import item, member
from yakusho.core.models import Municipality, Role
from yakusho.metrics.registry import Period, registry
from yakusho.payments import services
from yakusho.payments.demo.payments import load_demo_payments
from yakusho.payments.models import Channel, DailyClose, Method, Payment

pytestmark = pytest.mark.django_db


def _pay(town: Municipality, key: str, method: str, n: int, channel: str = Channel.COUNTER) -> Payment:
    line = services.quote(item(town, key))
    tendered = line.amount_yen if method == Method.CASH else None
    return services.take(
        town, [line], method=method, tendered=tendered, request_key=f"{key}-{method}-{n}", channel=channel
    )


def test_the_figures_count_what_was_paid(town: Municipality) -> None:
    for n in range(3):
        _pay(town, "juminhyo", Method.CASH, n)
    _pay(town, "juminhyo", Method.CARD, 0)
    _pay(town, "inkan", Method.QR, 0, channel=Channel.SELF)
    voided = _pay(town, "inkan", Method.CASH, 9)
    services.request_reversal(
        voided, kind="void", amount=0, reason="誤操作", staff=member(town), request_key="v"
    )
    period = Period.containing("fiscal_year", timezone.localdate())
    assert registry.measure("payments.payments", town, period).value == 5
    assert registry.measure("payments.cashless_count", town, period).value == 2
    # the counter: 3 cash and 1 card (the voided one is no payment)
    assert registry.measure("payments.cashless_share.counter", town, period).value == Decimal("25.0")
    assert registry.measure("payments.self_checkout", town, period).value == 1
    breakdown = registry.get("payments.payments").breakdown
    assert breakdown is not None
    rows = breakdown(town, period)
    assert rows["method:cash"] == 3 and rows["method:card"] == 1 and rows["channel:self"] == 1
    last_year = Period.fiscal_year(period.fiscal_year_number - 1)
    assert registry.measure("payments.payments", town, last_year).value == 0
    assert registry.measure("payments.cashless_share.counter", town, last_year).value is None


def test_cashless_items_count_the_catalogue_now_and_never_a_past_year(town: Municipality) -> None:
    period = Period.containing("fiscal_year", timezone.localdate())
    assert registry.measure("payments.cashless_items", town, period).value == 3  # juminhyo, inkan, koseki
    kaikan = item(town, "kaikan")
    kaikan.methods = ["cash", "qr"]
    kaikan.save()
    assert registry.measure("payments.cashless_items", town, period).value == 4
    past = Period.fiscal_year(period.fiscal_year_number - 1)
    assert registry.measure("payments.cashless_items", town, past).value is None


def test_demo_payments_fill_the_year_closed_day_by_day_once(db: None) -> None:
    from tests.factories import MembershipFactory, MunicipalityFactory
    from tests.payments.conftest import make_catalogue

    misato = MunicipalityFactory(slug="misato", name="美郷町")
    make_catalogue(misato)
    MembershipFactory(municipality=misato, role=Role.COUNTER)
    today = date(2026, 6, 15)
    added = load_demo_payments(today)
    assert added > 0 and load_demo_payments(today) == 0
    payments = Payment.objects.filter(municipality=misato)
    assert payments.count() == added and not payments.filter(is_demo=False).exists()
    days = {day for day in payments.values_list("business_day", flat=True) if day is not None}
    assert len(days) == payments.values("business_day").distinct().count()  # every one has its day
    assert min(days) >= date(2026, 4, 1) and max(days) < today
    assert date(2026, 4, 29) not in days and date(2026, 5, 3) not in days  # 昭和の日, 憲法記念日
    assert DailyClose.objects.filter(municipality=misato).count() == len(days)
    cashless = payments.exclude(method=Method.CASH).count()
    assert 0 < cashless < added / 3
    for payment in payments.filter(method=Method.CASH)[:20]:
        assert (
            payment.tendered_yen is not None
            and payment.tendered_yen - payment.total_yen == payment.change_yen
        )
    assert all(
        sum(line.amount_yen for line in p.lines.all()) == p.total_yen
        for p in payments.prefetch_related("lines")[:50]
    )
    assert date(2026, 6, 15) - timedelta(days=1) >= max(days)


def test_fees_counted_as_one_item_count_once(town: Municipality) -> None:
    from yakusho.payments.models import FeeItem

    FeeItem.objects.filter(municipality=town, key__in=["juminhyo", "inkan", "koseki"]).update(
        counted_as="各種証明書発行手数料"
    )
    period = Period.containing("fiscal_year", timezone.localdate())
    assert registry.measure("payments.cashless_items", town, period).value == 1


def test_the_demo_catalogue_gives_oe_the_plans_seven_cashless_items(demo: None) -> None:
    from yakusho.payments.demo.catalogue import load_catalogues

    load_catalogues({"oe"})
    oe = Municipality.objects.get(slug="oe")
    period = Period.containing("fiscal_year", timezone.localdate())
    assert registry.measure("payments.cashless_items", oe, period).value == 7  # the plan's 現状値 7項目


def test_a_form_is_priced_by_the_catalogue_of_the_day(town: Municipality) -> None:
    from pathlib import Path

    from django.conf import settings

    from yakusho.payments.models import FeeRate
    from yakusho.procedures.formengine import load_definition
    from yakusho.procedures.submissions.fees import catalogue_prices

    form = load_definition((Path(settings.DATA_DIR) / "forms" / "oe--juminhyo-koufu.json").read_text("utf-8"))
    today = timezone.localdate()
    assert catalogue_prices(town, form, today) == {"juminhyo": 300}
    FeeRate.objects.create(item=item(town, "juminhyo"), valid_from=today + timedelta(days=1), amount_yen=350)
    assert catalogue_prices(town, form, today) == {"juminhyo": 300}
    assert catalogue_prices(town, form, today + timedelta(days=1)) == {"juminhyo": 350}
    item(town, "juminhyo").rates.all().delete()
    assert catalogue_prices(town, form, today) == {}  # no rate: the form's own amount counts


def test_a_resource_naming_a_catalogue_item_shows_its_rate_and_methods(town: Municipality) -> None:
    from tests.bookings.helpers import make_resource
    from yakusho.payments.models import FeeRate

    kaikan = item(town, "kaikan")
    room = make_resource(town, fee_yen=9999, fee_unit="booking", payment_methods=["transfer"])
    assert room.fee_text() == "1回 9,999円"
    room.fee_item = kaikan
    room.save()
    room.refresh_from_db()
    assert room.charged_yen == 1000 and room.fee_text() == "1時間あたり 1,000円"
    assert room.payment_labels() == ["現金"]
    FeeRate.objects.create(item=kaikan, valid_from=timezone.localdate(), amount_yen=1200, unit="hour")
    room.refresh_from_db()
    assert room.fee_text() == "1時間あたり 1,200円"  # a new rate from today: shown at once


def test_demo_payments_draw_past_codes_already_taken(db: None, monkeypatch) -> None:
    """The loader makes thousands of codes a year: one drawn twice (or one a payment of the town
    already has) is drawn again, never a duplicate key error that stops the demo."""
    from tests.factories import MembershipFactory, MunicipalityFactory
    from tests.payments.conftest import make_catalogue
    from yakusho.core import shortcodes

    misato = MunicipalityFactory(slug="misato", name="美郷町")
    make_catalogue(misato)
    MembershipFactory(municipality=misato, role=Role.COUNTER)
    today = date(2026, 4, 10)
    load_demo_payments(today)
    Payment.objects.filter(municipality=misato, business_day=date(2026, 4, 9)).delete()
    DailyClose.objects.filter(municipality=misato, business_day=date(2026, 4, 9)).delete()
    kept = sorted(Payment.objects.filter(municipality=misato).values_list("code", flat=True))
    real = shortcodes.generate
    drawn = iter([kept[0], kept[0], kept[1]])  # an old code, twice, then another old one

    def generate() -> str:
        return next(drawn, None) or real()

    monkeypatch.setattr(shortcodes, "generate", generate)
    added = load_demo_payments(today)
    codes = list(Payment.objects.filter(municipality=misato).values_list("code", flat=True))
    assert added > 0 and len(codes) == len(set(codes)) == len(kept) + added
