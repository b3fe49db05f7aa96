"""HTML inputs for one page of an engine form: plain data the templates render, no JavaScript.

The engine validates; this module only says which inputs a page has, with their names (the
engine's input naming: ``key``, ``key-part``, ``group-<n>-key``), current values, help and
errors. A repeating group shows its rows plus one empty row, and an 「追加」 button that posts the
page and comes back with one more. A field whose condition depends on an answer of the same page
is shown with a note (without JavaScript the page cannot hide it as you type); the engine ignores
its answer when the condition does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from yakusho.core import uploads
from yakusho.procedures.formengine import expressions
from yakusho.procedures.formengine.definition import SEX_OPTIONS, composite_parts
from yakusho.procedures.formengine.display import PART_LABELS
from yakusho.procedures.formengine.schema import (
    AddressField,
    CheckboxField,
    ConsentField,
    DateField,
    EmailField,
    FileField,
    GroupField,
    NameField,
    NumberField,
    PhoneField,
    PostalCodeField,
    RadioField,
    ResidentField,
    SelectField,
    TextareaField,
    TextField,
)

AUTOCOMPLETE = {
    "family_name": "family-name",
    "given_name": "given-name",
    "postal_code": "postal-code",
    "address": "street-address",
    "birth_date": "bday",
    "sex": "sex",
}


@dataclass
class Choice:
    value: str
    label: str
    checked: bool
    id: str


@dataclass
class Input:
    """One control (or one part of a composite field)."""

    name: str
    id: str
    label: str
    kind: str  # text, textarea, number, date, email, tel, postal, select, radio, checkbox, consent, file
    value: str = ""
    required: bool = False
    help: str = ""
    errors: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    rows: int = 5
    autocomplete: str = ""
    inputmode: str = ""
    maxlength: int | None = None
    text: str = ""  # consent: what is agreed to (Markdown)
    attached: dict[str, Any] | None = None  # file: what is attached already
    accept: str = ""
    unit: str = ""

    @property
    def describedby(self) -> str:
        ids = []
        if self.help:
            ids.append(f"{self.id}-help")
        if self.errors:
            ids.append(f"{self.id}-error")
        return " ".join(ids)


@dataclass
class Row:
    index: int
    label: str
    inputs: list[Block]


@dataclass
class Block:
    """A field as shown: a single input, a fieldset of parts, or a repeating group."""

    key: str
    label: str
    kind: str  # single, composite, group
    required: bool
    help: str = ""
    errors: list[str] = field(default_factory=list)
    conditional: bool = False
    inputs: list[Input] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    can_add: bool = False
    id: str = ""


def input_id(name: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)


def _first(raw: Mapping[str, list[str]], name: str) -> str:
    values = raw.get(name) or []
    return values[0] if values else ""


def _scalar(
    f: Any,
    name: str,
    label: str,
    raw: Mapping[str, list[str]],
    files: Mapping[str, Any],
    errors: Mapping[str, list[str]],
) -> Input:
    common: dict[str, Any] = {
        "name": name,
        "id": input_id(name),
        "label": label,
        "required": f.required,
        "help": f.help,
        "errors": list(errors.get(name, [])),
    }
    value = _first(raw, name)
    if isinstance(f, TextareaField):
        return Input(kind="textarea", value=value, rows=f.rows, maxlength=f.max_length, **common)
    if isinstance(f, TextField):
        return Input(kind="text", value=value, maxlength=f.max_length, **common)
    if isinstance(f, NumberField):
        return Input(
            kind="number",
            value=value,
            inputmode="decimal" if f.decimals else "numeric",
            unit=f.unit,
            **common,
        )
    if isinstance(f, DateField):
        if not f.help:
            common["help"] = _("例：令和8年4月1日、R8.4.1、2026-04-01")
        return Input(kind="date", value=value, **common)
    if isinstance(f, EmailField):
        return Input(kind="email", value=value, autocomplete="email", **common)
    if isinstance(f, PhoneField):
        return Input(kind="tel", value=value, autocomplete="tel", inputmode="tel", **common)
    if isinstance(f, PostalCodeField):
        return Input(kind="postal", value=value, autocomplete="postal-code", inputmode="numeric", **common)
    if isinstance(f, SelectField | RadioField):
        kind = "select" if isinstance(f, SelectField) else "radio"
        choices = [
            Choice(o.value, o.label, o.value == value, f"{common['id']}-{i}") for i, o in enumerate(f.options)
        ]
        return Input(kind=kind, value=value, choices=choices, **common)
    if isinstance(f, CheckboxField):
        chosen = set(raw.get(name) or [])
        choices = [
            Choice(o.value, o.label, o.value in chosen, f"{common['id']}-{i}")
            for i, o in enumerate(f.options)
        ]
        return Input(kind="checkbox", choices=choices, **common)
    if isinstance(f, ConsentField):
        return Input(kind="consent", value=value, text=f.text, **common)
    if isinstance(f, FileField):
        attached = files.get(name)
        kinds = ", ".join(uploads.KIND_LABELS[k] for k in f.accept)
        limit = (
            f"{f.max_size / 1024 / 1024:.0f} MB" if f.max_size >= 1024 * 1024 else f"{f.max_size // 1024} KB"
        )
        extra = _("添付できるファイル：%(kinds)s（%(max)sまで）") % {"kinds": kinds, "max": limit}
        common["help"] = f"{f.help} {extra}".strip()
        accept = ",".join(ext for k in f.accept for ext in uploads.KINDS[k][0])
        return Input(
            kind="file",
            attached=dict(attached) if attached is not None and uploads.is_file_info(attached) else None,
            accept=accept,
            **common,
        )
    raise TypeError(f"no input for {f!r}")  # pragma: no cover


def _composite(
    f: Any, name: str, label: str, raw: Mapping[str, list[str]], errors: Mapping[str, list[str]]
) -> list[Input]:
    out = []
    for part in composite_parts(f):
        part_name = f"{name}-{part}"
        part_label = str(PART_LABELS[part])
        common: dict[str, Any] = {
            "name": part_name,
            "id": input_id(part_name),
            "label": part_label,
            "required": f.required and part not in ("building",),
            "errors": list(errors.get(part_name, [])),
            "autocomplete": AUTOCOMPLETE.get(part, ""),
        }
        value = _first(raw, part_name)
        if part == "sex":
            choices = [
                Choice(v, t, v == value, f"{common['id']}-{i}") for i, (v, t) in enumerate(SEX_OPTIONS)
            ]
            out.append(Input(kind="radio", value=value, choices=choices, **common))
        elif part == "birth_date":
            out.append(
                Input(kind="date", value=value, help=_("例：昭和50年4月1日、S50.4.1、1975-04-01"), **common)
            )
        elif part == "postal_code":
            out.append(
                Input(kind="postal", value=value, inputmode="numeric", help=_("例：990-1101"), **common)
            )
        elif part in ("family_kana", "given_kana"):
            out.append(Input(kind="text", value=value, help=_("カタカナで入力してください"), **common))
        else:
            out.append(Input(kind="text", value=value, **common))
    return out


def _depends_on_page(definition: Any, condition: Any, page: int) -> bool:
    refs = {r.name for r in expressions.references(condition)}
    return any(definition.info[r].page == page for r in refs if r in definition.info)


def block_for(
    definition: Any,
    f: Any,
    page: int,
    raw: Mapping[str, list[str]],
    files: Mapping[str, Any],
    errors: Mapping[str, list[str]],
    extra_rows: int = 0,
    *,
    prefix: str = "",
    label_prefix: str = "",
    conditional: bool = False,
) -> Block:
    name = prefix + f.key
    label = f"{label_prefix}{f.label}"
    block = Block(
        key=name,
        label=label,
        kind="single",
        required=f.required,
        help=f.help,
        errors=list(errors.get(name, []))
        if isinstance(f, GroupField | NameField | AddressField | ResidentField)
        else [],
        conditional=conditional,
        id=input_id(name),
    )
    if isinstance(f, GroupField):
        block.kind = "group"
        pattern = re.compile(rf"^{re.escape(f.key)}-(\d{{1,4}})-")
        indices = sorted({int(m[1]) for n in [*raw, *files] if (m := pattern.match(n))})
        wanted = max(len(indices) + 1 + extra_rows, f.min_items, 1)
        wanted = min(wanted, f.max_items)
        next_index = (max(indices) + 1) if indices else 0
        while len(indices) < wanted:
            indices.append(next_index)
            next_index += 1
        info = definition.info[f.key]
        row_name = f.item_label or f.label
        for n, index in enumerate(indices, start=1):
            row_label = _("%(group)s（%(n)s件目）") % {"group": row_name, "n": n}
            inputs = [
                block_for(
                    definition,
                    sub,
                    page,
                    raw,
                    files,
                    errors,
                    prefix=f"{f.key}-{index}-",
                    label_prefix="",
                    conditional=sub.key in info.sub_conditions,
                )
                for sub in f.fields
            ]
            block.rows.append(Row(index, row_label, inputs))
        block.can_add = len(indices) < f.max_items
        return block
    if isinstance(f, NameField | AddressField | ResidentField):
        block.kind = "composite"
        block.inputs = _composite(f, name, label, raw, errors)
        return block
    block.inputs = [_scalar(f, name, label, raw, files, errors)]
    return block


def page_blocks(
    definition: Any,
    page: int,
    cleaned: Mapping[str, Any],
    raw: Mapping[str, list[str]],
    files: Mapping[str, Any],
    errors: Mapping[str, list[str]],
    extra_rows: Mapping[str, int] | None = None,
) -> list[Block]:
    """The blocks of ``page``: fields hidden by answers of earlier pages are left out."""
    shown = {f.key for f in definition.visible_fields(cleaned)}
    blocks = []
    for f in definition.pages[page].fields:
        info = definition.info[f.key]
        conditional = False
        if info.condition is not None:
            if _depends_on_page(definition, info.condition, page):
                conditional = True
            elif f.key not in shown:
                continue
        blocks.append(
            block_for(
                definition,
                f,
                page,
                raw,
                files,
                errors,
                (extra_rows or {}).get(f.key, 0),
                conditional=conditional,
            )
        )
    return blocks


def page_input_names(definition: Any, page: int) -> tuple[set[str], list[re.Pattern[str]]]:
    """Input names that belong to ``page`` (plain names, and patterns for group rows)."""
    names: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for f in definition.pages[page].fields:
        if isinstance(f, GroupField):
            subs = "|".join(
                re.escape(n)
                for s in f.fields
                for n in ([f"{s.key}-{p}" for p in composite_parts(s)] or [s.key])
            )
            patterns.append(re.compile(rf"^{re.escape(f.key)}-(\d{{1,4}})-({subs})$"))
        else:
            parts = composite_parts(f)
            names.update(f"{f.key}-{p}" for p in parts) if parts else names.add(f.key)
    return names, patterns


def belongs_to_page(name: str, names: set[str], patterns: list[re.Pattern[str]]) -> bool:
    return name in names or any(p.match(name) for p in patterns)


def error_links(errors: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """(anchor id, message) for the error summary at the top of the page."""
    out = []
    for name, messages in errors.items():
        for message in messages:
            out.append((input_id(name) if name != "__form__" else "", message))
    return out
