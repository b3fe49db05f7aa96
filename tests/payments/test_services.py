"""The payment services: amounts as typed, quotes by the rate in force, taking a payment once,
the demo terminal's answers, voids and refunds with approval, and the daily close."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.payments.conftest import item, member
from yakusho.core.models import Municipality, Role
from yakusho.payments import services
from yakusho.payments.models import (
    DailyClose,
    FeeRate,
    Method,
    Payment,
    PaymentStatus,
    ReversalStatus,
)
from yakusho.payments.services import PaymentError, parse_yen
from yakusho.payments.terminals import terminals
from yakusho.payments.terminals.base import PaymentTerminal, TerminalAnswer, TerminalError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "yen"),
    [("１，２００", 1200), ("1,200円", 1200), ("¥300", 300), (" 0 ", 0), ("１２００円", 1200), (450, 450)],
)
def test_amounts_are_read_as_people_type_them(typed: object, yen: int) -> None:
    assert parse_yen(typed, "お預かり金額") == yen


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "お預かり金額を入力してください。"),
        ("-500", "負の金額"),
        ("ー５００", "負の金額"),
        ("3百円", "数字で入力"),
        ("12.5", "数字で入力"),
        ("99999999999", "大きすぎます"),
    ],
)
def test_bad_amounts_say_what_is_wrong(typed: str, says: str) -> None:
    with pytest.raises(PaymentError) as caught:
        parse_yen(typed, "お預かり金額", "tendered")
    assert says in caught.value.message and caught.value.field == "tendered"


def test_a_quote_uses_the_rate_in_force_and_a_change_rewrites_no_past_payment(town: Municipality) -> None:
    juminhyo = item(town, "juminhyo")
    line = services.quote(juminhyo, 2)
    payment = services.take(town, [line], method=Method.CASH, tendered=1000, request_key="k1")
    FeeRate.objects.create(
        item=juminhyo, valid_from=timezone.localdate() + timedelta(days=1), amount_yen=350, unit="copy"
    )
    juminhyo = item(town, "juminhyo")
    assert services.quote(juminhyo, 1).unit_yen == 300  # today: the old rate
    assert services.quote(juminhyo, 1, day=timezone.localdate() + timedelta(days=1)).unit_yen == 350
    assert payment.lines.get().amount_yen == 600 and payment.total_yen == 600
    assert payment.change_yen == 400


def test_quotes_refuse_too_many_an_unknown_exemption_and_no_rate(town: Municipality) -> None:
    juminhyo = item(town, "juminhyo")
    with pytest.raises(PaymentError, match="10通まで"):
        services.quote(juminhyo, 11)
    with pytest.raises(PaymentError, match="減免はありません"):
        services.quote(juminhyo, 1, exemption="町長の友人")
    assert services.quote(juminhyo, 3, exemption="公用").amount_yen == 0
    with pytest.raises(PaymentError, match="料金が登録されていません"):
        services.quote(juminhyo, 1, day=date(2019, 1, 1))
    kaikan = item(town, "kaikan")
    assert services.quote(kaikan, 2, resident=False).amount_yen == 4000


def test_a_double_press_counts_once(town: Municipality) -> None:
    line = services.quote(item(town, "inkan"))
    first = services.take(town, [line], method=Method.CASH, tendered=300, request_key="same")
    second = services.take(town, [line], method=Method.CASH, tendered=300, request_key="same")
    assert first.pk == second.pk
    assert Payment.objects.filter(municipality=town).count() == 1


def test_cash_needs_enough_and_a_method_the_item_takes(town: Municipality) -> None:
    line = services.quote(item(town, "koseki"))
    with pytest.raises(PaymentError) as caught:
        services.take(town, [line], method=Method.CASH, tendered=400, request_key="a")
    assert caught.value.field == "tendered" and "450円" in caught.value.message
    with pytest.raises(PaymentError, match="電子マネーでは支払えません"):
        services.take(town, [line], method=Method.EMONEY, request_key="b")
    assert not Payment.objects.filter(municipality=town).exists()


def test_another_towns_fee_is_refused(town: Municipality, other_town: Municipality) -> None:
    line = services.quote(item(other_town, "inkan"))
    with pytest.raises(PaymentError, match="ほかの団体"):
        services.take(town, [line], method=Method.CASH, tendered=300, request_key="x")


def test_the_demo_terminal_approves_declines_and_times_out(town: Municipality) -> None:
    rate = item(town, "koseki").rates.get()
    ok = services.take(town, [services.quote(item(town, "koseki"))], method=Method.CARD, request_key="ok")
    assert ok.status == PaymentStatus.PAID and ok.terminal == "demo" and ok.terminal_ref.startswith("DEMO-")
    rate.amount_yen = 1099
    rate.save()
    with pytest.raises(PaymentError, match="利用できません"):
        services.take(town, [services.quote(item(town, "koseki"))], method=Method.QR, request_key="no")
    rate.amount_yen = 1098
    rate.save()
    with pytest.raises(PaymentError, match="応答がありません"):
        services.take(town, [services.quote(item(town, "koseki"))], method=Method.QR, request_key="late")
    failed = Payment.objects.filter(municipality=town, status=PaymentStatus.FAILED)
    assert failed.count() == 2
    with pytest.raises(PaymentError, match="成立しませんでした"):  # the same press again charges nothing
        services.take(town, [services.quote(item(town, "koseki"))], method=Method.QR, request_key="no")
    summary = services.day_summary(town, timezone.localdate())
    assert summary.count == 1 and summary.total_yen == 450 and summary.cashless_count == 1


def test_small_refunds_are_done_at_once_and_large_ones_wait_for_a_second_member(town: Municipality) -> None:
    clerk, supervisor = member(town), member(town, Role.ADMIN)
    payment = services.take(
        town, [services.quote(item(town, "kaikan"), 6)], method=Method.CASH, tendered=6000, request_key="p"
    )
    small = services.request_reversal(
        payment, kind="refund", amount=1000, reason="1時間分の取消", staff=clerk, request_key="r1"
    )
    assert small.status == ReversalStatus.DONE
    with override_settings(PAYMENTS_APPROVAL_YEN=3000):
        with pytest.raises(PaymentError, match="残り（5,000円）"):
            services.request_reversal(
                payment, kind="refund", amount=5001, reason="誤り", staff=clerk, request_key="r2"
            )
        big = services.request_reversal(
            payment, kind="refund", amount=5000, reason="利用中止", staff=clerk, request_key="r3"
        )
        assert big.status == ReversalStatus.PENDING
        with pytest.raises(PaymentError, match="別の職員"):
            services.approve(big, clerk)
        services.approve(big, supervisor)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    summary = services.day_summary(town, timezone.localdate())
    assert summary.reversals_yen == 6000 and summary.expected_cash_yen == 0


def test_a_closed_day_is_frozen_and_corrections_land_the_next_day(town: Municipality) -> None:
    clerk = member(town)
    today = timezone.localdate()
    payment = services.take(
        town, [services.quote(item(town, "juminhyo"), 2)], method=Method.CASH, tendered=600, request_key="p"
    )
    with pytest.raises(PaymentError, match="理由を入力"):
        services.close_day(town, today, counted_cash=500, reason="", staff=clerk)
    close = services.close_day(town, today, counted_cash=500, reason="100円不足：釣銭の渡し過ぎ", staff=clerk)
    assert close.difference_yen == -100 and close.totals["total_yen"] == 600
    with pytest.raises(PaymentError, match="既に締められています"):
        services.close_day(town, today, counted_cash=600, reason="", staff=clerk)
    with pytest.raises(PaymentError, match="取消できません"):
        services.request_reversal(payment, kind="void", amount=0, reason="誤り", staff=clerk, request_key="v")
    refund = services.request_reversal(
        payment, kind="refund", amount=300, reason="1通多かった", staff=clerk, request_key="r"
    )
    assert refund.business_day == today + timedelta(days=1)
    later = services.take(
        town, [services.quote(item(town, "inkan"))], method=Method.CASH, tendered=300, request_key="q"
    )
    assert later.business_day == today + timedelta(days=1)
    assert DailyClose.objects.get(municipality=town).totals["total_yen"] == 600
    with pytest.raises(PaymentError, match="まだ来ていない日"):
        services.close_day(town, today + timedelta(days=2), counted_cash=0, reason="", staff=clerk)


class UnreachableTerminal(PaymentTerminal):
    key = "unreachable"
    label = "つながらない端末"
    methods = frozenset({"card"})

    def charge(self, amount_yen: int, method: str, reference: str) -> TerminalAnswer:
        raise TerminalError("LANケーブルが抜けています")

    def refund(self, amount_yen: int, terminal_ref: str, reference: str) -> TerminalAnswer:
        raise TerminalError("LANケーブルが抜けています")


def test_an_unreachable_terminal_leaves_a_failed_payment_not_a_pending_one(town: Municipality) -> None:
    with terminals.isolated(keep=True), override_settings(PAYMENT_TERMINAL="unreachable"):
        terminals.add("unreachable", UnreachableTerminal)
        with pytest.raises(PaymentError, match="接続できません：LANケーブルが抜けています"):
            services.take(town, [services.quote(item(town, "koseki"))], method=Method.CARD, request_key="u")
    payment = Payment.objects.get(municipality=town, request_key="u")
    assert payment.status == PaymentStatus.FAILED and "LANケーブル" in payment.failure
    services.close_day(
        town, timezone.localdate(), counted_cash=0, reason="", staff=member(town)
    )  # not held up


def test_a_close_waits_for_a_payment_at_the_terminal_but_not_for_one_that_never_answered(
    town: Municipality,
) -> None:
    clerk = member(town)
    line = services.quote(item(town, "koseki"))
    services.take(town, [line], method=Method.CARD, request_key="paid")
    at_terminal = Payment.objects.get(municipality=town, request_key="paid")
    Payment.objects.filter(pk=at_terminal.pk).update(status=PaymentStatus.PENDING, business_day=None)
    with pytest.raises(PaymentError, match="処理中の会計があります"):
        services.close_day(town, timezone.localdate(), counted_cash=0, reason="", staff=clerk)
    Payment.objects.filter(pk=at_terminal.pk).update(paid_at=timezone.now() - services.TERMINAL_WAIT * 2)
    close = services.close_day(town, timezone.localdate(), counted_cash=0, reason="", staff=clerk)
    assert close.totals["count"] == 0  # the one that never answered counts nowhere


def test_a_refund_the_terminal_refuses_changes_nothing_and_waits(town: Municipality) -> None:
    clerk = member(town)
    rate = item(town, "koseki").rates.get()
    rate.amount_yen = 1000
    rate.save()
    payment = services.take(town, [services.quote(item(town, "koseki"))], method=Method.CARD, request_key="p")
    assert payment.status == PaymentStatus.PAID  # the demo terminal declines a refund of …99 yen
    with pytest.raises(PaymentError, match="返金できませんでした"):
        services.request_reversal(
            payment, kind="refund", amount=99, reason="一部返金", staff=clerk, request_key="r"
        )
    reversal = payment.reversals.get()
    assert reversal.status == ReversalStatus.PENDING and reversal.business_day is None
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and services.refunded_yen(payment) == 0


def test_the_system_check_names_an_unknown_terminal_and_its_configuration_problems() -> None:
    from yakusho.payments.checks import check_payment_terminal

    assert check_payment_terminal() == []
    with override_settings(PAYMENT_TERMINAL="pos-9000"):
        (error,) = check_payment_terminal()
        assert error.id == "yakusho.E020" and "'pos-9000'" in error.msg and "demo" in error.msg
    with override_settings(DEMO_TERMINAL_DELAY=60):
        (error,) = check_payment_terminal()
        assert error.id == "yakusho.E021" and "0〜10 秒" in error.msg


def test_the_system_check_names_an_unknown_provider_and_its_configuration_problems() -> None:
    from yakusho.payments.checks import check_payment_provider

    assert check_payment_provider() == []
    with override_settings(PAYMENT_PROVIDER="paypay-x"):
        (error,) = check_payment_provider()
        assert error.id == "yakusho.E022" and "'paypay-x'" in error.msg
    with override_settings(PAYMENT_PROVIDER_DEMO_SECRET="short", PAYMENT_PROVIDER_DEMO_URL="ftp://x"):
        errors = check_payment_provider()
        assert [e.id for e in errors] == ["yakusho.E023", "yakusho.E023"]
