"""HTML inputs for one page of an engine form: plain data the templates render.

The engine validates; this module only says which inputs a page has, with their names (the
engine's input naming: ``key``, ``key-part``, ``group-<n>-key``), current values, help and
errors. A repeating group shows its rows plus one empty row, and an 「追加」 button that posts the
page and comes back with one more. A field whose condition depends on an answer of the same page
is shown with a note; the engine ignores its answer when the condition does not hold. The page
works without JavaScript; with it (static/yakusho/forms.js), a field whose condition the script
can read (:func:`client_condition`) is hidden while its condition does not hold, and an error that
says nothing was given (:attr:`Input.missing`) goes away, with its line in the error summary, once
the field is filled in. The server validates every submit again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from yakusho.core import uploads
from yakusho.procedures.formengine import expressions
from yakusho.procedures.formengine.dates import today_in_japan
from yakusho.procedures.formengine.definition import SEX_OPTIONS, composite_parts
from yakusho.procedures.formengine.display import PART_LABELS, DatePicker, date_input_text, date_picker
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
    picker: DatePicker | None = None  # date: the browser's date picker (display.date_picker)

    @property
    def describedby(self) -> str:
        ids = []
        if self.help:
            ids.append(f"{self.id}-help")
        if self.errors:
            ids.append(f"{self.id}-error")
        return " ".join(ids)

    @property
    def missing(self) -> bool:
        """Its error says that nothing was given (a required answer, a part of a name, a
        requirement whose condition holds): filling it in answers the error, so the page's
        script takes the error away as soon as it is filled. The server checks again on submit."""
        if not self.errors:
            return False
        if self.kind == "checkbox":
            return not any(c.checked for c in self.choices)
        if self.kind == "file":
            return self.attached is None
        return not self.value.strip()


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
    #: the field's condition for the page's script (see :func:`client_condition`), "" when the
    #: script cannot evaluate it (the field then stays shown, with its note)
    show_when: str = ""


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
        picker = date_picker(f, value, today_in_japan())
        if not f.help:
            common["help"] = (
                _("例：12月14日、令和8年12月14日、R8.12.14、2026-12-14")
                if picker is None
                else picker.range_text()
            )
        return Input(kind="date", value=date_input_text(value), picker=picker, **common)
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
                Input(
                    kind="date",
                    value=date_input_text(value),
                    help=_("例：昭和50年4月1日、S50.4.1、1975-04-01"),
                    **common,
                )
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
    show_when: str = "",
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
        show_when=show_when,
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
        outer = _page_targets(definition, page)
        for n, index in enumerate(indices, start=1):
            row_label = _("%(group)s（%(n)s件目）") % {"group": row_name, "n": n}
            targets = {**outer, **{s.key: (f"{f.key}-{index}-{s.key}", s) for s in f.fields}}
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
                    show_when=client_condition(info.sub_conditions[sub.key], targets)
                    if sub.key in info.sub_conditions
                    else "",
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
        show_when = ""
        if info.condition is not None:
            if _depends_on_page(definition, info.condition, page):
                conditional = True
                show_when = client_condition(info.condition, _page_targets(definition, page))
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
                show_when=show_when,
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


# --- conditions the page's script evaluates -------------------------------------------------------

#: how the page's script reads a field's value: one choice (select, radio), several (checkbox),
#: a tick (consent), or text (only to ask whether it is filled)
_READ_AS: tuple[tuple[type, str], ...] = (
    (SelectField, "one"),
    (RadioField, "one"),
    (CheckboxField, "many"),
    (ConsentField, "flag"),
    (TextField, "text"),
    (TextareaField, "text"),
    (NumberField, "text"),
    (DateField, "text"),
    (EmailField, "text"),
    (PhoneField, "text"),
    (PostalCodeField, "text"),
)


def _page_targets(definition: Any, page: int) -> dict[str, tuple[str, Any]]:
    """Field key → (input name, field) for the single-input fields of ``page``."""
    return {
        f.key: (f.key, f)
        for f in definition.pages[page].fields
        if not isinstance(f, GroupField) and not composite_parts(f)
    }


def _read_as(f: Any) -> str:
    return next((how for cls, how in _READ_AS if isinstance(f, cls)), "")


def client_condition(condition: Any, targets: Mapping[str, tuple[str, Any]]) -> str:
    """A visibility condition as JSON for the page's script (static/yakusho/forms.js), so a field
    shows when its condition holds and its error goes when it stops holding; "" when the condition
    uses what the script cannot read exactly (a field of another page, numbers, dates, parts of a
    name, functions other than filled()). ``targets`` maps the field keys the condition may name to
    their input names on this page. The server decides on submit either way."""
    out = _client_node(condition, targets)
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")) if out is not None else ""


def _client_node(node: Any, targets: Mapping[str, tuple[str, Any]]) -> list[Any] | None:
    kind = node[0]
    if kind == "const":
        value = node[1]
        return ["const", value] if value is None or isinstance(value, str | bool) else None
    if kind == "list":
        items = [_client_node(n, targets) for n in node[1:]]
        if any(item is None or item[0] != "const" for item in items):
            return None
        return ["list", *(item[1] for item in items if item is not None)]
    if kind == "ref":
        target = targets.get(node[1])
        if target is None or _read_as(target[1]) in ("", "text"):
            return None  # a dotted part, another page, or a value typed (normalised on the server)
        return ["ref", target[0], _read_as(target[1])]
    if kind == "call" and node[1] == "filled" and len(node) == 4 and node[3][0] == "ref":
        target = targets.get(node[3][1])
        if target is None or not _read_as(target[1]):
            return None
        return ["filled", target[0], _read_as(target[1])]
    if kind in ("and", "or"):
        left, right = _client_node(node[1], targets), _client_node(node[2], targets)
        return [kind, left, right] if left is not None and right is not None else None
    if kind == "not":
        inner = _client_node(node[1], targets)
        return ["not", inner] if inner is not None else None
    if kind == "cmp" and node[1] in ("==", "!=", "in"):
        left, right = _client_node(node[2], targets), _client_node(node[3], targets)
        return ["cmp", node[1], left, right] if left is not None and right is not None else None
    return None
