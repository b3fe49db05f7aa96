"""Data files — plan files, procedure files, form definitions: one reader for all of them.

:class:`DataFile` reads YAML or JSON text (bytes must be UTF-8, a BOM allowed), keeps the text,
and finds the line of any path only when an error needs it (JSON is YAML, so both are composed
the same way). :meth:`DataFile.validate` checks the data against a pydantic model and turns every
error into a :class:`FileError` — file, line, path and the fault in Japanese and English, worded
the same way for every kind of file (:func:`pydantic_message`). :class:`DataFileInvalid` carries
every error found, so a refused file is refused once with all of them::

    katagami-2026.yaml:214 kpis[0].targets[1].fiscal_year: 計画期間外です (outside the plan period)

Reading is strict, the same for every kind of file: a key written twice in one mapping is refused
with both lines; a file saved as Shift_JIS or UTF-16 is refused saying so and how to save it as
UTF-8; a file above :data:`MAX_BYTES` (or a list above the limit its kind sets with
:meth:`DataFile.limit_items`) is refused naming the limit; a YAML syntax error of the kinds an
unquoted ``:``, ``#`` or ``[`` in a value causes comes with a hint to quote the value.
"""

from __future__ import annotations

import codecs
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

#: the largest data file read, in bytes (``DataFile.raw`` and ``DataFile.read`` take ``max_bytes``)
MAX_BYTES = 20_000_000
#: the most entries of one list that :meth:`DataFile.limit_items` allows unless told (a plan's nodes)
MAX_ITEMS = 10_000


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
    def raw(
        path: PathLike, *, invalid: type[DataFileInvalid] = DataFileInvalid, max_bytes: int = MAX_BYTES
    ) -> bytes:
        """The bytes of the file at ``path``, or ``invalid`` saying why it cannot be read (a file
        above ``max_bytes`` is refused without reading it)."""
        path = Path(path)
        try:
            if path.stat().st_size > max_bytes:
                raise invalid([FileError(path.name, None, "", *too_large(max_bytes))])
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
        max_bytes: int = MAX_BYTES,
    ) -> DataFile:
        """Read ``raw`` as JSON (``fmt="json"`` or a ``.json`` file name) or YAML; raise
        ``invalid`` (a :class:`DataFileInvalid`) with the line of a syntax error, with both lines
        of a key written twice, naming the encoding of a file not in UTF-8 that looks like
        Shift_JIS or UTF-16, or naming the limit of a text above ``max_bytes``."""
        if _size_above(raw, max_bytes):
            raise invalid([FileError(file, None, "", *too_large(max_bytes))])
        text = (_decode(raw, file, invalid) if isinstance(raw, bytes) else raw).removeprefix("\ufeff")
        if fmt is None:
            fmt = "json" if file.lower().endswith(".json") else "yaml"
        try:
            data = cls._load(text, fmt)
        except RecursionError:
            raise invalid([FileError(file, None, "", *SYNTAX["depth"])]) from None
        except fastyaml.DuplicateKeys as exc:
            raise invalid([duplicate_error(file, d) for d in exc.duplicates]) from None
        except _RepeatedJsonKey as exc:
            raise invalid(_json_duplicates(file, text, exc)) from None
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise invalid([cls._syntax(file, fmt, exc)]) from None
        return cls(file, data, text)

    @staticmethod
    def _load(text: str, fmt: Format) -> Any:
        return json.loads(text, object_pairs_hook=_unique) if fmt == "json" else fastyaml.load(text)

    @staticmethod
    def _syntax(file: str, fmt: Format, exc: Exception) -> FileError:
        if isinstance(exc, json.JSONDecodeError):
            return syntax_error(file, "json", exc.msg, exc.lineno, exc.colno)
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        error = syntax_error(file, fmt, problem, line, column)
        said = f"{getattr(exc, 'context', None)} {problem}"
        if fmt == "yaml" and any(kind in said for kind in UNQUOTED_VALUE):
            ja, en = QUOTE_HINT
            error = FileError(error.file, error.line, error.path, f"{error.ja}。{ja}", f"{error.en}. {en}")
        return error

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

    def limit_items(
        self, path: Path_, limit: int = MAX_ITEMS, *, invalid: type[DataFileInvalid] = DataFileInvalid
    ) -> None:
        """Refuse the file (``invalid``) if the list (or mapping) at ``path`` has more than
        ``limit`` entries — before validating, so that a huge file costs no more than reading
        (and without a line: finding one would compose the whole file)."""
        value = self.data
        for part in path:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return
        if isinstance(value, (list, dict)) and len(value) > limit:
            raise invalid([FileError(self.file, None, format_path(path), *too_many(len(value), limit))])

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


#: what PyYAML and libyaml say (in their ``context`` or ``problem``) when a plain value holds a
#: ``:``, ``#``, ``[``, ``{``, ``*``, ``&``, ``!``, ``%``, ``@`` or a backquote
UNQUOTED_VALUE = (
    "mapping values are not allowed",
    "cannot start any token",
    "did not find expected key",
    "expected <block end>, but found '<scalar>'",
    "while parsing a flow",
    "while scanning an alias",
    "while scanning an anchor",
    "while scanning a tag",
    "while parsing a tag",
    "could not determine a constructor for the tag",
)
QUOTE_HINT = (
    '値に : や # や [ ] などが含まれる場合は、値を "…" で囲んでください（例: text: "2,400件/年"）',
    "If a value contains : or # or [ ] and the like, put it in double quotes"
    ' (for example text: "2,400件/年")',
)


def saved_as(encoding: str) -> tuple[str, str]:
    """A file that looks saved in ``encoding`` (Shift_JIS, UTF-16): what to do about it."""
    return (
        f"{encoding} で保存されたファイルのようです。UTF-8 で保存し直してください"
        "（Excel なら「CSV UTF-8」、メモ帳なら「UTF-8」を選んで保存）。",
        f"the file looks saved as {encoding}; save it again as UTF-8"
        " (in Excel choose “CSV UTF-8”, in Notepad choose “UTF-8”)",
    )


def _decode(raw: bytes, file: str, invalid: type[DataFileInvalid]) -> str:
    """UTF-8 bytes as text; ``invalid`` naming the encoding of bytes that look like UTF-16 or
    Shift_JIS, and saying they are not UTF-8 otherwise."""
    encoding = _utf16(raw)
    if encoding is None:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "Shift_JIS" if _shift_jis(raw) else None
    fault = saved_as(encoding) if encoding else SYNTAX["encoding"]
    raise invalid([FileError(file, None, "", *fault)])


def _utf16(raw: bytes) -> str | None:
    """``"UTF-16"`` for bytes with a UTF-16 byte order mark, or without one when every other byte
    is mostly zero (the ASCII of keys and indentation) and the bytes decode as UTF-16."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    if b"\x00" not in raw or len(raw) % 2:
        return None  # a NUL never belongs in YAML or JSON text
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    zeros, others, codec = (odd, even, "utf-16-le") if odd > even else (even, odd, "utf-16-be")
    if zeros * 8 < len(raw) // 2 or others * 4 > zeros:
        return None
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        return None
    return "UTF-16"


_KANA = re.compile("[\u3041-\u30ff]")


def _shift_jis(raw: bytes) -> bool:
    """Bytes that are not UTF-8 but decode as cp932 (Windows' Shift_JIS) into Japanese — with
    hiragana or katakana, which Latin-1 or cp1252 text never decodes into."""
    try:
        return _KANA.search(raw.decode("cp932")) is not None
    except UnicodeDecodeError:
        return False


def _size_above(raw: str | bytes, limit: int) -> bool:
    if isinstance(raw, bytes) or len(raw) > limit:
        return len(raw) > limit
    return len(raw) * 4 > limit and len(raw.encode("utf-8", "replace")) > limit


def _size(size: int) -> tuple[str, str]:
    if size >= 1_000_000:
        text = f"{size / 1_000_000:.1f}".removesuffix(".0") + " MB"
        return text, text
    if size >= 1_000:
        text = f"{size / 1_000:.1f}".removesuffix(".0") + " kB"
        return text, text
    return f"{size} バイト", f"{size} bytes"


def too_large(limit: int) -> tuple[str, str]:
    ja, en = _size(limit)
    return f"ファイルが大きすぎます（上限 {ja}）", f"the file is too large (at most {en})"


def too_many(count: int, limit: int) -> tuple[str, str]:
    return (
        f"項目が多すぎます（{count:,}個。{limit:,}個までです）",
        f"too many entries ({count:,}; at most {limit:,})",
    )


_LINES_NAMED = 5  # the lines named of a key written more often


def duplicate_error(file: str, duplicate: fastyaml.Duplicate, count: int | None = None) -> FileError:
    """A key written more than once: at its second line, naming every line it is on (``count``
    times, for a key whose lines are not known)."""
    key, lines = duplicate.key, duplicate.lines
    count = len(lines) if lines else count or 2
    times_ja, times_en = f"{count}回", "twice" if count == 2 else f"{count} times"
    ja, en = f"キー「{key}」が{times_ja}あります", f"the key “{key}” appears {times_en}"
    if len(lines) > _LINES_NAMED:
        shown = lines[:_LINES_NAMED]
        ja += "（" + "と".join(f"{line}行目" for line in shown) + "ほか）"
        en += " (lines " + ", ".join(map(str, shown)) + " and more)"
    elif lines:
        ja += "（" + "と".join(f"{line}行目" for line in lines) + "）"
        en += " (lines " + ", ".join(map(str, lines[:-1])) + f" and {lines[-1]})"
    return FileError(file, lines[1] if lines else None, format_path(duplicate.path), ja, en)


class _RepeatedJsonKey(Exception):
    def __init__(self, key: str, count: int) -> None:
        super().__init__(key)
        self.key, self.count = key, count


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused if a key is repeated (``json`` alone keeps the last one)."""
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedJsonKey(key, sum(1 for k, _ in pairs if k == key))
            seen.add(key)
    return mapping


def _json_duplicates(file: str, text: str, exc: _RepeatedJsonKey) -> list[FileError]:
    """Every repeated key of a JSON text with its lines (composed as YAML, only now); the key
    ``json`` found, without lines, if YAML does not take the text."""
    try:
        found = fastyaml.duplicate_keys(text)
    except (yaml.YAMLError, RecursionError):
        found = []
    if not found:
        return [duplicate_error(file, fastyaml.Duplicate((), exc.key, ()), exc.count)]
    return [duplicate_error(file, d) for d in found]
