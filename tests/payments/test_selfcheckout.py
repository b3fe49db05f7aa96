"""The self-checkout (セルフレジ): a kiosk registered by the till's staff (its address shown once,
only the token's hash stored, retired → 404), the slip's QR payload read (and hostile scans
refused in words), a real counter visit's fees paid by card through the demo terminal once per
press, a decline (…99 yen) and a time-out (…98 yen) said in Japanese and counted nowhere, an
already paid visit, another town's visit, a visit owing nothing, the 領収書, the counter slip's QR
code read back from the PDF, the self-checkout's share of the payments in person and the demo."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import segno
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import ContentStream

from tests.factories import DepartmentFactory, MembershipFactory
from tests.payments.conftest import item, member, signed_in
from tests.procedures.helpers import make_procedure
from yakusho.core import shortcodes
from yakusho.core.models import Municipality, Role
from yakusho.metrics.registry import Period, registry
from yakusho.payments import selfcheckout, services
from yakusho.payments.models import Channel, FeeRate, Method, Payment, PaymentStatus, SelfCheckoutKiosk
from yakusho.procedures.catalogue.services import add_form_definition
from yakusho.procedures.counter import services as counter
from yakusho.procedures.counter.receipt_pdf import SELF_CHECKOUT_LINE, receipt_entries, render_receipt
from yakusho.procedures.models import CounterVisit, Procedure

pytestmark = pytest.mark.django_db

FORMS = Path(__file__).resolve().parents[2] / "data" / "forms"
CARD = {"name": "美郷 花子", "address": "秋田県仙北郡美郷町土崎1-1", "birth_date": "S60.5.1", "sex": "2"}
JUMINHYO = {
    "requester-family_name": "美郷",
    "requester-given_name": "花子",
    "requester-family_kana": "ミサト",
    "requester-given_kana": "ハナコ",
    "requester-postal_code": "019-1541",
    "requester-address": "秋田県仙北郡美郷町土崎1-1",
    "requester-birth_date": "1985-05-01",
    "requester-sex": "female",
    "relation": "self",
    "kind": "items",
    "purpose": "license",
}
#: a procedure with no fee: a visit for it owes nothing
NO_FEE = {
    "key": "soudan",
    "version": 1,
    "title": "相談の記録",
    "privacy_notice": "入力された個人情報は、この手続にのみ使います。",
    "pages": [
        {"key": "p1", "title": "相談", "fields": [{"key": "topic", "type": "text", "label": "相談の内容"}]}
    ],
}
HOSTILE = [
    "",
    "   ",
    "<script>alert(1)</script>",
    "x" * 5000,
    "\x00",
    "%00",
    "' OR 1=1 --",
    "YAKUSHO-PAY:",
    "YAKUSHO-PAY:999999:",
    "https://evil.example/ACEFHJKM",
    "ACEF-HJKA",  # a wrong check character
    "ＡＣＥＦ",
    "../../etc/passwd",
    "YAKUSHO-PAY:054348:ACEFHJKM:extra",
]


# Set-up: a real counter visit owing the catalogue's 住民票 ---------------------------------------


def visit_owing(town: Municipality, copies: int = 2, form: dict[str, Any] | None = None) -> CounterVisit:
    """A finished counter visit of ``town`` (through the real counter services) for 住民票の写し
    (``copies`` copies, the catalogue's ``juminhyo``), or for ``form``."""
    definition = form or json.loads((FORMS / "oe--juminhyo-koufu.json").read_text("utf-8"))
    procedure = Procedure.objects.for_municipality(town).filter(key=definition["key"]).first()
    if procedure is None:
        department = DepartmentFactory(municipality=town, name=f"住民課{definition['key']}")
        procedure = make_procedure(town, department, definition["key"], definition["title"])
        add_form_definition(procedure, definition)
    clerk = MembershipFactory(municipality=town, role=Role.COUNTER).user
    visit = counter.start_visit(town, clerk)
    counter.identify(visit, "manual", CARD)
    (entry,) = counter.set_procedures(visit, [procedure.pk])
    answers = {"topic": "ごみの出し方"} if form else JUMINHYO | {"copies": str(copies)}
    assert counter.save_item(visit, entry, {k: [v] for k, v in answers.items()}).ok
    counter.request_confirmation(visit)
    counter.resident_confirms(visit)
    counter.finish(visit)
    visit.refresh_from_db()
    return visit


def kiosk_of(town: Municipality, name: str = "1階ロビーのセルフレジ") -> tuple[SelfCheckoutKiosk, str]:
    return selfcheckout.register(town, member(town), name)


def start(token: str) -> str:
    return reverse("selfcheckout:start", args=[token])


def visit_page(token: str, code: str) -> str:
    return reverse("selfcheckout:visit", args=[token, code])


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def key_on(page: str) -> str:
    found = re.search(r'name="request_key" value="([^"]+)"', page)
    assert found, "the payment form carries its one-time key"
    return found.group(1)


def scan(client: Client, token: str, typed: str) -> Any:
    return client.post(start(token), {"code": typed})


def set_price(town: Municipality, yen: int) -> None:
    FeeRate.objects.filter(item=item(town, "juminhyo")).update(amount_yen=yen)


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


# The scan ------------------------------------------------------------------------------------------


def test_the_payload_and_the_code_by_hand_are_read(town: Municipality) -> None:
    code = shortcodes.generate()
    payload = selfcheckout.payload(town, code)
    assert payload == f"YAKUSHO-PAY:{town.code}:{code}"
    shown = shortcodes.format_code(code)
    for typed in [
        payload,
        payload.lower(),
        f"YAKUSHO-PAY:{code}",  # without the municipality's code
        f"YAKUSHO-PAY+{town.code}+{code}",  # a scanner set up for a US keyboard on a JIS one
        shown,
        shown.lower(),
        f"  {shown}  ",
        "".join(chr(ord(c) + 0xFEE0) if c != "-" else "ー" for c in shown),  # 全角, a long-vowel hyphen
    ]:
        read = selfcheckout.parse_scan(typed)
        assert (read.code, read.error) == (code, ""), typed
    assert selfcheckout.parse_scan(payload).municipality_code == town.code


@pytest.mark.parametrize("typed", HOSTILE)
def test_hostile_scans_are_refused_in_words(typed: str) -> None:
    read = selfcheckout.parse_scan(typed)
    assert read.code == "" and read.error
    assert re.search(r"[ぁ-んァ-ン一-龥]", read.error), "the message is Japanese"


@pytest.mark.parametrize("typed", HOSTILE)
def test_a_hostile_scan_at_the_kiosk_says_so_and_keeps_the_screen(town: Municipality, typed: str) -> None:
    _kiosk, token = kiosk_of(town)
    response = scan(Client(), token, typed)
    assert response.status_code in (400, 404)
    page = text(response)
    if "\x00" in typed:  # refused before any view by the project's middleware, in words
        assert "NUL文字" in page
        return
    assert 'role="alert"' in page and "控えのQRコードをかざしてください" in page
    assert "<script>alert" not in page


# Pairing and retiring ----------------------------------------------------------------------------------


def test_staff_register_a_kiosk_whose_address_is_shown_once(town: Municipality) -> None:
    client, clerk = signed_in(Client(), town)
    url = reverse("payments_staff:selfcheckout", args=[town.slug])
    page = text(client.get(url))
    assert "まだセルフレジを登録していません。" in page
    registered = client.post(url, {"name": "  ２階 セルフレジ  "})
    assert registered.status_code == 200
    kiosk = SelfCheckoutKiosk.objects.get(municipality=town)
    assert (kiosk.name, kiosk.paired_by, kiosk.active) == ("2階 セルフレジ", clerk, True)
    found = re.search(r"/self-checkout/([A-Za-z0-9_-]{20,})/", registered.content.decode())
    assert found, "the address is shown"
    token = found.group(1)
    assert token not in kiosk.token_hash and len(kiosk.token_hash) == 64  # only its SHA-256 is stored
    assert "<svg" in registered.content.decode()  # the QR code for the tablet
    assert selfcheckout.by_token(token) == kiosk
    again = client.get(url).content.decode()
    assert token not in again and "2階 セルフレジ" in again and "使用中" in again  # shown once
    # the kiosk opens without signing in, and says when it was last used
    kiosk_page = Client().get(start(token))
    assert kiosk_page.status_code == 200
    assert "autofocus" in kiosk_page.content.decode()
    kiosk.refresh_from_db()
    assert kiosk.last_seen_at is not None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "セルフレジの名前を入力してください"),
        ("あ" * 41, "40文字以内"),
        ("1階ロビーのセルフレジ", "既に使用中です"),
    ],
)
def test_a_kiosk_name_missing_too_long_or_taken_is_refused(
    town: Municipality, name: str, message: str
) -> None:
    kiosk_of(town)
    client, _clerk = signed_in(Client(), town)
    response = client.post(reverse("payments_staff:selfcheckout", args=[town.slug]), {"name": name})
    assert response.status_code == 400
    page = text(response)
    assert message in page and "error-summary" in page
    assert f'value="{name}"' in page  # what was typed stays
    assert SelfCheckoutKiosk.objects.filter(municipality=town).count() == 1


def test_a_retired_kiosk_or_a_wrong_token_is_a_404_that_says_so(
    town: Municipality, other_town: Municipality
) -> None:
    kiosk, token = kiosk_of(town)
    for bad in ["x", "A" * 32, token[:-1], "x" * 5000, "%3Cscript%3E"]:
        response = Client().get(start(bad))
        assert response.status_code == 404 and "このセルフレジは使えません" in text(response)
    client, _clerk = signed_in(Client(), town)
    # another town's staff cannot retire it
    stranger, _ = signed_in(Client(), other_town)
    assert (
        stranger.post(
            reverse("payments_staff:selfcheckout_retire", args=[other_town.slug, kiosk.pk])
        ).status_code
        == 404
    )
    retired = client.post(reverse("payments_staff:selfcheckout_retire", args=[town.slug, kiosk.pk]))
    assert retired.status_code == 303
    kiosk.refresh_from_db()
    assert kiosk.active is False
    assert "使用終了" in text(client.get(reverse("payments_staff:selfcheckout", args=[town.slug])))
    for url in [start(token), visit_page(token, shortcodes.generate())]:
        response = Client().get(url)
        assert response.status_code == 404 and "このセルフレジは使えません" in text(response)
    assert Client().post(start(token), {"code": shortcodes.generate()}).status_code == 404
    assert selfcheckout.retire(kiosk) is False


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.COUNTER, True), (Role.ADMIN, True), (Role.DEPARTMENT, False), (Role.HQ, False)],
)
def test_only_the_tills_staff_manage_kiosks(town: Municipality, role: str, allowed: bool) -> None:
    client, _user = signed_in(Client(), town, role)
    url = reverse("payments_staff:selfcheckout", args=[town.slug])
    assert client.get(url).status_code == (200 if allowed else 403)
    assert client.post(url, {"name": "ロビー"}).status_code == (200 if allowed else 403)
    assert SelfCheckoutKiosk.objects.filter(municipality=town).exists() is allowed


# Paying -----------------------------------------------------------------------------------------------


def test_a_visit_is_scanned_and_paid_by_card_once(town: Municipality) -> None:
    visit = visit_owing(town, copies=2)
    kiosk, token = kiosk_of(town)
    client = Client()
    scanned = scan(client, token, selfcheckout.payload(town, visit.code))
    assert scanned.status_code == 303 and scanned["Location"] == visit_page(token, visit.code)
    page = client.get(scanned["Location"])
    shown = text(page)
    assert page.status_code == 200
    for expected in [
        "住民票の写し交付手数料",
        "300円",
        "600",
        "クレジットカード",
        "QRコード決済",
        "電子マネー",
        "現金でのお支払いは窓口へ",
        "端末でお支払いください",
    ]:
        assert expected in shown, expected
    assert 'value="cash"' not in shown  # no cash at the kiosk
    form = {"request_key": key_on(page.content.decode()), "total": "600", "method": Method.CARD}
    paid = client.post(scanned["Location"], form)
    assert paid.status_code == 303
    payment = Payment.objects.get(municipality=town)
    assert paid["Location"] == reverse("selfcheckout:done", args=[token, payment.code])
    assert (payment.channel, payment.method, payment.status, payment.total_yen) == (
        Channel.SELF,
        Method.CARD,
        PaymentStatus.PAID,
        600,
    )
    assert (payment.till, payment.staff, payment.payable, payment.payable_ref) == (
        kiosk.name,
        None,
        "procedures.counter_visit",
        visit.code,
    )
    assert payment.terminal_ref.startswith("DEMO-")
    visit.refresh_from_db()
    assert visit.payment_code == payment.code  # the visit was told
    # a second press of the same form pays nothing more and shows the same payment
    again = client.post(scanned["Location"], form)
    assert again.status_code == 303 and again["Location"] == paid["Location"]
    assert Payment.objects.filter(municipality=town).count() == 1
    done = text(client.get(paid["Location"]))
    for expected in [
        "お支払いが完了しました",
        payment.display_code,
        "600円",
        "領収書を表示・印刷する",
        'data-screen-return="30"',
        'http-equiv="refresh"',
    ]:
        assert expected in done, expected
    receipt = client.get(reverse("selfcheckout:receipt", args=[token, payment.code]))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert "no-store" in receipt["Cache-Control"] and "private" in receipt["Cache-Control"]
    receipt_text = pdf_text(receipt.content)
    assert "領収書" in receipt_text and payment.display_code in receipt_text and "600円" in receipt_text


def test_a_scan_of_the_visit_once_paid_says_so_with_the_receipt_number(town: Municipality) -> None:
    visit = visit_owing(town)
    kiosk, token = kiosk_of(town)
    lines = services.owed_lines(town, "procedures.counter_visit", visit.code)
    paid = services.take(
        town,
        lines,
        method=Method.CASH,
        tendered=1000,
        request_key="till-1",
        payable="procedures.counter_visit",
        payable_ref=visit.code,
    )
    page = Client().get(visit_page(token, visit.code))
    shown = text(page)
    assert page.status_code == 200
    assert "お支払い済みです" in shown and paid.display_code in shown and "request_key" not in shown
    # an old form posted anyway pays nothing
    posted = Client().post(
        visit_page(token, visit.code),
        {"request_key": selfcheckout.new_request_key(kiosk), "method": Method.CARD},
    )
    assert posted.status_code == 409 and "お支払い済みです" in text(posted)
    assert Payment.objects.filter(municipality=town).count() == 1


@pytest.mark.parametrize(
    ("yen", "said"),
    [(399, "このカードは利用できません"), (398, "決済端末から応答がありませんでした")],
)
def test_a_decline_or_a_time_out_is_said_and_counts_nothing(town: Municipality, yen: int, said: str) -> None:
    set_price(town, yen)
    visit = visit_owing(town, copies=1)
    _kiosk, token = kiosk_of(town)
    client = Client()
    page = client.get(visit_page(token, visit.code))
    assert f"{yen}" in text(page)
    failed = client.post(
        visit_page(token, visit.code),
        {"request_key": key_on(page.content.decode()), "total": str(yen), "method": Method.QR},
    )
    shown = text(failed)
    assert failed.status_code == 200
    for expected in [
        said,
        "お支払いできませんでした",
        "もう一度",
        "窓口でお支払いください",
        "お支払いは記録していません",
    ]:
        assert expected in shown, expected
    assert f'href="{visit_page(token, visit.code)}"' in shown  # もう一度: a new form, a new key
    payment = Payment.objects.get(municipality=town)
    assert payment.status == PaymentStatus.FAILED and payment.business_day is None
    visit.refresh_from_db()
    assert visit.payment_code == ""
    # once the price no longer ends in 98/99, the retry with a new key pays
    set_price(town, 300)
    retry = client.get(visit_page(token, visit.code))
    assert key_on(retry.content.decode()) != payment.request_key
    ok = client.post(
        visit_page(token, visit.code),
        {"request_key": key_on(retry.content.decode()), "total": "300", "method": Method.QR},
    )
    assert ok.status_code == 303
    assert Payment.objects.filter(municipality=town, status=PaymentStatus.PAID).count() == 1


def test_a_price_changed_since_the_screen_was_shown_is_not_charged(town: Municipality) -> None:
    visit = visit_owing(town, copies=1)
    _kiosk, token = kiosk_of(town)
    page = Client().get(visit_page(token, visit.code)).content.decode()
    set_price(town, 350)
    response = Client().post(
        visit_page(token, visit.code), {"request_key": key_on(page), "total": "300", "method": Method.CARD}
    )
    assert response.status_code == 409 and "金額が変わりました" in text(response) and "350" in text(response)
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"method": Method.CASH}, "現金でのお支払いは窓口へ"),
        ({"method": Method.TICKET}, "支払方法を選んでください"),
        ({"method": "<script>"}, "お支払い方法を選んでください"),
        ({"method": ""}, "お支払い方法を選んでください"),
        ({"method": Method.CARD, "request_key": "forged-key"}, "最初からやり直してください"),
        ({"method": Method.CARD, "request_key": ""}, "最初からやり直してください"),
        ({"method": Method.CARD, "total": "x" * 500}, "整数"),
    ],
)
def test_cash_an_unknown_method_or_a_forged_key_takes_nothing(
    town: Municipality, form: dict[str, str], message: str
) -> None:
    visit = visit_owing(town, copies=1)
    kiosk, token = kiosk_of(town)
    data = {"request_key": selfcheckout.new_request_key(kiosk), "total": "300"} | form
    response = Client().post(visit_page(token, visit.code), data)
    assert response.status_code in (400, 409)
    assert message in text(response)
    assert not Payment.objects.exists()


def test_a_key_made_for_another_kiosk_is_refused(town: Municipality) -> None:
    visit = visit_owing(town, copies=1)
    _kiosk, token = kiosk_of(town)
    other, _other_token = kiosk_of(town, "2階")
    response = Client().post(
        visit_page(token, visit.code),
        {"request_key": selfcheckout.new_request_key(other), "total": "300", "method": Method.CARD},
    )
    assert response.status_code == 409 and "最初からやり直してください" in text(response)
    assert not Payment.objects.exists()


def test_another_towns_slip_an_unknown_code_and_a_visit_owing_nothing(
    town: Municipality, other_town: Municipality
) -> None:
    theirs = visit_owing(other_town)
    _kiosk, token = kiosk_of(town)
    client = Client()
    wrong_town = scan(client, token, selfcheckout.payload(other_town, theirs.code))
    assert wrong_town.status_code == 404 and f"{town.name}のものではありません" in text(wrong_town)
    for response in [
        client.get(visit_page(token, theirs.code)),  # its code typed by hand: not a visit of ours
        client.get(visit_page(token, shortcodes.generate())),
        client.get(visit_page(token, "<script>")),
        client.get(visit_page(token, "x" * 300)),
    ]:
        assert response.status_code == 404 and "このお支払い番号は見つかりません" in text(response)
    posted = client.post(
        visit_page(token, theirs.code), {"request_key": "sc1-" + "a" * 20, "method": Method.CARD}
    )
    assert posted.status_code in (404, 409)
    assert not Payment.objects.filter(municipality=town).exists()
    nothing = visit_owing(town, form=NO_FEE)
    page = client.get(visit_page(token, nothing.code))
    assert page.status_code == 200 and "お支払いいただくものはありません" in text(page)


def test_items_no_kiosk_method_takes_are_sent_to_the_counter(town: Municipality) -> None:
    visit = visit_owing(town)
    juminhyo = item(town, "juminhyo")
    juminhyo.methods = ["cash"]
    juminhyo.save()
    _kiosk, token = kiosk_of(town)
    page = Client().get(visit_page(token, visit.code))
    assert (
        page.status_code == 200 and "窓口でお支払いください" in text(page) and "request_key" not in text(page)
    )


def test_the_receipt_is_shown_only_at_the_kiosk_just_after_paying(town: Municipality) -> None:
    visit = visit_owing(town)
    kiosk, token = kiosk_of(town)
    _other, other_token = kiosk_of(town, "2階")
    payment = selfcheckout.pay(kiosk, visit.code, Method.EMONEY, selfcheckout.new_request_key(kiosk))
    assert payment.status == PaymentStatus.PAID and payment.channel == Channel.SELF
    receipt = reverse("selfcheckout:receipt", args=[token, payment.code])
    assert Client().get(receipt).status_code == 200
    elsewhere = Client().get(reverse("selfcheckout:receipt", args=[other_token, payment.code]))
    assert elsewhere.status_code == 404 and "領収書を表示できません" in text(elsewhere)
    assert Client().get(reverse("selfcheckout:done", args=[other_token, payment.code])).status_code == 302
    for bad in ["<script>", "x" * 300, shortcodes.generate()]:
        assert Client().get(reverse("selfcheckout:receipt", args=[token, bad])).status_code == 404
    Payment.objects.filter(pk=payment.pk).update(paid_at=timezone.now() - timedelta(minutes=11))
    assert Client().get(receipt).status_code == 404
    done = Client().get(reverse("selfcheckout:done", args=[token, payment.code]))
    assert done.status_code == 302 and done["Location"] == start(token)


# The counter slip ---------------------------------------------------------------------------------


def qr_on(pdf: bytes) -> list[list[bool]]:
    """The QR code drawn on the page, read back from its rectangles as a matrix of modules."""
    reader = PdfReader(io.BytesIO(pdf))
    rects = [
        [float(v) for v in operands]
        for operands, operator in ContentStream(reader.pages[0].get_contents(), reader).operations
        if operator == b"re"
    ]
    heights = [round(h, 3) for _x, _y, _w, h in rects]
    module = max(set(heights), key=heights.count)  # the QR's rectangles are one module high
    squares = [(x, y, w) for x, y, w, h in rects if round(h, 3) == module]
    left, top = min(x for x, _y, _w in squares), max(y for _x, y, _w in squares)
    dark = set()
    for x, y, w in squares:
        row = round((top - y) / module)
        for col in range(round((x - left) / module), round((x - left + w) / module)):
            dark.add((row, col))
    size = max(r for r, _c in dark) + 1
    return [[(r, c) in dark for c in range(size)] for r in range(size)]


@pytest.mark.pdf
def test_the_counter_slip_carries_the_payload_while_the_visit_is_unpaid(town: Municipality) -> None:
    visit = visit_owing(town, copies=2)
    before = pdf_text(render_receipt(visit, receipt_entries(visit)))
    assert SELF_CHECKOUT_LINE not in before  # no kiosk in use: the slip promises none
    kiosk, _token = kiosk_of(town)
    pdf = render_receipt(visit, receipt_entries(visit))
    slip = pdf_text(pdf).replace("\n", "")
    payload = selfcheckout.payload(town, visit.code)
    for expected in [
        SELF_CHECKOUT_LINE,
        visit.display_code,
        payload,
        "お支払いの合計 600円",
        "現金でのお支払いは窓口へ",
    ]:
        assert expected in slip, expected
    expected_qr = [[bool(m) for m in row] for row in segno.make(payload, error="m").matrix]
    assert qr_on(pdf) == expected_qr
    assert selfcheckout.parse_scan(payload).code == visit.code  # what the scanner types is read back
    selfcheckout.pay(kiosk, visit.code, Method.CARD, selfcheckout.new_request_key(kiosk))
    visit.refresh_from_db()
    paid = pdf_text(render_receipt(visit, receipt_entries(visit)))
    assert SELF_CHECKOUT_LINE not in paid and payload not in paid.replace("\n", "")


# The figure ---------------------------------------------------------------------------------------


def test_the_self_checkouts_share_of_payments_in_person(town: Municipality) -> None:
    period = Period.containing("fiscal_year", timezone.localdate())
    assert registry.measure("payments.self_checkout_share", town, period).value is None  # nothing yet
    juminhyo = services.quote(item(town, "juminhyo"))
    for n in range(3):
        services.take(town, [juminhyo], method=Method.CASH, tendered=300, request_key=f"c{n}")
    online = services.quote(item(town, "juminhyo"))
    Payment.objects.create(
        municipality=town,
        code=shortcodes.generate(),
        channel=Channel.ONLINE,
        method=Method.ONLINE,
        total_yen=300,
        paid_at=timezone.now(),
        request_key="o",
        business_day=services.business_day(town),
    )
    assert online.amount_yen == 300
    visit = visit_owing(town, copies=1)
    kiosk, _token = kiosk_of(town)
    selfcheckout.pay(kiosk, visit.code, Method.CARD, selfcheckout.new_request_key(kiosk))
    # 1 of 4 payments in person (the online one is not in person)
    assert registry.measure("payments.self_checkout_share", town, period).value == Decimal("25.0")
    assert registry.measure("payments.self_checkout", town, period).value == 1
    provider = registry.get("payments.self_checkout_share")
    assert provider.unit == "%" and provider.label_ja == "セルフレジの利用率"


def test_the_demo_has_self_checkout_payments_in_misato_only(db: None) -> None:
    from datetime import date

    from tests.factories import MunicipalityFactory
    from tests.payments.conftest import make_catalogue
    from yakusho.payments.demo.payments import load_demo_payments

    towns = {
        slug: MunicipalityFactory(slug=slug, name=name)
        for slug, name in [("misato", "美郷町"), ("oe", "大江町")]
    }
    for town in towns.values():
        make_catalogue(town)
        MembershipFactory(municipality=town, role=Role.COUNTER)
    load_demo_payments(date(2026, 6, 15))
    misato = Payment.objects.filter(municipality=towns["misato"])
    at_kiosk = misato.filter(channel=Channel.SELF)
    assert (
        at_kiosk.exists()
        and not Payment.objects.filter(municipality=towns["oe"], channel=Channel.SELF).exists()
    )
    assert (
        not at_kiosk.filter(method=Method.CASH).exists() and not at_kiosk.exclude(till="セルフレジ").exists()
    )
    assert not at_kiosk.filter(staff__isnull=False).exists()
    period = Period(date(2026, 4, 1), date(2026, 6, 14))
    share = registry.measure("payments.self_checkout_share", towns["misato"], period).value
    assert share is not None and Decimal(0) < share < Decimal(20)


def test_a_visit_being_paid_or_that_the_catalogue_cannot_price_goes_to_the_counter(
    town: Municipality,
) -> None:
    visit = visit_owing(town, copies=1)
    kiosk, token = kiosk_of(town)
    lines = services.owed_lines(town, "procedures.counter_visit", visit.code)
    at_terminal = Payment.objects.create(
        municipality=town,
        code=shortcodes.generate(),
        channel=Channel.COUNTER,
        method=Method.CARD,
        status=PaymentStatus.PENDING,
        total_yen=300,
        paid_at=timezone.now(),
        request_key="at-the-till",
        payable="procedures.counter_visit",
        payable_ref=visit.code,
    )
    assert lines and at_terminal.status == PaymentStatus.PENDING
    page = Client().get(visit_page(token, visit.code))
    assert (
        page.status_code == 200 and "お支払いは処理中です" in text(page) and "request_key" not in text(page)
    )
    with pytest.raises(selfcheckout.SelfCheckoutError, match="処理中"):
        selfcheckout.pay(kiosk, visit.code, Method.CARD, selfcheckout.new_request_key(kiosk))
    at_terminal.delete()
    item(town, "juminhyo").rates.all().delete()
    page = Client().get(visit_page(token, visit.code))
    shown = text(page)
    assert (
        page.status_code == 200 and "窓口でお支払いください" in shown and "料金が登録されていません" in shown
    )
    assert Payment.objects.filter(municipality=town).count() == 0
