"""Paying a submission's fee online (issue 25): 粗大ごみ is paid before it counts as submitted, through
the real local demo provider; a procedure that says so is paid later from the status page; the
receipt and the mail; a decline, the provider down, an abandoned payment; a refund."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.procedures.helpers import make_procedure
from tests.procedures.submission_helpers import form_data, hidden
from yakusho.core.models import Municipality, OutboundEmail, Role
from yakusho.metrics.registry import Period, registry
from yakusho.payments import services
from yakusho.payments.models import FeeItem, FeeKind, FeeRate, Payment, PaymentStatus, ReversalKind, Unit
from yakusho.payments.providers.demo_service import DemoProviderServer, start
from yakusho.procedures import formrender
from yakusho.procedures.catalogue.services import add_form_definition, current_forms, definition_of
from yakusho.procedures.models import PaymentTiming, Procedure
from yakusho.procedures.models.submissions import PaymentState, Submission, SubmissionStatus, SubmissionTally
from yakusho.procedures.submissions import payment as submission_payment

pytestmark = pytest.mark.django_db
SECRET = "test-provider-secret-0123456789"
KEY = "sodai-gomi"


@pytest.fixture
def provider() -> Iterator[DemoProviderServer]:
    server = start(secret=SECRET)
    server.control(drop=True)  # the tests' server is not reachable: the return page asks instead
    with override_settings(PAYMENT_PROVIDER_DEMO_URL=server.url, PAYMENT_PROVIDER_DEMO_SECRET=SECRET):
        yield server
    server.stop()


@pytest.fixture
def town(db: Any, settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path / "media"
    town = MunicipalityFactory(slug="gomi-town", name="試験町")
    general = DepartmentFactory(municipality=town, name="総務課", email="somu@town.example.jp")
    procedure = make_procedure(
        town, general, KEY, "粗大ごみ収集の申込", channels=(("yakusho", "available"),), processing_days=5
    )
    add_form_definition(procedure, form_data("oe--sodai-gomi.json"))
    item = FeeItem.objects.create(
        municipality=town, key=KEY, name="粗大ごみ処理手数料", kind=FeeKind.FEE, department=general,
        account_code="13-02-02", methods=["cash", "ticket", "online"],
    )  # fmt: skip
    FeeRate.objects.create(
        item=item, valid_from=date(2020, 4, 1), unit=Unit.ITEM, amount_yen=500, max_quantity=20
    )
    admin = MembershipFactory(municipality=town, role=Role.ADMIN)
    return {"town": town, "procedure": procedure, "item": item, "admin": admin}


def apply(client: Client, town: Municipality, *, email: str = "taro@example.jp") -> Any:
    """Fill 粗大ごみ (a bed, large: 2 tickets; a bicycle, small: 1) up to the check page."""
    procedure = Procedure.objects.get(municipality=town, key=KEY)
    definition = definition_of(current_forms([procedure])[procedure.pk])
    answers = {
        "name-family_name": "大江", "name-given_name": "太郎", "name-family_kana": "オオエ",
        "name-given_kana": "タロウ", "address-postal_code": "990-1101",
        "address-address": "山形県西村山郡大江町大字左沢882-1", "address-building": "",
        "phone": "0237-62-2111", "email": email,
        "items-0-item": "bed", "items-0-size": "large", "items-1-item": "bicycle", "items-1-size": "small",
        "collection_date": (timezone.localdate() + timedelta(days=10)).strftime("%Y-%m-%d"),
        "place_note": "", "agree": "on",
    }  # fmt: skip
    agreed = client.post(reverse("procedures:apply", args=[town.slug, KEY]), {"agree": "yes"})
    assert agreed.status_code == 302
    first = client.get(reverse("submissions:page", args=[town.slug, KEY, 1]))
    common = {"_token": hidden(first, "_token"), "_version": hidden(first, "_version")}
    for index in range(len(definition.pages)):
        names, patterns = formrender.page_input_names(definition, index)
        data = {k: v for k, v in answers.items() if formrender.belongs_to_page(k, names, patterns)}
        done = client.post(reverse("submissions:page", args=[town.slug, KEY, index + 1]), {**data, **common})
        assert done.status_code == 302, done.content.decode()[:3000]
    return common


def at_provider(server: DemoProviderServer, url: str, action: str = "pay") -> str:
    """The resident on the provider's hosted page: pays (or cancels); the path Yakusho is sent back to."""
    assert url.startswith(server.url + "/pay/")
    page = urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url).read().decode()
    assert "お支払い" in page or "支払" in page
    data = urllib.parse.urlencode({"action": action, "card_number": "4242424242424242"}).encode()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as back:
        opener.open(urllib.request.Request(url, data=data, method="POST"))  # noqa: S310
    assert back.value.code == 303
    location = back.value.headers["Location"]
    parts = urllib.parse.urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_sodai_gomi_is_paid_before_it_counts_and_then_received_with_a_receipt(
    town: dict[str, Any], provider: DemoProviderServer, client: Client
) -> None:
    t = town["town"]
    common = apply(client, t)
    check = client.get(reverse("submissions:check", args=[t.slug, KEY]))
    text = check.content.decode()
    # the amount and the methods from the catalogue, before anything is sent
    assert "1,500円" in text and "オンライン決済" in text and "申請して支払う" in text
    assert "窓口では：現金、処理券（事前購入）" in text
    sent = client.post(reverse("submissions:check", args=[t.slug, KEY]), common)
    assert sent.status_code == 302 and sent["Location"].startswith(provider.url + "/pay/")
    submission = Submission.objects.get()
    assert submission.status == SubmissionStatus.PAYMENT and submission.payment_state == PaymentState.DUE
    assert submission.deadline is None and submission.fee_yen == 1500
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PENDING and payment.total_yen == 1500
    assert [(line.quantity, line.amount_yen) for line in payment.lines.all()] == [(1, 500), (2, 1000)]
    # not submitted yet: in no figure, and the mail says so
    period = Period(timezone.localdate() - timedelta(days=1), timezone.localdate())
    assert registry.measure("procedures.submissions_online", t, period).value == 0
    due = OutboundEmail.objects.get()
    assert "お支払い待ち" in due.subject and "まだ受け付けていません" in due.body
    # a second press of the button opens no second payment: the same page
    again = client.post(reverse("submissions:check", args=[t.slug, KEY]), common)
    assert again.status_code == 302 and Payment.objects.count() == 1
    back = at_provider(provider, sent["Location"])
    returned = client.get(back)
    assert returned.status_code == 302
    assert returned["Location"] == reverse("submissions:done", args=[t.slug, KEY, submission.code])
    done = client.get(returned["Location"]).content.decode()
    assert "申請を受け付けました" in done and "お支払い済みです" in done and payment.code in done
    submission.refresh_from_db()
    payment.refresh_from_db()
    assert submission.status == SubmissionStatus.RECEIVED and submission.payment_state == PaymentState.PAID
    assert submission.payment_code == payment.code and submission.deadline is not None
    assert payment.status == PaymentStatus.PAID and payment.channel == "online"
    assert registry.measure("procedures.submissions_online", t, period).value == 1
    # the 領収書, at the address only the payer was given
    receipt = client.get(submission_payment_receipt(payment))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF")
    stranger = Client().get(reverse("payments:receipt", args=[t.slug, payment.code]) + "?k=guess")
    assert stranger.status_code == 404 and "表示できません" in stranger.content.decode()
    paid_mail = OutboundEmail.objects.order_by("-pk").first()
    assert paid_mail is not None and "お支払い完了" in paid_mail.subject
    assert payment.code in paid_mail.body and submission_payment_receipt(payment) in paid_mail.body
    # back again (the browser's Back): nothing is applied twice
    assert client.get(back).status_code == 302
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == 1
    assert OutboundEmail.objects.filter(subject__contains="お支払い完了").count() == 1


def submission_payment_receipt(payment: Payment) -> str:
    from yakusho.payments import online

    return online.receipt_path(payment)


def test_a_cancelled_payment_is_not_received_and_can_be_paid_again(
    town: dict[str, Any], provider: DemoProviderServer, client: Client
) -> None:
    t = town["town"]
    common = apply(client, t)
    sent = client.post(reverse("submissions:check", args=[t.slug, KEY]), common)
    done_path = client.get(at_provider(provider, sent["Location"], action="cancel"))["Location"]
    page = client.get(done_path).content.decode()
    assert "お支払いは完了していません" in page and "料金は請求されていません" in page
    submission = Submission.objects.get()
    assert submission.status == SubmissionStatus.PAYMENT
    key = hidden_in(page, "_key")
    again = client.post(reverse("submissions:pay", args=[t.slug, submission.code]), {"_key": key})
    assert again.status_code == 302 and again["Location"].startswith(provider.url)
    client.get(at_provider(provider, again["Location"]))
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.RECEIVED
    statuses = sorted(Payment.objects.values_list("status", flat=True))
    assert statuses == [PaymentStatus.FAILED, PaymentStatus.PAID]


def hidden_in(page: str, name: str) -> str:
    import re

    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, name
    return found[1]


def test_the_provider_down_keeps_the_application_and_says_so(
    town: dict[str, Any], provider: DemoProviderServer, client: Client
) -> None:
    t = town["town"]
    common = apply(client, t)
    provider.control(down=True)
    sent = client.post(reverse("submissions:check", args=[t.slug, KEY]), common, follow=True)
    page = sent.content.decode()
    assert sent.status_code == 200 and "決済サービスに接続できませんでした" in page
    assert "お支払いをお待ちしています" in page and "支払う" in page  # kept, to pay when it is back
    submission = Submission.objects.get()
    assert submission.status == SubmissionStatus.PAYMENT
    assert Payment.objects.get().status == PaymentStatus.FAILED
    provider.control(down=False)
    # the check page's button pressed again: the same application's page, no second payment
    pressed = client.post(reverse("submissions:check", args=[t.slug, KEY]), common, follow=True)
    assert "お支払いをお待ちしています" in pressed.content.decode() and Payment.objects.count() == 1
    assert Submission.objects.count() == 1
    key = hidden_in(page, "_key")
    later = client.post(reverse("submissions:pay", args=[t.slug, submission.code]), {"_key": key})
    assert later["Location"].startswith(provider.url)


def test_a_procedure_paid_later_is_received_at_once_and_paid_from_its_status_page(
    town: dict[str, Any], provider: DemoProviderServer, client: Client
) -> None:
    t = town["town"]
    Procedure.objects.filter(pk=town["procedure"].pk).update(payment_timing=PaymentTiming.LATER)
    common = apply(client, t)
    check = client.get(reverse("submissions:check", args=[t.slug, KEY])).content.decode()
    assert "申請して支払う" not in check and "状況ページから、オンライン決済で" in check
    sent = client.post(reverse("submissions:check", args=[t.slug, KEY]), common)
    submission = Submission.objects.get()
    assert submission.status == SubmissionStatus.RECEIVED and submission.payment_state == PaymentState.DUE
    assert submission.deadline is not None and not Payment.objects.exists()
    status = client.get(reverse("submissions:status", args=[t.slug, submission.code])).content.decode()
    assert "1,500円を支払う" in status
    assert sent["Location"] == reverse("submissions:done", args=[t.slug, KEY, submission.code])
    pay = client.post(
        reverse("submissions:pay", args=[t.slug, submission.code]), {"_key": hidden_in(status, "_key")}
    )
    back = client.get(at_provider(provider, pay["Location"]))
    assert client.get(back["Location"]).status_code == 200
    submission.refresh_from_db()
    assert submission.payment_state == PaymentState.PAID
    status = client.get(reverse("submissions:status", args=[t.slug, submission.code])).content.decode()
    assert "お支払い済みです" in status and "支払う</button>" not in status
    # a stranger may not pay (or see) it
    stranger = Client().post(reverse("submissions:pay", args=[t.slug, submission.code]), {"_key": "x" * 20})
    assert stranger.status_code == 404


def test_an_unpaid_application_is_erased_after_its_time_and_leaves_no_figure(
    town: dict[str, Any], provider: DemoProviderServer, client: Client, settings: Any
) -> None:
    t = town["town"]
    common = apply(client, t)
    client.post(reverse("submissions:check", args=[t.slug, KEY]), common)
    submission = Submission.objects.get()
    later = timezone.now() + timedelta(hours=settings.SUBMISSION_PAYMENT_HOURS, minutes=1)
    # its payment is still at the provider (opened within the hour): kept
    assert submission_payment.expire_unpaid(submission.submitted_at + timedelta(minutes=30)) == 0
    Payment.objects.update(paid_at=timezone.now() - timedelta(hours=2))
    assert submission_payment.expire_unpaid(later) == 1
    assert not Submission.objects.exists() and not SubmissionTally.objects.exists()
    assert submission_payment.expire_unpaid(later) == 0
    out = StringIO()
    call_command("expire_unpaid_submissions", stdout=out)  # the scheduled command: nothing left
    assert out.getvalue().strip() == "erased 0 unpaid submission(s)"


def test_a_refund_through_the_provider_shows_on_the_status_page(
    town: dict[str, Any], provider: DemoProviderServer, client: Client
) -> None:
    t = town["town"]
    common = apply(client, t)
    sent = client.post(reverse("submissions:check", args=[t.slug, KEY]), common)
    client.get(at_provider(provider, sent["Location"]))
    payment = Payment.objects.get(status=PaymentStatus.PAID)
    services.request_reversal(
        payment, kind=ReversalKind.REFUND, amount=1500, reason="収集の取りやめ",
        staff=town["admin"].user, request_key="refund-1",
    )  # fmt: skip
    submission = Submission.objects.get()
    assert submission.payment_state == PaymentState.REFUNDED
    status = client.get(reverse("submissions:status", args=[t.slug, submission.code])).content.decode()
    assert "お支払いは返金しました" in status
    assert provider.checkouts[payment.provider_ref]["refunded_amount"] == 1500


@pytest.mark.parametrize("key", ["short", "../../etc", "x" * 65, "%00" * 20])
def test_hostile_return_addresses_are_not_found(town: dict[str, Any], client: Client, key: str) -> None:
    response = client.get(f"/m/{town['town'].slug}/payments/return/{key}/")
    assert response.status_code in (400, 404) and "<h1>" in response.content.decode()


def test_mail_outbox_is_not_sent_in_process(town: dict[str, Any]) -> None:
    assert mail.outbox == []  # mails are queued in the outbox table (sent by the mail worker)


def test_staff_see_the_payment_in_the_inbox_and_refund_it_with_a_reason(
    town: dict[str, Any], provider: DemoProviderServer, client: Client
) -> None:
    from tests.helpers import login_verified

    t = town["town"]
    common = apply(client, t)
    sent = client.post(reverse("submissions:check", args=[t.slug, KEY]), common)
    unpaid = Submission.objects.get()
    staff = Client()
    login_verified(staff, town["admin"].user)
    listing = staff.get(reverse("inbox:list", args=[t.slug])).content.decode()
    assert unpaid.display_code not in listing  # not submitted yet: not in the inbox
    waiting = staff.get(reverse("inbox:list", args=[t.slug]) + "?status=payment").content.decode()
    assert unpaid.display_code in waiting
    client.get(at_provider(provider, sent["Location"]))
    listing = staff.get(reverse("inbox:list", args=[t.slug])).content.decode()
    assert unpaid.display_code in listing and "支払済み" in listing
    detail_url = reverse("inbox:detail", args=[t.slug, unpaid.pk])
    detail = staff.get(detail_url).content.decode()
    payment = Payment.objects.get(status=PaymentStatus.PAID)
    assert payment.code in detail and "返金する" in detail
    refund_url = reverse("inbox:action", args=[t.slug, unpaid.pk, "refund"])
    key = hidden_in(detail, "_key")
    refused = staff.post(refund_url, {"amount": "500", "reason": "", "_key": key}, follow=True)
    assert "理由を入力してください" in refused.content.decode()
    done = staff.post(refund_url, {"amount": "５００円", "reason": "1点を取りやめ", "_key": key}, follow=True)
    assert "500円を返金しました" in done.content.decode()
    assert provider.checkouts[payment.provider_ref]["refunded_amount"] == 500
    again = staff.post(refund_url, {"amount": "500", "reason": "1点を取りやめ", "_key": key}, follow=True)
    assert again.status_code == 200 and payment.reversals.count() == 1  # the same press: once
    unpaid.refresh_from_db()
    assert unpaid.payment_state == PaymentState.PAID  # a part refunded: still paid
