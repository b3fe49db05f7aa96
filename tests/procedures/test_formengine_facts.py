"""Facts in form definitions (ワンスオンリー): where a fact may be, compatible kinds, the facts a
resident block implies, and carrying answers from one form into another."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from yakusho.procedures.formengine import DefinitionError, identity_facts, load_definition

TODAY = date(2026, 4, 1)


def definition(*fields: dict[str, Any], key: str = "test-form") -> dict[str, Any]:
    return {
        "key": key,
        "version": 1,
        "title": "テスト申請",
        "privacy_notice": "個人情報は申請の処理にだけ使います。",
        "pages": [{"key": "main", "title": "入力", "fields": list(fields)}],
    }


def refused(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as info:
        load_definition(data)
    return info.value.errors


def test_fact_is_parsed_on_scalar_fields() -> None:
    form = load_definition(
        definition(
            {"key": "phone", "type": "phone", "label": "電話番号", "fact": "contact.phone"},
            {"key": "note", "type": "text", "label": "備考"},
        )
    )
    phone, note = form.pages[0].fields
    assert phone.fact == "contact.phone"
    assert note.fact is None
    facts = form.fact_fields()
    assert list(facts) == ["contact.phone"]
    (holder,) = facts["contact.phone"]
    assert (holder.key, holder.item, holder.kind, holder.names, holder.page) == (
        "phone",
        None,
        "phone",
        ("phone",),
        0,
    )


@pytest.mark.parametrize("slug", ["Phone", "1phone", "contact-phone", "a" * 61, "", "電話"])
def test_fact_slug_pattern_is_enforced(slug: str) -> None:
    errors = refused(definition({"key": "phone", "type": "phone", "label": "電話番号", "fact": slug}))
    assert errors[0][0] == "$.pages[0].fields[0].fact"


def test_file_group_and_fields_in_a_group_may_not_carry_a_fact() -> None:
    errors = refused(
        definition(
            {"key": "scan", "type": "file", "label": "写し", "accept": ["pdf"], "fact": "id.scan"},
            {
                "key": "children",
                "type": "group",
                "label": "お子さん",
                "fact": "children",
                "fields": [{"key": "birth", "type": "date", "label": "生年月日", "fact": "child.birth"}],
            },
        )
    )
    paths = dict(errors)
    assert paths["$.pages[0].fields[0].fact"] == "ファイルの項目には fact を付けられません。"
    assert "繰り返し項目には fact を付けられません" in paths["$.pages[0].fields[1].fact"]
    assert (
        "繰り返し項目「お子さん」の中の項目には fact を付けられません"
        in (paths["$.pages[0].fields[1].fields[0].fact"])
    )


def test_same_fact_twice_needs_the_same_kind() -> None:
    errors = refused(
        definition(
            {"key": "phone", "type": "phone", "label": "電話番号", "fact": "contact.phone"},
            {"key": "phone2", "type": "text", "label": "連絡先", "fact": "contact.phone"},
        )
    )
    assert len(errors) == 1
    path, message = errors[0]
    assert path == "$.pages[0].fields[1].fact"
    assert "fact「contact.phone」は $.pages[0].fields[0] でも使われています" in message
    assert "項目の種類が合いません（文字 と 電話番号）" in message


def test_text_and_textarea_share_a_fact_select_and_radio_need_the_same_options() -> None:
    form = load_definition(
        definition(
            {"key": "a", "type": "text", "label": "A", "fact": "x.note"},
            {"key": "b", "type": "textarea", "label": "B", "fact": "x.note"},
            {
                "key": "c",
                "type": "select",
                "label": "C",
                "fact": "x.kind",
                "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
            },
            {
                "key": "d",
                "type": "radio",
                "label": "D",
                "fact": "x.kind",
                "options": [{"value": "b", "label": "B"}, {"value": "a", "label": "A"}],
            },
        )
    )
    assert [h.key for h in form.fact_fields()["x.note"]] == ["a", "b"]
    errors = refused(
        definition(
            {
                "key": "c",
                "type": "select",
                "label": "C",
                "fact": "x.kind",
                "options": [{"value": "a", "label": "A"}],
            },
            {
                "key": "d",
                "type": "radio",
                "label": "D",
                "fact": "x.kind",
                "options": [{"value": "z", "label": "Z"}],
            },
        )
    )
    assert errors[0][0] == "$.pages[0].fields[1].fact"
    assert "選択肢の値が違います（z と a）" in errors[0][1]


def test_numbers_sharing_a_fact_need_the_same_decimals() -> None:
    errors = refused(
        definition(
            {"key": "a", "type": "number", "label": "A", "fact": "x.n"},
            {"key": "b", "type": "number", "label": "B", "fact": "x.n", "decimals": 1},
        )
    )
    assert "小数点以下の桁数が違います（1 と 0）" in errors[0][1]


def test_resident_block_implies_four_facts_and_checks_them_against_other_fields() -> None:
    form = load_definition(
        definition(
            {"key": "applicant", "type": "resident", "label": "申請者"},
            {"key": "again", "type": "address", "label": "住所（再掲）", "fact": "resident.address"},
        )
    )
    facts = form.fact_fields()
    assert list(facts) == ["resident.name", "resident.address", "resident.birth_date", "resident.sex"]
    name = facts["resident.name"][0]
    assert name.item == "name" and name.kind == "name"
    assert name.names == (
        "applicant-family_name",
        "applicant-given_name",
        "applicant-family_kana",
        "applicant-given_kana",
    )
    assert [h.key for h in facts["resident.address"]] == ["applicant", "again"]
    assert facts["resident.birth_date"][0].names == ("applicant-birth_date",)

    errors = refused(
        definition(
            {"key": "applicant", "type": "resident", "label": "申請者", "parts": ["name", "birth_date"]},
            {"key": "born", "type": "text", "label": "生年月日", "fact": "resident.birth_date"},
        )
    )
    assert errors[0][0] == "$.pages[0].fields[1].fact"
    assert "項目の種類が合いません（文字 と 日付）" in errors[0][1]


def test_resident_block_fact_is_the_prefix_of_its_parts() -> None:
    form = load_definition(
        definition(
            {"key": "applicant", "type": "resident", "label": "申請者", "parts": ["name"]},
            {
                "key": "head",
                "type": "resident",
                "label": "世帯主",
                "fact": "household.head",
                "parts": ["name", "sex"],
            },
        )
    )
    assert list(form.fact_fields()) == ["resident.name", "household.head.name", "household.head.sex"]


MOVING_IN = definition(
    {"key": "applicant", "type": "resident", "label": "届出人"},
    {"key": "moved_on", "type": "date", "label": "転入日", "fact": "moving.date"},
    {
        "key": "previous",
        "type": "address",
        "label": "前住所",
        "fact": "moving.previous_address",
        "postal_code": False,
    },
    {"key": "phone", "type": "phone", "label": "電話番号", "fact": "contact.phone"},
    {
        "key": "reason",
        "type": "radio",
        "label": "理由",
        "options": [{"value": "job", "label": "仕事"}, {"value": "other", "label": "その他"}],
    },
    {
        "key": "other",
        "type": "text",
        "label": "その他の理由",
        "fact": "moving.reason_text",
        "visible_when": "reason == 'other'",
    },
    key="tennyu",
)
INSURANCE = definition(
    {"key": "insured", "type": "name", "label": "加入する人", "fact": "resident.name", "kana": False},
    {"key": "since", "type": "date", "label": "加入日（転入日）", "fact": "moving.date"},
    {"key": "before", "type": "address", "label": "前住所", "fact": "moving.previous_address"},
    {"key": "tel", "type": "phone", "label": "連絡先", "fact": "contact.phone"},
    {"key": "other", "type": "text", "label": "その他の理由", "fact": "moving.reason_text"},
    key="kokuho",
)


def test_answers_given_once_fill_another_form() -> None:
    tennyu = load_definition(MOVING_IN)
    kokuho = load_definition(INSURANCE)
    result = tennyu.validate(
        {
            "applicant-family_name": "大江",
            "applicant-given_name": "花子",
            "applicant-family_kana": "おおえ",
            "applicant-given_kana": "はなこ",
            "applicant-postal_code": "990-1101",
            "applicant-address": "山形県西村山郡大江町大字左沢882-1",
            "applicant-building": "",
            "applicant-birth_date": "昭和60年5月1日",
            "applicant-sex": "female",
            "moved_on": "令和8年3月28日",
            "previous": "東京都千代田区霞が関1-2-3",
            "previous-address": "東京都千代田区霞が関1-2-3",
            "phone": "090-1234-5678",
            "reason": "job",
            "other": "",
        },
        today=TODAY,
    )
    assert not result.ok  # "previous" is no input name of this form: tampering is refused
    raw = {
        "applicant-family_name": "大江",
        "applicant-given_name": "花子",
        "applicant-family_kana": "おおえ",
        "applicant-given_kana": "はなこ",
        "applicant-postal_code": "990-1101",
        "applicant-address": "山形県西村山郡大江町大字左沢882-1",
        "applicant-birth_date": "昭和60年5月1日",
        "applicant-sex": "female",
        "moved_on": "令和8年3月28日",
        "previous-address": "東京都千代田区霞が関1-2-3",
        "phone": "090-1234-5678",
        "reason": "job",
        "other": "見えない答え",
    }
    result = tennyu.validate(raw, today=TODAY)
    assert result.ok, result.errors
    facts = tennyu.fact_values(result.cleaned, today=TODAY)
    assert facts["moving.date"] == "2026-03-28"
    assert facts["contact.phone"] == "090-1234-5678"
    assert facts["resident.name"]["family_kana"] == "オオエ"
    assert facts["resident.sex"] == "female"
    assert facts["moving.previous_address"] == {"address": "東京都千代田区霞が関1-2-3", "building": None}
    assert "moving.reason_text" not in facts  # hidden: never carried over

    filled = kokuho.fact_input(facts)
    assert filled == {
        "insured-family_name": ["大江"],
        "insured-given_name": ["花子"],
        "since": ["2026-03-28"],
        "before-address": ["東京都千代田区霞が関1-2-3"],
        "tel": ["090-1234-5678"],
    }
    again = kokuho.validate(filled, today=TODAY)
    assert set(again.errors) == {"before-postal_code"}  # this form asks more than the first did
    again = kokuho.validate({**filled, "before-postal_code": "100-0013"}, today=TODAY)
    assert again.ok, again.errors
    assert again.cleaned["since"] == "2026-03-28"
    assert again.cleaned["insured"] == {"family_name": "大江", "given_name": "花子"}


def test_a_value_the_other_form_refuses_comes_back_as_an_error() -> None:
    form = load_definition(
        definition(
            {
                "key": "kind",
                "type": "radio",
                "label": "種別",
                "fact": "x.kind",
                "options": [{"value": "a", "label": "A"}],
            }
        )
    )
    raw = form.fact_input({"x.kind": "zzz", "unknown.fact": "1"})
    assert raw == {"kind": ["zzz"]}
    assert not form.validate(raw, today=TODAY).ok


def test_card_identity_becomes_resident_facts() -> None:
    facts = identity_facts(
        {
            "name": "大江　花子",
            "name_kana": "オオエ ハナコ",
            "address": "山形県西村山郡大江町大字左沢882-1",
            "birth_date": "1985-05-01",
            "sex": "female",
        }
    )
    assert facts["resident.name"] == {
        "family_name": "大江",
        "given_name": "花子",
        "family_kana": "オオエ",
        "given_kana": "ハナコ",
    }
    form = load_definition(MOVING_IN)
    raw = form.fact_input(facts)
    assert raw["applicant-address"] == ["山形県西村山郡大江町大字左沢882-1"]
    assert "applicant-postal_code" not in raw
    assert raw["applicant-birth_date"] == ["1985-05-01"]
    result = form.validate(raw, page=0, today=TODAY)
    assert set(result.errors) == {"applicant-postal_code"}  # not on the card: left for staff to ask
    assert result.cleaned["applicant"]["family_name"] == "大江"
