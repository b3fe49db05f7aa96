"""A closed day for the finance system (the CSV) and on paper (the 日計表 PDF), read back."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.payments.conftest import RATES_FROM, item, member, signed_in
from yakusho.core.models import Municipality, Role
from yakusho.payments import finance_export, services
from yakusho.payments.models import FeeItem, FeeRate, Method, Payment, PaymentLine

pytestmark = pytest.mark.django_db

HEADER = [
    "計上日",
    "歳入科目コード",
    "歳入科目",
    "手数料名",
    "支払方法",
    "件数",
    "数量",
    "金額（円）",
    "区分",
]
_keys = iter(range(10**6))


def take(town: Municipality, lines: list[tuple[str, int]], method: str = Method.CASH) -> Payment:
    quoted = [services.quote(item(town, key), quantity) for key, quantity in lines]
    total = sum(line.amount_yen for line in quoted)
    tendered = total if method == Method.CASH else None
    return services.take(town, quoted, method=method, tendered=tendered, request_key=f"x{next(_keys)}")


def formula_item(town: Municipality) -> FeeItem:
    hostile = FeeItem.objects.create(
        municipality=town, key="hostile", name="=1+1", account_code="+99", methods=["cash"]
    )
    FeeRate.objects.create(item=hostile, valid_from=RATES_FROM, amount_yen=200)
    return hostile


def a_closed_day(town: Municipality) -> dict[str, Any]:
    """In: cash 600 + card 450 + cash 1,300 (two lines) + cash 200 (=1+1) + cash 300 (voided).
    Out: the void (300) and a refund of 650 of the two-line payment (spread 150 / 500)."""
    clerk = member(town)
    formula_item(town)
    take(town, [("juminhyo", 2)])
    take(town, [("koseki", 1)], Method.CARD)
    two_lines = take(town, [("inkan", 1), ("kaikan", 1)])
    take(town, [("hostile", 1)])
    voided = take(town, [("juminhyo", 1)])
    services.request_reversal(voided, kind="void", amount=0, reason="誤り", staff=clerk, request_key="v")
    services.request_reversal(
        two_lines, kind="refund", amount=650, reason="一部取消", staff=clerk, request_key="r"
    )
    today = timezone.localdate()
    close = services.close_day(town, today, counted_cash=1450, reason="", staff=clerk)
    return {"close": close, "day": today, "clerk": clerk}


def export(client: Client, town: Municipality, day: date) -> Any:
    return client.get(reverse("payments_staff:day_export", args=[town.slug, day.isoformat()]))


def read_csv(response: Any) -> list[dict[str, str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def test_the_csv_reads_back_and_adds_up_to_the_days_net_total(town: Municipality, client: Client) -> None:
    made = a_closed_day(town)
    close, day = made["close"], made["day"]
    assert close.totals["total_yen"] == 2850 and close.totals["reversals_yen"] == 950
    client, _u = signed_in(client, town)
    response = export(client, town, day)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        "attachment" in response["Content-Disposition"]
        and day.strftime("%Y%m%d") in response["Content-Disposition"]
    )
    rows = read_csv(response)
    assert {r["計上日"] for r in rows} == {day.isoformat()}
    assert sum(int(r["金額（円）"]) for r in rows) == 2850 - 950 == 1900
    income = [r for r in rows if r["区分"] == "収入"]
    reversals = [r for r in rows if r["区分"] == "取消・返金"]
    assert len(income) + len(reversals) == len(rows)
    assert sum(int(r["金額（円）"]) for r in income) == 2850
    assert all(int(r["金額（円）"]) < 0 for r in reversals)
    assert sum(int(r["金額（円）"]) for r in reversals) == -950
    by_key = {(r["区分"], r["手数料名"], r["支払方法"]): r for r in rows}
    # one row per (code, item, method): the two cash 住民票 payments make one row
    juminhyo = by_key[("収入", "住民票の写し交付手数料", "現金")]
    assert (juminhyo["件数"], juminhyo["数量"], juminhyo["金額（円）"]) == ("2", "3", "900")
    assert (juminhyo["歳入科目コード"], juminhyo["歳入科目"]) == ("14-01-01", "総務手数料")
    assert by_key[("収入", "戸籍謄本交付手数料", "クレジットカード")]["金額（円）"] == "450"
    # the void takes its line back whole; the part refund is spread by amount (300:1000 of 650)
    void = by_key[("取消・返金", "住民票の写し交付手数料", "現金")]
    assert (void["件数"], void["数量"], void["金額（円）"]) == ("1", "-1", "-300")
    assert by_key[("取消・返金", "印鑑登録証明書交付手数料", "現金")]["金額（円）"] == "-150"
    kaikan = by_key[("取消・返金", "町民会館使用料", "現金")]
    assert (kaikan["金額（円）"], kaikan["数量"], kaikan["歳入科目コード"]) == ("-500", "0", "13-01-01")
    # income first, then reversals
    assert [r["区分"] for r in rows] == sorted((r["区分"] for r in rows), key=lambda k: k != "収入")


def test_a_fee_named_like_a_formula_is_neutralised(town: Municipality, client: Client) -> None:
    made = a_closed_day(town)
    client, _u = signed_in(client, town)
    rows = read_csv(export(client, town, made["day"]))
    hostile = [r for r in rows if "1+1" in r["手数料名"]]
    assert len(hostile) == 1
    assert hostile[0]["手数料名"] == "'=1+1" and hostile[0]["歳入科目コード"] == "'+99"
    assert hostile[0]["金額（円）"] == "200"  # numbers stay numbers


def test_only_a_closed_day_is_exported_and_only_as_it_was_closed(town: Municipality, client: Client) -> None:
    take(town, [("juminhyo", 1)])
    client, user = signed_in(client, town)
    today = timezone.localdate()
    response = export(client, town, today)
    assert response.status_code == 404 and "この日はまだ締められていません" in response.content.decode()
    services.close_day(town, today, counted_cash=300, reason="", staff=user)
    assert export(client, town, today).status_code == 200
    # a record changed behind the close's back: nothing is handed over, and the page says why
    PaymentLine.objects.update(amount_yen=350)
    response = export(client, town, today)
    assert response.status_code == 409
    page = response.content.decode()
    assert "一致しません" in page and "300円" in page and "350円" in page
    assert response["Content-Type"].startswith("text/html")


def test_the_spread_of_a_part_refund_adds_up() -> None:
    assert finance_export._spread(650, [300, 1000]) == [150, 500]
    assert finance_export._spread(100, [1, 1, 1]) == [34, 33, 33]
    assert finance_export._spread(5, [0, 0]) == [5, 0]
    for amount in range(0, 1301, 7):
        assert sum(finance_export._spread(amount, [300, 450, 550])) == amount


def test_the_export_queries_do_not_grow_with_the_payments(
    town: Municipality, client: Client, django_assert_max_num_queries: Any
) -> None:
    clerk = member(town, Role.ADMIN)
    today = timezone.localdate()
    payments = [take(town, [("juminhyo", 1), ("koseki", 1)], Method.CARD) for _n in range(5)]
    services.request_reversal(
        payments[0], kind="void", amount=0, reason="誤り", staff=clerk, request_key="v0"
    )
    with CaptureQueriesContext(connection) as five:
        rows = finance_export.export_rows(town, today)
    assert sum(r.yen for r in rows) == 4 * 750
    for n in range(45):
        payment = take(town, [("juminhyo", 1 + n % 3), ("kaikan", 1)])
        if n % 5 == 0:
            services.request_reversal(
                payment, kind="refund", amount=100 + n, reason="返金", staff=clerk, request_key=f"r{n}"
            )
    with django_assert_max_num_queries(len(five)):
        rows = finance_export.export_rows(town, today)
    summary = services.day_summary(town, today)
    assert summary.count == 50
    assert sum(r.yen for r in rows) == summary.total_yen - summary.reversals_yen


@pytest.mark.pdf
def test_the_days_report_reads_back(town: Municipality, client: Client) -> None:
    from pypdf import PdfReader

    made = a_closed_day(town)
    day = made["day"]
    client, _u = signed_in(client, town, Role.HQ)
    response = client.get(reverse("payments_staff:day_pdf", args=[town.slug, day.isoformat()]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "日計表",
        "テスト町",
        f"（{day.year}年）{day.month}月{day.day}日",  # 和暦 with 西暦
        "令和",
        "2,850円",  # in
        "950円",  # out
        "1,900円",  # net
        "1,450円",  # cash expected = counted
        "過不足なし",
        "14-01-02",
        "町民会館使用料",
        "クレジットカード",
        str(made["clerk"]),
    ):
        assert expected in text, expected
    assert reader.metadata is not None
    assert reader.metadata.title == f"日計表 {day.isoformat()}" and reader.metadata.author == "テスト町"


@pytest.mark.pdf
def test_the_report_shows_a_difference_with_its_reason(town: Municipality, client: Client) -> None:
    from pypdf import PdfReader

    take(town, [("kaikan", 2)])
    client, user = signed_in(client, town)
    today = timezone.localdate()
    services.close_day(town, today, counted_cash=1900, reason="釣銭の渡し過ぎ", staff=user)
    response = client.get(reverse("payments_staff:day_pdf", args=[town.slug, today.isoformat()]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "不足 -100円" in text and "釣銭の渡し過ぎ" in text and "2,000円" in text and "1,900円" in text
    assert response["Cache-Control"] == "private, no-store"
