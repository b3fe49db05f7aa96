"""The one reader of data files: the same wording and places for plan files, procedure files and
form definitions."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from yakusho.core.datafiles import DataFile, DataFileInvalid, parse_path
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
    assert refused(b"\xff\xfe")[0].ja == "UTF-8 のテキストとして読み取れません"
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
