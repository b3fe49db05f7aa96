"""Data files — plan files, procedure files, form definitions: one reader for all of them.

:class:`DataFile` reads YAML or JSON text (bytes must be UTF-8, a BOM allowed), keeps the text,
and finds the line of any path only when an error needs it (JSON is YAML, so both are composed
the same way). :meth:`DataFile.validate` checks the data against a pydantic model and turns every
error into a :class:`FileError` — file, line, path and the fault in Japanese and English, worded
the same way for every kind of file (:func:`pydantic_message`). :class:`DataFileInvalid` carries
every error found, so a refused file is refused once with all of them::

    katagami-2026.yaml:214 kpis[0].targets[1].fiscal_year: 計画期間外です (outside the plan period)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from os import PathLike as _PathLike
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from yakusho.core import fastyaml

Path_ = tuple[str | int, ...]
PathLike = str | _PathLike[str]
M = TypeVar("M", bound=BaseModel)
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class FileError:
    file: str
    line: int | None
    path: str
    ja: str
    en: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        fault = f"{self.ja} ({self.en})" if self.en and self.en != self.ja else self.ja
        return f"{where} {self.path}: {fault}" if self.path else f"{where}: {fault}"

    def text(self, language: str | None = None) -> str:
        """The fault in the reader's language (Japanese unless ``language`` is English)."""
        return self.en if self.en and (language or "ja").startswith("en") else self.ja


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


_PATH_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


def parse_path(text: str) -> Path_:
    """``$.fields[2].label`` or ``fields[2].label`` back to ``("fields", 2, "label")``."""
    text = text.removeprefix("$")
    if text and not text.startswith((".", "[")):
        text = "." + text
    return tuple(int(index) if index else key for key, index in _PATH_PART.findall(text))


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


Format = Literal["yaml", "json"]


class DataFile:
    """A YAML or JSON document read once; lines are mapped only when an error asks for one."""

    def __init__(self, file: str, data: Any, source: str | None = None) -> None:
        self.file = file
        self.data = data
        self.source = source
        self._lines: dict[Path_, int] | None = None

    @staticmethod
    def raw(path: PathLike, *, invalid: type[DataFileInvalid] = DataFileInvalid) -> bytes:
        """The bytes of the file at ``path``, or ``invalid`` saying why it cannot be read."""
        path = Path(path)
        try:
            return path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise invalid(
                [
                    FileError(
                        path.name,
                        None,
                        "",
                        f"ファイルを読めません: {reason}",
                        f"cannot read the file: {reason}",
                    )
                ]
            ) from None

    @classmethod
    def read(
        cls,
        raw: str | bytes,
        file: str,
        *,
        fmt: Format | None = None,
        invalid: type[DataFileInvalid] = DataFileInvalid,
    ) -> DataFile:
        """Read ``raw`` as JSON (``fmt="json"`` or a ``.json`` file name) or YAML; raise
        ``invalid`` (a :class:`DataFileInvalid`) with the line of a syntax error."""
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise invalid([FileError(file, None, "", *SYNTAX["encoding"])]) from None
        text = raw.removeprefix("\ufeff")
        if fmt is None:
            fmt = "json" if file.lower().endswith(".json") else "yaml"
        try:
            data = cls._load(text, fmt)
        except RecursionError:
            raise invalid([FileError(file, None, "", *SYNTAX["depth"])]) from None
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise invalid([cls._syntax(file, fmt, exc)]) from None
        return cls(file, data, text)

    @staticmethod
    def _load(text: str, fmt: Format) -> Any:
        return json.loads(text) if fmt == "json" else fastyaml.load(text)

    @staticmethod
    def _syntax(file: str, fmt: Format, exc: Exception) -> FileError:
        if isinstance(exc, json.JSONDecodeError):
            return syntax_error(file, "json", exc.msg, exc.lineno, exc.colno)
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        return syntax_error(file, fmt, problem, line, column)

    def line(self, path: Path_) -> int | None:
        """The line of ``path`` (or of its nearest ancestor that the text has)."""
        if self._lines is None:
            self._lines = {}
            if self.source is not None:
                try:
                    root = yaml.compose(self.source, Loader=_Loader)
                except (yaml.YAMLError, RecursionError):  # JSON that YAML 1.1 does not take: no lines
                    root = None
                if root is not None:
                    line_map(root, (), self._lines)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get(())

    def error(self, path: Path_, ja: str, en: str) -> FileError:
        return FileError(self.file, self.line(path), format_path(path), ja, en)

    def validate(
        self,
        model: type[M],
        *,
        invalid: type[DataFileInvalid] = DataFileInvalid,
        message: Callable[[Any], tuple[str, str] | None] | None = None,
    ) -> M:
        """The data as ``model``, or ``invalid`` with every error (``message`` may word an error
        type of its own — e.g. a validator's code — and returns None for the shared wording)."""
        if not isinstance(self.data, dict):
            raise invalid([self.error((), *PYDANTIC_MESSAGES["model_type"])])
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            errors = []
            for err in exc.errors():
                pair = (message(err) if message else None) or pydantic_message(err)
                errors.append(self.error(tuple(err["loc"]), *pair))
            raise invalid(errors) from None


#: the faults of a file that cannot be read at all
SYNTAX: dict[str, tuple[str, str]] = {
    "encoding": ("UTF-8 のテキストとして読み取れません", "not UTF-8 text"),
    "json": ("JSONとして読み取れません", "not valid JSON"),
    "yaml": ("YAMLとして読み取れません", "not valid YAML"),
    "depth": ("入れ子が深すぎて読み取れません", "nested too deeply to read"),
}


def syntax_error(file: str, kind: str, problem: str, line: int | None, column: int | None) -> FileError:
    """A text that is not JSON or YAML at all: the same wording (and place) for every file."""
    ja, en = SYNTAX[kind]
    if line is not None:
        ja, en = f"{ja}（{line}行目 {column}文字目）", f"{en} (line {line}, column {column})"
    return FileError(file, line, "", f"{ja}: {problem}", f"{en}: {problem}")


PYDANTIC_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("必須の項目がありません", "required"),
    "extra_forbidden": ("不明な項目です", "unknown key"),
    "int_parsing": ("整数で書いてください", "must be a whole number"),
    "int_type": ("整数で書いてください", "must be a whole number"),
    "int_from_float": ("整数で書いてください", "must be a whole number"),
    "decimal_parsing": ("数値で書いてください", "must be a number"),
    "decimal_type": ("数値で書いてください", "must be a number"),
    "float_parsing": ("数値で書いてください", "must be a number"),
    "float_type": ("数値で書いてください", "must be a number"),
    "string_type": ("文字列で書いてください", "must be text"),
    "date_from_datetime_parsing": ("日付（YYYY-MM-DD）で書いてください", "must be a date (YYYY-MM-DD)"),
    "date_parsing": ("日付（YYYY-MM-DD）で書いてください", "must be a date (YYYY-MM-DD)"),
    "date_type": ("日付（YYYY-MM-DD）で書いてください", "must be a date (YYYY-MM-DD)"),
    "bool_parsing": ("true か false で書いてください", "must be true or false"),
    "bool_type": ("true か false で書いてください", "must be true or false"),
    "list_type": ("リストで書いてください", "must be a list"),
    "model_type": ("項目の集まり（マッピング）で書いてください", "must be a mapping"),
    "model_attributes_type": ("項目の集まり（マッピング）で書いてください", "must be a mapping"),
    "dict_type": ("項目の集まり（マッピング）で書いてください", "must be a mapping"),
}


def pydantic_message(err: Any) -> tuple[str, str]:
    """Japanese and English for one of pydantic's ``errors()`` entries, with the limit or the
    allowed values where pydantic gives them."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in PYDANTIC_MESSAGES:
        return PYDANTIC_MESSAGES[kind]
    if kind in ("literal_error", "union_tag_invalid", "enum"):
        given = ctx.get("tag", err.get("input"))
        allowed = ctx.get("expected_tags") or ctx.get("expected") or ""
        return (
            f"「{given}」は使えません（使える値：{allowed}）",
            f"{given!r} is not allowed (allowed: {allowed})",
        )
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return f"書式が正しくありません（{pattern} に合いません）", f"does not match the pattern {pattern}"
    if kind == "string_too_short":
        least = ctx.get("min_length")
        if least == 1:
            return "空にできません", "must not be empty"
        return f"{least}文字以上で書いてください", f"at least {least} characters"
    if kind == "string_too_long":
        most = ctx.get("max_length")
        return f"{most}文字以内で書いてください", f"at most {most} characters"
    if kind == "too_short":
        least = ctx.get("min_length")
        return f"{least}個以上必要です", f"at least {least} entries"
    if kind == "too_long":
        most = ctx.get("max_length")
        return f"{most}個までです", f"at most {most} entries"
    if kind in ("greater_than_equal", "greater_than"):
        limit = ctx.get("ge", ctx.get("gt"))
        return f"{limit}以上にしてください", f"must be at least {limit}"
    if kind in ("less_than_equal", "less_than"):
        limit = ctx.get("le", ctx.get("lt"))
        return f"{limit}以下にしてください", f"must be at most {limit}"
    return "値が正しくありません", str(err.get("msg", "invalid value"))
