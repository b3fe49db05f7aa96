"""The public fee page (grouped by 課, methods as words, the demo notice, the town's own wording,
404s), its link on the municipality's home, and the demo catalogues (大江町's 17 rows of the plan
with their ○/×, the certificate keys in every demo town, loading twice changes nothing)."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import MunicipalityFactory
from tests.payments.conftest import item, make_catalogue
from yakusho.core.models import Municipality
from yakusho.payments.demo import catalogue as demo_catalogue
from yakusho.payments.models import CASHLESS, FeeItem, FeeRate, Method

pytestmark = pytest.mark.django_db

#: 大江町DX推進計画 「主な税金・手数料等に係るキャッシュレス決済対応一覧」, as printed (seed 003, L158-L177)
OE_PLAN = {
    "町県民税": ("税務町民課", "○"),
    "固定資産税": ("税務町民課", "○"),
    "軽自動車税": ("税務町民課", "○"),
    "国民健康保険税": ("税務町民課", "○"),
    "介護保険料": ("税務町民課", "○"),
    "後期高齢者医療保険料": ("税務町民課", "○"),
    "各種証明書発行手数料": ("税務町民課", "○"),
    "新規就農者住宅使用料": ("農林課", "×"),
    "水道使用料": ("建設水道課", "×"),
    "水道開栓・閉栓手数料": ("建設水道課", "×"),
    "下水道使用料": ("建設水道課", "×"),
    "町営住宅使用料": ("建設水道課", "×"),
    "特定公共賃貸住宅使用料": ("建設水道課", "×"),
    "歴史民俗資料館入館料": ("教育文化課", "×"),
    "中央公民館施設使用料": ("教育文化課", "×"),
    "町民ふれあい会館施設使用料": ("教育文化課", "×"),
    "体育センター施設使用料": ("教育文化課", "×"),
}


def fees_url(town: Municipality) -> str:
    return reverse("payments:fees", args=[town.slug])


def rows_of(html: str) -> dict[str, str]:
    """Each table row's text by its heading cell (the item's name)."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        head = re.search(r'<th scope="row">([^<]+)', row)
        if head:
            found[head.group(1).strip()] = re.sub(r"<[^>]+>", " ", row)
    return found


# --- the public page --------------------------------------------------------------------------------


def test_the_page_lists_public_items_with_amounts_and_methods_as_words(
    client: Client, town: Municipality
) -> None:
    FeeItem.objects.filter(municipality=town, key="koseki").update(public=False)
    response = client.get(fees_url(town))
    assert response.status_code == 200
    html = response.content.decode()
    rows = rows_of(html)
    assert set(rows) == {
        "住民票の写し交付手数料",
        "印鑑登録証明書交付手数料",
        "粗大ごみ処理手数料",
        "町民会館使用料",
    }
    juminhyo = rows["住民票の写し交付手数料"]
    assert "300円（1通）" in juminhyo
    # 現金 ○, キャッシュレス ○ (which ones), コンビニ納付 ×, 口座振替 ×
    assert re.findall(r"[○×] 利用でき(?:ます|ません)", juminhyo) == [
        "○ 利用できます",
        "○ 利用できます",
        "× 利用できません",
        "× 利用できません",
    ]
    assert "クレジットカード・QRコード決済・電子マネー" in juminhyo
    sodai = rows["粗大ごみ処理手数料"]
    assert re.findall(r"[○×] 利用でき(?:ます|ません)", sodai)[1] == "× 利用できません"
    assert "ほかに：処理券（事前購入）" in sodai
    assert "町外の方 2,000円" in rows["町民会館使用料"]
    assert "<h2" in html and "町民課" in html  # grouped by 課
    assert 'class="table-scroll"' in html
    assert "デモデータ" not in html


def test_a_city_is_worded_as_a_city_and_demo_items_are_marked(client: Client) -> None:
    city = MunicipalityFactory(slug="testcity", name="テスト市", kind="city")
    make_catalogue(city)
    FeeItem.objects.filter(municipality=city, key="kaikan").update(is_demo=True)
    html = client.get(fees_url(city)).content.decode()
    assert "市外の方 2,000円" in html and "町外の方" not in html
    assert "市役所の窓口" in html
    assert "この一覧にはデモ用に作った内容が含まれます" in html


def test_an_upcoming_rate_is_announced_and_an_item_without_a_rate_says_where_to_look(
    client: Client, town: Municipality
) -> None:
    start = timezone.localdate() + timedelta(days=7)
    FeeRate.objects.create(item=item(town, "juminhyo"), valid_from=start, amount_yen=350, unit="copy")
    FeeItem.objects.create(municipality=town, key="zei", name="町民税", kind="tax", methods=[Method.CASH])
    rows = rows_of(client.get(fees_url(town)).content.decode())
    assert (
        "300円（1通）" in rows["住民票の写し交付手数料"] and "350円（1通）" in rows["住民票の写し交付手数料"]
    )
    assert "通知書・納付書に書かれた金額" in rows["町民税"]


@pytest.mark.parametrize("slug", ["no-such-town", "a" * 80])
def test_an_unknown_municipality_is_not_found(client: Client, town: Municipality, slug: str) -> None:
    response = client.get(f"/m/{slug}/fees/")
    assert response.status_code == 404
    assert "その団体のページはありません" in response.content.decode()


def test_another_towns_items_are_not_shown(
    client: Client, town: Municipality, other_town: Municipality
) -> None:
    FeeItem.objects.filter(municipality=other_town, key="juminhyo").update(name="ほか市の住民票")
    assert "ほか市の住民票" not in client.get(fees_url(town)).content.decode()


def test_the_municipality_home_links_to_the_page(client: Client, town: Municipality) -> None:
    html = client.get(reverse("public:municipality", args=[town.slug])).content.decode()
    assert "手数料と支払方法" in html and fees_url(town) in html


# --- the demo catalogues --------------------------------------------------------------------------


def test_oe_gets_the_17_rows_of_its_plan_with_their_departments_and_marks(demo: None) -> None:
    result = demo_catalogue.load_catalogues()
    oe = Municipality.objects.get(slug="oe")
    spec = {s["key"]: s for s in demo_catalogue.catalogue_data()["towns"]["oe"]["items"]}
    rows: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for fee in FeeItem.objects.filter(municipality=oe).select_related("department"):
        assert fee.is_demo
        if "plan_row" not in spec[fee.key]:
            assert fee.key == "sodai-gomi"  # the one item that is no row of the plan (paid online)
            continue
        row = spec[fee.key]["plan_row"]
        # the mark as the plan printed it, and as the catalogue takes payments
        rows[row].add((fee.department.name if fee.department else "", "○" if fee.cashless else "×"))
        assert spec[fee.key]["plan_mark"] == OE_PLAN[row][1]
    assert {row: next(iter(v)) for row, v in rows.items()} == OE_PLAN
    assert all(len(v) == 1 for v in rows.values())
    assert sum(1 for _d, mark in OE_PLAN.values() if mark == "○") == 7  # the KPI's 現状値: 7項目
    taxes = FeeItem.objects.get(municipality=oe, key="choukenminzei")
    assert {Method.CASH, Method.CONVENIENCE} <= set(taxes.methods) and set(taxes.methods) & CASHLESS
    assert ("misato", "zeishomei", "税務課") in result.missing_departments


def test_every_demo_town_has_the_certificate_keys_and_loading_again_changes_nothing(demo: None) -> None:
    demo_catalogue.load_catalogues()
    for slug in ("oe", "misato", "katagami", "itako", "murakami"):
        town = Municipality.objects.get(slug=slug)
        keys = set(FeeItem.objects.filter(municipality=town).values_list("key", flat=True))
        assert {"juminhyo", "inkan", "koseki", "zeishomei"} <= keys, slug
        assert item(town, "juminhyo").rate_on(timezone.localdate()) is not None
    misato = Municipality.objects.get(slug="misato")
    assert {"sodai-gomi", "kominkan-washitsu"} <= set(
        FeeItem.objects.filter(municipality=misato).values_list("key", flat=True)
    )
    assert item(misato, "juminhyo").cashless and item(misato, "sodai-gomi").accepts(Method.TICKET)
    counts = (FeeItem.objects.count(), FeeRate.objects.count())
    again = demo_catalogue.load_catalogues()
    assert (FeeItem.objects.count(), FeeRate.objects.count()) == counts
    assert again.created == 0 and again.rates_added == 0
    assert "Fee catalogues: 5 towns" in demo_catalogue.load_demo_catalogue(sender=None)


def test_the_demo_page_of_oe_shows_its_table_as_data(client: Client, demo: None) -> None:
    demo_catalogue.load_catalogues({"oe"})
    html = client.get("/m/oe/fees/").content.decode()
    rows = rows_of(html)
    assert "デモデータ" in html and "この一覧にはデモ用に作った内容が含まれます" in html
    assert re.findall(r"[○×] 利用でき(?:ます|ません)", rows["水道使用料"])[:2] == [
        "○ 利用できます",
        "× 利用できません",
    ]
    assert re.findall(r"[○×] 利用でき(?:ます|ません)", rows["町県民税"]) == ["○ 利用できます"] * 4
    assert "町外の方 1,000円" in rows["中央公民館施設使用料"]
    for department in ("税務町民課", "農林課", "建設水道課", "教育文化課"):
        assert f">{department}</h2>" in html
        assert f"担当：{department}" in html  # with the 課's phone and place below its table
