"""The form engine: definitions (checked and refused), every field type, normalisation, rules,
tampered posts, disguised uploads, fees, visibility, summaries and the demo forms."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from hypothesis import given
from hypothesis import strategies as st

from yakusho.core import normalize as norm
from yakusho.procedures.formengine import (
    FORM_ERRORS,
    DefinitionError,
    FeeError,
    FormDefinition,
    Result,
    check_successor,
    load_definition,
)
from yakusho.procedures.formengine.dates import parse_bound
from yakusho.procedures.formengine.definition import composite_parts
from yakusho.procedures.formengine.expressions import ExpressionError, evaluate, parse
from yakusho.procedures.formengine.schema import (
    CheckboxField,
    DateField,
    FileField,
    GroupField,
    NumberField,
    RadioField,
    ScalarField,
    SelectField,
    TextareaField,
    TextField,
    json_schema,
)

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "data" / "forms"
SCHEMA = ROOT / "docs" / "form-definition.schema.json"
MUNICIPALITIES = ROOT / "src" / "yakusho" / "core" / "demo" / "municipalities.yaml"
TODAY = date(2026, 4, 1)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00" + b"\x00" * 64
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
SAMPLES = {"pdf": (PDF, "scan.pdf"), "png": (PNG, "photo.png"), "jpeg": (JPEG, "photo.jpg")}


def definition(*fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "key": "test-form",
        "version": 1,
        "title": "テスト申請",
        "privacy_notice": "個人情報は申請の処理にだけ使います。",
        "pages": [{"key": "main", "title": "入力", "fields": list(fields)}],
        **extra,
    }


def one(field: dict[str, Any]) -> FormDefinition:
    return load_definition(definition(field))


def check(form: FormDefinition, raw: Any, files: Any = None, page: int | None = None) -> Result:
    return form.validate(raw, files, page, today=TODAY)


def refused(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as info:
        load_definition(data)
    return info.value.errors


# --- definitions --------------------------------------------------------------------------------


def test_loads_from_json_text_with_version_and_pages() -> None:
    form = load_definition(json.dumps(definition({"key": "a", "type": "text", "label": "A"})))
    assert (form.key, form.version, form.title) == ("test-form", 1, "テスト申請")
    assert form.privacy_notice.startswith("個人情報")
    assert [p.title for p in form.pages] == ["入力"]
    assert list(form.fields) == ["a"]
    assert form.pages[0].fields[0].label == "A"


def test_committed_json_schema_is_current() -> None:
    assert json.loads(SCHEMA.read_text("utf-8")) == json_schema(), (
        "docs/form-definition.schema.json is stale: call "
        "yakusho.procedures.formengine.schema.write_json_schema() and commit it"
    )


def test_schema_refuses_unknown_keys_and_names_field_types() -> None:
    schema = json_schema()
    assert schema["additionalProperties"] is False
    assert "ResidentField" in schema["$defs"]  # type: ignore[operator]
    errors = refused(definition({"key": "a", "type": "text", "label": "A", "colour": "red"}))
    assert errors == [("$.pages[0].fields[0].colour", "不明な項目です")]


def test_refuses_unknown_field_type_with_path() -> None:
    errors = refused(definition({"key": "a", "type": "text", "label": "A"}, {"key": "b", "type": "slider"}))
    assert errors[0][0] == "$.pages[0].fields[1].type"
    assert "「slider」は使えません" in errors[0][1]


def test_refuses_missing_required_keys_and_bad_values() -> None:
    data = definition({"key": "a", "type": "text", "label": "A", "max_length": 0})
    del data["privacy_notice"]
    paths = dict(refused(data))
    assert paths["$.privacy_notice"] == "必須の項目がありません"
    assert paths["$.pages[0].fields[0].max_length"] == "1以上にしてください"


def test_refuses_key_that_is_not_a_slug() -> None:
    errors = refused(definition({"key": "Bad-Key", "type": "text", "label": "A"}))
    assert errors[0][0] == "$.pages[0].fields[0].key"
    assert "書式が正しくありません" in errors[0][1]


def test_refuses_invalid_json_text() -> None:
    errors = refused('{"key": "x",')
    assert errors[0][0] == "$"
    assert "JSONとして読み取れません" in errors[0][1]


def test_refuses_duplicate_field_keys_across_pages() -> None:
    data = definition({"key": "a", "type": "text", "label": "A"})
    data["pages"].append(
        {"key": "two", "title": "2", "fields": [{"key": "a", "type": "email", "label": "B"}]}
    )
    errors = refused(data)
    assert errors == [
        (
            "$.pages[1].fields[0].key",
            "項目のキー「a」が重複しています（$.pages[0].fields[0].key と同じ）。",
        )
    ]


def test_refuses_duplicate_option_values_and_group_keys() -> None:
    options = [{"value": "x", "label": "X"}, {"value": "x", "label": "Y"}]
    group = {
        "key": "g",
        "type": "group",
        "label": "G",
        "fields": [{"key": "s", "type": "text", "label": "S"}, {"key": "s", "type": "text", "label": "T"}],
    }
    paths = dict(refused(definition({"key": "a", "type": "select", "label": "A", "options": options}, group)))
    assert "選択肢の値「x」が重複" in paths["$.pages[0].fields[0].options[1].value"]
    assert "キー「s」が重複" in paths["$.pages[0].fields[1].fields[1].key"]


def test_refuses_inconsistent_bounds_and_bad_pattern() -> None:
    paths = dict(
        refused(
            definition(
                {"key": "a", "type": "number", "label": "A", "min": 10, "max": 1},
                {"key": "b", "type": "text", "label": "B", "pattern": "[0-9"},
                {"key": "c", "type": "date", "label": "C", "min": "2026-05-01", "max": "2026-04-01"},
                {"key": "d", "type": "date", "label": "D", "min": "2026-02-30"},
            )
        )
    )
    assert "min（10.0）が max（1.0）より大きく" in paths["$.pages[0].fields[0].min"]
    assert "正規表現として読めません" in paths["$.pages[0].fields[1].pattern"]
    assert paths["$.pages[0].fields[2].min"] == "min が max より後になっています。"
    assert "日付として正しくありません" in paths["$.pages[0].fields[3].min"]


def test_refuses_condition_naming_a_missing_field() -> None:
    errors = refused(definition({"key": "a", "type": "text", "label": "A", "visible_when": "kind == 'x'"}))
    assert errors == [
        ("$.pages[0].fields[0].visible_when", "式「kind == 'x'」の「kind」という項目はありません。")
    ]


def test_refuses_fee_naming_a_missing_field() -> None:
    data = definition(
        {"key": "n", "type": "number", "label": "N"},
        fee={"items": [{"label": "手数料", "amount": "300 * count_of_items"}]},
    )
    assert refused(data) == [
        ("$.fee.items[0].amount", "式「300 * count_of_items」の「count_of_items」という項目はありません。")
    ]


def test_refuses_a_cycle_of_conditions_naming_the_chain() -> None:
    errors = refused(
        definition(
            {"key": "a", "type": "text", "label": "A", "visible_when": "c == 'x'"},
            {"key": "b", "type": "text", "label": "B", "visible_when": "a == 'x'"},
            {"key": "c", "type": "text", "label": "C", "visible_when": "b == 'x'"},
        )
    )
    assert errors == [("$.pages[0].fields[0].visible_when", "表示条件が循環しています：a → c → b → a")]


def test_refuses_a_condition_on_itself_and_a_cycle_inside_a_group() -> None:
    assert (
        "自分自身"
        in refused(definition({"key": "a", "type": "text", "label": "A", "visible_when": "a"}))[0][1]
    )
    group = {
        "key": "g",
        "type": "group",
        "label": "G",
        "fields": [
            {"key": "s", "type": "text", "label": "S", "visible_when": "t == '1'"},
            {"key": "t", "type": "text", "label": "T", "visible_when": "s == '1'"},
        ],
    }
    errors = refused(definition(group))
    assert errors[0][0] == "$.pages[0].fields[0].fields[0].visible_when"
    assert "循環" in errors[0][1]


def test_refuses_a_condition_on_a_later_page() -> None:
    data = definition({"key": "a", "type": "text", "label": "A", "visible_when": "b == 'x'"})
    data["pages"].append({"key": "two", "title": "2", "fields": [{"key": "b", "type": "text", "label": "B"}]})
    errors = refused(data)
    assert errors[0][0] == "$.pages[0].fields[0].visible_when"
    assert "後のページの項目" in errors[0][1]


def test_refuses_bad_expressions_with_position() -> None:
    cases = {
        "a ==": "式が途中で終わっています",
        "a == 'x' )": "10文字目の「)」が余分です",
        "a = 'x'": "3文字目の「=」は式に使えません",
        "exec('x')": "関数「exec」はありません",
        "g": "繰り返し項目「g」は count() などの関数の中でだけ使えます",
        "sum(g.s) > 1": "sum() で合計できるのは数値の項目だけです",
        "count(g.nope) > 1": "「nope」という項目はありません",
        "person.middle_name == 'x'": "「person」に「middle_name」はありません",
        "1 < 2 < 3": "比較は括弧でくくってください",
    }
    for expression, message in cases.items():
        errors = refused(
            definition(
                {"key": "a", "type": "text", "label": "A"},
                {"key": "person", "type": "name", "label": "P"},
                {
                    "key": "g",
                    "type": "group",
                    "label": "G",
                    "fields": [{"key": "s", "type": "text", "label": "S"}],
                },
                {"key": "b", "type": "text", "label": "B", "visible_when": expression},
            )
        )
        assert errors[0][0] == "$.pages[0].fields[3].visible_when", expression
        assert message in errors[0][1], (expression, errors)


def test_definition_error_reads_well() -> None:
    with pytest.raises(DefinitionError) as info:
        load_definition(definition({"key": "a", "type": "text", "label": "A", "visible_when": "zz"}))
    assert str(info.value) == (
        "フォーム定義に誤りがあります（1件）：\n"
        "- $.pages[0].fields[0].visible_when: 式「zz」の「zz」という項目はありません。"
    )


def test_successor_needs_a_higher_version_when_changed() -> None:
    old = one({"key": "a", "type": "text", "label": "A"})
    same = one({"key": "a", "type": "text", "label": "A"})
    changed = one({"key": "a", "type": "text", "label": "A（変更）"})
    check_successor(old, same)
    with pytest.raises(DefinitionError) as info:
        check_successor(old, changed)
    assert info.value.errors[0][0] == "$.version"
    bumped_data = definition({"key": "a", "type": "text", "label": "A（変更）"}, version=2)
    check_successor(old, load_definition(bumped_data))
    assert old.fingerprint == same.fingerprint != changed.fingerprint


# --- expressions --------------------------------------------------------------------------------


def test_expressions_are_evaluated_without_eval() -> None:
    scope = {"n": 3, "kind": "b", "tags": ["x"], "rows": [{"q": 2}, {"q": 5}], "born": date(2010, 4, 2)}
    assert evaluate(parse("n * 100 + 50"), scope) == 350
    assert evaluate(parse("kind in ['a', 'b'] and not 'y' in tags"), scope) is True
    assert evaluate(parse("sum(rows.q) * 10 + count(rows)"), scope) == 72
    assert evaluate(parse("if(n > 2, 'many', 'few')"), scope) == "many"
    assert evaluate(parse("age(born)"), scope, today=TODAY) == 15
    assert evaluate(parse("floor(7 / 2) + ceil(0.2) + round(2.5) + max(1, n) + min(1, n)"), scope) == 11
    assert evaluate(parse("missing + 1"), scope) == 1  # null counts as 0
    assert evaluate(parse("missing < 1"), scope) is False
    with pytest.raises(ExpressionError, match="0で割る"):
        evaluate(parse("1 / (n - 3)"), scope)
    for attack in ("__import__('os')", "n.__class__", "[x for x in n]", "lambda: 1"):
        with pytest.raises(ExpressionError):
            parse(attack)


# --- field types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ({"type": "text"}, "　ＡＢＣ　１２３　", "ABC 123"),
        ({"type": "text"}, "ｶﾀｶﾅ", "カタカナ"),
        ({"type": "textarea"}, "一行目\r\n二行目　\r\n", "一行目\n二行目"),
        ({"type": "number"}, "１，２００", 1200),
        ({"type": "number", "unit": "台"}, "３台", 3),
        ({"type": "number", "min": -10}, "−５", -5),
        ({"type": "number", "decimals": 1}, "１２．５", "12.5"),
        ({"type": "date"}, "令和8年4月1日", "2026-04-01"),
        ({"type": "date"}, "R8.4.1", "2026-04-01"),
        ({"type": "date"}, "Ｈ３１．４．３０", "2019-04-30"),
        ({"type": "date"}, "２０２６－０４－０１", "2026-04-01"),
        ({"type": "email"}, "Taro＠Example.JP", "Taro@example.jp"),
        ({"type": "phone"}, "０２３７ー６２ー２１１１", "0237-62-2111"),
        ({"type": "phone"}, "09012345678", "090-1234-5678"),
        ({"type": "phone"}, "090‐1234‐5678", "090-1234-5678"),
        ({"type": "phone"}, "(0237)62-2111", "0237622111"),
        ({"type": "phone"}, "+81 90-1234-5678", "090-1234-5678"),
        ({"type": "phone"}, "0120１２３４５６", "0120-123-456"),
        ({"type": "postal_code"}, "〒９９０ー１１０１", "990-1101"),
        ({"type": "postal_code"}, "9901101", "990-1101"),
        ({"type": "postal_code"}, "990–1101", "990-1101"),
    ],
)
def test_values_are_normalised(field: dict[str, Any], raw: str, expected: Any) -> None:
    form = one({"key": "f", "label": "項目", **field})
    result = check(form, {"f": raw})
    assert result.ok, result.errors
    assert result.cleaned["f"] == expected


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ({"type": "text", "required": True}, "　 ", "「項目」を入力してください。"),
        (
            {"type": "text", "max_length": 3},
            "あいうえ",
            "「項目」は3文字以内で入力してください（いま4文字）。",
        ),
        ({"type": "text", "min_length": 3}, "あ", "「項目」は3文字以上で入力してください（いま1文字）。"),
        ({"type": "text", "pattern": "[0-9]{7}"}, "12345", "「項目」の形式が正しくありません。"),
        (
            {"type": "text", "pattern": "[0-9]{7}", "pattern_message": "7桁の数字で入力してください。"},
            "12345",
            "「項目」：7桁の数字で入力してください。",
        ),
        (
            {"type": "textarea", "max_length": 5},
            "あいうえおか",
            "「項目」は5文字以内で入力してください（いま6文字）。",
        ),
        ({"type": "number"}, "三", "「項目」は数字で入力してください（例：12）。"),
        ({"type": "number"}, "١٢", "「項目」は数字で入力してください（例：12）。"),
        ({"type": "number"}, "1.5", "「項目」は整数で入力してください。"),
        ({"type": "number", "decimals": 1}, "1.25", "「項目」は小数点以下1桁までで入力してください。"),
        ({"type": "number", "min": 1, "unit": "人"}, "0", "「項目」は1人以上で入力してください。"),
        ({"type": "number", "max": 1000, "unit": "円"}, "1001", "「項目」は1,000円以下で入力してください。"),
        ({"type": "date"}, "4月", "「項目」：「4月」を日付として読み取れません"),
        ({"type": "date"}, "2月30日", "「項目」：「2月30日」は存在しない日付です。"),
        ({"type": "date"}, "令和8年2月30日", "は存在しない日付です"),
        (
            {"type": "date", "min": "today+7d"},
            "2026-04-07",
            "「項目」は令和8年（2026年）4月8日以降の日付を入力してください。",
        ),
        (
            {"type": "date", "max": "2026-03-31"},
            "R8.4.1",
            "「項目」は令和8年（2026年）3月31日以前の日付を入力してください。",
        ),
        (
            {"type": "email"},
            "taro@",
            "「項目」はメールアドレスの形式で入力してください（例：taro@example.jp）。",
        ),
        ({"type": "email"}, "taro..x@example.jp", "メールアドレスの形式"),
        ({"type": "phone"}, "123-4567", "「項目」は電話番号の形式で入力してください"),
        ({"type": "phone"}, "090-1234-567", "電話番号の形式"),
        ({"type": "phone"}, "0237-62-21111", "電話番号の形式"),
        ({"type": "phone", "mobile_only": True}, "0237-62-2111", "携帯電話の番号"),
        ({"type": "postal_code"}, "990-110", "「項目」は7桁の郵便番号で入力してください（例：990-1101）。"),
        ({"type": "postal_code"}, "99O-1101", "7桁の郵便番号"),
    ],
)
def test_bad_values_get_a_message_naming_the_field(field: dict[str, Any], raw: str, message: str) -> None:
    form = one({"key": "f", "label": "項目", **field})
    result = check(form, {"f": raw})
    assert not result.ok
    assert "f" not in result.cleaned or result.cleaned["f"] is None
    assert message in result.errors["f"][0], result.errors


OPTIONS = [{"value": "a", "label": "エー"}, {"value": "b", "label": "ビー"}, {"value": "c", "label": "シー"}]


def test_select_and_radio_accept_only_their_options() -> None:
    for kind in ("select", "radio"):
        form = one({"key": "f", "type": kind, "label": "種類", "required": True, "options": OPTIONS})
        assert check(form, {"f": "b"}).cleaned == {"f": "b"}
        assert check(form, {"f": ""}).errors == {"f": ["「種類」を選んでください。"]}
        assert check(form, {"f": "z"}).errors == {"f": ["「種類」の値「z」は選択肢にありません。"]}


def test_checkbox_keeps_option_order_and_counts() -> None:
    form = one(
        {"key": "f", "type": "checkbox", "label": "方法", "options": OPTIONS, "min_items": 2, "max_items": 2}
    )
    assert check(form, {"f": ["c", "a"]}).cleaned == {"f": ["a", "c"]}
    assert check(form, {"f": ["a"]}).errors == {"f": ["「方法」は2個以上選んでください。"]}
    assert check(form, {"f": ["a", "b", "c"]}).errors == {"f": ["「方法」は2個まで選べます。"]}
    assert check(form, {"f": ["a", "evil"]}).errors == {"f": ["「方法」の値「evil」は選択肢にありません。"]}
    assert check(form, {}).cleaned == {"f": []}


def test_consent_must_be_ticked_when_required() -> None:
    form = one({"key": "ok", "type": "consent", "label": "規約に同意します", "required": True})
    assert check(form, {"ok": "on"}).cleaned == {"ok": True}
    assert check(form, {}).errors == {"ok": ["「規約に同意します」にチェックを入れてください。"]}
    assert check(form, {"ok": "maybe"}).errors == {"ok": ["「規約に同意します」の値が正しくありません。"]}


def test_name_with_furigana_converts_hiragana_and_checks_katakana() -> None:
    form = one({"key": "p", "type": "name", "label": "氏名", "required": True})
    result = check(
        form,
        {"p-family_name": "大江", "p-given_name": "花子", "p-family_kana": "おおえ", "p-given_kana": "ﾊﾅｺ"},
    )
    assert result.cleaned == {
        "p": {"family_name": "大江", "given_name": "花子", "family_kana": "オオエ", "given_kana": "ハナコ"}
    }
    bad = check(
        form, {"p-family_name": "大江", "p-given_name": "花子", "p-family_kana": "Oe", "p-given_kana": ""}
    )
    assert bad.errors == {
        "p-family_kana": ["「氏名：セイ」はカタカナで入力してください。"],
        "p-given_kana": ["「氏名：メイ」を入力してください。"],
    }
    long_vowel = check(
        form,
        {
            "p-family_name": "大江",
            "p-given_name": "ジョー",
            "p-given_kana": "じょ−",
            "p-family_kana": "おおえ",
        },
    )
    assert long_vowel.cleaned["p"]["given_kana"] == "ジョー"
    assert composite_parts(one({"key": "p", "type": "name", "label": "N", "kana": False}).fields["p"]) == (
        "family_name",
        "given_name",
    )


def test_address_normalises_postal_code_and_block_numbers() -> None:
    form = one({"key": "addr", "type": "address", "label": "住所", "required": True})
    result = check(
        form,
        {
            "addr-postal_code": "９９０ー１１０１",
            "addr-address": "大江町大字左沢８８２ー１",
            "addr-building": "センター２階",
        },
    )
    assert result.cleaned["addr"] == {
        "postal_code": "990-1101",
        "address": "大江町大字左沢882-1",
        "building": "センター2階",
    }
    missing = check(form, {"addr-postal_code": "990-1101"})
    assert missing.errors == {"addr-address": ["「住所：住所」を入力してください。"]}


def test_resident_identity_block_has_the_four_basic_items() -> None:
    form = one({"key": "r", "type": "resident", "label": "申請者", "required": True})
    assert composite_parts(form.fields["r"]) == (
        "family_name",
        "given_name",
        "family_kana",
        "given_kana",
        "postal_code",
        "address",
        "building",
        "birth_date",
        "sex",
    )
    raw = {
        "r-family_name": "美郷",
        "r-given_name": "一郎",
        "r-family_kana": "ミサト",
        "r-given_kana": "イチロウ",
        "r-postal_code": "019-1592",
        "r-address": "秋田県仙北郡美郷町土崎字上野乙170-10",
        "r-birth_date": "昭和60年1月15日",
        "r-sex": "male",
    }
    result = check(form, raw)
    assert result.ok, result.errors
    assert result.cleaned["r"]["birth_date"] == "1985-01-15"
    assert result.cleaned["r"]["building"] is None
    rows = dict(form.summary(result.cleaned))
    assert rows["申請者：生年月日"] == "昭和60年（1985年）1月15日"
    assert rows["申請者：性別"] == "男"
    assert rows["申請者：住所"] == "〒019-1592 秋田県仙北郡美郷町土崎字上野乙170-10"
    future = check(form, {**raw, "r-birth_date": "2030-01-01", "r-sex": "other"})
    assert future.errors == {
        "r-birth_date": ["「申請者：生年月日」に未来の日付は入力できません。"],
        "r-sex": ["「申請者：性別」の値「other」は選択肢にありません。"],
    }
    # left empty, every part it needs is named at once (not 姓 now and 名 after another submit)
    assert check(form, {}).errors == {
        "r-family_name": ["「申請者：姓」を入力してください。"],
        "r-given_name": ["「申請者：名」を入力してください。"],
        "r-family_kana": ["「申請者：セイ」を入力してください。"],
        "r-given_kana": ["「申請者：メイ」を入力してください。"],
        "r-postal_code": ["「申請者：郵便番号」を入力してください。"],
        "r-address": ["「申請者：住所」を入力してください。"],
        "r-birth_date": ["「申請者：生年月日」を入力してください。"],
        "r-sex": ["「申請者：性別」を選んでください。"],
    }


def test_resident_block_may_ask_fewer_items() -> None:
    form = one({"key": "r", "type": "resident", "label": "R", "parts": ["name", "birth_date"]})
    assert composite_parts(form.fields["r"]) == (
        *composite_parts(one({"key": "n", "type": "name", "label": "N"}).fields["n"]),
        "birth_date",
    )
    assert "r-address" not in check(form, {"r-family_name": "x"}).errors
    assert check(form, {"r-address": "x"}).errors[FORM_ERRORS] == [
        "フォームにない項目「r-address」が送信されました。"
    ]


def test_optional_fields_left_empty_are_none() -> None:
    form = load_definition(
        definition(
            {"key": "t", "type": "text", "label": "T"},
            {"key": "n", "type": "number", "label": "N"},
            {"key": "a", "type": "address", "label": "A"},
        )
    )
    assert check(form, {"t": "", "n": ""}).cleaned == {"t": None, "n": None, "a": None}


# --- hypothesis: text never crashes, normalisation is idempotent --------------------------------


TEXTY = load_definition(
    definition(
        {"key": "t", "type": "text", "label": "T", "pattern": "[ぁ-んァ-ヶ一-龠A-Za-z0-9 ]*"},
        {"key": "l", "type": "textarea", "label": "L"},
        {"key": "n", "type": "number", "label": "N", "decimals": 2},
        {"key": "d", "type": "date", "label": "D"},
        {"key": "e", "type": "email", "label": "E"},
        {"key": "p", "type": "phone", "label": "P"},
        {"key": "z", "type": "postal_code", "label": "Z"},
        {"key": "s", "type": "select", "label": "S", "options": OPTIONS},
        {"key": "c", "type": "consent", "label": "C"},
        {"key": "r", "type": "resident", "label": "R"},
    )
)
TEXT_INPUTS = [
    "t",
    "l",
    "n",
    "d",
    "e",
    "p",
    "z",
    "s",
    "c",
    *(f"r-{p}" for p in composite_parts(TEXTY.fields["r"])),
]


@given(st.dictionaries(st.sampled_from(TEXT_INPUTS), st.text(max_size=300)))
def test_arbitrary_unicode_never_crashes(raw: dict[str, str]) -> None:
    result = check(TEXTY, raw)
    json.dumps(result.cleaned)
    for key, messages in result.errors.items():
        assert key in TEXT_INPUTS
        assert all(isinstance(m, str) and m for m in messages)


@given(st.text())
def test_normalisation_is_idempotent(text: str) -> None:
    for function in (
        norm.normalize_text,
        norm.normalize_digits,
        norm.normalize_number,
        norm.normalize_kana,
        norm.normalize_address,
    ):
        once = function(text)
        assert function(once) == once, function.__name__
    multi = norm.normalize_text(text, multiline=True)
    assert norm.normalize_text(multi, multiline=True) == multi


@given(st.text(max_size=80))
def test_clean_text_is_a_fixed_point(text: str) -> None:
    form = one({"key": "f", "type": "textarea", "label": "F", "max_length": 20000})
    first = check(form, {"f": text}).cleaned["f"]
    if first is not None:
        assert check(form, {"f": first}).cleaned["f"] == first


WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


@given(
    st.from_regex(r"[0-9]{7}", fullmatch=True),
    st.sampled_from(["", "-", "－", "ー", "‐", "−", "–", "—", "ｰ"]),
    st.booleans(),
    st.sampled_from(["", "〒", "〒 ", " "]),
)
def test_any_form_of_a_postal_code_is_accepted(digits: str, hyphen: str, wide: bool, prefix: str) -> None:
    text = f"{prefix}{digits[:3]}{hyphen}{digits[3:]}"
    if wide:
        text = text.translate(WIDE)
    result = check(TEXTY, {"z": text})
    assert result.ok, result.errors
    assert result.cleaned["z"] == f"{digits[:3]}-{digits[3:]}"


@given(
    st.from_regex(r"0[789]0[0-9]{8}", fullmatch=True),
    st.sampled_from(["-", "ー", "－", "‐", " "]),
    st.booleans(),
)
def test_any_form_of_a_mobile_number_is_accepted(digits: str, hyphen: str, wide: bool) -> None:
    text = f"{digits[:3]}{hyphen}{digits[3:7]}{hyphen}{digits[7:]}"
    if wide:
        text = text.translate(WIDE)
    assert norm.phone_number(text) == f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"


# --- tampered posts ------------------------------------------------------------------------------


def test_fields_not_in_the_definition_are_refused() -> None:
    form = one({"key": "a", "type": "text", "label": "A"})
    result = check(form, {"a": "x", "is_admin": "1", "csrfmiddlewaretoken": "t", "_next": "1"})
    assert not result.ok
    assert result.errors == {FORM_ERRORS: ["フォームにない項目「is_admin」が送信されました。"]}


def test_tampered_query_dict_with_repeated_values_is_refused() -> None:
    form = one({"key": "kind", "type": "radio", "label": "種類", "options": OPTIONS})
    post = QueryDict("kind=a&kind=b")
    assert check(form, post).errors == {"kind": ["「種類」に複数の値が送信されました。"]}
    assert check(form, QueryDict("kind=a")).cleaned == {"kind": "a"}


def test_unknown_files_and_group_rows_out_of_range_are_refused() -> None:
    form = load_definition(
        definition(
            {"key": "doc", "type": "file", "label": "書類", "accept": ["pdf"]},
            {
                "key": "g",
                "type": "group",
                "label": "G",
                "max_items": 3,
                "fields": [{"key": "s", "type": "text", "label": "S"}],
            },
        )
    )
    upload = SimpleUploadedFile("a.pdf", PDF)
    result = check(form, {"g-0-s": "x", "g-100-s": "y", "g-0-t": "z"}, {"other": upload})
    assert result.errors[FORM_ERRORS] == [
        "フォームにない項目「g-100-s」が送信されました。",
        "フォームにない項目「g-0-t」が送信されました。",
        "フォームにないファイル項目「other」が送信されました。",
    ]


def test_hidden_fields_posted_anyway_are_dropped() -> None:
    form = load_definition(
        definition(
            {"key": "kind", "type": "radio", "label": "種類", "required": True, "options": OPTIONS},
            {
                "key": "detail",
                "type": "text",
                "label": "詳細",
                "required": True,
                "visible_when": "kind == 'b'",
            },
        )
    )
    result = check(form, {"kind": "a", "detail": "should not be kept"})
    assert result.ok
    assert result.cleaned == {"kind": "a"}
    assert check(form, {"kind": "b"}).errors == {"detail": ["「詳細」を入力してください。"]}
    assert check(form, {"kind": "b", "detail": "x"}).cleaned == {"kind": "b", "detail": "x"}


# --- uploads -------------------------------------------------------------------------------------


UPLOAD = one(
    {
        "key": "doc",
        "type": "file",
        "label": "添付書類",
        "required": True,
        "accept": ["pdf", "jpeg"],
        "max_size": 2048,
    }
)


def test_upload_checked_by_extension_and_content() -> None:
    result = check(UPLOAD, {}, {"doc": SimpleUploadedFile("診断書.PDF", PDF)})
    assert result.ok, result.errors
    info = result.cleaned["doc"]
    assert info["name"] == "診断書.PDF"
    assert (info["kind"], info["content_type"], info["size"]) == ("pdf", "application/pdf", len(PDF))
    assert len(info["sha256"]) == 64
    json.dumps(result.cleaned)
    assert check(UPLOAD, {}, {"doc": SimpleUploadedFile("photo.jpeg", JPEG)}).ok


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", PNG, "「添付書類」のファイル「scan.pdf」は、中身がPDFのファイルではありません。"),
        ("scan.pdf", EXE, "「添付書類」のファイル「scan.pdf」は、中身がPDFのファイルではありません。"),
        ("photo.jpg", PDF, "中身がJPEGのファイルではありません"),
        ("scan.pdf", b"just some text", "中身がPDFのファイルではありません"),
        (
            "setup.exe",
            EXE,
            "「添付書類」に添付できるのは PDF, JPEG のファイルです（「setup.exe」は添付できません）。",
        ),
        ("photo.png", PNG, "添付できるのは PDF, JPEG のファイルです"),
        ("noextension", PDF, "添付できるのは PDF, JPEG のファイルです"),
        (
            "big.pdf",
            PDF + b"0" * 4096,
            "「添付書類」のファイル「big.pdf」は大きすぎます（4 KB、上限は2 KB）。",
        ),
        ("empty.pdf", b"", "「添付書類」のファイル「empty.pdf」は空です。"),
    ],
)
def test_disguised_oversized_or_empty_uploads_are_refused(name: str, content: bytes, message: str) -> None:
    result = check(UPLOAD, {}, {"doc": SimpleUploadedFile(name, content)})
    assert not result.ok
    assert message in result.errors["doc"][0], result.errors
    assert "doc" not in result.cleaned or result.cleaned["doc"] is None


def test_upload_names_are_made_safe_and_required_uploads_asked_for() -> None:
    result = check(UPLOAD, {}, {"doc": SimpleUploadedFile("../../etc/ｐａｓｓ\x00wd.pdf", PDF)})
    assert result.cleaned["doc"]["name"] == "passwd.pdf"
    assert check(UPLOAD, {}).errors == {"doc": ["「添付書類」のファイルを添付してください。"]}


def test_several_files_under_one_name_are_refused() -> None:
    files = MultiValueDict({"doc": [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", PDF)]})
    assert check(UPLOAD, {}, files).errors == {"doc": ["「添付書類」に複数のファイルが送信されました。"]}


def test_file_info_from_an_earlier_page_is_kept() -> None:
    first = check(UPLOAD, {}, {"doc": SimpleUploadedFile("a.pdf", PDF)})
    again = check(UPLOAD, {}, {"doc": first.cleaned["doc"]})
    assert again.cleaned == first.cleaned
    forged = check(UPLOAD, {}, {"doc": {"name": "x.pdf"}})
    assert forged.errors == {"doc": ["「添付書類」のファイルを読み取れません。"]}


# --- repeating groups ----------------------------------------------------------------------------


CHILDREN = {
    "key": "children",
    "type": "group",
    "label": "お子さん",
    "min_items": 1,
    "max_items": 2,
    "fields": [
        {"key": "name", "type": "name", "label": "氏名", "required": True, "kana": False},
        {"key": "birth", "type": "date", "label": "生年月日", "required": True, "max": "today"},
        {
            "key": "allergy",
            "type": "radio",
            "label": "アレルギー",
            "options": [{"value": "no", "label": "なし"}, {"value": "yes", "label": "あり"}],
        },
        {
            "key": "detail",
            "type": "text",
            "label": "内容",
            "required": True,
            "visible_when": "allergy == 'yes'",
        },
    ],
}


def test_group_rows_follow_html_naming_and_drop_empty_rows() -> None:
    form = one(CHILDREN)
    raw = {
        "children-0-name-family_name": "潮来",
        "children-0-name-given_name": "一",
        "children-0-birth": "R2.5.5",
        "children-0-allergy": "yes",
        "children-0-detail": "卵",
        "children-1-name-family_name": "",
        "children-1-birth": "",
        "children-3-name-family_name": "潮来",
        "children-3-name-given_name": "二",
        "children-3-birth": "2022-01-01",
        "children-3-allergy": "no",
        "children-3-detail": "hidden, dropped",
    }
    result = check(form, raw)
    assert result.ok, result.errors
    assert result.cleaned["children"] == [
        {
            "name": {"family_name": "潮来", "given_name": "一"},
            "birth": "2020-05-05",
            "allergy": "yes",
            "detail": "卵",
        },
        {"name": {"family_name": "潮来", "given_name": "二"}, "birth": "2022-01-01", "allergy": "no"},
    ]
    summary = form.summary(result.cleaned)
    assert ("お子さん（2件目）：氏名", "潮来 二") in summary
    assert ("お子さん（1件目）：内容", "卵") in summary


def test_group_row_errors_name_the_row_and_counts_are_checked() -> None:
    form = one(CHILDREN)
    result = check(form, {"children-0-name-family_name": "潮来", "children-0-birth": "2030-01-01"})
    assert result.errors == {
        "children-0-birth": [
            "「お子さん（1件目）：生年月日」は令和8年（2026年）4月1日以前の日付を入力してください。"
        ],
        "children-0-name-given_name": ["「お子さん（1件目）：氏名：名」を入力してください。"],
    }
    # no row filled: the first row the page shows names what it needs, not the group alone
    assert check(form, {}).errors == {
        "children-0-name-family_name": ["「お子さん（1件目）：氏名：姓」を入力してください。"],
        "children-0-name-given_name": ["「お子さん（1件目）：氏名：名」を入力してください。"],
        "children-0-birth": ["「お子さん（1件目）：生年月日」を入力してください。"],
    }
    three = {f"children-{i}-birth": "2020-01-01" for i in range(3)} | {
        f"children-{i}-name-{p}": "x" for i in range(3) for p in ("family_name", "given_name")
    }
    assert check(form, three).errors == {"children": ["「お子さん」は2件まで入力できます（いま3件）。"]}


# --- visibility, pages, fees, summaries ----------------------------------------------------------


def multi_page() -> FormDefinition:
    data = definition(
        {
            "key": "plan",
            "type": "radio",
            "label": "利用区分",
            "required": True,
            "options": [{"value": "day", "label": "一時"}, {"value": "month", "label": "月額"}],
        },
        {
            "key": "people",
            "type": "number",
            "label": "人数",
            "required": True,
            "min": 1,
            "unit": "人",
            "visible_when": "plan == 'day'",
        },
        fee={
            "items": [
                {"label": "一時利用料", "amount": "500 * people", "when": "plan == 'day'"},
                {"label": "月額利用料", "amount": "5000", "when": "plan == 'month'"},
                {"label": "割引", "amount": "-100 * count(extras)", "when": "filled(extras)"},
            ],
            "note": "当日お支払いください。",
        },
    )
    data["pages"].append(
        {
            "key": "extra",
            "title": "追加",
            "visible_when": "plan == 'month'",
            "fields": [
                {"key": "extras", "type": "checkbox", "label": "追加", "required": True, "options": OPTIONS}
            ],
        }
    )
    data["pages"].append(
        {
            "key": "end",
            "title": "確認",
            "fields": [{"key": "agree", "type": "consent", "label": "同意", "required": True}],
        }
    )
    return load_definition(data)


def test_one_page_is_validated_alone() -> None:
    form = multi_page()
    first = check(form, {"plan": "day", "people": "２"}, page=0)
    assert first.ok and first.cleaned == {"plan": "day", "people": 2}
    assert first.fee is None  # only for the whole form
    last = check(form, {"plan": "day", "people": "2"}, page=2)
    assert last.errors == {"agree": ["「同意」にチェックを入れてください。"]}
    skipped = check(form, {"plan": "day"}, page=1)
    assert skipped.ok and skipped.cleaned == {}
    with pytest.raises(IndexError):
        check(form, {}, page=3)


def test_hidden_page_is_neither_required_nor_kept() -> None:
    form = multi_page()
    day = check(form, {"plan": "day", "people": "3", "extras": ["a"], "agree": "on"})
    assert day.ok, day.errors
    assert day.cleaned == {"plan": "day", "people": 3, "agree": True}
    assert day.fee == 1500
    assert form.visible_pages(day.cleaned) == [0, 2]
    assert [f.key for f in form.visible_fields(day.cleaned)] == ["plan", "people", "agree"]
    month = check(form, {"plan": "month", "agree": "on"})
    assert month.errors == {"extras": ["「追加」を選んでください。"]}
    month = check(form, {"plan": "month", "extras": ["a", "b"], "agree": "on"})
    assert month.fee == 4800
    assert form.fee_breakdown(month.cleaned) == [("月額利用料", 5000), ("割引", -200)]
    assert [f.key for f in form.visible_fields(month.cleaned)] == ["plan", "extras", "agree"]


def test_fee_is_never_negative_and_unusable_fee_is_reported() -> None:
    form = load_definition(
        definition(
            {"key": "n", "type": "number", "label": "N", "min": -100},
            fee={"items": [{"label": "手数料", "amount": "1000 / n"}]},
        )
    )
    assert form.fee({"n": -10}) == 0
    assert form.fee({"n": 3}) == 333  # fractions of a yen dropped
    with pytest.raises(FeeError, match="手数料「手数料」を計算できません：0で割ることはできません"):
        form.fee({"n": 0})
    assert check(form, {"n": "0"}).errors == {
        FORM_ERRORS: ["手数料「手数料」を計算できません：0で割ることはできません。"]
    }
    assert one({"key": "a", "type": "text", "label": "A"}).fee({"a": "x"}) == 0


def test_summary_shows_labels_and_display_values_per_page() -> None:
    form = multi_page()
    cleaned = check(form, {"plan": "day", "people": "1200", "agree": "on"}).cleaned
    assert form.summary(cleaned) == [("利用区分", "一時"), ("人数", "1,200人"), ("同意", "同意する")]
    pages = form.summary_by_page(cleaned)
    assert [(p, title) for p, title, _rows in pages] == [(0, "入力"), (2, "確認")]


def test_to_input_round_trips() -> None:
    form = load_definition(
        definition(
            CHILDREN,
            {"key": "r", "type": "resident", "label": "R"},
            {"key": "c", "type": "checkbox", "label": "C", "options": OPTIONS},
            {"key": "ok", "type": "consent", "label": "OK"},
        )
    )
    raw = {
        "children-0-name-family_name": "潮来",
        "children-0-name-given_name": "一",
        "children-0-birth": "R2.5.5",
        "r-family_name": "大江",
        "r-given_name": "太郎",
        "r-family_kana": "オオエ",
        "r-given_kana": "タロウ",
        "r-postal_code": "9901101",
        "r-address": "大江町",
        "r-birth_date": "S50.1.1",
        "r-sex": "female",
        "c": ["b", "a"],
        "ok": "on",
    }
    first = check(form, raw)
    assert first.ok, first.errors
    again_raw, again_files = form.to_input(first.cleaned)
    assert again_raw["r-postal_code"] == ["990-1101"]
    assert check(form, again_raw, again_files).cleaned == first.cleaned


def test_default_today_is_used_when_not_given() -> None:
    form = one({"key": "d", "type": "date", "label": "D", "min": "today"})
    yesterday = date.today() - timedelta(days=2)
    assert not form.validate({"d": yesterday.isoformat()}).ok
    assert parse_bound("today-18y").resolve(date(2024, 2, 29)) == date(2006, 2, 28)


# --- demo forms ----------------------------------------------------------------------------------


PATTERN_EXAMPLES = {
    "[0-9]{15}": "392141000123456",
    "[0-9]{7}": "0123456",
    "[ァ-ヶー ]+": "イタコ タロウ",
    "[0-9A-Za-z-]+": "A-1234",
}


def _answer(f: ScalarField, name: str, raw: dict[str, Any], files: dict[str, Any]) -> None:
    if isinstance(f, FileField):
        file_kind = next(k for k in f.accept if k in SAMPLES)
        content, file_name = SAMPLES[file_kind]
        files[name] = SimpleUploadedFile(file_name, content)
        return
    parts = composite_parts(f)
    if parts:
        values = {
            "family_name": "大江",
            "given_name": "花子",
            "family_kana": "おおえ",
            "given_kana": "はなこ",
            "postal_code": "９９０－１１０１",
            "address": "山形県西村山郡大江町大字左沢８８２－１",
            "building": "",
            "birth_date": "昭和55年6月1日",
            "sex": "female",
        }
        raw.update({f"{name}-{p}": values[p] for p in parts})
        return
    kind = f.type
    if isinstance(f, SelectField | RadioField):
        raw[name] = f.options[0].value
    elif isinstance(f, CheckboxField):
        raw[name] = [o.value for o in f.options[: max(1, f.min_items or 1)]]
    elif kind == "consent":
        raw[name] = "on"
    elif isinstance(f, NumberField):
        raw[name] = str(int(f.min if f.min is not None and f.min > 0 else 1))
    elif isinstance(f, DateField):
        bound = f.min or f.max
        raw[name] = parse_bound(bound).resolve(TODAY).isoformat() if bound else "令和8年4月1日"
    elif kind == "email":
        raw[name] = "hanako@example.jp"
    elif kind == "phone":
        raw[name] = "０９０ー１２３４ー５６７８"
    elif kind == "postal_code":
        raw[name] = "990-1101"
    elif isinstance(f, TextField) and f.pattern:
        raw[name] = PATTERN_EXAMPLES[f.pattern]
    elif isinstance(f, TextField | TextareaField):
        raw[name] = "大江町の" * max(1, (f.min_length or 0) // 4 + 1)


def complete_answer(form: FormDefinition) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every input the form has, filled with a plausible value (hidden ones are dropped)."""
    raw: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for key, f in form.fields.items():
        if isinstance(f, GroupField):
            for i in range(max(1, f.min_items)):
                for sub in f.fields:
                    _answer(sub, f"{key}-{i}-{sub.key}", raw, files)
        else:
            _answer(f, key, raw, files)
    return raw, files


DEMO_FILES = sorted(FORMS.glob("*.json"))


def test_there_are_at_least_eight_demo_forms_with_the_features_the_issue_names() -> None:
    assert len(DEMO_FILES) >= 8
    forms = [load_definition(p.read_text("utf-8")) for p in DEMO_FILES]
    assert all(len(f.pages) >= 2 and f.privacy_notice for f in forms)
    types = {type(field).__name__ for f in forms for field in f.fields.values()}
    assert {"GroupField", "FileField", "ResidentField"} <= types
    assert any(f.has_fee for f in forms)
    assert any(info.condition is not None for f in forms for info in f.info.values())
    readme = (FORMS / "README.md").read_text("utf-8")
    municipalities = yaml.safe_load(MUNICIPALITIES.read_text("utf-8"))["municipalities"]
    slugs = {m["slug"] for m in municipalities}
    for path in DEMO_FILES:
        slug, _sep, key = path.stem.partition("--")
        form = forms[DEMO_FILES.index(path)]
        assert slug in slugs, path.name
        assert form.key == key, path.name
        assert f"`{path.name}`" in readme, path.name


@pytest.mark.parametrize("path", DEMO_FILES, ids=[p.stem for p in DEMO_FILES])
def test_demo_form_loads_and_a_complete_answer_validates(path: Path) -> None:
    form = load_definition(path.read_text("utf-8"))
    raw, files = complete_answer(form)
    result = form.validate(raw, files, today=TODAY)
    assert result.ok, result.errors
    json.dumps(result.cleaned, ensure_ascii=False)
    for page in range(len(form.pages)):
        assert form.validate(raw, files, page, today=TODAY).ok
    summary = form.summary(result.cleaned)
    assert summary and all(label and isinstance(value, str) for label, value in summary)
    if form.has_fee:
        assert result.fee is not None and result.fee >= 0
    assert not form.validate({}, today=TODAY).ok  # something is required


def test_sodai_gomi_fee_counts_items_by_size() -> None:
    form = load_definition((FORMS / "oe--sodai-gomi.json").read_text("utf-8"))
    raw, _files = complete_answer(form)
    raw |= {
        "items-0-item": "bed",
        "items-0-size": "large",
        "items-1-item": "other",
        "items-1-other_name": "マッサージチェア",
        "items-1-size": "large",
        "items-2-item": "bicycle",
        "items-2-size": "small",
    }
    result = form.validate(raw, today=TODAY)
    assert result.ok, result.errors
    assert result.fee == 2500
    assert form.fee_breakdown(result.cleaned) == [
        ("粗大ごみ処理手数料（小）", 500),
        ("粗大ごみ処理手数料（大）", 2000),
    ]
    assert result.cleaned["items"][1] == {"item": "other", "other_name": "マッサージチェア", "size": "large"}
    too_soon = form.validate({**raw, "collection_date": "令和8年4月3日"}, today=TODAY)
    assert too_soon.errors == {
        "collection_date": ["「収集希望日」は令和8年（2026年）4月8日以降の日付を入力してください。"]
    }


def test_inu_toroku_asks_for_the_certificate_only_when_vaccinated() -> None:
    form = load_definition((FORMS / "oe--inu-toroku.json").read_text("utf-8"))
    raw, files = complete_answer(form)
    vaccinated = form.validate(raw | {"vaccinated": "yes"}, {}, today=TODAY)
    assert vaccinated.errors == {
        "certificate": ["「狂犬病予防注射済証の写真またはPDF」のファイルを添付してください。"]
    }
    with_file = form.validate(raw | {"vaccinated": "yes"}, files, today=TODAY)
    assert with_file.ok and with_file.fee == 3550
    not_yet = form.validate(raw | {"vaccinated": "no"}, {}, today=TODAY)
    assert not_yet.ok and not_yet.fee == 3000
    assert "certificate" not in not_yet.cleaned
    disguised = form.validate(
        raw | {"vaccinated": "yes"}, {"certificate": SimpleUploadedFile("済証.pdf", EXE)}, today=TODAY
    )
    assert disguised.errors["certificate"] == [
        "「狂犬病予防注射済証の写真またはPDF」のファイル「済証.pdf」は、中身がPDFのファイルではありません。"
    ]


def test_fee_items_name_the_catalogue_item_and_quantity_the_till_charges() -> None:
    form = load_definition((FORMS / "oe--juminhyo-koufu.json").read_text("utf-8"))
    raw, _files = complete_answer(form)
    result = form.validate(raw | {"copies": "３"}, today=TODAY)
    assert result.ok, result.errors
    assert form.catalogue_lines(result.cleaned) == [("住民票の写し等の交付手数料", "juminhyo", 3)]
    sodai = load_definition((FORMS / "oe--sodai-gomi.json").read_text("utf-8"))
    assert sodai.catalogue_lines({}) == []  # paid with a 処理券 bought elsewhere: no catalogue line


def test_refuses_a_quantity_without_a_catalogue_item_and_a_bad_quantity() -> None:
    data = definition(
        {"key": "n", "type": "number", "label": "N"},
        fee={"items": [{"label": "手数料", "amount": "300 * n", "quantity": "n"}]},
    )
    needs_item = "数量（quantity）は手数料一覧の項目（fee_item）と一緒に指定してください。"
    assert refused(data) == [("$.fee.items[0].quantity", needs_item)]
    data = definition(
        {"key": "n", "type": "number", "label": "N"},
        fee={"items": [{"label": "手", "amount": "300 * n", "fee_item": "juminhyo", "quantity": "copies"}]},
    )
    assert refused(data) == [("$.fee.items[0].quantity", "式「copies」の「copies」という項目はありません。")]


def test_a_catalogue_price_replaces_the_forms_own_amount() -> None:
    form = load_definition((FORMS / "oe--juminhyo-koufu.json").read_text("utf-8"))
    raw, _files = complete_answer(form)
    raw |= {"copies": "2"}
    assert form.catalogue_keys == ["juminhyo"]
    assert form.validate(raw, today=TODAY).fee == 600  # the form's own 300 * copies
    priced = form.validate(raw, today=TODAY, prices={"juminhyo": 350})
    assert priced.fee == 700
    assert form.fee_breakdown(priced.cleaned, prices={"juminhyo": 350}) == [
        ("住民票の写し等の交付手数料", 700)
    ]
    assert form.fee(priced.cleaned, prices={"inkan": 1}) == 600  # not its item: its own amount
