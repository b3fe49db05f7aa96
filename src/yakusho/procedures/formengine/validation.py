"""One validation run (:meth:`.engine.FormDefinition.validate`): reading the inputs, cleaning
each field and each row of a repeating group, and the scope in which conditions see cleaned values."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from yakusho.core import normalize, uploads
from yakusho.core.jcal import JapaneseDateError, format_date, parse_japanese_date
from yakusho.core.uploads import FileInfo

from . import expressions
from .dates import parse_bound
from .definition import SEX_OPTIONS, FieldInfo, composite_parts
from .display import PART_LABELS, _number_text
from .expressions import ExpressionError, Node
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

if TYPE_CHECKING:
    from .engine import FormDefinition, Result

_TRUE = frozenset({"on", "1", "true", "yes", "y"})
#: row numbers of a repeating group at or above this are not rows (``group-100-x`` is refused)
MAX_ROWS = 100

Raw = Mapping[str, Any]
Files = Mapping[str, "UploadedFile | FileInfo"]


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

    def __init__(
        self, form: FormDefinition, inp: _Input, result: Result, today: date, waived: Collection[str] = ()
    ) -> None:
        self.form = form
        self.inp = inp
        self.result = result
        self.today = today
        self.waived = frozenset(waived)
        self.report = True

    def err(self, name: str, message: str) -> None:
        if self.report:
            self.result.add(name, message)

    def error_count(self) -> int:
        return sum(len(messages) for messages in self.result.errors.values())

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
        """A date typed any way :func:`~yakusho.core.jcal.parse_japanese_date` reads (a month and
        day alone take their year from the field's bounds: docs/forms.md), within the bounds."""
        low = parse_bound(f.min).resolve(self.today) if f.min is not None else None
        high = parse_bound(f.max).resolve(self.today) if f.max is not None else None
        try:
            day = parse_japanese_date(raw, today=self.today, earliest=low, latest=high)
        except JapaneseDateError as exc:
            self.err(name, _("「%(label)s」：%(error)s") % {"label": label, "error": exc})
            return None
        if low is not None and day < low:
            message = _("「%(label)s」は%(date)s以降の日付を入力してください。") % {
                "label": label,
                "date": format_date(low),
            }
            if not self.bound_refused(f, name, message):
                return None
        if high is not None and day > high:
            message = _("「%(label)s」は%(date)s以前の日付を入力してください。") % {
                "label": label,
                "date": format_date(high),
            }
            if not self.bound_refused(f, name, message):
                return None
        return day.isoformat()

    def bound_refused(self, f: DateField, name: str, message: str) -> bool:
        """A date outside a bound counted from today (「3日後以降」: a lead time meant for online
        applicants) may be waived by counter staff with a reason (``validate(waived=…)``): True
        when this one is, else the error is reported and noted as waivable."""
        relative = any(b is not None and "today" in str(b) for b in (f.min, f.max))
        if relative and name in self.waived:
            return True
        self.err(name, message)
        if relative and self.report:
            self.result.waivable[name] = message
        return False

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
                    _(
                        "「%(label)s」は電話番号の形式で入力してください"
                        "（固定電話は市外局番から。例：090-1234-5678）。"
                    )
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
        empty = not any(v.strip() for v in raws.values())
        if empty and not f.required:
            return None
        # A required field left empty names every part it needs at once (the loop below), not
        # the first part now and the next one after another submit.
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
                    day = parse_japanese_date(raw, today=self.today, latest=self.today)
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
        return None if empty else value

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
        posted = self.form._row_indices(group, self.inp)
        filled = [i for i in posted if not self.form._row_is_empty(group, f"{group.key}-{i}-", self.inp)]
        # Rows still needed to reach min_items are validated as rows the resident must fill: the
        # first empty rows shown, then the new ones the page adds (as formrender numbers them), so
        # their required fields are named now rather than after the group's own message.
        needed: list[int] = []
        if len(filled) < group.min_items:
            needed = [i for i in posted if i not in filled]
            next_index = (max(posted) + 1) if posted else 0
            while len(needed) < group.min_items - len(filled) and next_index < MAX_ROWS:
                needed.append(next_index)
                next_index += 1
            needed = needed[: group.min_items - len(filled)]
        row_name = group.item_label or group.label
        rows: list[dict[str, Any]] = []
        named = False
        for n, index in enumerate(sorted({*posted, *needed}), start=1):
            if index not in filled and index not in needed:
                continue
            prefix = f"{group.key}-{index}-"
            # rows are called by their place on the page (1件目 is the first row shown)
            row_label = _("%(group)s（%(n)s件目）") % {"group": row_name, "n": n}
            before = self.error_count()
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
            if index in filled:
                rows.append({s.key: row[s.key] for s in group.fields if s.key in row})
            elif self.error_count() > before:
                named = True
        count = len(rows)
        if count < group.min_items and not named:
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
