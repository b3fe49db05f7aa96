"""The 領収書 PDF: what it says for cash and card payments, 取消済み on a voided one, and none for a
payment that did not go through."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from tests.payments.conftest import item, signed_in
from yakusho.core.models import Municipality, Role
from yakusho.payments import services
from yakusho.payments.models import Method, Payment, PaymentStatus
from yakusho.payments.services import PaymentError

pytestmark = [pytest.mark.django_db, pytest.mark.pdf]


def receipt(client: Client, town: Municipality, payment: Payment) -> tuple[str, PdfReader]:
    response = client.get(f"/staff/m/{town.slug}/payments/{payment.code}/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def test_a_cash_receipt_names_the_town_the_number_the_lines_and_the_change(town: Municipality) -> None:
    client, clerk = signed_in(Client(), town)
    lines = [
        services.quote(item(town, "juminhyo"), 2),
        services.quote(item(town, "inkan"), 1, exemption="公用"),
    ]
    payment = services.take(town, lines, method=Method.CASH, tendered=1000, request_key="k", staff=clerk)
    text, reader = receipt(client, town, payment)
    assert "テスト町" in text and "領収書" in text and payment.display_code in text
    assert "合計 600円" in text and "600円" in text
    assert "住民票の写し交付手数料" in text and "300円" in text
    assert "減免（公用）" in text and "0円" in text
    assert "お預かり" in text and "1,000円" in text and "おつり" in text and "400円" in text
    assert "令和" in text and f"（{payment.paid_at.year}年）" in text  # 和暦 and 西暦
    assert "取消済み" not in text
    assert reader.root_object["/Lang"] == "ja"
    assert reader.metadata is not None and payment.display_code in str(reader.metadata.title)


def test_a_card_receipt_gives_the_terminals_number(town: Municipality) -> None:
    client, _ = signed_in(Client(), town, Role.HQ)  # any member of staff may print it
    payment = services.take(town, [services.quote(item(town, "koseki"))], method=Method.CARD, request_key="c")
    text, _ = receipt(client, town, payment)
    assert "クレジットカード" in text and "端末の取引番号" in text and payment.terminal_ref in text
    assert "おつり" not in text and "合計 450円" in text


def test_a_voided_payment_still_prints_and_says_so(town: Municipality) -> None:
    client, clerk = signed_in(Client(), town)
    payment = services.take(
        town, [services.quote(item(town, "inkan"))], method=Method.CASH, tendered=300, request_key="v"
    )
    services.request_reversal(payment, kind="void", amount=0, reason="誤り", staff=clerk, request_key="r")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.VOIDED
    text, reader = receipt(client, town, payment)
    assert "【取消済み】" in text and payment.display_code in text
    assert "取消済み" in str(reader.metadata.title if reader.metadata else "")


def test_no_receipt_for_a_payment_that_did_not_go_through(town: Municipality) -> None:
    rate = item(town, "koseki").rates.get()
    rate.amount_yen = 1099
    rate.save()
    with pytest.raises(PaymentError):
        services.take(town, [services.quote(item(town, "koseki"))], method=Method.CARD, request_key="no")
    failed = Payment.objects.get(municipality=town)
    client, _ = signed_in(Client(), town)
    response = client.get(f"/staff/m/{town.slug}/payments/{failed.code}/receipt.pdf")
    assert response.status_code == 404 and "不成立のため、領収書はありません" in response.content.decode()
