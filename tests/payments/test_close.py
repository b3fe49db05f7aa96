"""The daily close's pages (日計): a day's figures, closing it with the cash counted, a closed day
frozen, hostile day strings, who may do what, and queries that do not grow with the payments."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.helpers import login_verified
from tests.payments.conftest import item, member, signed_in
from yakusho.core.models import Municipality, Role
from yakusho.payments import services
from yakusho.payments.models import DailyClose, Method, Payment, ReversalStatus

pytestmark = pytest.mark.django_db

_keys = iter(range(10**6))


def pay(town: Municipality, key: str, quantity: int = 1, method: str = Method.CASH) -> Payment:
    line = services.quote(item(town, key), quantity)
    tendered = line.amount_yen if method == Method.CASH else None
    return services.take(town, [line], method=method, tendered=tendered, request_key=f"t{next(_keys)}")


def a_day(town: Municipality) -> dict[str, Any]:
    """Cash 600 (refunded 300 the same day), card 450, cash 1,000: in 2,050, out 300, cash 1,300."""
    clerk = member(town)
    juminhyo = pay(town, "juminhyo", 2)
    pay(town, "koseki", 1, Method.CARD)
    kaikan = pay(town, "kaikan", 1)
    refund = services.request_reversal(
        juminhyo, kind="refund", amount=300, reason="1通多く交付", staff=clerk, request_key="r-a-day"
    )
    assert refund.status == ReversalStatus.DONE
    return {"juminhyo": juminhyo, "kaikan": kaikan, "clerk": clerk}


def url(town: Municipality, day: date | str, name: str = "day") -> str:
    text = day if isinstance(day, str) else day.isoformat()
    return reverse(f"payments_staff:{name}", args=[town.slug, text])


def form_key(response: Any) -> str:
    return response.context["form"]["request_key"].value()


def test_a_days_page_shows_its_figures_by_method_item_and_code(town: Municipality, client: Client) -> None:
    a_day(town)
    client, _user = signed_in(client, town)
    today = timezone.localdate()
    response = client.get(url(town, today))
    assert response.status_code == 200
    page = response.content.decode()
    figures = response.context["figures"]
    assert (figures["count"], figures["total_yen"], figures["reversals_yen"]) == (3, 2050, 300)
    assert figures["expected_cash_yen"] == 1300 and figures["cashless_count"] == 1
    assert response.context["net_yen"] == 1750
    methods = {m["method"]: m for m in response.context["methods"]}
    assert methods["cash"]["in_yen"] == 1600 and methods["cash"]["out_yen"] == 300
    assert methods["card"]["count"] == 1 and methods["card"]["in_yen"] == 450
    for text in (
        "2,050円",
        "1,750円",
        "1,300円",
        "現金",
        "クレジットカード",
        "住民票の写し交付手数料",
        "14-01-02",
        "13-01-01",
        "1通多く交付",
        "未締め",
        "この日を締める",
    ):
        assert text in page, text
    # the list of days: today with its count, totals and state in words
    listing = client.get(reverse("payments_staff:days", args=[town.slug]))
    assert listing.status_code == 200
    row = listing.context["rows"][0]
    assert (row["day"], row["count"], row["in_yen"], row["cashless"], row["close"]) == (
        today,
        3,
        2050,
        1,
        None,
    )
    assert "未締め" in listing.content.decode()


def test_a_difference_needs_a_reason_and_nothing_typed_is_lost(town: Municipality, client: Client) -> None:
    a_day(town)
    client, user = signed_in(client, town)
    today = timezone.localdate()
    shown = client.get(url(town, today))
    key = form_key(shown)
    # every error at once: no count and a reason too long
    response = client.post(url(town, today), {"counted_cash": "", "reason": "あ" * 201, "request_key": key})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "現金の実査額を入力してください。" in errors["counted_cash"]
    assert "200文字以内" in errors["reason"][0]
    # full-width digits and commas are read; the count differs from 1,300 and there is no reason
    response = client.post(url(town, today), {"counted_cash": "１，２００", "reason": "", "request_key": key})
    assert response.status_code == 400
    page = response.content.decode()
    assert "現金が予定額（1,300円）と-100円違います。理由を入力してください。" in page
    assert response.context["form"].errors["reason"]
    assert 'value="1,200"' in page and f'value="{key}"' in page  # what was typed, and the same key
    assert not DailyClose.objects.exists()
    # with a reason it closes, and says so
    response = client.post(
        url(town, today),
        {"counted_cash": "1,200円", "reason": "釣銭の渡し過ぎで100円不足", "request_key": key},
    )
    assert response.status_code == 302
    close = DailyClose.objects.get(municipality=town, business_day=today)
    assert (close.expected_cash_yen, close.counted_cash_yen, close.difference_yen) == (1300, 1200, -100)
    assert close.closed_by == user and close.difference_reason == "釣銭の渡し過ぎで100円不足"
    page = client.get(response["Location"]).content.decode()
    assert "の日計を締めました" in page and "100円の不足" in page and "締め済み" in page
    # a second press of the same form is the same close, not an error
    again = client.post(
        url(town, today), {"counted_cash": "1200", "reason": "x", "request_key": key}, follow=True
    )
    assert "の日計を締めました" in again.content.decode()
    assert "既に締められています" not in again.content.decode()
    assert DailyClose.objects.count() == 1


def test_a_count_that_matches_needs_no_reason(town: Municipality, client: Client) -> None:
    a_day(town)
    client, _user = signed_in(client, town, Role.ADMIN)
    today = timezone.localdate()
    response = client.post(url(town, today), {"counted_cash": "1300", "reason": "", "request_key": "k"})
    assert response.status_code == 302
    close = DailyClose.objects.get()
    assert close.difference_yen == 0 and close.difference_reason == ""
    assert close.totals["total_yen"] == 2050


def test_a_closed_day_shows_its_frozen_figures_after_a_later_refund(
    town: Municipality, client: Client
) -> None:
    made = a_day(town)
    client, _user = signed_in(client, town)
    today = timezone.localdate()
    services.close_day(town, today, counted_cash=1300, reason="", staff=made["clerk"])
    refund = services.request_reversal(
        made["kaikan"], kind="refund", amount=1000, reason="利用中止", staff=made["clerk"], request_key="r2"
    )
    assert refund.business_day == today + timedelta(days=1)
    # even a record changed behind the close's back does not change the closed day's figures
    Payment.objects.filter(pk=made["juminhyo"].pk).update(total_yen=9999)
    response = client.get(url(town, today))
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["figures"] == DailyClose.objects.get().totals
    assert response.context["figures"]["total_yen"] == 2050 and response.context["net_yen"] == 1750
    assert "2,050円" in page and "9,999" not in page and "利用中止" not in page
    assert "締め済み" in page and "この日を締める" not in page
    assert reverse("payments_staff:day_pdf", args=[town.slug, today.isoformat()]) in page
    assert reverse("payments_staff:day_export", args=[town.slug, today.isoformat()]) in page
    # the refund is the next business day's
    tomorrow = client.get(url(town, today + timedelta(days=1)))
    assert tomorrow.status_code == 200
    assert tomorrow.context["figures"]["reversals_yen"] == 1000 and "利用中止" in tomorrow.content.decode()
    assert tomorrow.context["figures"]["expected_cash_yen"] == -1000


def test_a_second_close_is_refused_with_a_message(town: Municipality, client: Client) -> None:
    a_day(town)
    today = timezone.localdate()
    first, _user = signed_in(Client(), town)
    assert first.post(url(town, today), {"counted_cash": "1300", "request_key": "first"}).status_code == 302
    client, _user = signed_in(client, town, Role.ADMIN)
    response = client.post(
        url(town, today), {"counted_cash": "1500", "reason": "数え直し", "request_key": "other"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{today:%Y年%m月%d日}は既に締められています" in page
    close = DailyClose.objects.get()
    assert close.counted_cash_yen == 1300 and close.difference_reason == ""


def test_days_that_have_not_come_are_refused(town: Municipality, client: Client) -> None:
    client, user = signed_in(client, town)
    today = timezone.localdate()
    response = client.get(url(town, today + timedelta(days=1)))
    assert response.status_code == 404 and "まだ来ていない日です" in response.content.decode()
    response = client.post(url(town, today + timedelta(days=1)), {"counted_cash": "0", "request_key": "k"})
    assert response.status_code == 404
    # once today is closed, tomorrow is the open business day: shown, but not closed before it comes
    services.close_day(town, today, counted_cash=0, reason="", staff=user)
    tomorrow = today + timedelta(days=1)
    response = client.get(url(town, tomorrow))
    assert response.status_code == 200 and response.context["form"] is None
    assert "この日はまだ来ていないため、締められません" in response.content.decode()
    response = client.post(url(town, tomorrow), {"counted_cash": "0", "request_key": "k2"})
    assert response.status_code == 400
    assert "まだ来ていない日は締められません。" in response.content.decode()
    assert DailyClose.objects.count() == 1
    assert client.get(url(town, today + timedelta(days=2))).status_code == 404


HOSTILE = [
    "2026-13-01",
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
    "1800-01-01",
    "2026-W01-1",
    "20260401",
    "2026-4-1",
    "２０２６-０４-０１",
    "x" * 10_000,
    "' OR 1=1 --",
    "<script>",
    "%00",
    "-1",
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("name", ["day", "day_pdf", "day_export"])
def test_hostile_day_strings_are_a_404_with_a_japanese_message(
    town: Municipality, client: Client, name: str, value: str
) -> None:
    client, _user = signed_in(client, town)
    response = client.get(url(town, value, name))
    assert response.status_code == 404
    assert "日付が正しくありません" in response.content.decode()
    if name == "day":
        response = client.post(url(town, value, name), {"counted_cash": "0", "request_key": "k"})
        assert response.status_code == 404
        assert not DailyClose.objects.exists()


def test_who_may_read_and_who_may_close(town: Municipality, other_town: Municipality) -> None:
    a_day(town)
    today = timezone.localdate()
    data = {"counted_cash": "1300", "request_key": "k"}
    department, _u = signed_in(Client(), town, Role.DEPARTMENT)
    page = department.get(url(town, today))
    assert page.status_code == 200 and page.context["form"] is None
    assert "この日を締める" not in page.content.decode()
    assert department.post(url(town, today), data).status_code == 403
    hq, _u = signed_in(Client(), town, Role.HQ)
    assert hq.get(reverse("payments_staff:days", args=[town.slug])).status_code == 200
    assert hq.get(url(town, today)).status_code == 200
    assert hq.post(url(town, today), data).status_code == 403
    outsider, _u = signed_in(Client(), other_town)
    assert outsider.get(url(town, today)).status_code == 403
    assert outsider.post(url(town, today), data).status_code == 403
    anonymous = Client().get(url(town, today))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert not DailyClose.objects.exists()
    # after the close: everyone who reads gets the PDF; the finance export is for those who close
    services.close_day(town, today, counted_cash=1300, reason="", staff=member(town))
    assert hq.get(url(town, today, "day_pdf")).status_code == 200
    assert hq.get(url(town, today, "day_export")).status_code == 403
    assert department.get(url(town, today, "day_export")).status_code == 403
    counter, _u = signed_in(Client(), town)
    assert counter.get(url(town, today, "day_export")).status_code == 200
    assert url(town, today, "day_export") not in hq.get(url(town, today)).content.decode()
    assert url(town, today, "day_export") in counter.get(url(town, today)).content.decode()


def test_another_towns_close_is_not_this_towns(
    town: Municipality, other_town: Municipality, client: Client
) -> None:
    today = timezone.localdate()
    pay(other_town, "juminhyo")
    services.close_day(other_town, today, counted_cash=300, reason="", staff=member(other_town))
    pay(town, "inkan")
    client, _u = signed_in(client, town)
    listing = client.get(reverse("payments_staff:days", args=[town.slug]))
    assert [(r["day"], r["close"]) for r in listing.context["rows"]] == [(today, None)]
    response = client.get(url(town, today, "day_pdf"))
    assert response.status_code == 404 and "この日はまだ締められていません" in response.content.decode()
    assert client.get(url(town, today)).context["close"] is None


def test_the_days_list_says_who_closed_and_the_difference(town: Municipality, client: Client) -> None:
    made = a_day(town)
    today = timezone.localdate()
    services.close_day(town, today, counted_cash=1250, reason="50円不足", staff=made["clerk"])
    pay(town, "inkan")  # the next business day
    client, _u = signed_in(client, town)
    response = client.get(reverse("payments_staff:days", args=[town.slug]))
    rows = response.context["rows"]
    assert [r["day"] for r in rows] == [today + timedelta(days=1), today]
    assert rows[1]["close"].counted_cash_yen == 1250 and rows[1]["net_yen"] == 1750
    page = response.content.decode()
    assert "締め済み" in page and "未締め" in page and str(made["clerk"]) in page and "-50円" in page
    assert response.context["open_day"] == today + timedelta(days=1)


def test_the_days_page_queries_do_not_grow_with_the_payments(
    town: Municipality, client: Client, django_assert_max_num_queries: Any
) -> None:
    client, _u = signed_in(client, town)
    today = timezone.localdate()
    methods = [Method.CASH, Method.CARD, Method.QR]
    for n in range(5):
        pay(town, ["juminhyo", "inkan", "koseki"][n % 3], 1 + n % 2, methods[n % 3])
    client.get(url(town, today))  # the session and the like, once
    with CaptureQueriesContext(connection) as five:
        assert client.get(url(town, today)).status_code == 200
    with CaptureQueriesContext(connection) as five_list:
        assert client.get(reverse("payments_staff:days", args=[town.slug])).status_code == 200
    for n in range(45):
        pay(town, ["juminhyo", "inkan", "koseki", "kaikan"][n % 4], 1 + n % 3, Method.CASH)
    assert Payment.objects.count() == 50
    with django_assert_max_num_queries(len(five)):
        response = client.get(url(town, today))
    assert response.context["figures"]["count"] == 50
    with django_assert_max_num_queries(len(five_list)):
        client.get(reverse("payments_staff:days", args=[town.slug]))


def test_two_presses_at_once_by_the_same_member_are_one_close(town: Municipality, client: Client) -> None:
    """The second press of a double click may reach the server before the first's session is
    saved: the same member, the same count and reason, moments later, is the same close."""
    a_day(town)
    today = timezone.localdate()
    client, user = signed_in(client, town)
    data = {"counted_cash": "1,250", "reason": "50円不足", "request_key": "first"}
    assert client.post(url(town, today), data).status_code == 302
    other_session = Client()
    login_verified(other_session, user)
    again = other_session.post(url(town, today), {**data, "request_key": "second"}, follow=True)
    assert "の日計を締めました" in again.content.decode()
    assert "既に締められています" not in again.content.decode()
    # the same member with other figures is told the day is closed, and nothing changes
    other = other_session.post(url(town, today), {**data, "counted_cash": "1300"}, follow=True)
    assert "既に締められています" in other.content.decode()
    assert DailyClose.objects.get().counted_cash_yen == 1250
