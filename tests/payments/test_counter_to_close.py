"""Issue 24's whole path on the demo: a counter visit's three certificates (done through the real
counter) are paid at the till — two in cash, one through the demo terminal — the 領収書 PDFs read
back, the day is closed and the finance export reads back; and 美郷町's cashless KPI shows the demo's
measured figure beside its plan's own actual, with its source."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.factories import MembershipFactory
from tests.helpers import login_verified
from yakusho.core.models import Municipality, Role
from yakusho.metrics.registry import Period, registry
from yakusho.payments.models import DailyClose, Method, Payment
from yakusho.procedures.catalogue.services import definition_of
from yakusho.procedures.counter import services as counter
from yakusho.procedures.models import CounterVisit
from yakusho.procedures.models.submissions import Submission

#: the demo's certificate procedures and the catalogue items their forms name
CERTIFICATES = {
    "juminhyo-koufu": "juminhyo",
    "inkan-shoumei-koufu": "inkan",
    "shotoku-shoumei-koufu": "zeishomei",
}
CARD = {
    "name": "デモ 花子",
    "name_kana": "デモ ハナコ",
    "address": "山形県西村山郡大江町大字左沢1-1",
    "birth_date": "1985-04-01",
    "sex": "女",
}


def key_on(page: str) -> str:
    found = re.search(r'name="request_key" value="([^"]+)"', page)
    assert found, "the form carries its request key"
    return found.group(1)


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def finished_visit(oe: Municipality, clerk: object) -> CounterVisit:
    """The three certificates through the counter, with the answers of one demo submission each
    (two copies of each)."""
    visit = counter.start_visit(oe, clerk)  # type: ignore[arg-type]
    counter.identify(visit, "manual", CARD)
    answers = {}
    for key in CERTIFICATES:
        s = Submission.objects.for_municipality(oe).filter(procedure__key=key).select_related("form").first()
        assert s is not None, f"the demo has a {key} submission"
        answers[key] = (s.procedure_id, definition_of(s.form).to_input(s.data | {"copies": 2})[0])
    counter.set_procedures(visit, [pk for pk, _raw in answers.values()])
    for item in visit.items.select_related("form", "procedure"):
        assert counter.save_item(visit, item, answers[item.procedure.key][1]).ok
    counter.request_confirmation(visit)
    counter.resident_confirms(visit)
    assert len(counter.finish(visit)) == 3
    return visit


@pytest.mark.pdf
def test_a_visits_certificates_are_paid_closed_and_exported(demo_with_plans: None, client: Client) -> None:
    oe = Municipality.objects.get(slug="oe")
    clerk = MembershipFactory(municipality=oe, role=Role.COUNTER).user
    login_verified(client, clerk)
    visit = finished_visit(oe, clerk)
    today = timezone.localdate()
    till = reverse("payments_staff:till", args=[oe.slug])

    page = client.get(till, {"visit": visit.display_code}).content.decode()
    for fee in CERTIFICATES.values():
        assert f'<option value="{fee}" selected>' in page
    # two certificates in cash (full-width, with a comma), the third by the demo terminal
    cash = client.post(
        till,
        {"request_key": key_on(page), "visit": visit.code, "item_1": "juminhyo", "quantity_1": "2",
         "item_2": "inkan", "quantity_2": "2", "method": Method.CASH, "tendered": "１，５００"},
    )  # fmt: skip
    assert cash.status_code == 303, cash.content.decode()[:2000]
    again = client.get(till, {"visit": visit.code}).content.decode()
    card = client.post(
        till,
        {"request_key": key_on(again), "visit": visit.code, "item_1": "zeishomei", "quantity_1": "2",
         "method": Method.CARD},
    )  # fmt: skip
    assert card.status_code == 303, card.content.decode()[:2000]
    taken = Payment.objects.for_municipality(oe).filter(business_day=today, is_demo=False)
    paid = {p.method: p for p in taken}
    assert set(paid) == {Method.CASH, Method.CARD}
    assert (paid[Method.CASH].total_yen, paid[Method.CASH].change_yen) == (1200, 300)
    assert paid[Method.CARD].total_yen == 600 and paid[Method.CARD].terminal_ref.startswith("DEMO-")
    visit.refresh_from_db()
    assert visit.payment_code == paid[Method.CARD].code  # the visit was told

    for payment in paid.values():
        receipt = client.get(reverse("payments_staff:receipt", args=[oe.slug, payment.code]))
        text = pdf_text(receipt.content)
        assert receipt["Content-Type"] == "application/pdf"
        assert "領収書" in text and payment.display_code in text and f"{payment.total_yen:,}" in text

    day = reverse("payments_staff:day", args=[oe.slug, today.isoformat()])
    day_page = client.get(day).content.decode()
    closed = client.post(day, {"counted_cash": "1,200", "reason": "", "request_key": key_on(day_page)})
    assert closed.status_code == 302
    close = DailyClose.objects.get(municipality=oe, business_day=today)
    assert (close.expected_cash_yen, close.counted_cash_yen) == (1200, 1200)
    assert close.totals["total_yen"] == 1800 and close.totals["cashless_count"] == 1

    export = client.get(reverse("payments_staff:day_export", args=[oe.slug, today.isoformat()]))
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert sum(int(r["金額（円）"]) for r in rows) == 1800
    codes = {r["歳入科目コード"] for r in rows}
    assert {p.item.account_code for p in paid[Method.CASH].lines.select_related("item")} <= codes
    assert {r["支払方法"] for r in rows} == {"現金", "クレジットカード"}


def test_misatos_cashless_kpi_shows_the_demos_figure_with_its_source(
    demo_with_plans: None, client: Client
) -> None:
    misato = Municipality.objects.get(slug="misato")
    period = Period.containing("fiscal_year", timezone.localdate())
    figure = registry.refresh(misato, period, ["payments.cashless_count"])["payments.cashless_count"]
    measured = Payment.objects.for_municipality(misato).filter(
        is_demo=True, business_day__gte=period.start, method__in=["card", "qr", "emoney"]
    )
    assert figure.value == measured.count() > 0
    page = client.get(reverse("plans:kpis", args=["misato", "misato-dx-action-plan"])).content.decode()
    row = page[page.index("キャッシュレス件数") :]
    row = row[: row.index("</tr>")]
    assert "266件" in row  # the plan's own 令和6年度 actual
    assert f"{figure.value:,}件" in row and "計測値" in row and str(period) in row
