"""A payment the terminal never answered (docs/payments.md, "A payment the terminal never
answered"): the server stops while the terminal is asked, the payment stays pending and counts
nowhere; after ``TERMINAL_WAIT`` it is listed on the payments and close pages, and whoever closes
the day records what the terminal's journal says — charged (paid on today's business day, its
payable told) or not (failed) — once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.utils import timezone

from tests.payments.conftest import item, signed_in
from tests.payments.test_till import VisitOwes
from yakusho.core import shortcodes
from yakusho.core.jcal import format_date
from yakusho.core.models import Municipality, Role
from yakusho.payments import services
from yakusho.payments.models import Channel, DailyClose, Method, Payment, PaymentStatus
from yakusho.payments.payables import payables
from yakusho.payments.terminals.demo import DemoTerminal

pytestmark = pytest.mark.django_db


class ServerStopped(BaseException):
    """What a worker killed while it waits for the terminal looks like to the code after it: nothing
    after the call runs (not a PaymentError, which the till handles)."""


def stuck_payment(
    town: Municipality, monkeypatch: pytest.MonkeyPatch, *, minutes_ago: int = 11, **take: Any
) -> Payment:
    """A card payment whose terminal call never came back, started ``minutes_ago``."""

    def stop(self: DemoTerminal, amount_yen: int, method: str, reference: str) -> Any:
        raise ServerStopped

    with monkeypatch.context() as patch:
        patch.setattr(DemoTerminal, "charge", stop)
        with pytest.raises(ServerStopped):
            services.take(
                town,
                [services.quote(item(town, "koseki"))],
                method=Method.CARD,
                request_key=shortcodes.generate(),
                till="1番窓口",
                **take,
            )
    payment = Payment.objects.filter(municipality=town, status=PaymentStatus.PENDING).latest("pk")
    Payment.objects.filter(pk=payment.pk).update(paid_at=timezone.now() - timedelta(minutes=minutes_ago))
    payment.refresh_from_db()
    return payment


def settle_url(town: Municipality, payment: Payment) -> str:
    return f"/staff/m/{town.slug}/payments/{payment.code}/terminal/"


def page_of(town: Municipality, payment: Payment) -> str:
    return f"/staff/m/{town.slug}/payments/{payment.code}/"


def text(response: Any) -> str:
    return response.content.decode()


def test_a_payment_the_terminal_never_answered_counts_nowhere_and_is_listed(
    town: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    young = stuck_payment(town, monkeypatch, minutes_ago=2)
    assert list(services.stuck_at_terminal(town)) == []  # still within TERMINAL_WAIT: at the terminal
    old = stuck_payment(town, monkeypatch)
    Payment.objects.filter(pk=young.pk).update(status=PaymentStatus.FAILED)  # decided, not listed
    assert list(services.stuck_at_terminal(town)) == [old]
    assert services.is_stuck(old) and not services.is_stuck(young)  # the page's test, without a query
    assert old.business_day is None and services.day_summary(town, services.today()).count == 0

    client, _ = signed_in(Client(), town)
    listing = text(client.get(f"/staff/m/{town.slug}/payments/"))
    assert "決済端末の応答がないまま止まった会計（1件）" in listing
    assert old.display_code in listing and "450円" in listing and "1番窓口" in listing
    close = text(client.get(f"/staff/m/{town.slug}/payments/days/{services.today().isoformat()}/"))
    assert "決済端末の応答がないまま止まった会計（1件）" in close and old.display_code in close
    page = text(client.get(page_of(town, old)))
    assert "決済端末の応答がないまま止まった会計です" in page and "結果を記録する" in page


def test_charged_on_the_journal_is_paid_today_and_its_visit_told(
    town: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = shortcodes.generate()
    visit = VisitOwes(code)
    with payables.isolated():
        payables.add("procedures.counter_visit", visit)
        payment = stuck_payment(town, monkeypatch, payable="procedures.counter_visit", payable_ref=code)
        client, clerk = signed_in(Client(), town)
        response = client.post(settle_url(town, payment), {"outcome": "charged", "terminal_ref": " T-0042 "})
        assert response.status_code == 303 and response["Location"] == page_of(town, payment)
        again = client.post(settle_url(town, payment), {"outcome": "charged", "terminal_ref": "T-0042"})
        assert again.status_code == 303  # a second press of the same answer: recorded once
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.terminal_ref == "T-0042"
    assert payment.business_day == services.today() and payment.terminal == "demo"
    assert visit.paid_with == [f"{code}:{payment.code}"]
    assert services.day_summary(town, services.today()).count == 1
    assert list(services.stuck_at_terminal(town)) == []
    entry = LogEntry.objects.get_for_object(payment).filter(changes__icontains="T-0042").get()
    assert entry.actor == clerk
    shown = text(client.get(response["Location"]))
    assert f"成立として{format_date(services.today())}に計上しました。" in shown
    assert "T-0042" in shown and "結果を記録する" not in shown


def test_charged_after_today_is_closed_counts_on_the_next_day(
    town: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = stuck_payment(town, monkeypatch)
    client, clerk = signed_in(Client(), town)
    services.close_day(town, services.today(), counted_cash=0, reason="", staff=clerk)
    frozen = DailyClose.objects.get(municipality=town).totals
    client.post(settle_url(town, payment), {"outcome": "charged", "terminal_ref": "T-7"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.business_day is not None and payment.business_day > services.today()
    assert DailyClose.objects.get(municipality=town).totals == frozen  # a closed day never changes


def test_not_charged_on_the_journal_fails_it_with_who_checked(
    town: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = stuck_payment(town, monkeypatch)
    client, clerk = signed_in(Client(), town)
    response = client.post(settle_url(town, payment), {"outcome": "not_charged", "terminal_ref": ""})
    assert response.status_code == 303
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and payment.business_day is None
    assert str(clerk) in payment.failure and "決済されていないこと" in payment.failure
    # the other answer afterwards is refused: the result does not change
    refused = client.post(settle_url(town, payment), {"outcome": "charged", "terminal_ref": "T-1"})
    assert refused.status_code == 400 and "既に「不成立」です" in text(refused)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and payment.terminal_ref == ""


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ({}, ["決済されていたかどうかを選んでください。"]),
        ({"outcome": "maybe", "terminal_ref": "x"}, ["決済されていたかどうかを選んでください。"]),
        ({"outcome": "charged", "terminal_ref": "  "}, ["取引番号を入力してください。"]),
        ({"outcome": "charged", "terminal_ref": "9" * 81}, ["80文字以内", "いま81文字"]),
    ],
)
def test_bad_answers_say_why_and_change_nothing(
    town: Municipality, monkeypatch: pytest.MonkeyPatch, data: dict[str, str], messages: list[str]
) -> None:
    payment = stuck_payment(town, monkeypatch)
    client, _ = signed_in(Client(), town)
    response = client.post(settle_url(town, payment), data)
    page = text(response)
    assert response.status_code == 400 and "入力内容に誤りがあります（1件）" in page
    assert all(m in page for m in messages), page
    if data.get("terminal_ref", "").strip():
        assert f'value="{data["terminal_ref"]}"' in page  # what was typed is kept
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_only_a_payment_stuck_long_enough_and_only_by_whoever_closes(
    town: Municipality, other_town: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    young = stuck_payment(town, monkeypatch, minutes_ago=3)
    client, _ = signed_in(Client(), town)
    early = client.post(settle_url(town, young), {"outcome": "not_charged"})
    assert early.status_code == 400 and "まだ決済端末の処理中です" in text(early)
    assert "結果を記録する" not in text(client.get(page_of(town, young)))
    Payment.objects.filter(pk=young.pk).update(paid_at=timezone.now() - timedelta(minutes=30))

    viewer, _ = signed_in(Client(), town, Role.SECRETARIAT)
    assert viewer.post(settle_url(town, young), {"outcome": "not_charged"}).status_code == 403
    assert "結果を記録できるのは、日計を締める職員と管理者です。" in text(viewer.get(page_of(town, young)))
    stranger, _ = signed_in(Client(), other_town)
    assert stranger.post(settle_url(other_town, young), {"outcome": "not_charged"}).status_code == 404
    assert client.get(settle_url(town, young)).status_code == 405
    young.refresh_from_db()
    assert young.status == PaymentStatus.PENDING

    paid = services.take(
        town, [services.quote(item(town, "koseki"))], method=Method.CASH, request_key="cash-1", tendered=500
    )
    refused = client.post(settle_url(town, paid), {"outcome": "not_charged"})
    assert refused.status_code == 400 and "既に「支払済み」です" in text(refused)


def test_online_payments_are_left_to_the_provider(
    town: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = stuck_payment(town, monkeypatch)
    Payment.objects.filter(pk=payment.pk).update(channel=Channel.ONLINE)
    assert list(services.stuck_at_terminal(town)) == []
    client, _ = signed_in(Client(), town)
    response = client.post(settle_url(town, payment), {"outcome": "not_charged"})
    assert response.status_code == 400 and "決済サービスから届きます" in text(response)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
