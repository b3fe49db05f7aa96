"""The staff pages of the fee catalogue: the list, an item's form (every error at once, the key
taken, another town's 課), a new rate from a date (upcoming, then used by quote() from that day),
roles, double submissions and hostile paths."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory
from tests.payments.conftest import RATES_FROM, item, signed_in
from yakusho.core.models import Municipality, Role
from yakusho.payments import services
from yakusho.payments.models import FeeItem, FeeRate, Method

pytestmark = pytest.mark.django_db


def url(name: str, town: Municipality, *args: object) -> str:
    return reverse(f"payments_staff:{name}", args=[town.slug, *args])


def item_data(town: Municipality, **changes: object) -> dict[str, object]:
    department = town.departments.get(name="町民課")
    data: dict[str, object] = {
        "key": "mibun",
        "name": "身分証明書交付手数料",
        "kind": "fee",
        "department": str(department.pk),
        "legal_basis": "テスト町手数料条例 第2条",
        "account_code": "14-01-01",
        "account_name": "総務手数料",
        "methods": ["cash", "card"],
        "note": "",
        "order": "5",
        "public": "on",
        "request_key": "",
    }
    data.update(changes)
    return data


# --- the list ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COUNTER, Role.DEPARTMENT, Role.HQ, Role.ADMIN])
def test_every_member_reads_the_catalogue(client: Client, town: Municipality, role: str) -> None:
    client, _user = signed_in(client, town, role)
    page = client.get(url("fees", town))
    assert page.status_code == 200
    text = page.content.decode()
    assert "住民票の写し交付手数料" in text and "町民会館使用料" in text
    assert "300円（1通）" in text and "1,000円（1時間）" in text
    # 町民会館 charges non-residents double, worded for a 町
    assert "町外の方 2,000円" in text
    # methods as words, not colours
    assert "現金、クレジットカード、QRコード決済、電子マネー" in text
    assert "現金、処理券（事前購入）" in text
    assert "テスト町手数料条例 第2条" in text and "14-02-01" in text
    assert ("手数料を追加する" in text) == (role == Role.ADMIN)


def test_the_list_shows_another_towns_items_to_no_one(client: Client, town: Municipality, other_town) -> None:
    FeeItem.objects.filter(municipality=other_town, key="juminhyo").update(name="ほか市だけの手数料")
    client, _user = signed_in(client, town, Role.ADMIN)
    assert "ほか市だけの手数料" not in client.get(url("fees", town)).content.decode()
    # and a member of this town cannot open the other's pages
    assert client.get(url("fees", other_town)).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, town: Municipality) -> None:
    response = client.get(url("fees", town))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.HQ, Role.COUNTER])
def test_only_administrators_change_the_catalogue(client: Client, town: Municipality, role: str) -> None:
    client, _user = signed_in(client, town, role)
    juminhyo = item(town, "juminhyo")
    for name, args in (
        ("fee_create", ()),
        ("fee_edit", (juminhyo.pk,)),
        ("rate_create", (juminhyo.pk,)),
        ("fees_import", ()),
    ):
        assert client.get(url(name, town, *args)).status_code == 403, name
    assert client.get(url("fees_export", town)).status_code == 200  # reading the catalogue is for all
    assert client.post(url("fee_edit", town, juminhyo.pk), item_data(town, key="juminhyo")).status_code == 403
    assert client.post(url("fee_create", town), item_data(town)).status_code == 403
    assert not FeeItem.objects.filter(key="mibun").exists()
    assert item(town, "juminhyo").name == "住民票の写し交付手数料"


# --- creating and editing an item ----------------------------------------------------------------


def test_an_administrator_adds_an_item_and_is_sent_on_to_its_rate(client: Client, town: Municipality) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    form = client.get(url("fee_create", town))
    assert form.status_code == 200 and 'name="request_key"' in form.content.decode()
    response = client.post(
        url("fee_create", town), item_data(town, key="ＭＩＢＵＮ", methods=["card", "cash"])
    )
    created = item(town, "mibun")  # full-width typed, stored as half-width lower case
    assert response.status_code == 302
    assert response["Location"] == url("rate_create", town, created.pk)
    assert created.methods == ["cash", "card"]  # in the catalogue's order
    assert created.department is not None and created.department.name == "町民課"
    assert created.rates.count() == 0 and not created.is_demo


def test_every_error_of_the_item_form_is_shown_at_once_and_nothing_is_saved(
    client: Client, town: Municipality
) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    before = FeeItem.objects.count()
    data = item_data(
        town, key="Bad Key!", name="", kind="donation", methods=[], order="-1", legal_basis="条" * 121
    )
    response = client.post(url("fee_create", town), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"key", "name", "kind", "methods", "order", "legal_basis"}
    assert "英小文字・数字・ハイフン" in form.errors["key"][0]
    assert form.errors["methods"] == ["支払方法を1つ以上選んでください。"]
    text = response.content.decode()
    assert "エラー：" in text and "条例" in text  # what was typed stays in the form
    assert 'value="Bad Key!"' in text
    assert FeeItem.objects.count() == before


def test_a_key_taken_in_this_town_is_refused_but_another_towns_is_free(
    client: Client, town: Municipality, other_town: Municipality
) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    response = client.post(url("fee_create", town), item_data(town, key="koseki"))
    assert response.status_code == 400
    assert "キー「koseki」はこの団体のほかの手数料が使っています" in response.context["form"].errors["key"][0]
    # editing an item keeps its own key
    koseki = item(town, "koseki")
    response = client.post(
        url("fee_edit", town, koseki.pk), item_data(town, key="koseki", name="戸籍証明書交付手数料")
    )
    assert response.status_code == 302
    assert item(town, "koseki").name == "戸籍証明書交付手数料"
    assert item(other_town, "koseki").name == "戸籍謄本交付手数料"
    # renaming to a key another item uses is refused
    response = client.post(url("fee_edit", town, koseki.pk), item_data(town, key="inkan"))
    assert response.status_code == 400 and "inkan" in response.context["form"].errors["key"][0]


def test_a_department_of_another_town_is_refused(
    client: Client, town: Municipality, other_town: Municipality
) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    foreign = DepartmentFactory(municipality=other_town, name="ほか市の課")
    response = client.post(url("fee_create", town), item_data(town, department=str(foreign.pk)))
    assert response.status_code == 400
    assert response.context["form"].errors["department"] == ["選ばれた課はこの団体の課ではありません。"]
    assert "ほか市の課" not in response.content.decode()  # not even offered
    assert not FeeItem.objects.filter(key="mibun").exists()


def test_another_towns_item_and_bad_ids_are_not_found(
    client: Client, town: Municipality, other_town: Municipality
) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    foreign = item(other_town, "juminhyo")
    assert client.get(url("fee_edit", town, foreign.pk)).status_code == 404
    assert client.post(url("fee_edit", town, foreign.pk), item_data(town, key="juminhyo")).status_code == 404
    assert client.get(url("rate_create", town, foreign.pk)).status_code == 404
    assert client.get(url("fee_edit", town, 99_999_999)).status_code == 404
    assert client.get(f"/staff/m/{town.slug}/payments/fees/abc/edit/").status_code == 404
    assert client.get("/staff/m/no-such-town/payments/fees/").status_code == 404
    page = client.get(url("fee_edit", town, foreign.pk))
    assert "指定された手数料が見つかりません" in page.content.decode()
    assert item(other_town, "juminhyo").name == "住民票の写し交付手数料"


def test_hostile_form_values_are_refused_without_an_error_page(client: Client, town: Municipality) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    data = item_data(
        town, department="1 OR 1=1", methods=["cash", "<script>"], order="9" * 30, public="maybe"
    )
    response = client.post(url("fee_create", town), data)
    assert response.status_code == 400
    assert {"department", "methods", "order"} <= set(response.context["form"].errors)
    assert "<script>" not in response.content.decode()


def test_a_double_submission_creates_one_item(client: Client, town: Municipality) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    data = item_data(town, request_key="same-page-key")
    first = client.post(url("fee_create", town), data)
    second = client.post(url("fee_create", town), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert FeeItem.objects.filter(municipality=town, key="mibun").count() == 1


def test_the_edit_page_shows_the_rates_read_only(client: Client, town: Municipality) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    juminhyo = item(town, "juminhyo")
    page = client.get(url("fee_edit", town, juminhyo.pk)).content.decode()
    assert "料金の履歴（読み取り専用）" in page and "適用中" in page
    assert 'name="amount' not in page  # no rate can be edited here


# --- rates --------------------------------------------------------------------------------------------


def test_a_rate_from_a_future_day_is_upcoming_and_quoted_from_that_day(
    client: Client, town: Municipality
) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    juminhyo = item(town, "juminhyo")
    today = timezone.localdate()
    start = today + timedelta(days=10)
    form = client.get(url("rate_create", town, juminhyo.pk))
    assert form.context["form"].initial["amount"] == 300  # the current rate, to change from
    response = client.post(
        url("rate_create", town, juminhyo.pk),
        {
            "valid_from": start.isoformat(),
            "unit": "copy",
            "amount": "３５０円",
            "non_resident": "",
            "max_quantity": "１０",
            "exemptions": "生活保護受給者\n公用\n\n公用",
            "request_key": "k",
        },
    )
    assert response.status_code == 302
    rate = juminhyo.rates.get(valid_from=start)
    assert (rate.amount_yen, rate.max_quantity, rate.exemptions) == (350, 10, ["生活保護受給者", "公用"])
    listing = client.get(url("fees", town)).content.decode()
    assert "350円（1通）" in listing  # shown as upcoming …
    assert "300円（1通）" in listing  # … beside the current one
    juminhyo = item(town, "juminhyo")
    assert services.quote(juminhyo, day=start - timedelta(days=1)).unit_yen == 300
    assert services.quote(juminhyo, day=start).unit_yen == 350
    assert services.quote(juminhyo).unit_yen == 300


def test_every_error_of_the_rate_form_is_shown_and_nothing_is_saved(
    client: Client, town: Municipality
) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    juminhyo = item(town, "juminhyo")
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(
        url("rate_create", town, juminhyo.pk),
        {
            "valid_from": yesterday.isoformat(),
            "unit": "litre",
            "amount": "-300",
            "non_resident": "abc",
            "max_quantity": "0",
            "exemptions": "x" * 81,
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"valid_from", "unit", "amount", "non_resident", "max_quantity", "exemptions"}
    assert "今日" in errors["valid_from"][0]
    assert "負の金額" in errors["amount"][0]
    assert "数字で入力" in errors["non_resident"][0]
    assert "1から999" in errors["max_quantity"][0]
    assert 'value="-300"' in response.content.decode()
    assert juminhyo.rates.count() == 1


def test_a_rate_on_a_day_that_has_one_is_refused(client: Client, town: Municipality) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    juminhyo = item(town, "juminhyo")
    day = timezone.localdate() + timedelta(days=3)
    FeeRate.objects.create(item=juminhyo, valid_from=day, amount_yen=400, unit="copy")
    response = client.post(
        url("rate_create", town, juminhyo.pk),
        {"valid_from": day.isoformat(), "unit": "copy", "amount": "500"},
    )
    assert response.status_code == 400
    assert "すでに登録されています" in response.context["form"].errors["valid_from"][0]
    assert juminhyo.rates.get(valid_from=day).amount_yen == 400


def test_the_first_rate_of_an_item_may_start_in_the_past(client: Client, town: Municipality) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    new = FeeItem.objects.create(municipality=town, key="mibun", name="身分証明書", methods=[Method.CASH])
    response = client.post(
        url("rate_create", town, new.pk), {"valid_from": "令和2年4月1日", "unit": "copy", "amount": "300"}
    )
    assert response.status_code == 302
    rate = new.rates.get()
    assert rate.valid_from == RATES_FROM and rate.max_quantity == 99 and rate.non_resident_yen is None


def test_rates_used_by_payments_stay_as_they_were(client: Client, town: Municipality) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    juminhyo = item(town, "juminhyo")
    payment = services.take(
        town, [services.quote(juminhyo, 2)], method=Method.CASH, tendered=600, request_key="p"
    )
    start = timezone.localdate() + timedelta(days=1)
    client.post(
        url("rate_create", town, juminhyo.pk),
        {"valid_from": start.isoformat(), "unit": "copy", "amount": "400"},
    )
    line = payment.lines.get()
    assert line.rate.valid_from == RATES_FROM and line.rate.amount_yen == 300 and line.amount_yen == 600
