"""The form designer's edit operations: pure functions on a draft's JSON (no database).

Every operation (the form's settings and fee, pages, fields, options) changes a copy of the
definition; :func:`check` runs the form engine (``load_definition``) on the result, and when it
refuses, :class:`DesignerError` carries the engine's Japanese messages with the JSON path turned
into words (「2ページ目「届出人」の項目「氏名」：表示条件」). ``drafts.apply`` saves a draft only
when the engine accepts it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.procedures.formengine import DefinitionError, load_definition
from yakusho.procedures.formengine.engine import FormDefinition as EngineForm
from yakusho.procedures.formengine.schema import BaseField

#: what a field type is called in the designer
TYPE_LABELS: dict[str, Any] = {
    "text": gettext_lazy("一行テキスト"),
    "textarea": gettext_lazy("複数行テキスト"),
    "number": gettext_lazy("数値"),
    "date": gettext_lazy("日付"),
    "select": gettext_lazy("プルダウン（ひとつ選ぶ）"),
    "radio": gettext_lazy("ラジオボタン（ひとつ選ぶ）"),
    "checkbox": gettext_lazy("チェックボックス（いくつでも選ぶ）"),
    "email": gettext_lazy("メールアドレス"),
    "phone": gettext_lazy("電話番号"),
    "postal_code": gettext_lazy("郵便番号"),
    "address": gettext_lazy("住所"),
    "name": gettext_lazy("氏名"),
    "file": gettext_lazy("ファイルの添付"),
    "consent": gettext_lazy("同意（チェックひとつ）"),
    "resident": gettext_lazy("住民の基本4情報"),
    "group": gettext_lazy("繰り返し項目（行を追加できる）"),
}
CHOICE_TYPES = ("select", "radio", "checkbox")
#: the field's attributes in words (error messages, the change summary)
ATTR_WORDS: dict[str, Any] = {
    "key": gettext_lazy("キー"),
    "type": gettext_lazy("種類"),
    "label": gettext_lazy("ラベル"),
    "help": gettext_lazy("説明"),
    "required": gettext_lazy("必須"),
    "visible_when": gettext_lazy("表示条件"),
    "fact": gettext_lazy("住民の情報（ファクト）"),
    "min": gettext_lazy("最小値"),
    "max": gettext_lazy("最大値"),
    "min_length": gettext_lazy("最小文字数"),
    "max_length": gettext_lazy("最大文字数"),
    "pattern": gettext_lazy("入力パターン（正規表現）"),
    "pattern_message": gettext_lazy("パターンに合わないときのメッセージ"),
    "placeholder": gettext_lazy("入力例"),
    "rows": gettext_lazy("行数"),
    "decimals": gettext_lazy("小数点以下の桁数"),
    "unit": gettext_lazy("単位"),
    "options": gettext_lazy("選択肢"),
    "value": gettext_lazy("値"),
    "min_items": gettext_lazy("最小の数"),
    "max_items": gettext_lazy("最大の数"),
    "accept": gettext_lazy("添付できる種類"),
    "max_size": gettext_lazy("最大サイズ"),
    "text": gettext_lazy("同意する内容"),
    "parts": gettext_lazy("尋ねる項目"),
    "postal_code": gettext_lazy("郵便番号を尋ねる"),
    "building": gettext_lazy("方書を尋ねる"),
    "kana": gettext_lazy("フリガナを尋ねる"),
    "mobile_only": gettext_lazy("携帯電話の番号だけ"),
    "item_label": gettext_lazy("1件の呼び名"),
    "fields": gettext_lazy("項目"),
    "title": gettext_lazy("題名"),
    "description": gettext_lazy("説明"),
    "privacy_notice": gettext_lazy("個人情報の取扱い"),
    "fee": gettext_lazy("手数料"),
    "note": gettext_lazy("手数料の説明"),
    "amount": gettext_lazy("金額の式"),
    "when": gettext_lazy("条件"),
    "version": gettext_lazy("版"),
    "pages": gettext_lazy("ページ"),
    "items": gettext_lazy("手数料の項目"),
}
#: does the engine know the ``fact`` attribute yet (added by the counter work)?
HAS_FACT = "fact" in BaseField.model_fields


class DesignerError(Exception):
    """A refused operation: Japanese messages, each naming the page and field concerned."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class FieldRef:
    """Where a field is: page index, field index, and the index inside a group (0-based)."""

    page: int
    index: int
    sub: int | None = None

    def __str__(self) -> str:
        return f"{self.page}-{self.index}" + (f"-{self.sub}" if self.sub is not None else "")

    @classmethod
    def parse(cls, text: str) -> FieldRef:
        if not re.fullmatch(r"\d{1,3}-\d{1,3}(-\d{1,3})?", text):
            raise ValueError(text)
        parts = [int(p) for p in text.split("-")]
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


# --- JSON paths in words ------------------------------------------------------------------------

_PATH = re.compile(r"\$(?:\.[A-Za-z_$][A-Za-z0-9_]*|\[\d+\])*")
_STEP = re.compile(r"\.([A-Za-z_$][A-Za-z0-9_]*)|\[(\d+)\]")


def _label_of(node: Any, fallback: str) -> str:
    if isinstance(node, dict):
        return str(node.get("label") or node.get("title") or node.get("key") or fallback)
    return fallback


def describe_path(data: Any, path: str) -> str:
    """A JSON path of the definition in words a staff member understands."""
    steps = [(m[1], int(m[2]) if m[2] is not None else None) for m in _STEP.finditer(path)]
    if not steps:
        return _("フォーム全体")
    out: list[str] = []
    node: Any = data
    i = 0
    context = "form"  # form, page, field, sub, fee, fee_item, option
    while i < len(steps):
        name = steps[i][0]
        nxt = steps[i + 1][1] if i + 1 < len(steps) else None
        if name == "pages" and nxt is not None:
            pages = node.get("pages", []) if isinstance(node, dict) else []
            node = pages[nxt] if nxt < len(pages) else None
            out.append(_("%(n)sページ目「%(title)s」") % {"n": nxt + 1, "title": _label_of(node, "?")})
            context, i = "page", i + 2
            continue
        if name == "fields" and nxt is not None:
            fields = node.get("fields", []) if isinstance(node, dict) else []
            node = fields[nxt] if nxt < len(fields) else None
            label = _label_of(node, str(nxt + 1))
            if context == "field":
                out.append(_("の中の項目「%(label)s」") % {"label": label})
                context = "sub"
            else:
                out.append(_("の項目「%(label)s」") % {"label": label})
                context = "field"
            i += 2
            continue
        if name == "fee":
            node = node.get("fee") if isinstance(node, dict) else None
            if nxt is None and i + 1 < len(steps) and steps[i + 1][0] == "items" and len(steps) > i + 2:
                k = steps[i + 2][1] or 0
                items = node.get("items", []) if isinstance(node, dict) else []
                node = items[k] if k < len(items) else None
                out.append(_("手数料%(n)s「%(label)s」") % {"n": k + 1, "label": _label_of(node, "?")})
                context, i = "fee_item", i + 3
                continue
            out.append(_("手数料"))
            context, i = "fee", i + 1
            continue
        if name == "options" and nxt is not None:
            out.append(_("：選択肢%(n)s") % {"n": nxt + 1})
            context, i = "option", i + 2
            continue
        if name is not None:
            word = str(ATTR_WORDS.get(name, name))
            if context == "form":
                out.append(_("フォームの%(attr)s") % {"attr": word})
            elif context == "option":
                out.append(_("の%(attr)s") % {"attr": word})
            else:
                out.append(_("：%(attr)s") % {"attr": word})
        i += 1
    return "".join(out)


def _in_words(data: Any, errors: list[tuple[str, str]]) -> list[str]:
    out = []
    for path, message in errors:
        text = _PATH.sub(lambda m: describe_path(data, m[0]) if m[0] != "$" else m[0], str(message))
        out.append(f"{describe_path(data, path)}：{text}")
    return out


def check(data: dict[str, Any]) -> EngineForm:
    """The engine's form for ``data``, or :class:`DesignerError` in words."""
    try:
        return load_definition(data)
    except DefinitionError as exc:
        raise DesignerError(_in_words(data, exc.errors)) from None


Operation = Callable[[dict[str, Any]], None]


# --- addressing ----------------------------------------------------------------------------------


def _page(data: dict[str, Any], index: int) -> dict[str, Any]:
    pages = data["pages"]
    if not 0 <= index < len(pages):
        raise DesignerError([_("%(n)sページ目はありません。") % {"n": index + 1}])
    page: dict[str, Any] = pages[index]
    return page


def _siblings(data: dict[str, Any], ref: FieldRef) -> list[dict[str, Any]]:
    """The list the field is in (a page's fields, or a group's)."""
    fields: list[dict[str, Any]] = _page(data, ref.page)["fields"]
    if ref.sub is None:
        return fields
    if not 0 <= ref.index < len(fields) or fields[ref.index].get("type") != "group":
        raise DesignerError([_("この項目はありません。ページを読み込み直してください。")])
    group_fields: list[dict[str, Any]] = fields[ref.index]["fields"]
    return group_fields


def _position(ref: FieldRef) -> int:
    return ref.sub if ref.sub is not None else ref.index


def get_field(data: dict[str, Any], ref: FieldRef) -> dict[str, Any]:
    fields = _siblings(data, ref)
    position = _position(ref)
    if not 0 <= position < len(fields):
        raise DesignerError([_("この項目はありません。ページを読み込み直してください。")])
    return fields[position]


def iter_fields(data: dict[str, Any]) -> Iterator[tuple[FieldRef, dict[str, Any]]]:
    for p, page in enumerate(data.get("pages", [])):
        for i, f in enumerate(page.get("fields", [])):
            yield FieldRef(p, i), f
            if f.get("type") == "group":
                for j, sub in enumerate(f.get("fields", [])):
                    yield FieldRef(p, i, j), sub


def _all_keys(data: dict[str, Any]) -> set[str]:
    return {f["key"] for _ref, f in iter_fields(data)} | {p["key"] for p in data.get("pages", [])}


def new_key(data: dict[str, Any], prefix: str) -> str:
    """``prefix_1``, ``prefix_2``, … — the first not used by a page or field."""
    keys = _all_keys(data)
    n = 1
    while f"{prefix}_{n}" in keys:
        n += 1
    return f"{prefix}_{n}"


# --- form settings and fee -------------------------------------------------------------------------


def set_form_settings(
    *, title: str, description: str, privacy_notice: str, fee_items: list[dict[str, str]], fee_note: str
) -> Operation:
    def op(data: dict[str, Any]) -> None:
        data["title"] = title
        _set_optional(data, "description", description)
        data["privacy_notice"] = privacy_notice
        items = []
        for item in fee_items:
            row = {"label": item["label"], "amount": item["amount"]}
            for optional in ("when", "fee_item", "quantity"):
                if item.get(optional):
                    row[optional] = item[optional]
            items.append(row)
        if items:
            data["fee"] = {"items": items, **({"note": fee_note} if fee_note else {})}
        elif fee_note:
            raise DesignerError([_("手数料の説明だけを書くことはできません。手数料の項目を入れてください。")])
        else:
            data.pop("fee", None)

    return op


# --- pages --------------------------------------------------------------------------------------


def add_page(*, title: str, after: int | None = None) -> Operation:
    def op(data: dict[str, Any]) -> None:
        key = new_key(data, "page")
        field_key = new_key(data, "text")
        page = {
            "key": key,
            "title": title,
            "fields": [{"key": field_key, "type": "text", "label": _("新しい項目")}],
        }
        position = len(data["pages"]) if after is None else after + 1
        data["pages"].insert(position, page)

    return op


def edit_page(index: int, *, key: str, title: str, description: str, visible_when: str) -> Operation:
    def op(data: dict[str, Any]) -> None:
        page = _page(data, index)
        page["key"] = key
        page["title"] = title
        _set_optional(page, "description", description)
        _set_optional(page, "visible_when", visible_when)

    return op


def delete_page(index: int) -> Operation:
    def op(data: dict[str, Any]) -> None:
        _page(data, index)
        if len(data["pages"]) == 1:
            raise DesignerError([_("最後のページは削除できません。フォームには1ページ以上必要です。")])
        data["pages"].pop(index)

    return op


def move_page(index: int, direction: int) -> Operation:
    def op(data: dict[str, Any]) -> None:
        _page(data, index)
        target = index + direction
        if not 0 <= target < len(data["pages"]):
            raise DesignerError([_("これ以上動かせません。")])
        pages = data["pages"]
        pages[index], pages[target] = pages[target], pages[index]

    return op


# --- fields -------------------------------------------------------------------------------------


def default_field(type_: str, key: str, label: str) -> dict[str, Any]:
    """A new field of ``type_`` with valid defaults."""
    out: dict[str, Any] = {"key": key, "type": type_, "label": label}
    if type_ in CHOICE_TYPES:
        out["options"] = [
            {"value": "option_1", "label": _("選択肢1")},
            {"value": "option_2", "label": _("選択肢2")},
        ]
    elif type_ == "file":
        out["accept"] = ["pdf", "jpeg", "png"]
    elif type_ == "consent":
        out["label"] = label
        out["required"] = True
    elif type_ == "group":
        out["fields"] = [{"key": "item", "type": "text", "label": _("内容")}]
    return out


def add_field(page: int, *, type_: str, label: str, group: int | None = None) -> Operation:
    """Add a field at the end of a page (or of a group on that page)."""

    def op(data: dict[str, Any]) -> None:
        if type_ not in TYPE_LABELS:
            raise DesignerError([_("項目の種類「%(type)s」はありません。") % {"type": type_}])
        if group is not None:
            fields = _siblings(data, FieldRef(page, group, 0))
            if type_ == "group":
                raise DesignerError([_("繰り返し項目の中に繰り返し項目は作れません。")])
            keys = {f["key"] for f in fields}
            base = type_
            n = 1
            while f"{base}_{n}" in keys:
                n += 1
            fields.append(default_field(type_, f"{base}_{n}", label))
            return
        fields = _page(data, page)["fields"]
        fields.append(default_field(type_, new_key(data, type_), label))

    return op


def _set_optional(target: dict[str, Any], name: str, value: Any) -> None:
    if value is None or value == "":
        target.pop(name, None)
    else:
        target[name] = value


def edit_field(ref: FieldRef, attrs: dict[str, Any]) -> Operation:
    """Replace the field's attributes by ``attrs`` (key, label, … as the field editor gives them);
    ``None`` or "" drops an attribute (the engine's default applies). The type stays; a group keeps
    its fields."""

    def op(data: dict[str, Any]) -> None:
        current = get_field(data, ref)
        new: dict[str, Any] = {"key": attrs.get("key") or current["key"], "type": current["type"]}
        for name, value in attrs.items():
            if name in ("key", "type", "fields"):
                continue
            _set_optional(new, name, value)
        if current["type"] == "group":
            new["fields"] = current["fields"]
        _siblings(data, ref)[_position(ref)] = new

    return op


#: attributes a field keeps when its type changes (others are dropped)
COMMON_ATTRS = ("key", "label", "help", "required", "visible_when", "fact")


def change_type(ref: FieldRef, type_: str) -> Operation:
    def op(data: dict[str, Any]) -> None:
        current = get_field(data, ref)
        if type_ not in TYPE_LABELS:
            raise DesignerError([_("項目の種類「%(type)s」はありません。") % {"type": type_}])
        if "group" in (type_, current["type"]):
            raise DesignerError(
                [
                    _(
                        "繰り返し項目の種類は変えられません。新しい項目を追加して、いまの項目を削除してください。"
                    )
                ]
            )
        new = default_field(type_, current["key"], current["label"])
        for name in COMMON_ATTRS:
            if name in current and not (name == "fact" and type_ == "file"):
                new[name] = current[name]
        if type_ in CHOICE_TYPES and current["type"] in CHOICE_TYPES:
            new["options"] = current["options"]
        for name in ("min_length", "max_length"):
            if {type_, current["type"]} <= {"text", "textarea"} and name in current:
                new[name] = current[name]
        _siblings(data, ref)[_position(ref)] = new

    return op


def delete_field(ref: FieldRef) -> Operation:
    def op(data: dict[str, Any]) -> None:
        fields = _siblings(data, ref)
        get_field(data, ref)
        if len(fields) == 1:
            if ref.sub is not None:
                raise DesignerError([_("繰り返し項目には項目が1つ以上必要です。")])
            raise DesignerError(
                [
                    _(
                        "ページの最後の項目は削除できません。ページごと削除するか、先に別の項目を追加してください。"
                    )
                ]
            )
        fields.pop(_position(ref))

    return op


def move_field(ref: FieldRef, direction: int) -> Operation:
    def op(data: dict[str, Any]) -> None:
        fields = _siblings(data, ref)
        get_field(data, ref)
        position = _position(ref)
        target = position + direction
        if not 0 <= target < len(fields):
            raise DesignerError([_("これ以上動かせません。")])
        fields[position], fields[target] = fields[target], fields[position]

    return op


def move_field_to_page(ref: FieldRef, page: int) -> Operation:
    """Move a top-level field to the end of another page."""

    def op(data: dict[str, Any]) -> None:
        if ref.sub is not None:
            raise DesignerError([_("繰り返し項目の中の項目は、ほかのページへ移せません。")])
        item = get_field(data, ref)
        target = _page(data, page)
        if page == ref.page:
            return
        source = _page(data, ref.page)["fields"]
        if len(source) == 1:
            raise DesignerError(
                [_("ページの最後の項目は移せません。フォームのページには項目が1つ以上必要です。")]
            )
        source.pop(ref.index)
        target["fields"].append(item)

    return op


# --- options ------------------------------------------------------------------------------------


def parse_options(text: str, current: list[dict[str, str]] | None = None) -> list[dict[str, str]]:
    """Options from lines ``value=ラベル`` or ``ラベル``. A line without a value keeps the value of a
    current option with that label, or gets ``option_<n>``. Messages name the line."""
    by_label = {o["label"]: o["value"] for o in current or []}
    out: list[dict[str, str]] = []
    errors: list[str] = []
    used: set[str] = set()
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    explicit = {line.partition("=")[0].strip() for _n, line in lines if "=" in line}
    for n, line in lines:
        if "=" in line:
            value, _sep, label = (part.strip() for part in line.partition("="))
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,60}", value):
                errors.append(
                    _("選択肢の%(n)s行目：値「%(value)s」は半角英数字と _ . - で60文字までにしてください。")
                    % {"n": n, "value": value}
                )
                continue
        else:
            label = line
            value = by_label.get(label, "")
            if not value or value in used or value in explicit:
                k = 1
                while (
                    f"option_{k}" in used or f"option_{k}" in explicit or f"option_{k}" in by_label.values()
                ):
                    k += 1
                value = f"option_{k}"
        if not label:
            errors.append(_("選択肢の%(n)s行目：ラベルがありません。") % {"n": n})
            continue
        if value in used:
            errors.append(
                _("選択肢の%(n)s行目：値「%(value)s」が重複しています。") % {"n": n, "value": value}
            )
            continue
        used.add(value)
        out.append({"value": value, "label": label})
    if errors:
        raise DesignerError(errors)
    if not out:
        raise DesignerError([_("選択肢を1つ以上書いてください。")])
    return out


def options_text(options: list[dict[str, str]]) -> str:
    return "\n".join(f"{o['value']}={o['label']}" for o in options)
