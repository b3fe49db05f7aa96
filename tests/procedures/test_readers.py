"""Card-reader adapters: the registry, the simulated reader, manual entry and the back-office pages."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

import yakusho
from tests.factories import MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core.models import Role
from yakusho.procedures.counter.readers.base import CardReader, ReaderError, ResidentIdentity, Sex
from yakusho.procedures.counter.readers.manual import ManualEntry
from yakusho.procedures.counter.readers.registry import (
    AlreadyRegistered,
    NotRegistered,
    isolated_registry,
    registry,
)
from yakusho.procedures.counter.readers.service import check, read_identity, reader_states, set_enabled
from yakusho.procedures.counter.readers.simulated import SimulatedReader, qr_payload, sample_cards
from yakusho.procedures.models import ReaderSetting

GOOD = {
    "format": "yakusho-card/1",
    "name": "大江　花子",
    "name_kana": "おおえ はなこ",
    "address": "山形県西村山郡大江町大字左沢８８２ー１",
    "birth_date": "1985-04-01",
    "sex": "女",
}


def read_simulated(document: dict[str, Any] | str) -> ResidentIdentity:
    payload = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    return SimulatedReader().read({"payload": payload})


def problems_of(document: dict[str, Any] | str) -> dict[str, str]:
    with pytest.raises(ReaderError) as info:
        read_simulated(document)
    return {p.field: p.message for p in info.value.problems}


# --- registry -------------------------------------------------------------------------------


class _Dummy(CardReader):
    key = "dummy"
    label = _("試験用")

    def read(self, request_data: Any) -> ResidentIdentity:
        raise ReaderError("x")


def test_shipped_adapters_are_registered_at_start_up() -> None:
    assert [r.key for r in registry.all()][:2] == ["simulated", "manual"]
    assert registry.get("manual") is ManualEntry


def test_duplicate_key_is_refused_and_isolated_registry_is_restored() -> None:
    with isolated_registry() as reg:
        assert reg.all() == []
        reg.register(_Dummy)
        with pytest.raises(AlreadyRegistered):
            reg.register(type("Again", (_Dummy,), {}))
        assert reg.get("dummy") is _Dummy
    assert "dummy" not in registry
    assert "simulated" in registry
    with pytest.raises(NotRegistered):
        registry.get("dummy")


def test_keep_copies_and_bad_keys_are_refused() -> None:
    with isolated_registry(keep=True) as reg:
        assert "manual" in reg
        with pytest.raises(AlreadyRegistered):
            reg.register(ManualEntry)
        with pytest.raises(ValueError):
            reg.register(type("Bad", (_Dummy,), {"key": "Bad Key"}))


# --- the simulated reader ---------------------------------------------------------------------


def test_simulated_reader_reads_and_normalises() -> None:
    identity = read_simulated(GOOD)
    assert identity.name == "大江 花子"
    assert identity.name_kana == "オオエ ハナコ"
    assert identity.address == "山形県西村山郡大江町大字左沢882-1"  # full-width digits and ー normalised
    assert identity.birth_date == date(1985, 4, 1)
    assert identity.sex == Sex.FEMALE
    assert identity.source == "simulated"


def test_simulated_reader_accepts_wareki_japanese_keys_and_qr() -> None:
    document = {"氏名": "左沢 太郎", "住所": "大江町左沢1", "生年月日": "昭和60年4月1日", "性別": "男性"}
    identity = read_simulated(document)
    assert (identity.birth_date, identity.sex) == (date(1985, 4, 1), Sex.MALE)
    assert read_simulated(qr_payload({**GOOD, "birth_date": "H2.1.8"})).birth_date == date(1990, 1, 8)
    assert read_simulated(qr_payload(GOOD)).name == "大江 花子"


def test_missing_field_is_named() -> None:
    document = {k: v for k, v in GOOD.items() if k != "address"}
    assert problems_of(document) == {"address": "住所がありません。"}


def test_every_bad_field_is_reported_at_once() -> None:
    problems = problems_of({**GOOD, "birth_date": "令和99年13月1日", "sex": "X", "name": ""})
    assert set(problems) == {"name", "birth_date", "sex"}
    assert problems["birth_date"].startswith("生年月日：")
    assert "性別「X」" in problems["sex"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"birth_date": "昭和65年1月1日"}, "birth_date", "昭和"),  # outside the era
        ({"birth_date": "2099-01-01"}, "birth_date", "未来"),
        ({"sex": "不明"}, "sex", "男・女"),
        ({"name": 42}, "name", "氏名は文字列"),
        ({"name_kana": "Oe"}, "name_kana", "フリガナ"),
    ],
)
def test_bad_values(changes: dict[str, Any], field: str, words: str) -> None:
    problems = problems_of({**GOOD, **changes})
    assert words in problems[field]


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ("", "ありません"),
        ("{not json", "JSONとして読み取れません"),
        ("[1, 2]", "オブジェクト"),
        ("YKCARD1:@@@", "QRコード"),
        (json.dumps({**GOOD, "mynumber": "123456789012"}), "mynumber"),
        (json.dumps({**GOOD, "format": "other/2"}), "format"),
        (json.dumps({**GOOD, "氏名": "二重"}, ensure_ascii=False), "二重"),
    ],
)
def test_malformed_payloads(payload: str, words: str) -> None:
    with pytest.raises(ReaderError) as info:
        SimulatedReader().read({"payload": payload})
    assert words in str(info.value)


def test_oversized_payload_is_refused() -> None:
    with pytest.raises(ReaderError, match="大きすぎます"):
        SimulatedReader({"max_bytes": 300}).read({"payload": json.dumps({**GOOD, "name": "あ" * 200})})


# --- manual entry -----------------------------------------------------------------------------


def test_manual_entry() -> None:
    data = {"name": "大江 次郎", "address": "大江町左沢２", "birth_date": "R2.5.1", "sex": "male"}
    identity = ManualEntry().read(data)
    assert (identity.address, identity.birth_date, identity.sex) == (
        "大江町左沢2",
        date(2020, 5, 1),
        Sex.MALE,
    )
    assert identity.source == "manual"
    with pytest.raises(ReaderError) as info:
        ManualEntry({"require_kana": True}).read(data)
    assert [p.field for p in info.value.problems] == ["name_kana"]


# --- switches, check_config and the pages -----------------------------------------------------


@pytest.fixture
def world(db):
    town = MunicipalityFactory(slug="here", name="大江町")
    elsewhere = MunicipalityFactory(slug="elsewhere")
    users = {}
    for role in (Role.ADMIN, Role.COUNTER, Role.DEPARTMENT):
        users[str(role)] = MembershipFactory(municipality=town, role=role).user
    users["other"] = MembershipFactory(municipality=elsewhere, role=Role.ADMIN).user
    return town, elsewhere, users


def test_defaults_and_switch(world) -> None:
    town, elsewhere, _users = world
    states = {s.key: s.enabled for s in reader_states(town)}
    assert states["manual"] is True and states["simulated"] is False
    demo = MunicipalityFactory(slug="demo-town", is_demo=True)
    assert {s.key: s.enabled for s in reader_states(demo)}["simulated"] is True
    with pytest.raises(ReaderError, match="無効"):
        read_identity(town, "simulated", {"payload": json.dumps(GOOD)})
    set_enabled(town, "simulated", True)
    assert read_identity(town, "simulated", {"payload": json.dumps(GOOD)}).name == "大江 花子"
    # the switch is per municipality
    with pytest.raises(ReaderError, match="無効"):
        read_identity(elsewhere, "simulated", {"payload": json.dumps(GOOD)})
    with pytest.raises(ReaderError, match="ありません"):
        read_identity(town, "nope", {})


def test_check_config_and_broken_config_refuses_reading(world) -> None:
    town, _elsewhere, _users = world
    assert [p.level for p in check(town, "simulated")] == ["warning"]  # not a demo municipality
    ReaderSetting.objects.create(
        municipality=town, key="manual", enabled=True, config={"require_kana": "yes", "x": 1}
    )
    problems = check(town, "manual")
    assert [(p.key, p.is_error) for p in problems] == [("require_kana", True), ("x", True)]
    assert "不明な設定項目「x」" in problems[1].message
    with pytest.raises(ReaderError, match="設定に誤り"):
        read_identity(town, "manual", {"name": "a"})


def test_reading_outside_the_municipality_is_allowed_but_flagged(world, client: Client) -> None:
    town, _elsewhere, users = world
    login_verified(client, users["counter"])
    url = reverse("readers_staff:try", args=[town.slug, "manual"])
    data = {
        "name": "秋田 一郎",
        "address": "秋田県秋田市山王4-1-1",
        "birth_date": "1970-01-02",
        "sex": "male",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "秋田 一郎" in response.content.decode()
    assert "大江町の住所ではありません" in response.content.decode()
    response = client.post(url, {**data, "address": "山形県西村山郡大江町大字左沢882-1"})
    assert "住所ではありません" not in response.content.decode()


def test_enable_and_disable_only_by_administrators(world, client: Client) -> None:
    town, _elsewhere, users = world
    url = reverse("readers_staff:switch", args=[town.slug, "simulated"])
    for name in ("counter", "department", "other"):
        login_verified(client, users[name])
        assert client.post(url, {"enabled": "1"}).status_code == 403
    assert not ReaderSetting.objects.exists()
    login_verified(client, users["admin"])
    assert client.post(url, {"enabled": "1"}).status_code == 302
    assert ReaderSetting.objects.get(municipality=town, key="simulated").enabled is True
    assert client.post(url, {"enabled": "0"}).status_code == 302
    assert ReaderSetting.objects.get(municipality=town, key="simulated").enabled is False
    assert (
        client.post(reverse("readers_staff:switch", args=[town.slug, "nope"]), {"enabled": "1"}).status_code
        == 404
    )


def test_disabled_adapter_is_refused_on_the_page(world, client: Client) -> None:
    town, _elsewhere, users = world
    login_verified(client, users["counter"])
    url = reverse("readers_staff:try", args=[town.slug, "simulated"])
    response = client.post(url, {"payload": json.dumps(GOOD)})
    assert response.status_code == 409
    body = response.content.decode()
    assert "無効になっています" in body and "大江 花子" not in body
    list_body = client.get(reverse("readers_staff:list", args=[town.slug])).content.decode()
    assert url not in list_body  # no "try" link for a disabled adapter
    assert reverse("readers_staff:setting", args=[town.slug, "simulated"]) not in list_body  # not an admin


def test_simulated_reading_on_the_page(world, client: Client) -> None:
    town, _elsewhere, users = world
    set_enabled(town, "simulated", True)
    login_verified(client, users["admin"])
    url = reverse("readers_staff:try", args=[town.slug, "simulated"])
    response = client.post(url, {"payload": qr_payload({**GOOD, "birth_date": "昭和60年4月1日"})})
    body = response.content.decode()
    assert response.status_code == 200
    assert "大江 花子" in body and "昭和60年（1985年）4月1日" in body and "882-1" in body
    upload = SimpleUploadedFile("card.json", json.dumps({**GOOD, "sex": "?"}).encode(), "application/json")
    response = client.post(url, {"payload": "", "file": upload})
    assert response.status_code == 400
    assert "性別「?」を読み取れません" in response.content.decode()


def test_manual_errors_are_shown_on_their_fields(world, client: Client) -> None:
    town, _elsewhere, users = world
    login_verified(client, users["counter"])
    url = reverse("readers_staff:try", args=[town.slug, "manual"])
    response = client.post(
        url, {"name": "大江 花子", "address": "大江町", "birth_date": "令和2年2月30日", "sex": "female"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["birth_date"][0].startswith("生年月日：")


def test_check_config_problems_shown_and_config_saved(world, client: Client) -> None:
    town, _elsewhere, users = world
    login_verified(client, users["admin"])
    url = reverse("readers_staff:setting", args=[town.slug, "simulated"])
    body = client.get(url).content.decode()
    assert "模擬リーダーは実際のカードを読まず" in body
    response = client.post(url, {"config": '{"max_bytes": 10}'})
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert "max_bytes は256から65536の間にしてください。" in body
    assert "設定に誤りがあります" in body
    response = client.post(url, {"config": "{broken"})
    assert response.status_code == 200
    assert "JSONとして読み取れません" in response.content.decode()
    assert ReaderSetting.objects.get(municipality=town, key="simulated").config == {"max_bytes": 10}


def test_another_municipality_is_refused(world, client: Client) -> None:
    town, _elsewhere, users = world
    login_verified(client, users["other"])
    for name, args in (("list", []), ("setting", ["manual"]), ("try", ["manual"])):
        assert client.get(reverse(f"readers_staff:{name}", args=[town.slug, *args])).status_code == 403
    response = client.post(reverse("readers_staff:setting", args=[town.slug, "manual"]), {"config": "{}"})
    assert response.status_code == 403
    assert not ReaderSetting.objects.exists()


def test_list_query_count_does_not_grow(world, client: Client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    town, _elsewhere, users = world
    login_verified(client, users["admin"])
    url = reverse("readers_staff:list", args=[town.slug])
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    set_enabled(town, "simulated", True)
    set_enabled(town, "manual", False)
    with CaptureQueriesContext(connection) as after:
        response = client.get(url)
    assert len(after.captured_queries) == len(before.captured_queries)
    assert response.content.decode().count("有効にする") == 1


# --- sample cards (the simulated reader's list of invented residents) ---------------------------


@pytest.mark.parametrize("today", [date(2026, 1, 1), date(2026, 12, 31), date(2041, 6, 15)])
def test_sample_cards_are_invented_residents_for_every_age_rule(today: date) -> None:
    oe = MunicipalityFactory.build(slug="oe", name="大江町", prefecture="山形県")
    cards = {card.key: card for card in sample_cards(oe, today)}
    assert set(cards) == {"elderly", "family", "middle", "moving-in"}
    assert all(card.name.startswith("デモ ") for card in cards.values())  # marked as invented
    assert cards["elderly"].age(today) >= 75  # 後期高齢者医療, not 国民健康保険
    assert 40 <= cards["middle"].age(today) <= 64
    assert cards["family"].age(today) < 40 and "子ども：デモ 陽菜" in cards["family"].note
    assert cards["elderly"].address.startswith("山形県西村山郡大江町大字左沢")
    for key, card in cards.items():
        identity = read_simulated(card.document())  # the reader's own validation, as if pasted
        assert (identity.name, identity.birth_date, identity.sex) == (card.name, card.birth_date, card.sex)
        assert identity.lives_in(oe) is (key != "moving-in"), key
    elsewhere = MunicipalityFactory.build(slug="x-village", name="試験村", prefecture="高知県")
    addresses = {card.key: card.address for card in sample_cards(elsewhere, today)}
    assert addresses["family"].startswith("高知県試験村") and "試験村" not in addresses["moving-in"]


def test_choosing_a_sample_card_reads_it(world, client: Client) -> None:
    town, _elsewhere, users = world
    set_enabled(town, "simulated", True)
    login_verified(client, users["counter"])
    url = reverse("readers_staff:try", args=[town.slug, "simulated"])
    body = client.get(url).content.decode()
    assert "見本のカード（デモ）" in body and "デモ 和子" in body and "このカードを読み取る" in body
    assert "<details" in body  # the JSON / QR box is there, folded away
    response = client.post(url, {"source": "sample", "sample": "elderly"})
    assert response.status_code == 200
    assert response.context["identity"].name == "デモ 和子"
    assert "読み取った内容" in response.content.decode()
    # the button pressed says which is read
    both = {"sample": "elderly", "payload": json.dumps(GOOD)}
    response = client.post(url, {**both, "source": "sample"})
    assert response.context["identity"].name == "デモ 和子"
    response = client.post(url, {**both, "source": "payload"})
    assert response.context["identity"].name == "大江 花子"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"source": "sample"}, "sample", "読み取る見本のカードを選んでください"),
        ({"source": "sample", "sample": "mynumber"}, "sample", "一覧の中から選んでください"),
        ({"sample": "elderly", "payload": json.dumps(GOOD)}, "sample", "どちらか一方"),
        ({}, "payload", "見本のカードを選ぶか"),
        ({"source": "payload", "payload": json.dumps({**GOOD, "mynumber": "1"})}, "", "不明な項目"),
    ],
)
def test_a_bad_choice_is_named_and_nothing_is_read(
    world, client: Client, data: dict[str, str], field: str, words: str
) -> None:
    town, _elsewhere, users = world
    set_enabled(town, "simulated", True)
    login_verified(client, users["counter"])
    response = client.post(reverse("readers_staff:try", args=[town.slug, "simulated"]), data)
    assert response.status_code == 400
    assert response.context["identity"] is None
    if field:
        assert words in response.context["form"].errors[field][0]
        assert "見本のカード（デモ）：" in response.content.decode() or field == "payload"
    else:
        assert any(words in message for message in response.context["reader_errors"])


def test_the_counter_reads_a_sample_card_and_so_knows_the_age(world, client: Client) -> None:
    from yakusho.procedures.counter import ages
    from yakusho.procedures.counter import services as counter

    town, _elsewhere, users = world
    set_enabled(town, "simulated", True)
    visit = counter.start_visit(town, users["counter"])
    login_verified(client, users["counter"])
    url = reverse("counter:identify", args=[town.slug, visit.code])
    body = client.get(url, {"reader": "simulated"}).content.decode()
    assert "デモ 和子" in body and "このカードを読み取る" in body
    response = client.post(url, {"reader": "simulated", "source": "sample", "sample": "elderly"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.identity["name"], visit.identity["source"]) == ("デモ 和子", "simulated")
    assert (ages.visitor_age(visit) or 0) >= 75 and not visit.address_flagged
    client.post(url, {"reader": "simulated", "source": "sample", "sample": "moving-in"})
    visit.refresh_from_db()
    assert visit.identity["name"] == "デモ 美咲" and visit.address_flagged


def test_the_card_badge_needs_no_emoji_font() -> None:
    css = (Path(yakusho.__file__).parent / "static" / "yakusho" / "site.css").read_text("utf-8")
    assert [c for c in css if ord(c) >= 0x1F000] == []  # no emoji anywhere in the style sheet
    rule = re.search(r"\.counter-source-card::before \{([^}]*)\}", css)
    assert rule is not None and 'content: ""' in rule.group(1) and "border" in rule.group(1)
