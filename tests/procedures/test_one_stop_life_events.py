"""One-stop at the counter by life event (issue 19): the choices follow the visitor's age (75 and
over: 後期高齢者医療, not 国民健康保険), a death proposes the town's おくやみ procedures, and a life
event reads in the municipality's words (「引越し（町内）」 in a 町, 「死亡・おくやみ」).

On the demo's 大江町 (a 町) and 潟上市 (a 市), with the demo procedures and one-stop rules loaded."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core.models import Municipality, Role
from yakusho.procedures.catalogue.life_events import area_word, life_event_label, life_event_title
from yakusho.procedures.counter import ages
from yakusho.procedures.counter import services as counter
from yakusho.procedures.counter.services import CounterError
from yakusho.procedures.demo.one_stop import load_one_stop
from yakusho.procedures.demo.procedures import load_demo_procedures
from yakusho.procedures.models import Procedure
from yakusho.procedures.models.counter import CounterVisit, OneStopRule

OKUYAMI = [
    "kokuho-soushitsu",
    "kokuho-sousaihi",
    "kouki-koureisha-soushitsu",
    "kouki-sousaihi",
    "kaigo-soushitsu",
    "setainushi-henkou",
    "jidou-teate-mishiharai",
]


def card(birth: str) -> dict[str, str]:
    return {
        "name": "デモ 和子",
        "name_kana": "デモ カズコ",
        "address": "宮城県仙台市青葉区中央1-2-3",
        "birth_date": birth,
        "sex": "女",
    }


@pytest.fixture
def oe(demo) -> Municipality:
    load_demo_procedures(None)
    result = load_one_stop()
    assert result.missing == []
    return Municipality.objects.get(slug="oe")


@pytest.fixture
def counter_client(oe: Municipality, client: Client) -> Client:
    login_verified(client, MembershipFactory(municipality=oe, role=Role.COUNTER).user)
    return client


def visit_of(town: Municipality, birth: str | None) -> CounterVisit:
    visit = counter.start_visit(town, None)
    if birth is not None:
        counter.identify(visit, "manual", card(birth))
    return visit


def proposed_keys(town: Municipality, event: str, visit: CounterVisit) -> list[str]:
    return [p.key for p in counter.proposals(town, event, age=ages.visitor_age(visit))]


def procedures_page(client: Client, town: Municipality, visit: CounterVisit, event: str) -> str:
    url = reverse("counter:procedures", args=[town.slug, visit.code])
    response = client.get(f"{url}?event={event}")
    assert response.status_code == 200
    return response.content.decode()


def checkbox(page: str, procedure: Procedure) -> str:
    """The <input> of a procedure's row on the procedures page."""
    start = page.index(f'id="proc-{procedure.pk}"')
    return page[page.rindex("<input", 0, start) : page.index(">", start) + 1]


# --- ages -------------------------------------------------------------------------------------------


def test_age_counts_from_the_birthday_itself() -> None:
    assert ages.age_on(date(1951, 6, 1), date(2026, 6, 1)) == 75  # 後期高齢者医療 from this day
    assert ages.age_on(date(1951, 6, 1), date(2026, 5, 31)) == 74
    assert ages.age_on(date(1952, 2, 29), date(2027, 2, 28)) == 74
    assert ages.age_on(date(1952, 2, 29), date(2027, 3, 1)) == 75
    assert ages.range_text(75, None) == "75歳以上"
    assert ages.range_text(None, 74) == "74歳以下"
    assert ages.range_text(40, 64) == "40〜64歳"
    assert ages.range_text(None, None) == ""


# --- the 75 rule at 転入 ------------------------------------------------------------------------------


def test_a_visitor_born_1948_is_proposed_kouki_koureisha_iryou_not_kokuho(oe, counter_client) -> None:
    visit = visit_of(oe, "昭和23年5月10日")
    keys = proposed_keys(oe, "moving-in", visit)
    assert "kouki-koureisha-tennyuu" in keys
    assert "kokuho-kanyu" not in keys
    assert keys[0] == "tennyu-todoke" and "youkaigo-tennyuu" in keys
    page = procedures_page(counter_client, oe, visit, "moving-in")
    kouki = Procedure.objects.get(municipality=oe, key="kouki-koureisha-tennyuu")
    assert "後期高齢者医療の資格取得届（転入）" in page and "国民健康保険の加入届" not in page
    assert " checked" in checkbox(page, kouki)
    assert "対象：75歳以上" in page
    assert f"来庁者は{ages.visitor_age(visit)}歳です" in page


def test_a_visitor_born_1985_is_proposed_kokuho_not_kouki_koureisha_iryou(oe, counter_client) -> None:
    visit = visit_of(oe, "1985-04-01")
    keys = proposed_keys(oe, "moving-in", visit)
    assert "kokuho-kanyu" in keys
    assert "kouki-koureisha-tennyuu" not in keys
    assert "youkaigo-tennyuu" in keys  # 介護保険 from 40
    assert "kouki-koureisha-tennyuu" not in proposed_keys(oe, "moving-in", visit_of(oe, "2000-04-01"))
    assert "youkaigo-tennyuu" not in proposed_keys(oe, "moving-in", visit_of(oe, "2000-04-01"))
    page = procedures_page(counter_client, oe, visit, "moving-in")
    assert "国民健康保険の加入届" in page and "後期高齢者医療の資格取得届" not in page
    assert "対象：74歳以下" in page


def test_the_same_rule_at_misato(oe) -> None:
    misato = Municipality.objects.get(slug="misato")
    assert "kouki-koureisha-tennyuu" in proposed_keys(misato, "moving-in", visit_of(misato, "1940-01-15"))
    assert "kokuho-kanyu" not in proposed_keys(misato, "moving-in", visit_of(misato, "1940-01-15"))
    assert "kokuho-kanyu" in proposed_keys(misato, "moving-in", visit_of(misato, "1990-01-15"))


def test_without_a_birth_date_both_are_proposed_with_their_ages_and_neither_is_checked(
    oe, counter_client
) -> None:
    visit = visit_of(oe, None)
    proposed = counter.proposals(oe, "moving-in", age=ages.visitor_age(visit))
    by_key = {p.key: p.age_range for p in proposed}  # type: ignore[attr-defined]
    assert by_key["kokuho-kanyu"] == "74歳以下"
    assert by_key["kouki-koureisha-tennyuu"] == "75歳以上"
    assert by_key["tennyu-todoke"] == ""
    page = procedures_page(counter_client, oe, visit, "moving-in")
    assert "生年月日がまだわからないため" in page
    assert "対象：74歳以下" in page and "対象：75歳以上" in page
    for key in ("kokuho-kanyu", "kouki-koureisha-tennyuu"):
        assert " checked" not in checkbox(page, Procedure.objects.get(municipality=oe, key=key))
    tennyu = Procedure.objects.get(municipality=oe, key="tennyu-todoke")
    assert " checked" in checkbox(page, tennyu)


# --- おくやみ ---------------------------------------------------------------------------------------------


def test_a_death_proposes_the_towns_bereavement_procedures(oe, counter_client) -> None:
    visit = visit_of(oe, "1960-08-20")
    assert proposed_keys(oe, "death", visit) == OKUYAMI  # the ages are the deceased's: no age rule
    assert proposed_keys(oe, "death", visit_of(oe, "1935-08-20")) == OKUYAMI
    with_form = {p.key for p in counter.proposals(oe, "death") if p.has_form}  # type: ignore[attr-defined]
    assert with_form == set(OKUYAMI) - {"jidou-teate-mishiharai"}
    page = procedures_page(counter_client, oe, visit, "death")
    assert "死亡・おくやみ（家族が亡くなったときの手続）" in page
    assert "おくやみの手続は亡くなった方によって変わります" in page
    assert "世帯主変更届" in page and "後期高齢者医療の葬祭費の支給申請" in page
    assert "未支払の児童手当等の請求 <span" in page and "申請フォームがないため" in page
    # 死亡届 is filed before (often by the funeral company): not proposed
    assert "死亡届" not in page.replace("資格喪失届（死亡）", "")


def test_the_deceased_is_entered_once_for_every_bereavement_form(oe, counter_client) -> None:
    visit = visit_of(oe, "1960-08-20")
    keys = ["kokuho-soushitsu", "kokuho-sousaihi", "setainushi-henkou"]
    ids = {p.key: p.pk for p in Procedure.objects.filter(municipality=oe, key__in=keys)}
    items = counter.set_procedures(visit, [ids[k] for k in keys], life_event="death")
    first = items[0]
    raw = dict(counter.item_input(visit, first).raw)
    assert raw["applicant-family_name"] == ["デモ"]  # the visitor, from the card
    assert "deceased-family_name" not in raw  # the deceased is not the card's holder
    raw.update(
        {
            "deceased-family_name": ["デモ"],
            "deceased-given_name": ["一郎"],
            "deceased-family_kana": ["デモ"],
            "deceased-given_kana": ["イチロウ"],
            "deceased-birth_date": ["昭和10年1月2日"],
            "deceased-postal_code": ["990-1101"],
            "deceased-address": ["山形県西村山郡大江町大字左沢1-1"],
            "died_on": ["令和8年4月1日"],
            "card_return": ["returned"],
            "relation": ["spouse"],
            "applicant-postal_code": ["990-1101"],
            "phone": ["090-0000-1234"],
            "confirm": ["on"],
        }
    )
    assert counter.save_item(visit, first, raw).ok
    visit.refresh_from_db()
    sousaihi = counter.item_input(visit, items[1]).raw
    assert sousaihi["deceased-given_name"] == ["一郎"] and sousaihi["died_on"] == ["2026-04-01"]
    assert sousaihi["relation"] == ["spouse"]
    setai = counter.item_input(visit, items[2]).raw
    assert setai["previous_head-given_name"] == ["一郎"]
    page = counter_client.get(reverse("counter:visit", args=[oe.slug, visit.code])).content.decode()
    assert "死亡・おくやみ" in page


# --- the staff page of the rules -----------------------------------------------------------------------


@pytest.fixture
def admin_client(oe: Municipality, client: Client) -> Client:
    login_verified(client, MembershipFactory(municipality=oe, role=Role.ADMIN).user)
    return client


def test_administrators_set_an_age_range_per_rule(oe, admin_client) -> None:
    edit = reverse("counter:one_stop_edit", args=[oe.slug, "moving-in"])
    rules = {r.procedure.key: r for r in OneStopRule.objects.filter(municipality=oe, life_event="moving-in")}
    page = admin_client.get(edit).content.decode()
    kouki = rules["kouki-koureisha-tennyuu"].procedure
    assert f'name="min_age_{kouki.pk}" id="id_min_age_{kouki.pk}" value="75"' in page
    assert "ワンストップの設定：転入" in page
    posted: dict[str, Any] = {}
    for rule in rules.values():
        posted[f"use_{rule.procedure_id}"] = "on"
        posted[f"order_{rule.procedure_id}"] = str(rule.order)
        posted[f"min_age_{rule.procedure_id}"] = "" if rule.min_age is None else str(rule.min_age)
        posted[f"max_age_{rule.procedure_id}"] = "" if rule.max_age is None else str(rule.max_age)
    kokuho = rules["kokuho-kanyu"].procedure_id
    before = list(
        OneStopRule.objects.filter(municipality=oe).values_list("pk", "min_age", "max_age", "order")
    )

    response = admin_client.post(edit, {**posted, f"min_age_{kokuho}": "80", f"max_age_{kokuho}": "74"})
    assert response.status_code == 400
    assert (
        "「国民健康保険の加入届」の対象の年齢は「以上」（80歳）を「以下」（74歳）より小さくしてください。"
        in response.content.decode()
    )
    response = admin_client.post(edit, {**posted, f"max_age_{kokuho}": "131"})
    assert response.status_code == 400
    assert "「国民健康保険の加入届」の対象の年齢（以下）は0〜130の整数（歳）で入力してください。" in (
        response.content.decode()
    )
    response = admin_client.post(edit, {**posted, f"min_age_{kokuho}": "-1"})
    assert response.status_code == 400
    assert "「国民健康保険の加入届」の対象の年齢（以上）は0〜130の整数" in response.content.decode()
    after = list(OneStopRule.objects.filter(municipality=oe).values_list("pk", "min_age", "max_age", "order"))
    assert after == before  # nothing saved

    response = admin_client.post(edit, {**posted, f"min_age_{kokuho}": "１８", f"max_age_{kokuho}": "74"})
    assert response.status_code == 302
    rule = OneStopRule.objects.get(municipality=oe, life_event="moving-in", procedure_id=kokuho)
    assert (rule.min_age, rule.max_age) == (18, 74)
    listing = admin_client.get(reverse("counter:one_stop", args=[oe.slug])).content.decode()
    assert "国民健康保険の加入届（18〜74歳）" in listing
    assert "後期高齢者医療の資格取得届（転入）（75歳以上）" in listing
    assert "死亡・おくやみ" in listing


def test_the_edit_page_keeps_the_rules_without_a_form(oe, admin_client) -> None:
    """未支払の児童手当 (no counter form) is shown and stays a rule when the page is saved."""
    edit = reverse("counter:one_stop_edit", args=[oe.slug, "death"])
    page = admin_client.get(edit).content.decode()
    assert "年齢は窓口に来た方（届出人）の年齢です" in page
    assert "申請フォームなし" in page
    posted = {
        f"use_{r.procedure_id}": "on" for r in OneStopRule.objects.filter(municipality=oe, life_event="death")
    }
    assert admin_client.post(edit, posted).status_code == 302
    assert sorted(
        OneStopRule.objects.filter(municipality=oe, life_event="death").values_list(
            "procedure__key", flat=True
        )
    ) == sorted(OKUYAMI)


def test_save_one_stop_refuses_a_bad_range_and_saves_nothing(oe) -> None:
    kokuho = Procedure.objects.get(municipality=oe, key="kokuho-kanyu")
    before = list(OneStopRule.objects.filter(municipality=oe).values_list("pk", "min_age", "max_age"))
    with pytest.raises(CounterError, match="「国民健康保険の加入届」の対象の年齢は「以上」"):
        counter.save_one_stop(oe, "moving-in", [(kokuho.pk, 0, 80, 74)])
    with pytest.raises(CounterError, match="0〜130歳"):
        counter.save_one_stop(oe, "moving-in", [(kokuho.pk, 0, None, 200)])
    assert list(OneStopRule.objects.filter(municipality=oe).values_list("pk", "min_age", "max_age")) == before


# --- the municipality's words --------------------------------------------------------------------------


def test_a_town_reads_chounai_and_a_city_shinai(oe, client: Client) -> None:
    katagami = Municipality.objects.get(slug="katagami")
    assert (oe.kind, katagami.kind) == ("town", "city")
    page = client.get(reverse("procedures:life_event", args=[oe.slug, "moving-within"])).content.decode()
    assert "<h1>引越し（町内）：町内で引っ越すときの手続</h1>" in page
    assert "市内" not in page
    page = client.get(
        reverse("procedures:life_event", args=[katagami.slug, "moving-within"])
    ).content.decode()
    assert "<h1>引越し（市内）：市内で引っ越すときの手続</h1>" in page
    assert "町内" not in page
    catalogue = client.get(reverse("procedures:catalogue", args=[oe.slug])).content.decode()
    assert '<option value="moving-within">引越し（町内）</option>' in catalogue
    assert ">死亡・おくやみ</a>" in catalogue
    detail = client.get(reverse("procedures:detail", args=[oe.slug, "suido-kaishi"])).content.decode()
    assert ">引越し（町内）</a>" in detail
    death = client.get(reverse("procedures:life_event", args=[oe.slug, "death"])).content.decode()
    assert "<h1>死亡・おくやみ：家族が亡くなったときの手続</h1>" in death
    assert "国民健康保険の葬祭費の支給申請" in death


def test_village_and_ward_words(db) -> None:
    village = MunicipalityFactory(slug="mura", name="試験村", kind="village")
    ward = MunicipalityFactory(slug="ku", name="試験区", kind="city")
    assert life_event_label("moving-within", village) == "引越し（村内）"
    assert life_event_title("moving-within", village) == "村内で引っ越すときの手続"
    assert life_event_label("moving-within", ward) == "引越し（区内）"
    assert area_word(ward) == "区内" and area_word(village) == "村内"
    assert life_event_label("death", village) == "死亡・おくやみ"
    assert life_event_label("moving-in", village) == "転入"
    assert life_event_label("no-such-event", village) == "no-such-event"


def test_staff_pages_use_the_towns_words(oe, counter_client, admin_client) -> None:
    visit = visit_of(oe, "1960-08-20")
    page = procedures_page(counter_client, oe, visit, "moving-within")
    assert "引越し（町内）（町内で引っ越すときの手続）" in page
    suido = Procedure.objects.get(municipality=oe, key="suido-kaishi")
    detail = admin_client.get(reverse("procedures_staff:detail", args=[oe.slug, suido.pk])).content.decode()
    assert "引越し（町内）" in detail and "引越し（市内）" not in detail
