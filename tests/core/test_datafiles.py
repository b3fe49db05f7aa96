"""The one reader of data files: the same wording and places for plan files, procedure files and
form definitions."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from yakusho.core.datafiles import MAX_BYTES, MAX_ITEMS, DataFile, DataFileInvalid, parse_path
from yakusho.plans.planfile.files import PlanFileInvalid, read
from yakusho.procedures.formengine import DefinitionError, load_definition


class Small(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    count: int
    kind: str = Field(pattern="^[a-z]+$")


def refused(raw: str | bytes, file: str = "x.yaml", **kwargs) -> list:
    with pytest.raises(DataFileInvalid) as caught:
        DataFile.read(raw, file, **kwargs)
    return caught.value.errors


def test_yaml_and_json_syntax_errors_name_line_and_column_in_both_languages() -> None:
    (yaml_error,) = refused("a: 1\nb: [2\n")
    assert yaml_error.line == 3
    assert yaml_error.ja.startswith("YAMLとして読み取れません（3行目")
    assert yaml_error.en.startswith("not valid YAML (line 3")
    (json_error,) = refused('{\n  "a": 1,\n  "b": }', "x.json")
    assert (json_error.file, json_error.line) == ("x.json", 3)
    assert json_error.ja.startswith("JSONとして読み取れません（3行目 8文字目）: ")


def test_bytes_must_be_utf8_a_bom_is_allowed_and_deep_nesting_is_refused() -> None:
    assert refused("café: 1\n".encode("latin-1"))[0].ja == "UTF-8 のテキストとして読み取れません"
    assert DataFile.read("\ufeff".encode() + b'{"a": 1}', "x.json").data == {"a": 1}
    assert refused("[" * 100_000, "x.json")[0].ja == "入れ子が深すぎて読み取れません"


def test_a_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(DataFileInvalid) as caught:
        DataFile.raw(tmp_path / "nothing.yaml")
    assert str(caught.value).startswith("nothing.yaml: ファイルを読めません")


def test_every_structural_error_at_once_with_its_line() -> None:
    parsed = DataFile.read("name: ''\ncount: many\nkind: ABC\ncolour: red\n", "small.yaml")
    with pytest.raises(DataFileInvalid) as caught:
        parsed.validate(Small)
    assert [str(e) for e in caught.value.errors] == [
        "small.yaml:1 name: 空にできません (must not be empty)",
        "small.yaml:2 count: 整数で書いてください (must be a whole number)",
        "small.yaml:3 kind: 書式が正しくありません（^[a-z]+$ に合いません）"
        " (does not match the pattern ^[a-z]+$)",
        "small.yaml:4 colour: 不明な項目です (unknown key)",
    ]


def test_the_same_fault_reads_the_same_in_a_plan_file_and_a_form_definition(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("key: p\ncolour: red\n", "utf-8")
    with pytest.raises(PlanFileInvalid) as caught:
        read(plan)
    plan_faults = {e.path: e.ja for e in caught.value.errors}
    with pytest.raises(DefinitionError) as form_caught:
        load_definition('{"key": "k", "colour": "red"}')
    form_faults = dict(form_caught.value.errors)
    assert plan_faults["colour"] == form_faults["$.colour"] == "不明な項目です"
    with pytest.raises(DefinitionError) as syntax:
        load_definition('{"key": ')
    assert syntax.value.errors[0][1].startswith("JSONとして読み取れません（1行目")


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("$", ()),
        ("$.fields[2].label", ("fields", 2, "label")),
        ("kpis[0].targets[1].fiscal_year", ("kpis", 0, "targets", 1, "fiscal_year")),
    ],
)
def test_paths_read_back(text: str, path: tuple) -> None:
    assert parse_path(text) == path


def test_lines_are_found_in_json_too() -> None:
    parsed = DataFile.read('{\n  "pages": [\n    {"fields": [\n      {"key": "a"}\n    ]}\n  ]\n}', "f.json")
    assert parsed.line(parse_path("$.pages[0].fields[0].key")) == 4
    assert parsed.line(("pages", 0, "missing")) == 3


# Strict reading (issue 16): the same for every kind of data file.

QUOTE_HINT = '値に : や # や [ ] などが含まれる場合は、値を "…" で囲んでください（例: text: "2,400件/年"）'


def test_a_key_written_twice_is_refused_with_both_lines() -> None:
    (error,) = refused("title: 計画\nkind: 計画\ntitle: 別の計画\n")
    assert (error.line, error.path) == (3, "title")
    assert error.ja == "キー「title」が2回あります（1行目と3行目）"
    assert error.en == "the key “title” appears twice (lines 1 and 3)"


def test_every_repeated_key_at_once_with_its_path_in_line_order() -> None:
    text = "nodes:\n- key: a\n  title: x\n  title: y\n  title: z\nkey: p\nkey: q\n"
    assert [str(e) for e in refused(text, "plan.yaml")] == [
        "plan.yaml:4 nodes[0].title: キー「title」が3回あります（3行目と4行目と5行目）"
        " (the key “title” appears 3 times (lines 3, 4 and 5))",
        "plan.yaml:7 key: キー「key」が2回あります（6行目と7行目）"
        " (the key “key” appears twice (lines 6 and 7))",
    ]


def test_a_repeated_key_is_found_where_anchors_send_the_reader_to_pyyaml() -> None:
    text = "base: &base\n  unit: 人\nkpi:\n  <<: *base\n  unit: 件\n  name: a\n  name: b\n"
    (error,) = refused(text)
    assert (error.line, error.path, error.ja) == (7, "kpi.name", "キー「name」が2回あります（6行目と7行目）")
    # a key that overrides a merged one is not written twice
    assert DataFile.read(text.replace("  name: b\n", ""), "x.yaml").data["kpi"] == {"unit": "件", "name": "a"}


def test_a_repeated_key_in_json_is_refused_with_its_lines() -> None:
    (error,) = refused('{\n  "fields": [\n    {"key": "a",\n     "key": "b"}\n  ]\n}', "form.json")
    assert (error.line, error.path) == (4, "fields[0].key")
    assert error.ja == "キー「key」が2回あります（3行目と4行目）"
    # JSON that YAML cannot compose: the key still named, without lines
    (lineless,) = refused('{"a": 1, "a": 2, "b": "\\ud800"}', "form.json")
    assert (lineless.line, lineless.ja) == (None, "キー「a」が2回あります")


def test_a_key_written_many_times_names_its_first_lines() -> None:
    (error,) = refused("t: 1\n" * 7)
    assert (error.line, error.ja) == (2, "キー「t」が7回あります（1行目と2行目と3行目と4行目と5行目ほか）")
    assert error.en == "the key “t” appears 7 times (lines 1, 2, 3, 4, 5 and more)"


def test_a_repeated_key_reads_the_same_in_a_plan_file(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("key: p\ntitle: a\ntitle: b\n", "utf-8")
    with pytest.raises(PlanFileInvalid) as caught:
        read(plan)
    assert [str(e) for e in caught.value.errors] == [
        "plan.yaml:3 title: キー「title」が2回あります（2行目と3行目）"
        " (the key “title” appears twice (lines 2 and 3))"
    ]


SAVE_AS_UTF8 = "UTF-8 で保存し直してください（Excel なら「CSV UTF-8」、メモ帳なら「UTF-8」を選んで保存）。"


def test_a_shift_jis_file_is_named_with_how_to_save_it_as_utf8() -> None:
    (error,) = refused("title: 総合計画\nkind: 計画\n説明: まちづくりの方針\n".encode("cp932"))
    assert error.ja == "Shift_JIS で保存されたファイルのようです。" + SAVE_AS_UTF8
    assert error.en.startswith("the file looks saved as Shift_JIS; save it again as UTF-8")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("text", ["title: plan\nyears: 5\n", "title: 総合計画\n説明: まちづくりの方針\n"])
def test_a_utf16_file_with_or_without_a_bom_is_named(codec: str, text: str) -> None:
    (error,) = refused(text.encode(codec), "form.json" if "plan" in text else "x.yaml")
    assert error.ja == "UTF-16 で保存されたファイルのようです。" + SAVE_AS_UTF8
    assert "UTF-16" in error.en


def test_other_encodings_are_not_guessed() -> None:
    for raw in ("café: crème\n".encode("latin-1"), b"a: \x80\x81\n", "\ufeff".encode("utf-32") + b"a\0\0\0"):
        assert refused(raw)[0].ja == "UTF-8 のテキストとして読み取れません"


def test_a_file_above_the_size_limit_is_refused_naming_it(tmp_path: Path) -> None:
    assert MAX_BYTES == 20_000_000
    (error,) = refused(b" " * (MAX_BYTES + 1))
    assert (error.ja, error.en) == (
        "ファイルが大きすぎます（上限 20 MB）",
        "the file is too large (at most 20 MB)",
    )
    assert refused("- a\n" * 300, max_bytes=1_000)[0].ja == "ファイルが大きすぎます（上限 1 kB）"
    assert refused("- あ\n" * 100, max_bytes=500)[0].ja == "ファイルが大きすぎます（上限 500 バイト）"
    assert DataFile.read("- a\n" * 250, "x.yaml", max_bytes=1_000).data == ["a"] * 250
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: nothing written, nothing read
    with pytest.raises(DataFileInvalid) as caught:
        DataFile.raw(huge)
    assert (
        str(caught.value)
        == "huge.yaml: ファイルが大きすぎます（上限 20 MB） (the file is too large (at most 20 MB))"
    )


def test_a_list_above_its_limit_is_refused_naming_it() -> None:
    parsed = DataFile.read("title: t\nnodes:\n- a\n- b\n- c\n", "x.yaml")
    parsed.limit_items(("nodes",), 3)
    parsed.limit_items(("missing", 0), 1)
    with pytest.raises(DataFileInvalid) as caught:
        parsed.limit_items(("nodes",), 2)
    assert [str(e) for e in caught.value.errors] == [
        "x.yaml nodes: 項目が多すぎます（3個。2個までです） (too many entries (3; at most 2))"
    ]


def test_a_plan_with_too_many_nodes_is_refused_before_validating(tmp_path: Path) -> None:
    plan = tmp_path / "big.yaml"
    # no other key: validating would add a dozen errors; the limit comes first and alone
    plan.write_text("nodes:\n" + "".join(f"- {{key: n{i}}}\n" for i in range(MAX_ITEMS + 1)), "utf-8")
    with pytest.raises(PlanFileInvalid) as caught:
        read(plan)
    assert [str(e) for e in caught.value.errors] == [
        "big.yaml nodes: 項目が多すぎます（10,001個。10,000個までです）"
        " (too many entries (10,001; at most 10,000))"
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("title: 計画\n目標: 50%以上: 継続\n", 2),
        ("a: 1\ntext: [2,400件/年] 以上\n", 2),
        ("text: %50\n", 1),
        ("text: *重要\n", 1),
        ("text: '第2期' 改訂版\n", 1),
    ],
)
def test_a_value_that_breaks_yaml_gets_a_hint_to_quote_it(text: str, line: int) -> None:
    (error,) = refused(text)
    assert error.line == line
    assert error.ja.startswith(f"YAMLとして読み取れません（{line}行目")
    assert error.ja.endswith("。" + QUOTE_HINT)
    assert error.en.endswith(
        "If a value contains : or # or [ ] and the like, put it in double quotes"
        ' (for example text: "2,400件/年")'
    )
    assert (
        DataFile.read('text: "2,400件/年"\n目標: "50%以上: 継続"\n', "x.yaml").data["目標"] == "50%以上: 継続"
    )


def test_other_syntax_errors_get_no_quoting_hint() -> None:
    (error,) = refused("- a: 1\n b: 2\n")
    assert QUOTE_HINT not in error.ja
    assert QUOTE_HINT not in refused('{"a": }', "x.json")[0].ja


def test_a_date_that_does_not_exist_is_refused_with_its_line(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("key: p\nadopted_on: 2024-02-30\n", "utf-8")
    with pytest.raises(PlanFileInvalid) as caught:
        read(plan)
    (error,) = caught.value.errors
    assert error.line == 2
    assert error.ja.startswith("YAMLとして読み取れません（2行目 13文字目）: cannot read '2024-02-30' as date")
