"""The form designer: staff edit a draft of a procedure's form, then publish it as a new version.

A draft (``FormDraft``) is a copy of the live version, or a small valid skeleton for a procedure
without a form. Every operation works on a copy of the draft's JSON and saves it only when the
form engine accepts the result (``load_definition``); otherwise :class:`DesignerError` carries the
engine's Japanese messages, with the JSON path turned into words (「2ページ目「届出人」の項目
「氏名」：表示条件」) and nothing is saved. Publishing checks the draft against the live version
(:func:`publish_problems`, documented in docs/form-designer.md), adds the next version through
``services.add_form_definition`` and makes the procedure appear in the public catalogue with its
apply button.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.procedures.catalogue.services import FormDefinitionInvalid, add_form_definition
from yakusho.procedures.formengine import DefinitionError, check_successor, expressions, load_definition
from yakusho.procedures.formengine.engine import FormDefinition as EngineForm
from yakusho.procedures.formengine.schema import BaseField, GroupField
from yakusho.procedures.models import (
    ChannelKind,
    ChannelStatus,
    FormDefinition,
    Procedure,
    ProcedureChannel,
)
from yakusho.procedures.models.designer import FormDraft

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
#: types whose answers a rule reads the same way (a change between them keeps the rules' meaning)
VALUE_KINDS = {"text": "text", "textarea": "text", "select": "choice", "radio": "choice"}
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


# --- drafts ------------------------------------------------------------------------------------


def live_form(procedure: Procedure) -> FormDefinition | None:
    return FormDefinition.objects.filter(procedure=procedure).order_by("-version").first()


def get_draft(procedure: Procedure) -> FormDraft | None:
    return FormDraft.objects.filter(procedure=procedure).first()


def versions(procedure: Procedure) -> list[FormDefinition]:
    """Every version, newest first, with ``submission_count``."""
    return list(
        FormDefinition.objects.filter(procedure=procedure)
        .select_related("created_by")
        .annotate(submission_count=Count("submissions"))
        .order_by("-version")
    )


def skeleton(procedure: Procedure) -> dict[str, Any]:
    """The smallest useful form: one page asking for the applicant's name."""
    description = {"description": procedure.summary} if procedure.summary else {}
    return {
        "key": procedure.key,
        "version": 1,
        "title": procedure.name,
        **description,
        "privacy_notice": _(
            "## 個人情報の取扱いについて\n\n%(municipality)sは、この申請でお預かりした個人情報を"
            "「%(procedure)s」の事務にのみ使い、法令に定める場合を除いて第三者に提供しません。"
        )
        % {"municipality": procedure.municipality.name, "procedure": procedure.name},
        "pages": [
            {
                "key": "page_1",
                "title": _("申請者"),
                "fields": [
                    {"key": "applicant", "type": "name", "label": _("申請者の氏名"), "required": True}
                ],
            }
        ],
    }


@transaction.atomic
def start_draft(procedure: Procedure, user: Any = None) -> FormDraft:
    """The procedure's draft; a new one is a copy of the live version (or a skeleton)."""
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    existing = get_draft(procedure)
    if existing is not None:
        return existing
    live = live_form(procedure)
    if live is not None:
        data = copy.deepcopy(live.definition)
        data.pop("$schema", None)
        data["version"] = live.version + 1
    else:
        data = skeleton(procedure)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,59}", procedure.key):
        raise DesignerError(
            [
                _(
                    "手続のキー「%(key)s」はフォームのキーに使えません（半角英小文字・数字・ハイフン、60文字まで）。"
                )
                % {"key": procedure.key}
            ]
        )
    check(data)
    return FormDraft.objects.create(
        municipality_id=procedure.municipality_id,
        procedure=procedure,
        definition=data,
        based_on_version=live.version if live is not None else None,
        updated_by=user if getattr(user, "is_authenticated", False) else None,
    )


def discard_draft(draft: FormDraft) -> None:
    draft.delete()


def stamp(draft: FormDraft) -> str:
    """Changes whenever the draft is saved: forms carry it so a stale page cannot act on moved items."""
    return draft.updated_at.isoformat() if draft.updated_at else ""


Operation = Callable[[dict[str, Any]], None]


@transaction.atomic
def apply(draft: FormDraft, operation: Operation, user: Any = None) -> EngineForm:
    """Run ``operation`` on a copy of the draft; save it only if the engine accepts the result."""
    data = copy.deepcopy(draft.definition)
    operation(data)
    form = check(data)
    draft.definition = data
    draft.updated_by = user if getattr(user, "is_authenticated", False) else None
    draft.save()
    return form


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
            if item.get("when"):
                row["when"] = item["when"]
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


# --- publishing ---------------------------------------------------------------------------------


@dataclass
class Rule:
    """An expression of the form: where it is (in words), its text, and the group it is inside."""

    where: str
    text: str
    node: expressions.Node
    group: GroupField | None = None


def rules_of(form: EngineForm) -> list[Rule]:
    out: list[Rule] = []
    for p, page in enumerate(form.pages):
        if p in form.page_conditions and page.visible_when:
            where = _("%(n)sページ目「%(title)s」の表示条件") % {"n": p + 1, "title": page.title}
            out.append(Rule(where, page.visible_when, form.page_conditions[p]))
    for info in form.info.values():
        f = info.field
        if info.condition is not None and f.visible_when:
            out.append(
                Rule(_("項目「%(label)s」の表示条件") % {"label": f.label}, f.visible_when, info.condition)
            )
        if isinstance(f, GroupField):
            for sub in f.fields:
                node = info.sub_conditions.get(sub.key)
                if node is not None and sub.visible_when:
                    where = _("項目「%(group)s」の中の「%(label)s」の表示条件") % {
                        "group": f.label,
                        "label": sub.label,
                    }
                    out.append(Rule(where, sub.visible_when, node, f))
    if form.model.fee is not None:
        for k, item in enumerate(form.model.fee.items):
            rule = form.fee_rules[k] if k < len(form.fee_rules) else None
            if rule is None:
                continue
            where = _("手数料%(n)s「%(label)s」") % {"n": k + 1, "label": item.label}
            out.append(Rule(where + _("の金額"), item.amount, rule.amount))
            if item.when and rule.when is not None:
                out.append(Rule(where + _("の条件"), item.when, rule.when))
    return out


def _target(form: EngineForm, ref: expressions.Reference, group: GroupField | None) -> Any:
    """The field a reference names (a group's sub-field for ``group.part``)."""
    if group is not None:
        local = next((s for s in group.fields if s.key == ref.name), None)
        if local is not None:
            return local
    f = form.fields.get(ref.name)
    if isinstance(f, GroupField) and ref.part:
        return next((s for s in f.fields if s.key == ref.part), None)
    return f


def _live_group(live: EngineForm, group: GroupField | None) -> GroupField | None:
    """The live version's group of the same key (to resolve references between a group's fields)."""
    if group is None:
        return None
    found = live.fields.get(group.key)
    return found if isinstance(found, GroupField) else None


def _compared_values(node: expressions.Node) -> Iterator[tuple[expressions.Node, str]]:
    """(reference node, string constant) pairs that a rule compares: ``x == 'a'``, ``x in ['a']``,
    ``'a' in x``, ``countif(g.x, 'a')``."""

    def consts(n: expressions.Node) -> list[str]:
        if n[0] == "const" and isinstance(n[1], str):
            return [n[1]]
        if n[0] == "list":
            return [c for item in n[1:] for c in consts(item)]
        return []

    def walk(n: Any) -> Iterator[tuple[expressions.Node, str]]:
        if not isinstance(n, tuple):
            return
        if n[0] == "cmp" and n[1] in ("==", "!=", "in"):
            left, right = n[2], n[3]
            for a, b in ((left, right), (right, left)):
                if a[0] == "ref":
                    for value in consts(b):
                        yield a, value
        if n[0] == "call" and n[1] == "countif" and len(n) >= 5 and n[3][0] == "ref":
            for value in consts(n[4]):
                yield n[3], value
        for child in n[1:]:
            yield from walk(child)

    yield from walk(node)


def publish_problems(procedure: Procedure, draft: FormDraft) -> list[str]:
    """Why the draft may not be published now (empty: it may). See docs/form-designer.md."""
    try:
        new = check(draft.definition)
    except DesignerError as exc:
        return exc.messages
    live_row = live_form(procedure)
    live_version = live_row.version if live_row is not None else None
    if draft.based_on_version != live_version:
        return [
            _(
                "この下書きは第%(base)s版をもとにしていますが、その後に第%(live)s版が登録されました。"
                "下書きを破棄して、いまの版から作り直してください。"
            )
            % {"base": draft.based_on_version or "—", "live": live_version}
        ]
    if new.key != procedure.key:
        return [
            _("フォームのキー（%(form)s）が手続のキー（%(procedure)s）と一致しません。")
            % {"form": new.key, "procedure": procedure.key}
        ]
    live = load_definition(live_row.definition) if live_row is not None else None
    problems: list[str] = []
    new_rules = rules_of(new)
    if live is not None:
        same = copy.deepcopy(draft.definition)
        same["version"] = live.version
        if load_definition(same).fingerprint == live.fingerprint:
            return [_("公開中の第%(v)s版から変わったところがありません。") % {"v": live.version}]
        live_rules = rules_of(live)
        live_refs = {
            (r.name, r.part if isinstance(live.fields.get(r.name), GroupField) else None)
            for rule in live_rules
            for r in expressions.references(rule.node)
        }
        for rule in new_rules:
            for ref in expressions.references(rule.node):
                part = ref.part if isinstance(new.fields.get(ref.name), GroupField) else None
                if (ref.name, part) not in live_refs:
                    continue
                after = _target(new, ref, rule.group)
                before = _target(live, ref, _live_group(live, rule.group))
                if (
                    before is None
                    or after is None
                    or VALUE_KINDS.get(before.type, before.type) == (VALUE_KINDS.get(after.type, after.type))
                ):
                    continue
                problems.append(
                    _(
                        "項目「%(label)s」（%(key)s）の種類を「%(old)s」から「%(new)s」に変えましたが、"
                        "%(where)s「%(expr)s」がこの項目を使っています。式を直すか、種類を元に戻してください。"
                    )
                    % {
                        "label": after.label,
                        "key": ref.text,
                        "old": TYPE_LABELS[before.type],
                        "new": TYPE_LABELS[after.type],
                        "where": rule.where,
                        "expr": rule.text,
                    }
                )
    for rule in new_rules:
        for ref_node, value in _compared_values(rule.node):
            name, _sep, part = ref_node[1].partition(".")
            ref = expressions.Reference(name, part or None, ref_node[2], None)
            after = _target(new, ref, rule.group)
            if after is None or after.type not in CHOICE_TYPES:
                continue
            if value in {o.value for o in after.options}:
                continue
            before = _target(live, ref, _live_group(live, rule.group)) if live is not None else None
            if (
                before is not None
                and before.type in CHOICE_TYPES
                and value in {o.value for o in before.options}
            ):
                message = _(
                    "項目「%(label)s」から選択肢「%(value)s」を削除しましたが、%(where)s「%(expr)s」が"
                    "まだこの選択肢を使っています。"
                )
            else:
                message = _(
                    "%(where)s「%(expr)s」が、項目「%(label)s」にない選択肢「%(value)s」を使っています"
                    "（この条件は成り立ちません）。"
                )
            problems.append(
                message % {"label": after.label, "value": value, "where": rule.where, "expr": rule.text}
            )
    return list(dict.fromkeys(problems))


@dataclass
class Changes:
    """What a draft changes against the live version, in words."""

    first: bool = False
    settings: list[str] = field(default_factory=list)
    pages_added: list[str] = field(default_factory=list)
    pages_removed: list[str] = field(default_factory=list)
    pages_changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.settings
            or self.pages_added
            or self.pages_removed
            or self.pages_changed
            or self.added
            or self.removed
            or self.changed
        )


def _flat_fields(data: dict[str, Any]) -> dict[str, tuple[int, dict[str, Any]]]:
    out: dict[str, tuple[int, dict[str, Any]]] = {}
    for p, page in enumerate(data.get("pages", [])):
        for f in page.get("fields", []):
            out[f["key"]] = (p, f)
            if f.get("type") == "group":
                for sub in f.get("fields", []):
                    out[f"{f['key']}.{sub['key']}"] = (p, sub)
    return out


def _field_name(f: dict[str, Any], key: str) -> str:
    return f"{f.get('label', key)}（{key}）"


def changes(live: dict[str, Any] | None, draft: dict[str, Any]) -> Changes:
    out = Changes()
    if live is None:
        out.first = True
        out.pages_added = [p["title"] for p in draft["pages"]]
        out.added = [_field_name(f, k) for k, (_p, f) in _flat_fields(draft).items()]
        return out
    for name in ("title", "description", "privacy_notice", "fee"):
        if (live.get(name) or None) != (draft.get(name) or None):
            out.settings.append(str(ATTR_WORDS[name]))
    live_pages = {p["key"]: p for p in live["pages"]}
    draft_pages = {p["key"]: p for p in draft["pages"]}
    out.pages_added = [p["title"] for k, p in draft_pages.items() if k not in live_pages]
    out.pages_removed = [p["title"] for k, p in live_pages.items() if k not in draft_pages]
    if [k for k in live_pages if k in draft_pages] != [k for k in draft_pages if k in live_pages]:
        out.pages_changed.append(_("ページの順番"))
    for k, page in draft_pages.items():
        before = live_pages.get(k)
        if before is None:
            continue
        attrs = [
            str(ATTR_WORDS[a])
            for a in ("title", "description", "visible_when")
            if before.get(a) != page.get(a)
        ]
        if attrs:
            out.pages_changed.append(f"{page['title']}：{'、'.join(attrs)}")
    old = _flat_fields(live)
    new = _flat_fields(draft)
    out.added = [_field_name(f, k) for k, (_p, f) in new.items() if k not in old]
    out.removed = [_field_name(f, k) for k, (_p, f) in old.items() if k not in new]
    order_old = [k for k in old if k in new]
    order_new = [k for k in new if k in old]
    for k, (p, f) in new.items():
        if k not in old:
            continue
        before_page, before = old[k]
        names = sorted((set(before) | set(f)) - {"fields"})
        attrs = [str(ATTR_WORDS.get(a, a)) for a in names if before.get(a) != f.get(a)]
        if draft["pages"][p]["key"] != live["pages"][before_page]["key"]:
            attrs.append(_("ページ"))
        if attrs:
            out.changed.append((_field_name(f, k), attrs))
    if order_old != order_new and not out.pages_changed:
        out.pages_changed.append(_("項目の順番"))
    return out


def is_online(procedure: Procedure) -> bool:
    """Residents can apply on this site now (an available 「オンライン（このサイト）」 channel)."""
    return ProcedureChannel.objects.filter(
        procedure=procedure, kind=ChannelKind.YAKUSHO, status=ChannelStatus.AVAILABLE
    ).exists()


def online_by_default(procedure: Procedure) -> bool:
    """Whether publishing offers online applying unless staff say otherwise: yes when it is online
    already or has no other way in (a procedure new from the designer); no for a procedure done at
    a counter (its form serves the no-writing counter: 転入届 must be made in person)."""
    if is_online(procedure):
        return True
    return not ProcedureChannel.objects.filter(procedure=procedure, status=ChannelStatus.AVAILABLE).exists()


def ensure_online(procedure: Procedure) -> None:
    """Published, with an available 「オンライン（このサイト）」 channel: the catalogue then shows
    the procedure and its apply button (``views.can_apply_online``)."""
    if not procedure.published:
        procedure.published = True
        procedure.save(update_fields=["published"])
    channels = ProcedureChannel.objects.filter(procedure=procedure, kind=ChannelKind.YAKUSHO)
    if channels.filter(status=ChannelStatus.AVAILABLE).exists():
        return
    planned = channels.first()
    if planned is not None:
        planned.status = ChannelStatus.AVAILABLE
        planned.target_fiscal_year = None
        planned.save()
        return
    first = ProcedureChannel.objects.filter(procedure=procedure).aggregate(o=Max("order"))["o"]
    ProcedureChannel.objects.create(
        municipality_id=procedure.municipality_id,
        procedure=procedure,
        kind=ChannelKind.YAKUSHO,
        status=ChannelStatus.AVAILABLE,
        order=0 if first is None else first + 1,
    )


@transaction.atomic
def publish(
    procedure: Procedure, draft: FormDraft, user: Any = None, *, online: bool | None = None
) -> FormDefinition:
    """Publish the draft as the next version; refused (nothing changed) with the reasons.

    The procedure is published in the catalogue. With ``online`` (default
    :func:`online_by_default`) residents can apply with the form on this site; without, the form
    serves the counter only and the channels stay as they are (an online channel is never
    removed here: that is the catalogue's business)."""
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
    problems = publish_problems(procedure, draft)
    if problems:
        raise DesignerError(problems)
    live_row = live_form(procedure)
    data = copy.deepcopy(draft.definition)
    data["version"] = (live_row.version if live_row is not None else 0) + 1
    new = check(data)
    if live_row is not None:
        try:
            check_successor(load_definition(live_row.definition), new)
        except DefinitionError as exc:
            raise DesignerError(_in_words(data, exc.errors)) from None
    try:
        stored = add_form_definition(procedure, data, user=user, source="designer")
    except FormDefinitionInvalid as exc:
        raise DesignerError(_in_words(data, [(p.path, p.message) for p in exc.problems])) from None
    draft.delete()
    if online is None:
        online = online_by_default(procedure)
    if online:
        ensure_online(procedure)
    elif not procedure.published:
        procedure.published = True
        procedure.save(update_fields=["published"])
    return stored


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
