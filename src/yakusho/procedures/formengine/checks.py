"""Loading a form definition: structure (pydantic), then the rules that need the whole definition.

:func:`load_definition` returns a :class:`FormDefinition` or raises :class:`DefinitionError` whose
``errors`` are ``(json_path, Japanese message)`` pairs. The checks beyond the JSON Schema: unique
keys, unique option values, consistent bounds, patterns that compile, expressions that parse, name
existing fields in the right scope (a condition only looks at its own page and earlier ones, a
repeating group only through count() and sum()), and no cycles among visibility conditions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from pydantic import ValidationError

from yakusho.core.datafiles import DataFile, DataFileInvalid, pydantic_message

from . import expressions
from .dates import parse_bound
from .definition import DefinitionBase, DefinitionError, FeeRule, FieldInfo, composite_parts
from .expressions import ExpressionError, Node
from .facts import FactField, field_facts
from .schema import (
    FIELD_TYPES,
    AnyField,
    CheckboxField,
    DateField,
    FileField,
    FormDefinitionFile,
    GroupField,
    NumberField,
    RadioField,
    ScalarField,
    SelectField,
    TextareaField,
    TextField,
)

#: what a fact's kind is called in messages
KIND_LABELS = {
    "text": gettext_lazy("文字"),
    "number": gettext_lazy("数値"),
    "date": gettext_lazy("日付"),
    "choice": gettext_lazy("選択（1つ）"),
    "choices": gettext_lazy("選択（複数）"),
    "email": gettext_lazy("メールアドレス"),
    "phone": gettext_lazy("電話番号"),
    "postal_code": gettext_lazy("郵便番号"),
    "address": gettext_lazy("住所"),
    "name": gettext_lazy("氏名"),
    "consent": gettext_lazy("同意"),
}
D = TypeVar("D", bound="DefinitionBase")


def _path(loc: Sequence[int | str]) -> str:
    out = "$"
    previous: list[int | str] = []
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif (
            part in FIELD_TYPES
            and len(previous) >= 2
            and isinstance(previous[-1], int)
            and previous[-2] == "fields"
        ):
            pass  # pydantic puts the union member's tag in the location; the JSON has none there
        else:
            out += f".{part}"
        previous.append(part)
    return out


def _pydantic_message(err: Any) -> str:
    """The shared wording of data files (``core.datafiles``), in the reader's language; a field
    without ``type`` names the types there are."""
    if err["type"] == "union_tag_not_found":
        return _("type がありません（使える値：%(expected)s）") % {"expected": ", ".join(FIELD_TYPES)}
    ja, en = pydantic_message(err)
    return en if (get_language() or "ja").startswith("en") else ja


def _walk_fields(model: FormDefinitionFile) -> Iterator[tuple[int, int, AnyField, str]]:
    for p, page in enumerate(model.pages):
        for i, f in enumerate(page.fields):
            yield p, i, f, f"$.pages[{p}].fields[{i}]"


class _Checker:
    def __init__(self, model: FormDefinitionFile, form: DefinitionBase) -> None:
        self.model = model
        self.form = form
        self.errors: list[tuple[str, str]] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append((path, message))

    def run(self) -> None:
        self.keys()
        for _p, _i, f, path in _walk_fields(self.model):
            self.field_rules(f, path)
            if isinstance(f, GroupField):
                for j, sub in enumerate(f.fields):
                    self.field_rules(sub, f"{path}.fields[{j}]")
        self.facts()
        if self.errors:
            return
        self.conditions()
        self.fees()
        if not self.errors:
            self.cycles_and_order()

    def keys(self) -> None:
        seen_pages: dict[str, str] = {}
        for p, page in enumerate(self.model.pages):
            path = f"$.pages[{p}].key"
            if page.key in seen_pages:
                self.error(
                    path,
                    _("ページのキー「%(key)s」が重複しています（%(other)s と同じ）。")
                    % {"key": page.key, "other": seen_pages[page.key]},
                )
            seen_pages.setdefault(page.key, path)
        seen: dict[str, str] = {}
        for p, _i, f, path in _walk_fields(self.model):
            if f.key in seen:
                self.error(
                    f"{path}.key",
                    _("項目のキー「%(key)s」が重複しています（%(other)s と同じ）。")
                    % {"key": f.key, "other": seen[f.key]},
                )
                continue
            seen[f.key] = f"{path}.key"
            self.form.fields[f.key] = f
            self.form.info[f.key] = FieldInfo(field=f, page=p, path=path)
            if isinstance(f, GroupField):
                sub_seen: dict[str, str] = {}
                for j, sub in enumerate(f.fields):
                    sub_path = f"{path}.fields[{j}].key"
                    if sub.key in sub_seen:
                        self.error(
                            sub_path,
                            _("繰り返し項目「%(group)s」でキー「%(key)s」が重複しています（%(other)s）。")
                            % {"group": f.key, "key": sub.key, "other": sub_seen[sub.key]},
                        )
                    sub_seen.setdefault(sub.key, sub_path)

    def field_rules(self, f: AnyField, path: str) -> None:
        if isinstance(f, SelectField | RadioField | CheckboxField):
            values: set[str] = set()
            for k, option in enumerate(f.options):
                if option.value in values:
                    self.error(
                        f"{path}.options[{k}].value",
                        _("選択肢の値「%(value)s」が重複しています。") % {"value": option.value},
                    )
                values.add(option.value)
        pairs: list[tuple[str, str, Any, Any]] = []
        if isinstance(f, TextField | TextareaField):
            pairs.append(("min_length", "max_length", f.min_length, f.max_length))
        if isinstance(f, NumberField):
            pairs.append(("min", "max", f.min, f.max))
        if isinstance(f, CheckboxField):
            pairs.append(("min_items", "max_items", f.min_items, f.max_items))
            if f.min_items is not None and f.min_items > len(f.options):
                self.error(f"{path}.min_items", _("選択肢の数より多くは選べません。"))
        if isinstance(f, GroupField):
            pairs.append(("min_items", "max_items", f.min_items, f.max_items))
        if isinstance(f, DateField):
            bounds = []
            for name in ("min", "max"):
                text = getattr(f, name)
                if text is None:
                    continue
                try:
                    bounds.append(parse_bound(text))
                except ValueError:
                    self.error(
                        f"{path}.{name}", _("「%(value)s」は日付として正しくありません。") % {"value": text}
                    )
            low_day = bounds[0].fixed if len(bounds) == 2 else None
            high_day = bounds[1].fixed if len(bounds) == 2 else None
            if low_day is not None and high_day is not None and low_day > high_day:
                self.error(f"{path}.min", _("min が max より後になっています。"))
        for low_name, high_name, low, high in pairs:
            if low is not None and high is not None and low > high:
                self.error(
                    f"{path}.{low_name}",
                    _("%(low)s（%(low_value)s）が %(high)s（%(high_value)s）より大きくなっています。")
                    % {"low": low_name, "low_value": low, "high": high_name, "high_value": high},
                )
        if isinstance(f, TextField) and f.pattern is not None:
            try:
                re.compile(f.pattern)
            except re.error as exc:
                self.error(
                    f"{path}.pattern",
                    _("正規表現として読めません（%(error)s）。") % {"error": exc},
                )

    # --- facts -------------------------------------------------------------------------------

    def facts(self) -> None:
        """Where a fact may be, and that two fields with the same fact can hold the same value."""
        seen: dict[str, tuple[FactField, str]] = {}
        for p, _i, f, path in _walk_fields(self.model):
            if isinstance(f, GroupField):
                if f.fact is not None:
                    self.error(
                        f"{path}.fact",
                        _("繰り返し項目には fact を付けられません（行ごとの項目にも付けられません）。"),
                    )
                for j, sub in enumerate(f.fields):
                    if sub.fact is not None:
                        self.error(
                            f"{path}.fields[{j}].fact",
                            _(
                                "繰り返し項目「%(group)s」の中の項目には fact を付けられません"
                                "（行ごとに値が違うため、ほかの手続から引き継げません）。"
                            )
                            % {"group": f.label},
                        )
                continue
            if isinstance(f, FileField):
                if f.fact is not None:
                    self.error(f"{path}.fact", _("ファイルの項目には fact を付けられません。"))
                continue
            names = tuple(f"{f.key}-{part}" for part in composite_parts(f)) or (f.key,)
            where = f"{path}.fact" if f.fact is not None else f"{path}.parts"
            for fact in field_facts(f, p, names):
                self.form.facts.setdefault(fact.fact, []).append(fact)
                if fact.fact not in seen:
                    seen[fact.fact] = (fact, path)
                    continue
                first, first_path = seen[fact.fact]
                if not fact.compatible_with(first):
                    self.error(where, self.fact_mismatch(fact, first, first_path))

    @staticmethod
    def fact_mismatch(fact: FactField, first: FactField, first_path: str) -> str:
        if fact.kind != first.kind:
            reason = _("項目の種類が合いません（%(this)s と %(other)s）") % {
                "this": KIND_LABELS.get(fact.kind, fact.kind),
                "other": KIND_LABELS.get(first.kind, first.kind),
            }
        elif fact.decimals != first.decimals:
            reason = _("小数点以下の桁数が違います（%(this)s と %(other)s）") % {
                "this": fact.decimals,
                "other": first.decimals,
            }
        else:
            reason = _("選択肢の値が違います（%(this)s と %(other)s）") % {
                "this": ", ".join(fact.options),
                "other": ", ".join(first.options),
            }
        return _(
            "fact「%(fact)s」は %(other)s でも使われていますが、同じ値を入れられません：%(reason)s。"
            "同じ fact の項目は同じ種類にしてください。"
        ) % {"fact": fact.fact, "other": first_path, "reason": reason}

    # --- expressions -------------------------------------------------------------------------

    def parse(self, text: str, path: str) -> Node | None:
        try:
            node = expressions.parse(text)
            expressions.references(node)  # checks function names and argument counts
        except ExpressionError as exc:
            self.error(path, _("式「%(expr)s」：%(error)s") % {"expr": text, "error": exc})
            return None
        return node

    def check_refs(
        self,
        node: Node,
        text: str,
        path: str,
        *,
        max_page: int | None,
        siblings: GroupField | None = None,
        own_key: str | None = None,
    ) -> None:
        for ref in expressions.references(node):
            target: ScalarField | GroupField | None = None
            if siblings is not None:
                target = next((s for s in siblings.fields if s.key == ref.name), None)
            local = target is not None
            if target is None:
                target = self.form.fields.get(ref.name)
            if target is None:
                self.error(
                    path,
                    _("式「%(expr)s」の「%(name)s」という項目はありません。")
                    % {"expr": text, "name": ref.name},
                )
                continue
            if ref.name == own_key and (local or siblings is None):
                self.error(
                    path,
                    _("表示条件が循環しています：「%(name)s」の表示条件が自分自身を参照しています。")
                    % {"name": ref.name},
                )
                continue
            if not local and max_page is not None and self.form.info[ref.name].page > max_page:
                self.error(
                    path,
                    _(
                        "式「%(expr)s」の「%(name)s」は後のページの項目です。条件には同じページか前のページの項目だけを使えます。"
                    )
                    % {"expr": text, "name": ref.name},
                )
                continue
            self.check_part(ref, target, text, path)

    def check_part(
        self, ref: expressions.Reference, target: ScalarField | GroupField, text: str, path: str
    ) -> None:
        if isinstance(target, GroupField):
            if ref.function is None:
                self.error(
                    path,
                    _("式「%(expr)s」：繰り返し項目「%(name)s」は count() などの関数の中でだけ使えます。")
                    % {"expr": text, "name": ref.name},
                )
                return
            if ref.part is None:
                if ref.function in ("sum", "countif"):
                    self.error(
                        path,
                        _("式「%(expr)s」：%(function)s() には「%(name)s.項目」を指定してください。")
                        % {"expr": text, "function": ref.function, "name": ref.name},
                    )
                return
            sub = next((s for s in target.fields if s.key == ref.part), None)
            if sub is None:
                self.error(
                    path,
                    _("式「%(expr)s」：繰り返し項目「%(name)s」に「%(part)s」という項目はありません。")
                    % {"expr": text, "name": ref.name, "part": ref.part},
                )
            elif ref.function == "sum" and not isinstance(sub, NumberField):
                self.error(
                    path,
                    _("式「%(expr)s」：sum() で合計できるのは数値の項目だけです（「%(name)s」）。")
                    % {"expr": text, "name": ref.text},
                )
            return
        if ref.part is not None:
            parts = composite_parts(target)
            if ref.part not in parts:
                self.error(
                    path,
                    _("式「%(expr)s」：「%(name)s」に「%(part)s」はありません（使えるもの：%(parts)s）。")
                    % {
                        "expr": text,
                        "name": ref.name,
                        "part": ref.part,
                        "parts": ", ".join(parts) or "—",
                    },
                )
        elif ref.function == "sum" and not isinstance(target, NumberField):
            self.error(
                path,
                _("式「%(expr)s」：sum() で合計できるのは数値の項目だけです（「%(name)s」）。")
                % {"expr": text, "name": ref.text},
            )

    def conditions(self) -> None:
        for p, page in enumerate(self.model.pages):
            if page.visible_when:
                path = f"$.pages[{p}].visible_when"
                node = self.parse(page.visible_when, path)
                if node is not None:
                    self.check_refs(node, page.visible_when, path, max_page=p - 1)
                    self.form.page_conditions[p] = node
        for p, _i, f, path in _walk_fields(self.model):
            info = self.form.info[f.key]
            if f.visible_when:
                node = self.parse(f.visible_when, f"{path}.visible_when")
                if node is not None:
                    self.check_refs(node, f.visible_when, f"{path}.visible_when", max_page=p, own_key=f.key)
                    info.condition = node
            if isinstance(f, GroupField):
                for j, sub in enumerate(f.fields):
                    if not sub.visible_when:
                        continue
                    sub_path = f"{path}.fields[{j}].visible_when"
                    node = self.parse(sub.visible_when, sub_path)
                    if node is not None:
                        self.check_refs(
                            node, sub.visible_when, sub_path, max_page=p, siblings=f, own_key=sub.key
                        )
                        info.sub_conditions[sub.key] = node

    def fees(self) -> None:
        if self.model.fee is None:
            return
        for k, item in enumerate(self.model.fee.items):
            path = f"$.fee.items[{k}]"
            amount = self.parse(item.amount, f"{path}.amount")
            when = self.parse(item.when, f"{path}.when") if item.when else None
            if amount is not None:
                self.check_refs(amount, item.amount, f"{path}.amount", max_page=None)
            if when is not None and item.when:
                self.check_refs(when, item.when, f"{path}.when", max_page=None)
            quantity = self.parse(item.quantity, f"{path}.quantity") if item.quantity else None
            if quantity is not None and item.quantity:
                self.check_refs(quantity, item.quantity, f"{path}.quantity", max_page=None)
            if item.quantity and not item.fee_item:
                self.error(
                    f"{path}.quantity",
                    "数量（quantity）は手数料一覧の項目（fee_item）と一緒に指定してください。",
                )
            if (
                amount is not None
                and (when is not None or not item.when)
                and (quantity is not None or not item.quantity)
            ):
                self.form.fee_rules.append(FeeRule(item.label, amount, when, item.fee_item, quantity))

    # --- cycles ------------------------------------------------------------------------------

    def cycles_and_order(self) -> None:
        """Visibility depends on other fields' values; hidden fields count as empty, so each field's
        visibility must be known before a field that looks at it. Refuse cycles; keep the order."""
        deps: dict[str, list[str]] = {}
        paths: dict[str, str] = {}
        labels: dict[str, str] = {}
        for p, page in enumerate(self.model.pages):
            node_id = f"page:{page.key}"
            cond = self.form.page_conditions.get(p)
            deps[node_id] = [r.name for r in expressions.references(cond)] if cond else []
            paths[node_id] = f"$.pages[{p}].visible_when"
            labels[node_id] = page.key
        for key, info in self.form.info.items():
            page_id = f"page:{self.model.pages[info.page].key}"
            refs = [r.name for r in expressions.references(info.condition)] if info.condition else []
            deps[key] = [page_id, *refs]
            paths[key] = f"{info.path}.visible_when"
            labels[key] = key
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(node_id: str, stack: list[str]) -> bool:
            if state.get(node_id) == 2:
                return True
            if state.get(node_id) == 1:
                cycle = [*stack[stack.index(node_id) :], node_id]
                self.error(
                    paths[cycle[0]],
                    _("表示条件が循環しています：%(cycle)s")
                    % {"cycle": " → ".join(labels[c] for c in cycle)},
                )
                return False
            state[node_id] = 1
            for dep in deps[node_id]:
                if not visit(dep, [*stack, node_id]):
                    return False
            state[node_id] = 2
            if not node_id.startswith("page:"):
                order.append(node_id)
            return True

        for node_id in deps:
            if not visit(node_id, []):
                return
        self.form.order = order
        for info in self.form.info.values():
            if isinstance(info.field, GroupField):
                self.group_order(info)

    def group_order(self, info: FieldInfo) -> None:
        group = info.field
        assert isinstance(group, GroupField)
        sub_keys = {s.key for s in group.fields}
        deps = {
            s.key: [r.name for r in expressions.references(info.sub_conditions[s.key]) if r.name in sub_keys]
            if s.key in info.sub_conditions
            else []
            for s in group.fields
        }
        index = {s.key: j for j, s in enumerate(group.fields)}
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(key: str, stack: list[str]) -> bool:
            if state.get(key) == 2:
                return True
            if state.get(key) == 1:
                cycle = [*stack[stack.index(key) :], key]
                self.error(
                    f"{info.path}.fields[{index[cycle[0]]}].visible_when",
                    _("表示条件が循環しています：%(cycle)s") % {"cycle": " → ".join(cycle)},
                )
                return False
            state[key] = 1
            for dep in deps[key]:
                if not visit(dep, [*stack, key]):
                    return False
            state[key] = 2
            order.append(key)
            return True

        for s in group.fields:
            if not visit(s.key, []):
                return
        info.sub_order = order


def parse_definition(data: dict[str, Any] | str, cls: type[D]) -> D:
    if isinstance(data, str | bytes):
        try:
            data = DataFile.read(data, "form.json", fmt="json").data
        except DataFileInvalid as exc:
            language = get_language()
            raise DefinitionError([("$", e.text(language)) for e in exc.errors]) from None
    if not isinstance(data, dict):
        raise DefinitionError([("$", _("フォーム定義はJSONオブジェクトでなければなりません。"))])
    try:
        model = FormDefinitionFile.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = list(err["loc"])
            path = _path(loc)
            if err["type"] == "union_tag_invalid":
                path += ".type"
            errors.append((path, _pydantic_message(err)))
        raise DefinitionError(errors) from None
    form = cls(model, data)
    checker = _Checker(model, form)
    checker.run()
    if checker.errors:
        raise DefinitionError(checker.errors)
    return form
