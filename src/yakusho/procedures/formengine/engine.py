"""Validating answers against a definition; visibility, fees and summaries of cleaned answers.

Input naming follows HTML forms (see docs/forms.md): a field's input is its key; a composite
field's parts are ``<key>-<part>`` (``applicant-family_kana``); a repeating group's rows are
``<group>-<n>-<field>`` (``children-0-name``, and ``children-0-person-family_name`` for a
composite inside a row). Keys beginning with ``_`` and ``csrfmiddlewaretoken`` belong to the
caller and are ignored; any other name that the definition does not produce is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core import normalize, uploads
from yakusho.core.jcal import JapaneseDateError, format_wareki_date, parse_japanese_date
from yakusho.core.uploads import FileInfo

from . import expressions
from .dates import parse_bound, today_in_japan
from .definition import SEX_OPTIONS, DefinitionBase, FieldInfo, composite_parts
from .expressions import ExpressionError, Node
from .facts import FactField
from .schema import (
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
    ScalarField,
    SelectField,
    TextareaField,
    TextField,
)

FORM_ERRORS = "__form__"
IGNORED_INPUTS = frozenset({"csrfmiddlewaretoken"})
MAX_ROWS = 100
_TRUE = frozenset({"on", "1", "true", "yes", "y"})

PART_LABELS = {
    "family_name": gettext_lazy("姓"),
    "given_name": gettext_lazy("名"),
    "family_kana": gettext_lazy("セイ"),
    "given_kana": gettext_lazy("メイ"),
    "postal_code": gettext_lazy("郵便番号"),
    "address": gettext_lazy("住所"),
    "building": gettext_lazy("方書（建物名・部屋番号）"),
    "birth_date": gettext_lazy("生年月日"),
    "sex": gettext_lazy("性別"),
}

Raw = Mapping[str, Any]
Files = Mapping[str, "UploadedFile | FileInfo"]


class FeeError(ValueError):
    """A fee expression could not be computed (division by zero, …); message in Japanese."""


class SummaryRow(NamedTuple):
    label: str
    value: str


@dataclass
class Result:
    """``cleaned``: normalised values (JSON-serialisable); ``errors``: input name (or field key, or
    ``__form__``) → Japanese messages naming the field; ``fee`` in yen when the whole form was
    validated, is valid and has a fee."""

    cleaned: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    fee: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)


class _Input:
    def __init__(self, raw: Raw, files: Files) -> None:
        self.raw = raw
        self.files = files
        self.getlist = getattr(raw, "getlist", None)

    def values(self, name: str) -> list[str]:
        if self.getlist is not None:
            return [str(v) for v in self.getlist(name)]
        value = self.raw.get(name)
        if value is None:
            return []
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        return [str(value)]

    def names(self) -> list[str]:
        return [str(k) for k in self.raw]


class _Run:
    """One validation: input, result, whether errors of the current field are reported."""

    def __init__(self, form: FormDefinition, inp: _Input, result: Result, today: date) -> None:
        self.form = form
        self.inp = inp
        self.result = result
        self.today = today
        self.report = True

    def err(self, name: str, message: str) -> None:
        if self.report:
            self.result.add(name, message)

    def one(self, name: str, label: str) -> str:
        values = self.inp.values(name)
        if len(values) > 1:
            self.err(name, _("「%(label)s」に複数の値が送信されました。") % {"label": label})
        return values[0] if values else ""

    # --- one field -------------------------------------------------------------------------

    def clean(self, f: ScalarField, name: str, label: str) -> Any:
        if isinstance(f, FileField):
            return self.clean_file(f, name, label)
        if isinstance(f, CheckboxField):
            return self.clean_checkbox(f, name, label)
        if isinstance(f, NameField | AddressField | ResidentField):
            return self.clean_composite(f, name, label)
        raw = self.one(name, label)
        if isinstance(f, ConsentField):
            return self.clean_consent(f, name, label, raw)
        text = normalize.normalize_text(raw, multiline=isinstance(f, TextareaField))
        if not text:
            if f.required:
                self.required(f, name, label)
            return None
        if isinstance(f, TextField | TextareaField):
            return self.clean_text(f, name, label, text)
        if isinstance(f, NumberField):
            return self.clean_number(f, name, label, raw)
        if isinstance(f, DateField):
            return self.clean_date(f, name, label, raw)
        if isinstance(f, SelectField | RadioField):
            return self.clean_choice(f, name, label, raw.strip())
        if isinstance(f, EmailField):
            email = normalize.email_address(raw)
            if email is None:
                self.err(
                    name,
                    _("「%(label)s」はメールアドレスの形式で入力してください（例：taro@example.jp）。")
                    % {"label": label},
                )
            return email
        if isinstance(f, PhoneField):
            return self.clean_phone(name, label, raw, mobile_only=f.mobile_only)
        if isinstance(f, PostalCodeField):
            return self.clean_postal(name, label, raw)
        raise TypeError(f"unknown field type {f!r}")  # pragma: no cover

    def required(self, f: ScalarField, name: str, label: str) -> None:
        if isinstance(f, SelectField | RadioField | CheckboxField):
            message = _("「%(label)s」を選んでください。")
        elif isinstance(f, FileField):
            message = _("「%(label)s」のファイルを添付してください。")
        else:
            message = _("「%(label)s」を入力してください。")
        self.err(name, message % {"label": label})

    def clean_text(self, f: TextField | TextareaField, name: str, label: str, text: str) -> str | None:
        n = len(text)
        if n > f.max_length:
            self.err(
                name,
                _("「%(label)s」は%(max)s文字以内で入力してください（いま%(n)s文字）。")
                % {"label": label, "max": f.max_length, "n": n},
            )
            return None
        if f.min_length is not None and n < f.min_length:
            self.err(
                name,
                _("「%(label)s」は%(min)s文字以上で入力してください（いま%(n)s文字）。")
                % {"label": label, "min": f.min_length, "n": n},
            )
            return None
        if isinstance(f, TextField) and f.pattern and not re.fullmatch(f.pattern, text):
            if f.pattern_message:
                self.err(
                    name, _("「%(label)s」：%(message)s") % {"label": label, "message": f.pattern_message}
                )
            else:
                self.err(name, _("「%(label)s」の形式が正しくありません。") % {"label": label})
            return None
        return text

    def clean_number(self, f: NumberField, name: str, label: str, raw: str) -> int | str | None:
        text = normalize.normalize_number(raw)
        if f.unit and text.endswith(normalize.normalize_text(f.unit)):
            text = text[: -len(normalize.normalize_text(f.unit))]
        if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text):
            self.err(name, _("「%(label)s」は数字で入力してください（例：12）。") % {"label": label})
            return None
        value = Decimal(text)
        places = len(text.partition(".")[2])
        if places > f.decimals:
            if f.decimals == 0:
                self.err(name, _("「%(label)s」は整数で入力してください。") % {"label": label})
            else:
                self.err(
                    name,
                    _("「%(label)s」は小数点以下%(n)s桁までで入力してください。")
                    % {"label": label, "n": f.decimals},
                )
            return None
        if f.min is not None and value < Decimal(str(f.min)):
            self.err(
                name,
                _("「%(label)s」は%(min)s%(unit)s以上で入力してください。")
                % {"label": label, "min": _number_text(f.min), "unit": f.unit},
            )
            return None
        if f.max is not None and value > Decimal(str(f.max)):
            self.err(
                name,
                _("「%(label)s」は%(max)s%(unit)s以下で入力してください。")
                % {"label": label, "max": _number_text(f.max), "unit": f.unit},
            )
            return None
        if f.decimals == 0:
            return int(value)
        return str(value)

    def clean_date(self, f: DateField, name: str, label: str, raw: str) -> str | None:
        try:
            day = parse_japanese_date(raw)
        except JapaneseDateError as exc:
            self.err(name, _("「%(label)s」：%(error)s") % {"label": label, "error": exc})
            return None
        if f.min is not None:
            low = parse_bound(f.min).resolve(self.today)
            if day < low:
                self.err(
                    name,
                    _("「%(label)s」は%(date)s以降の日付を入力してください。")
                    % {"label": label, "date": format_wareki_date(low)},
                )
                return None
        if f.max is not None:
            high = parse_bound(f.max).resolve(self.today)
            if day > high:
                self.err(
                    name,
                    _("「%(label)s」は%(date)s以前の日付を入力してください。")
                    % {"label": label, "date": format_wareki_date(high)},
                )
                return None
        return day.isoformat()

    def clean_choice(self, f: SelectField | RadioField, name: str, label: str, value: str) -> str | None:
        if value not in {o.value for o in f.options}:
            self.err(
                name,
                _("「%(label)s」の値「%(value)s」は選択肢にありません。")
                % {"label": label, "value": value[:40]},
            )
            return None
        return value

    def clean_checkbox(self, f: CheckboxField, name: str, label: str) -> list[str]:
        given = [v.strip() for v in self.inp.values(name) if v.strip()]
        allowed = [o.value for o in f.options]
        for value in given:
            if value not in allowed:
                self.err(
                    name,
                    _("「%(label)s」の値「%(value)s」は選択肢にありません。")
                    % {"label": label, "value": value[:40]},
                )
                return []
        chosen = [v for v in allowed if v in given]
        if not chosen and f.required:
            self.required(f, name, label)
        elif chosen and f.min_items is not None and len(chosen) < f.min_items:
            self.err(
                name, _("「%(label)s」は%(min)s個以上選んでください。") % {"label": label, "min": f.min_items}
            )
        elif f.max_items is not None and len(chosen) > f.max_items:
            self.err(name, _("「%(label)s」は%(max)s個まで選べます。") % {"label": label, "max": f.max_items})
        return chosen

    def clean_consent(self, f: ConsentField, name: str, label: str, raw: str) -> bool:
        text = raw.strip().lower()
        if text and text not in _TRUE and text not in ("off", "0", "false", "no"):
            self.err(name, _("「%(label)s」の値が正しくありません。") % {"label": label})
            return False
        agreed = text in _TRUE
        if f.required and not agreed:
            self.err(name, _("「%(label)s」にチェックを入れてください。") % {"label": label})
        return agreed

    def clean_phone(self, name: str, label: str, raw: str, *, mobile_only: bool = False) -> str | None:
        phone = normalize.phone_number(raw, mobile_only=mobile_only)
        if phone is None:
            if mobile_only and normalize.phone_number(raw) is not None:
                self.err(
                    name,
                    _("「%(label)s」は携帯電話の番号（070・080・090で始まる11桁）で入力してください。")
                    % {"label": label},
                )
            else:
                self.err(
                    name,
                    _("「%(label)s」は電話番号の形式で入力してください（例：0237-62-2111、090-1234-5678）。")
                    % {"label": label},
                )
        return phone

    def clean_postal(self, name: str, label: str, raw: str) -> str | None:
        code = normalize.postal_code(raw)
        if code is None:
            self.err(
                name, _("「%(label)s」は7桁の郵便番号で入力してください（例：990-1101）。") % {"label": label}
            )
        return code

    def clean_composite(
        self, f: NameField | AddressField | ResidentField, name: str, label: str
    ) -> dict[str, Any] | None:
        parts = composite_parts(f)
        raws = {p: self.one(f"{name}-{p}", f"{label}：{PART_LABELS[p]}") for p in parts}
        if not any(v.strip() for v in raws.values()):
            if f.required:
                first = parts[0]
                self.err(
                    f"{name}-{first}",
                    _("「%(label)s」を入力してください。") % {"label": f"{label}：{PART_LABELS[first]}"},
                )
            return None
        value: dict[str, Any] = {}
        for p in parts:
            part_name = f"{name}-{p}"
            part_label = f"{label}：{PART_LABELS[p]}"
            raw = raws[p]
            text = normalize.normalize_text(raw)
            optional = p == "building"
            if not text:
                value[p] = None
                if not optional:
                    message = (
                        _("「%(label)s」を選んでください。")
                        if p == "sex"
                        else _("「%(label)s」を入力してください。")
                    )
                    self.err(part_name, message % {"label": part_label})
                continue
            if p in ("family_kana", "given_kana"):
                kana = normalize.normalize_kana(raw)
                if normalize.is_katakana(kana):
                    value[p] = kana
                else:
                    message = _("「%(label)s」はカタカナで入力してください。")
                    self.err(part_name, message % {"label": part_label})
                    value[p] = None
            elif p == "postal_code":
                value[p] = self.clean_postal(part_name, part_label, raw)
            elif p == "birth_date":
                try:
                    day = parse_japanese_date(raw)
                except JapaneseDateError as exc:
                    self.err(part_name, _("「%(label)s」：%(error)s") % {"label": part_label, "error": exc})
                    value[p] = None
                    continue
                if day > self.today:
                    self.err(
                        part_name, _("「%(label)s」に未来の日付は入力できません。") % {"label": part_label}
                    )
                    value[p] = None
                    continue
                value[p] = day.isoformat()
            elif p == "sex":
                if raw.strip() not in {v for v, _text in SEX_OPTIONS}:
                    self.err(
                        part_name,
                        _("「%(label)s」の値「%(value)s」は選択肢にありません。")
                        % {"label": part_label, "value": raw.strip()[:40]},
                    )
                    value[p] = None
                else:
                    value[p] = raw.strip()
            else:
                text = normalize.normalize_address(raw) if p in ("address", "building") else text
                limit = 200
                if len(text) > limit:
                    self.err(
                        part_name,
                        _("「%(label)s」は%(max)s文字以内で入力してください（いま%(n)s文字）。")
                        % {"label": part_label, "max": limit, "n": len(text)},
                    )
                    value[p] = None
                else:
                    value[p] = text
        return value

    def clean_file(self, f: FileField, name: str, label: str) -> FileInfo | None:
        upload = self.inp.files.get(name)
        getlist = getattr(self.inp.files, "getlist", None)
        if getlist is not None and len(getlist(name)) > 1:
            self.err(name, _("「%(label)s」に複数のファイルが送信されました。") % {"label": label})
            return None
        if upload is None:
            if f.required:
                self.required(f, name, label)
            return None
        if not isinstance(upload, UploadedFile):
            if uploads.is_file_info(upload):
                return upload  # metadata of a file checked earlier (an earlier page), kept by the caller
            self.err(name, _("「%(label)s」のファイルを読み取れません。") % {"label": label})
            return None
        try:
            return uploads.check_upload(upload, label, f.accept, f.max_size)
        except uploads.UploadRefused as exc:
            self.err(name, str(exc))
            return None

    # --- repeating groups --------------------------------------------------------------------

    def clean_group(self, info: FieldInfo, scope: dict[str, Any]) -> list[dict[str, Any]]:
        group = info.field
        assert isinstance(group, GroupField)
        indices = self.form._row_indices(group, self.inp)
        row_name = group.item_label or group.label
        rows: list[dict[str, Any]] = []
        for index in indices:
            prefix = f"{group.key}-{index}-"
            if self.form._row_is_empty(group, prefix, self.inp):
                continue
            n = len(rows) + 1
            row_label = _("%(group)s（%(n)s件目）") % {"group": row_name, "n": n}
            row: dict[str, Any] = {}
            row_scope: dict[str, Any] = {}
            local = _Overlay(row_scope, scope)
            for sub_key in info.sub_order:
                sub = next(s for s in group.fields if s.key == sub_key)
                condition = info.sub_conditions.get(sub_key)
                if condition is not None and not _holds(condition, local, self.today):
                    row_scope[sub_key] = None
                    continue
                value = self.clean(sub, f"{prefix}{sub_key}", f"{row_label}：{sub.label}")
                row[sub_key] = value
                row_scope[sub_key] = _scope_value(sub, value)
            rows.append({s.key: row[s.key] for s in group.fields if s.key in row})
        count = len(rows)
        if count < group.min_items:
            self.err(
                group.key,
                _("「%(label)s」は%(min)s件以上入力してください（いま%(n)s件）。")
                % {"label": group.label, "min": group.min_items, "n": count},
            )
        if count > group.max_items:
            self.err(
                group.key,
                _("「%(label)s」は%(max)s件まで入力できます（いま%(n)s件）。")
                % {"label": group.label, "max": group.max_items, "n": count},
            )
        return rows


class _Overlay(Mapping[str, Any]):
    """A row's own values first, then the form's."""

    def __init__(self, local: dict[str, Any], outer: Mapping[str, Any]) -> None:
        self.local = local
        self.outer = outer

    def __getitem__(self, key: str) -> Any:
        if key in self.local:
            return self.local[key]
        return self.outer[key]

    def __iter__(self) -> Any:
        return iter({**self.outer, **self.local})

    def __len__(self) -> int:
        return len({**self.outer, **self.local})


def _holds(node: Node, scope: Mapping[str, Any], today: date) -> bool:
    try:
        value = expressions.evaluate(node, scope, today=today)
    except ExpressionError:
        return False
    return expressions._truthy(value)


def _scope_value(f: ScalarField | GroupField, value: Any) -> Any:
    """A cleaned (JSON) value as expressions see it: numbers as Decimal, dates as date."""
    if value is None:
        return None
    try:
        if isinstance(f, NumberField):
            return Decimal(str(value))
        if isinstance(f, DateField):
            return date.fromisoformat(value)
        if isinstance(f, ResidentField) and isinstance(value, dict):
            out = dict(value)
            if out.get("birth_date"):
                out["birth_date"] = date.fromisoformat(out["birth_date"])
            return out
        if isinstance(f, GroupField) and isinstance(value, list):
            subs = {s.key: s for s in f.fields}
            return [
                {k: _scope_value(subs[k], v) for k, v in row.items() if k in subs}
                for row in value
                if isinstance(row, dict)
            ]
    except (ValueError, TypeError, InvalidOperation):
        return None
    return value


def _number_text(value: float | int | Decimal) -> str:
    d = Decimal(str(value))
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d:,}"


class FormDefinition(DefinitionBase):
    """A loaded, checked form definition: validate answers, decide visibility, compute the fee and
    summarise answers."""

    # --- input names -------------------------------------------------------------------------

    def _input_names(self) -> tuple[set[str], set[str], list[tuple[str, re.Pattern[str]]]]:
        cached = getattr(self, "_names_cache", None)
        if cached is not None:
            return cached
        names: set[str] = set()
        file_names: set[str] = set()
        groups: list[tuple[str, re.Pattern[str]]] = []
        for key, f in self.fields.items():
            if isinstance(f, GroupField):
                subs = "|".join(re.escape(n) for s in f.fields for n in _names_of(s))
                groups.append((key, re.compile(rf"^{re.escape(key)}-(\d{{1,4}})-({subs})$")))
                continue
            names.update(_names_of(f))
            if isinstance(f, FileField):
                file_names.add(key)
        self._names_cache = (names, file_names, groups)
        return self._names_cache

    def _row_indices(self, group: GroupField, inp: _Input) -> list[int]:
        pattern = next(p for k, p in self._input_names()[2] if k == group.key)
        found = set()
        for name in [*inp.names(), *inp.files]:
            m = pattern.match(name)
            if m and int(m[1]) < MAX_ROWS:
                found.add(int(m[1]))
        return sorted(found)

    def _row_is_empty(self, group: GroupField, prefix: str, inp: _Input) -> bool:
        for sub in group.fields:
            for n in _names_of(sub):
                name = prefix + n
                if name in inp.files:
                    return False
                if any(v.strip() for v in inp.values(name)):
                    return False
        return True

    def _check_names(self, inp: _Input, result: Result) -> None:
        names, file_names, groups = self._input_names()
        for name in inp.names():
            if name.startswith("_") or name in IGNORED_INPUTS or name in names:
                continue
            m = next((m for _k, p in groups if (m := p.match(name))), None)
            if m and int(m[1]) < MAX_ROWS:
                continue
            result.add(
                FORM_ERRORS, _("フォームにない項目「%(name)s」が送信されました。") % {"name": name[:60]}
            )
        for name in inp.files:
            m = next((m for _k, p in groups if (m := p.match(name))), None)
            if name in file_names or (m and int(m[1]) < MAX_ROWS and self._is_group_file(name)):
                continue
            result.add(
                FORM_ERRORS,
                _("フォームにないファイル項目「%(name)s」が送信されました。") % {"name": name[:60]},
            )

    def _is_group_file(self, name: str) -> bool:
        group_key, _sep, rest = name.partition("-")
        group = self.fields.get(group_key)
        sub_key = rest.partition("-")[2]
        return isinstance(group, GroupField) and any(
            s.key == sub_key and isinstance(s, FileField) for s in group.fields
        )

    # --- validation --------------------------------------------------------------------------

    def validate(
        self,
        raw: Raw,
        files: Files | None = None,
        page: int | None = None,
        *,
        today: date | None = None,
    ) -> Result:
        """Validate answers: the whole form (``page=None``) or one page (0-based).

        For one page, ``raw`` should also hold the answers of earlier pages (their conditions may
        decide what this page shows); errors and ``cleaned`` cover that page only. Hidden fields
        are neither required nor kept. ``files`` maps input names to uploads, or to the
        :class:`FileInfo` the engine returned for them on an earlier page.
        """
        if page is not None and not 0 <= page < len(self.pages):
            raise IndexError(f"page {page} out of range")
        today = today or today_in_japan()
        inp = _Input(raw, files or {})
        result = Result()
        self._check_names(inp, result)
        run = _Run(self, inp, result, today)
        scope: dict[str, Any] = {}
        pages_shown: dict[int, bool] = {}
        cleaned: dict[str, Any] = {}
        for key in self.order:
            info = self.info[key]
            p = info.page
            if page is not None and p > page:
                continue
            if p not in pages_shown:
                condition = self.page_conditions.get(p)
                pages_shown[p] = condition is None or _holds(condition, scope, today)
            visible = pages_shown[p] and (info.condition is None or _holds(info.condition, scope, today))
            if not visible:
                scope[key] = None
                continue
            run.report = page is None or p == page
            f = info.field
            if isinstance(f, GroupField):
                value: Any = run.clean_group(info, scope)
            else:
                value = run.clean(f, key, f.label)
            scope[key] = _scope_value(f, value)
            if run.report:
                cleaned[key] = value
        result.cleaned = {k: cleaned[k] for k in self.fields if k in cleaned}
        result.errors = self._ordered_errors(result.errors)
        if result.ok and page is None and self.has_fee:
            try:
                result.fee = self.fee(result.cleaned, today=today)
            except FeeError as exc:
                result.add(FORM_ERRORS, str(exc))
        return result

    def _ordered_errors(self, errors: dict[str, list[str]]) -> dict[str, list[str]]:
        position = {key: i for i, key in enumerate(self.fields)}

        def sort_key(name: str) -> tuple[int, str]:
            if name == FORM_ERRORS:
                return (-1, "")
            head = name.split("-", 1)[0]
            return (position.get(head, len(position)), name)

        return {k: errors[k] for k in sorted(errors, key=sort_key)}

    # --- cleaned answers ---------------------------------------------------------------------

    def _visibility(self, cleaned: Mapping[str, Any], today: date) -> tuple[dict[int, bool], dict[str, bool]]:
        scope: dict[str, Any] = {}
        pages_shown: dict[int, bool] = {}
        shown: dict[str, bool] = {}
        for key in self.order:
            info = self.info[key]
            p = info.page
            if p not in pages_shown:
                condition = self.page_conditions.get(p)
                pages_shown[p] = condition is None or _holds(condition, scope, today)
            visible = pages_shown[p] and (info.condition is None or _holds(info.condition, scope, today))
            shown[key] = visible
            scope[key] = _scope_value(info.field, cleaned.get(key)) if visible else None
        for p in range(len(self.pages)):
            pages_shown.setdefault(p, False)
        return pages_shown, shown

    def visible_pages(self, cleaned: Mapping[str, Any], *, today: date | None = None) -> list[int]:
        """Indexes of the pages shown for these answers (a page's condition may skip it)."""
        pages_shown, _shown = self._visibility(cleaned, today or today_in_japan())
        return [p for p in range(len(self.pages)) if pages_shown[p]]

    def visible_fields(
        self, cleaned: Mapping[str, Any], *, today: date | None = None
    ) -> list[ScalarField | GroupField]:
        """Top-level fields shown for these answers, in the order of the form."""
        _pages, shown = self._visibility(cleaned, today or today_in_japan())
        return [f for key, f in self.fields.items() if shown.get(key)]

    def _scope(self, cleaned: Mapping[str, Any], today: date) -> dict[str, Any]:
        _pages, shown = self._visibility(cleaned, today)
        return {
            key: _scope_value(f, cleaned.get(key)) if shown.get(key) else None
            for key, f in self.fields.items()
        }

    def fee_breakdown(
        self, cleaned: Mapping[str, Any], *, today: date | None = None
    ) -> list[tuple[str, int]]:
        """(label, yen) for each fee item that applies to these answers."""
        today = today or today_in_japan()
        scope = self._scope(cleaned, today)
        rows: list[tuple[str, int]] = []
        for rule in self.fee_rules:
            try:
                if rule.when is not None and not expressions._truthy(
                    expressions.evaluate(rule.when, scope, today=today)
                ):
                    continue
                amount = expressions._num(expressions.evaluate(rule.amount, scope, today=today))
            except ExpressionError as exc:
                raise FeeError(
                    _("手数料「%(label)s」を計算できません：%(error)s") % {"label": rule.label, "error": exc}
                ) from None
            rows.append((rule.label, int(amount.to_integral_value(ROUND_FLOOR))))
        return rows

    def fee(self, cleaned: Mapping[str, Any], *, today: date | None = None) -> int:
        """The fee in yen for these answers: the sum of the items that apply, fractions of a yen
        dropped, never below 0. 0 when the form has no fee."""
        return max(0, sum(amount for _label, amount in self.fee_breakdown(cleaned, today=today)))

    # --- summaries ---------------------------------------------------------------------------

    def summary_by_page(
        self, cleaned: Mapping[str, Any], *, today: date | None = None
    ) -> list[tuple[int, str, list[SummaryRow]]]:
        """(page index, page title, rows) for each page shown: the check-your-answers page."""
        pages_shown, shown = self._visibility(cleaned, today or today_in_japan())
        out: list[tuple[int, str, list[SummaryRow]]] = []
        for p, page in enumerate(self.pages):
            if not pages_shown[p]:
                continue
            rows: list[SummaryRow] = []
            for f in page.fields:
                if shown.get(f.key):
                    rows.extend(_summary_rows(f, cleaned.get(f.key)))
            out.append((p, page.title, rows))
        return out

    def summary(self, cleaned: Mapping[str, Any], *, today: date | None = None) -> list[SummaryRow]:
        """(label, display value) for every field shown, in order: for check-your-answers, PDF, CSV."""
        return [row for _p, _title, rows in self.summary_by_page(cleaned, today=today) for row in rows]

    # --- facts (see .facts) -------------------------------------------------------------------

    def fact_fields(self) -> dict[str, list[FactField]]:
        """fact → the fields holding it (a resident block: one entry per item), in form order.
        Each :class:`.facts.FactField` names the field (``key``, ``item``), its ``label``, its
        ``page`` and the input ``names`` it fills."""
        return {fact: list(holders) for fact, holders in self.facts.items()}

    def fact_values(
        self,
        cleaned: Mapping[str, Any],
        *,
        today: date | None = None,
        holders: Mapping[str, list[FactField]] | None = None,
    ) -> dict[str, Any]:
        """fact → its value in these cleaned answers, from fields shown and filled (the first in
        form order when several hold it). Resident block items give the item's parts. ``holders``
        replaces the form's own facts (the counter adds implicit ones)."""
        _pages, shown = self._visibility(cleaned, today or today_in_japan())
        out: dict[str, Any] = {}
        for fact, fact_holders in (self.facts if holders is None else holders).items():
            for holder in fact_holders:
                if not shown.get(holder.key):
                    continue
                value = holder.value_of(cleaned.get(holder.key))
                if not _is_empty(value):
                    out[fact] = value
                    break
        return out

    def fact_input(self, facts: Mapping[str, Any]) -> dict[str, list[str]]:
        """Input names → values (as :meth:`validate` reads them) that fill this form's fact fields
        from known facts (:meth:`fact_values` of other forms, or :func:`.facts.identity_facts`).
        Only names this form has are given (a name without フリガナ gets no kana); validate as
        usual: a value this form refuses (an option it does not offer) comes back as an error."""
        return {name: values for name, (values, _fact) in self.fact_sources(facts).items()}

    def fact_sources(
        self,
        facts: Mapping[str, Any],
        *,
        holders: Mapping[str, list[FactField]] | None = None,
        offered_only: bool = False,
    ) -> dict[str, tuple[list[str], str]]:
        """Input name → (values, the fact they come from): :meth:`fact_input` with where each
        value came from. ``holders`` replaces the form's own facts; with ``offered_only`` a choice
        is filled only with values it offers (the counter prefills, it never proposes an error)."""
        raw: dict[str, tuple[list[str], str]] = {}
        for fact, fact_holders in (self.facts if holders is None else holders).items():
            value = facts.get(fact)
            if _is_empty(value):
                continue
            for holder in fact_holders:
                held = value
                if offered_only and holder.options:
                    if isinstance(held, list):
                        held = [v for v in held if v in holder.options]
                    elif held not in holder.options:
                        continue
                piece: dict[str, list[str]] = {}
                field = self.fields[holder.key]
                if holder.item is None and not isinstance(field, GroupField):
                    _to_input(field, holder.key, held, piece, {})
                elif isinstance(held, Mapping):
                    for part, part_value in held.items():
                        if part_value is not None and part_value != "":
                            piece[f"{holder.key}-{part}"] = [str(part_value)]
                elif holder.names and not isinstance(held, list):
                    piece[holder.names[0]] = [str(held)]
                for name, values in piece.items():
                    if name in holder.names:
                        raw.setdefault(name, (values, fact))
        return raw

    def to_input(self, cleaned: Mapping[str, Any]) -> tuple[dict[str, list[str]], dict[str, FileInfo]]:
        """Cleaned answers back into input names: to fill a form again (back button, correction).
        Validating the result gives the same cleaned answers."""
        raw: dict[str, list[str]] = {}
        files: dict[str, FileInfo] = {}
        for key, f in self.fields.items():
            value = cleaned.get(key)
            if isinstance(f, GroupField):
                for i, row in enumerate(value or []):
                    for sub in f.fields:
                        _to_input(sub, f"{key}-{i}-{sub.key}", row.get(sub.key), raw, files)
            else:
                _to_input(f, key, value, raw, files)
        return raw, files


def _is_empty(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(_is_empty(v) for v in value.values())
    return value is None or value == "" or value == []


def _names_of(f: ScalarField) -> list[str]:
    parts = composite_parts(f)
    if parts:
        return [f"{f.key}-{p}" for p in parts]
    return [f.key]


def _to_input(
    f: ScalarField, name: str, value: Any, raw: dict[str, list[str]], files: dict[str, FileInfo]
) -> None:
    if value is None:
        return
    if isinstance(f, FileField):
        if uploads.is_file_info(value):
            files[name] = value
    elif isinstance(f, CheckboxField):
        raw[name] = [str(v) for v in value]
    elif isinstance(f, ConsentField):
        if value:
            raw[name] = ["on"]
    elif isinstance(value, dict):
        for part, part_value in value.items():
            if part_value is not None:
                raw[f"{name}-{part}"] = [str(part_value)]
    else:
        raw[name] = [str(value)]


def _display(f: ScalarField, value: Any) -> str:
    empty = _("（未入力）")
    if value is None or value == "" or value == []:
        if isinstance(f, ConsentField):
            return _("同意しない")
        return empty
    if isinstance(f, NumberField):
        return f"{_number_text(Decimal(str(value)))}{f.unit}"
    if isinstance(f, DateField):
        return _date_text(value)
    if isinstance(f, SelectField | RadioField):
        return next((o.label for o in f.options if o.value == value), str(value))
    if isinstance(f, CheckboxField):
        labels = {o.value: o.label for o in f.options}
        return "、".join(labels.get(v, v) for v in value)
    if isinstance(f, ConsentField):
        return _("同意する") if value else _("同意しない")
    if isinstance(f, FileField):
        if isinstance(value, dict):
            return f"{value.get('name', '')}（{uploads.size_text(int(value.get('size', 0)))}）"
        return str(value)
    if isinstance(f, NameField) and isinstance(value, dict):
        return _name_text(value)
    if isinstance(f, AddressField) and isinstance(value, dict):
        return _address_text(value)
    return str(value)


def _date_text(value: str) -> str:
    try:
        day = date.fromisoformat(value)
        return f"{format_wareki_date(day)}（{day.year}年）"
    except (ValueError, JapaneseDateError):
        return str(value)


def _name_text(value: Mapping[str, Any]) -> str:
    name = " ".join(v for v in (value.get("family_name"), value.get("given_name")) if v)
    kana = " ".join(v for v in (value.get("family_kana"), value.get("given_kana")) if v)
    return f"{name}（{kana}）" if kana else name


def _address_text(value: Mapping[str, Any]) -> str:
    parts = []
    if value.get("postal_code"):
        parts.append(f"〒{value['postal_code']}")
    parts.extend(v for v in (value.get("address"), value.get("building")) if v)
    return " ".join(parts)


def _summary_rows(f: ScalarField | GroupField, value: Any) -> list[SummaryRow]:
    if isinstance(f, GroupField):
        rows: list[SummaryRow] = []
        if not value:
            return [SummaryRow(f.label, _("なし"))]
        row_name = f.item_label or f.label
        for n, row in enumerate(value, start=1):
            row_label = _("%(group)s（%(n)s件目）") % {"group": row_name, "n": n}
            for sub in f.fields:
                if sub.key in row:
                    for sub_row in _summary_rows(sub, row[sub.key]):
                        rows.append(SummaryRow(f"{row_label}：{sub_row.label}", sub_row.value))
        return rows
    if isinstance(f, ResidentField):
        value = value or {}
        out: list[SummaryRow] = []
        for item in f.parts:
            if item == "name":
                kana = " ".join(v for v in (value.get("family_kana"), value.get("given_kana")) if v)
                name = " ".join(v for v in (value.get("family_name"), value.get("given_name")) if v)
                out.append(SummaryRow(f"{f.label}：{_('氏名')}", name or _("（未入力）")))
                out.append(SummaryRow(f"{f.label}：{_('フリガナ')}", kana or _("（未入力）")))
            elif item == "address":
                out.append(SummaryRow(f"{f.label}：{_('住所')}", _address_text(value) or _("（未入力）")))
            elif item == "birth_date":
                birth = value.get("birth_date")
                out.append(
                    SummaryRow(f"{f.label}：{_('生年月日')}", _date_text(birth) if birth else _("（未入力）"))
                )
            elif item == "sex":
                sex = dict(SEX_OPTIONS).get(value.get("sex") or "", _("（未入力）"))
                out.append(SummaryRow(f"{f.label}：{_('性別')}", sex))
        return out
    return [SummaryRow(f.label, _display(f, value))]
