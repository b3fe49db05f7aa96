"""The form designer's publish checks: why a draft may not be published now
(:func:`publish_problems`, documented in docs/form-designer.md) and what it changes against the
live version, in words (:func:`changes`, the summary on the publish page).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from yakusho.procedures.designer.drafts import live_form
from yakusho.procedures.designer.operations import (
    ATTR_WORDS,
    CHOICE_TYPES,
    TYPE_LABELS,
    DesignerError,
    check,
)
from yakusho.procedures.formengine import expressions, load_definition
from yakusho.procedures.formengine.engine import FormDefinition as EngineForm
from yakusho.procedures.formengine.schema import GroupField
from yakusho.procedures.models import Procedure
from yakusho.procedures.models.designer import FormDraft

#: types whose answers a rule reads the same way (a change between them keeps the rules' meaning)
VALUE_KINDS = {"text": "text", "textarea": "text", "select": "choice", "radio": "choice"}


# --- publish problems ---------------------------------------------------------------------------


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


# --- changes against the live version --------------------------------------------------------


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
