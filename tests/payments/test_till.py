"""The counter till: 会計 of several lines in cash or through the demo terminal, once per press;
every mistake shown at once; a counter visit's lines prefilled; the payment page, voids and refunds
with a second member's approval; the day's payments; who may do what; hostile input."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from tests.payments.conftest import item, signed_in
from yakusho.core import shortcodes
from yakusho.core.models import Municipality, Role
from yakusho.payments import services
from yakusho.payments.models import (
    Method,
    Payment,
    PaymentStatus,
    Reversal,
    ReversalStatus,
)
from yakusho.payments.payables import Owed, Payable, payables

pytestmark = pytest.mark.django_db


def till_url(town: Municipality) -> str:
    return f"/staff/m/{town.slug}/payments/till/"


def payment_url(town: Municipality, code: str) -> str:
    return f"/staff/m/{town.slug}/payments/{code}/"


def key_on(page: Any) -> str:
    match = re.search(r'name="request_key" value="([^"]+)"', page.content.decode())
    assert match, "the till form carries its key"
    return match.group(1)


def pay(client: Client, town: Municipality, **fields: str) -> Any:
    data = {"request_key": key_on(client.get(till_url(town)))} | fields
    return client.post(till_url(town), data)


def text(response: Any) -> str:
    return response.content.decode()


def test_cash_for_two_items_with_a_full_width_amount_gives_the_change(town: Municipality) -> None:
    client, clerk = signed_in(Client(), town)
    form = text(client.get(till_url(town)))
    assert "住民票の写し交付手数料（300円／1通）" in form and 'name="request_key"' in form
    assert "町民会館使用料（1,000円／1時間、町外の方 2,000円）" in form
    response = pay(
        client, town, item_1="juminhyo", quantity_1="２", item_2="inkan", quantity_2="1",
        method="cash", tendered="１，０００",
    )  # fmt: skip
    payment = Payment.objects.get(municipality=town)
    assert response.status_code == 303 and response["Location"] == payment_url(town, payment.code)
    assert (payment.total_yen, payment.tendered_yen, payment.change_yen) == (900, 1000, 100)
    assert payment.staff == clerk and payment.status == PaymentStatus.PAID
    assert [(line.name, line.quantity, line.amount_yen) for line in payment.lines.all()] == [
        ("住民票の写し交付手数料", 2, 600),
        ("印鑑登録証明書交付手数料", 1, 300),
    ]
    page = text(client.get(response["Location"]))
    assert payment.display_code in page and "おつり <strong>100円</strong>" in page
    assert "合計 900円" in page and "receipt.pdf" in page


def test_a_double_press_takes_one_payment(town: Municipality) -> None:
    client, _ = signed_in(Client(), town)
    key = key_on(client.get(till_url(town)))
    data = {"item_1": "koseki", "quantity_1": "1", "method": "cash", "tendered": "500", "request_key": key}
    first = client.post(till_url(town), data)
    second = client.post(till_url(town), data)
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Payment.objects.filter(municipality=town).count() == 1


def test_a_card_payment_goes_through_the_demo_terminal(town: Municipality) -> None:
    client, _ = signed_in(Client(), town)
    response = pay(client, town, item_1="koseki", quantity_1="2", method="card", tendered="")
    payment = Payment.objects.get(municipality=town)
    assert response.status_code == 303
    assert payment.method == Method.CARD and payment.total_yen == 900 and payment.tendered_yen is None
    assert payment.terminal == "demo" and payment.terminal_ref.startswith("DEMO-")
    page = text(client.get(response["Location"]))
    assert payment.terminal_ref in page and "クレジットカード" in page and "おつり" not in page


def test_a_declined_card_keeps_what_was_typed_says_why_and_gives_a_new_key(town: Municipality) -> None:
    rate = item(town, "koseki").rates.get()
    rate.amount_yen = 1099
    rate.save()
    client, _ = signed_in(Client(), town)
    key = key_on(client.get(till_url(town)))
    data = {"item_1": "koseki", "quantity_1": "1", "exemption_1": "", "method": "qr", "request_key": key}
    response = client.post(till_url(town), data)
    page = text(response)
    assert response.status_code == 200
    assert "このカードは利用できません（デモ端末）" in page
    assert (
        '<option value="koseki" selected>' in page and 'value="qr" id="id_method_2" required checked' in page
    )
    new_key = key_on(response)
    assert new_key != key
    assert Payment.objects.get(municipality=town).status == PaymentStatus.FAILED
    rate.amount_yen = 1000  # the resident pays with another card: the retry goes through
    rate.save()
    retry = client.post(till_url(town), data | {"request_key": new_key})
    assert retry.status_code == 303
    assert Payment.objects.filter(municipality=town, status=PaymentStatus.PAID).count() == 1


def test_every_mistake_is_shown_at_once_and_nothing_is_taken(town: Municipality) -> None:
    client, _ = signed_in(Client(), town)
    cash = pay(
        client, town, item_1="juminhyo", quantity_1="abc", quantity_2="3", item_3="sodai", quantity_3="2",
        item_4="inkan", quantity_4="11", method="cash", tendered="５００",
    )  # fmt: skip
    page = text(cash)
    assert cash.status_code == 400
    assert "入力内容に誤りがあります（4件）" in page
    assert "1行目の数量：「住民票の写し交付手数料」の数量は数字で入力してください（例：2）。" in page
    assert "2行目の項目：項目を選んでください" in page
    assert "4行目の数量：「印鑑登録証明書交付手数料」は1回に10通までです。" in page
    assert "お預かり：お預かり金額が合計（1,000円）より少なくなっています。" in page
    assert 'value="abc"' in page and 'value="500"' in page  # what was typed stays
    card = pay(client, town, item_1="sodai", item_2="kaikan", quantity_2="x", method="card")
    page = text(card)
    assert card.status_code == 400
    assert "「粗大ごみ処理手数料」、「町民会館使用料」はクレジットカードでは支払えません" in page
    assert "2行目の数量" in page
    assert "（使えない項目：粗大ごみ処理手数料、町民会館使用料）" in page
    nothing = pay(client, town, method="", tendered="")
    page = text(nothing)
    assert "会計する項目を1つ以上選んでください。" in page and "支払方法を選んでください。" in page
    no_cash = pay(client, town, item_1="inkan", method="cash", tendered="")
    assert "お預かり金額を入力してください。" in text(no_cash)
    assert not Payment.objects.filter(municipality=town).exists()


def test_the_total_can_be_checked_before_taking_the_payment(town: Municipality) -> None:
    client, _ = signed_in(Client(), town)
    response = pay(client, town, item_1="kaikan", quantity_1="2", outside_1="on", action="quote")
    assert response.status_code == 200 and "合計 4,000円" in text(response)
    assert "入力内容に誤りがあります" not in text(response)
    assert not Payment.objects.filter(municipality=town).exists()


class VisitOwes(Payable):
    """A counter visit owing two copies of 住民票 (the procedures app registers the real one)."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.paid_with: list[str] = []

    def owed(self, municipality: Municipality, ref: str) -> list[Owed] | None:
        return [Owed("juminhyo", 2), Owed("kaikan", 1)] if ref == self.code else None

    def paid(self, municipality: Municipality, ref: str, payment_code: str) -> None:
        self.paid_with.append(f"{ref}:{payment_code}")


def test_a_counter_visit_fills_the_till_and_is_told_when_paid(town: Municipality) -> None:
    client, _ = signed_in(Client(), town)
    code = shortcodes.generate()
    visit = VisitOwes(code)
    with payables.isolated():  # the procedures app's own payable set aside for a visit of our own
        payables.add("procedures.counter_visit", visit)
        page = client.get(till_url(town), {"visit": shortcodes.format_code(code).lower()})
        form = text(page)
        assert page.status_code == 200 and shortcodes.format_code(code) in form
        assert '<option value="juminhyo" selected>' in form and 'name="quantity_1" value="2"' in form
        assert '<option value="kaikan" selected>' in form
        unknown = text(client.get(till_url(town), {"visit": shortcodes.generate()}))
        assert "支払の対象が見つかりません。" in unknown and 'value="juminhyo" selected' not in unknown
        response = client.post(
            till_url(town),
            {"request_key": key_on(page), "visit": code, "item_1": "juminhyo", "quantity_1": "2",
             "item_2": "kaikan", "quantity_2": "1", "method": "cash", "tendered": "2000"},
        )  # fmt: skip
    payment = Payment.objects.get(municipality=town)
    assert response.status_code == 303 and payment.total_yen == 1600
    assert (payment.payable, payment.payable_ref) == ("procedures.counter_visit", code)
    assert visit.paid_with == [f"{code}:{payment.code}"]


@pytest.mark.parametrize("visit", ["<script>alert(1)</script>", "ACEF-HJKM", "x" * 5000, "%00", "ＡＣＥＦ"])
def test_a_bad_visit_number_shows_an_empty_till_with_a_message(town: Municipality, visit: str) -> None:
    client, _ = signed_in(Client(), town)
    response = client.get(till_url(town), {"visit": visit})
    page = text(response)
    assert response.status_code == 200
    assert "受付番号が正しくありません" in page or "支払の対象が見つかりません" in page
    assert "<script>alert" not in page and "selected>住民票" not in page


def test_a_visit_number_without_the_procedures_payable_says_so(town: Municipality) -> None:
    client, _ = signed_in(Client(), town)
    code = shortcodes.generate()
    with payables.isolated():
        page = text(client.get(till_url(town), {"visit": code}))
        assert "窓口の受付からの会計には、まだ対応していません。" in page
        posted = pay(client, town, visit=code, item_1="inkan", method="cash", tendered="300")
    assert posted.status_code == 400 and "まだ対応していません" in text(posted)
    assert not Payment.objects.filter(municipality=town).exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"item_1": "inkan", "quantity_1": "9" * 5000, "method": "cash", "tendered": "300"},
        {"item_1": "inkan", "quantity_1": "-1", "method": "cash", "tendered": "300"},
        {"item_1": "inkan", "quantity_1": "0", "method": "cash", "tendered": "300"},
        {"item_1": "../../etc/passwd", "method": "cash", "tendered": "300"},
        {"item_1": "inkan", "method": "bitcoin"},
        {"item_1": "inkan", "method": "ticket"},
        {"item_1": "inkan", "method": "cash", "tendered": "1" * 400},
        {"item_1": "inkan", "method": "cash", "tendered": "300", "exemption_1": "<b>友人</b>"},
        {"item_1": "inkan", "method": "cash", "tendered": "300", "visit": "<script>"},
        {"item_1": "inkan", "method": "cash", "tendered": "300", "request_key": "k" * 500},
        {"item_1": "inkan", "method": "cash", "tendered": "300", "request_key": ""},
    ],
)
def test_hostile_till_input_is_refused_with_a_message(town: Municipality, fields: dict[str, str]) -> None:
    client, _ = signed_in(Client(), town)
    response = pay(client, town, **fields)
    page = text(response)
    assert response.status_code == 400
    assert "入力内容に誤りがあります" in page and "<b>友人</b>" not in page
    assert not Payment.objects.filter(municipality=town).exists()


def test_another_towns_item_cannot_be_charged(town: Municipality, other_town: Municipality) -> None:
    client, _ = signed_in(Client(), town)
    item(town, "inkan").delete()  # the key then names only the other town's item
    response = pay(client, town, item_1="inkan", method="cash", tendered="300")
    assert response.status_code == 400 and "手数料一覧にない項目です" in text(response)
    assert not Payment.objects.exists()


def test_payment_pages_refuse_bad_codes_and_other_towns(town: Municipality, other_town: Municipality) -> None:
    theirs = services.take(
        other_town, [services.quote(item(other_town, "inkan"))], method="cash", tendered=300, request_key="o"
    )
    client, _ = signed_in(Client(), town)
    base = f"/staff/m/{town.slug}/payments/"
    wrong_check = theirs.code[:-1] + ("A" if theirs.code[-1] != "A" else "C")
    for path in (theirs.code, shortcodes.format_code(wrong_check), "AAAAAAAA"):
        for suffix in ("", "receipt.pdf"):
            response = client.get(f"{base}{path}/{suffix}")
            assert response.status_code == 404
            assert "この領収番号の支払は見つかりません" in text(response)
    for path in ("%3Cscript%3E/", "x" * 300 + "/", "'%20OR%201=1/"):
        assert client.get(base + path).status_code == 404
    own = services.take(
        town, [services.quote(item(town, "inkan"))], method="cash", tendered=300, request_key="t"
    )
    assert client.get(f"{base}{shortcodes.format_code(own.code).lower()}/").status_code == 200
    for day in ("2026-13-01", "yesterday", "99999-01-01", "1800-01-01", "<script>"):
        response = client.get(base, {"day": day})
        assert response.status_code == 404 and "日付" in text(response)
    assert client.get(base, {"page": "-1'"}).status_code == 200
    reversal = services.request_reversal(
        theirs, kind="refund", amount=100, reason="テスト", staff=signed_in(Client(), other_town)[1],
        request_key="x",
    )  # fmt: skip
    admin, _ = signed_in(Client(), town, Role.ADMIN)
    response = admin.post(f"{base}reversals/{reversal.pk}/", {"action": "approve"})
    assert response.status_code == 404 and "見つかりません" in text(response)


def test_roles_department_staff_cannot_use_the_till_and_hq_only_reads(town: Municipality) -> None:
    payment = services.take(
        town, [services.quote(item(town, "inkan"))], method="cash", tendered=300, request_key="p"
    )
    department, _ = signed_in(Client(), town, Role.DEPARTMENT)
    assert department.get(till_url(town)).status_code == 403
    assert department.post(till_url(town), {"item_1": "inkan", "method": "cash"}).status_code == 403
    hq, _ = signed_in(Client(), town, Role.HQ)
    page = hq.get(payment_url(town, payment.code))
    assert page.status_code == 200 and payment.display_code in text(page)
    assert "取消・返金を申請する" not in text(page) and 'href="/staff/m/testtown/payments/till/"' not in text(
        page
    )
    assert hq.get(till_url(town)).status_code == 403
    refused = hq.post(payment_url(town, payment.code), {"kind": "void", "reason": "誤り", "request_key": "k"})
    assert refused.status_code == 403 and not Reversal.objects.exists()
    assert hq.get(f"/staff/m/{town.slug}/payments/").status_code == 200
    assert Client().get(till_url(town)).status_code == 302  # signed out: to the sign-in page


def test_a_small_void_is_done_at_once(town: Municipality) -> None:
    client, _ = signed_in(Client(), town)
    pay(client, town, item_1="inkan", method="cash", tendered="300")
    payment = Payment.objects.get(municipality=town)
    form = client.get(payment_url(town, payment.code))
    assert "取消・返金を申請する" in text(form)
    response = client.post(
        payment_url(town, payment.code),
        {"kind": "void", "reason": "別の証明書だった", "request_key": key_on(form)},
    )
    assert response.status_code == 303
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.VOIDED
    page = text(client.get(payment_url(town, payment.code)))
    assert "取消（300円）を行いました。" in page and "別の証明書だった" in page and "実行済み" in page
    assert "取消・返金を申請する" not in page


def test_bad_reversal_requests_show_every_error(town: Municipality) -> None:
    client, _ = signed_in(Client(), town)
    pay(client, town, item_1="kaikan", quantity_1="2", method="cash", tendered="2000")
    payment = Payment.objects.get(municipality=town)
    url = payment_url(town, payment.code)
    response = client.post(url, {"kind": "refund", "amount": "abc", "reason": "", "request_key": "r1"})
    page = text(response)
    assert response.status_code == 400
    assert "返金額は数字で入力してください" in page and "理由を入力してください。" in page
    too_much = client.post(
        url, {"kind": "refund", "amount": "２，５００", "reason": "誤り", "request_key": "r2"}
    )
    assert too_much.status_code == 400 and "残り（2,000円）を超えています" in text(too_much)
    odd = client.post(url, {"kind": "steal", "reason": "誤り", "request_key": "r3"})
    assert odd.status_code == 400 and "取消か返金かを選んでください。" in text(odd)
    assert not Reversal.objects.exists()


def test_a_large_refund_waits_for_a_second_administrator(town: Municipality) -> None:
    first, first_admin = signed_in(Client(), town, Role.ADMIN)
    second, _ = signed_in(Client(), town, Role.ADMIN)
    clerk, _ = signed_in(Client(), town)
    pay(clerk, town, item_1="kaikan", quantity_1="6", method="cash", tendered="6000")
    payment = Payment.objects.get(municipality=town)
    url = payment_url(town, payment.code)
    with override_settings(PAYMENTS_APPROVAL_YEN=3000):
        asked = first.post(
            url,
            {"kind": "refund", "amount": "４，０００円", "reason": "利用の取りやめ", "request_key": "big"},
        )
        assert asked.status_code == 303
        reversal = Reversal.objects.get()
        assert reversal.status == ReversalStatus.PENDING and reversal.requested_by == first_admin
        own_page = text(first.get(url))
        assert "承認を待っています" in own_page and "承認する" not in own_page
        listing = text(second.get(f"/staff/m/{town.slug}/payments/"))
        assert "承認待ちの取消・返金" in listing and "利用の取りやめ" in listing and "承認する" in listing
        decide = f"/staff/m/{town.slug}/payments/reversals/{reversal.pk}/"
        assert clerk.post(decide, {"action": "approve"}).status_code == 403
        own = first.post(decide, {"action": "approve"}, follow=True)
        assert "申請した職員とは別の職員が承認してください。" in text(own)
        reversal.refresh_from_db()
        assert reversal.status == ReversalStatus.PENDING
        done = second.post(decide, {"action": "approve", "back": "list"})
        assert done.status_code == 303 and done["Location"] == f"/staff/m/{town.slug}/payments/"
    reversal.refresh_from_db()
    payment.refresh_from_db()
    assert reversal.status == ReversalStatus.DONE and payment.status == PaymentStatus.PAID
    assert services.refunded_yen(payment) == 4000
    page = text(second.get(url))
    assert "一部返金済み：4,000円" in page and "実行済み" in page
    with override_settings(PAYMENTS_APPROVAL_YEN=1000):
        first.post(url, {"kind": "refund", "amount": "2000", "reason": "残りも", "request_key": "rest"})
        later = Reversal.objects.get(status=ReversalStatus.PENDING)
        second.post(f"/staff/m/{town.slug}/payments/reversals/{later.pk}/", {"action": "reject"})
    later.refresh_from_db()
    assert later.status == ReversalStatus.REJECTED


def test_the_days_list_shows_payments_and_totals_by_method(town: Municipality) -> None:
    client, _ = signed_in(Client(), town)
    pay(client, town, item_1="inkan", method="cash", tendered="1000")
    pay(client, town, item_1="koseki", method="card")
    page = text(client.get(f"/staff/m/{town.slug}/payments/"))
    for payment in Payment.objects.filter(municipality=town):
        assert payment.display_code in page
    assert "現金" in page and "クレジットカード" in page
    assert "750円" in page and "2件" in page  # the day's total and count
    yesterday = timezone.localdate() - timedelta(days=1)
    empty = text(client.get(f"/staff/m/{town.slug}/payments/", {"day": yesterday.isoformat()}))
    assert "この日の支払はありません。" in empty
