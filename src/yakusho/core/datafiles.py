"""Errors of data files (plan files, procedure files): where (file, line, path) and what, in
Japanese and English, and the messages for pydantic's error types. Shared by every app that
imports YAML or JSON files, so their errors read alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class FileError:
    file: str
    line: int | None
    path: str
    ja: str
    en: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where} {self.path}: {self.ja} ({self.en})" if self.path else f"{where}: {self.ja} ({self.en})"
        )


class DataFileInvalid(Exception):
    """A refused file, with every error found."""

    def __init__(self, errors: list[FileError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def format_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_map(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    """Record the line of every path below ``node`` (a key's own line, not its value's)."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            line_map(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            line_map(item, (*path, index), lines)


PYDANTIC_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("必須の項目がありません", "required"),
    "extra_forbidden": ("不明な項目です", "unknown key"),
    "int_parsing": ("整数で書いてください", "must be a whole number"),
    "int_type": ("整数で書いてください", "must be a whole number"),
    "int_from_float": ("整数で書いてください", "must be a whole number"),
    "decimal_parsing": ("数値で書いてください", "must be a number"),
    "decimal_type": ("数値で書いてください", "must be a number"),
    "float_parsing": ("数値で書いてください", "must be a number"),
    "string_type": ("文字列で書いてください", "must be text"),
    "string_pattern_mismatch": ("書式が正しくありません", "does not match the required pattern"),
    "string_too_short": ("空にできません", "must not be empty"),
    "string_too_long": ("長すぎます", "too long"),
    "date_from_datetime_parsing": ("日付（YYYY-MM-DD）で書いてください", "must be a date (YYYY-MM-DD)"),
    "date_parsing": ("日付（YYYY-MM-DD）で書いてください", "must be a date (YYYY-MM-DD)"),
    "date_type": ("日付（YYYY-MM-DD）で書いてください", "must be a date (YYYY-MM-DD)"),
    "bool_parsing": ("true か false で書いてください", "must be true or false"),
    "bool_type": ("true か false で書いてください", "must be true or false"),
    "literal_error": ("使える値ではありません", "not an allowed value"),
    "list_type": ("リストで書いてください", "must be a list"),
    "model_type": ("項目の集まり（マッピング）で書いてください", "must be a mapping"),
    "dict_type": ("項目の集まり（マッピング）で書いてください", "must be a mapping"),
    "too_short": ("少なすぎます", "too few entries"),
    "too_long": ("多すぎます", "too many entries"),
    "greater_than_equal": ("値が小さすぎます", "value too small"),
    "less_than_equal": ("値が大きすぎます", "value too large"),
}


def pydantic_message(err: Any) -> tuple[str, str]:
    """Japanese and English for one of pydantic's ``errors()`` entries (allowed values named)."""
    ja, en = PYDANTIC_MESSAGES.get(err["type"], ("値が正しくありません", err["msg"]))
    if err["type"] == "literal_error":
        allowed = err.get("ctx", {}).get("expected", "")
        ja, en = f"{ja}（{allowed}）", f"{en} ({allowed})"
    return ja, en
