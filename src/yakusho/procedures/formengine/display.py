"""How cleaned answers read: what the parts of composite fields are called, a value's display
text and the rows of a summary (check-your-answers page, PDF, CSV)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core import uploads
from yakusho.core.jcal import JapaneseDateError, format_date, parse_japanese_date

from .dates import parse_bound
from .definition import SEX_OPTIONS
from .schema import (
    AddressField,
    CheckboxField,
    ConsentField,
    DateField,
    FileField,
    GroupField,
    NameField,
    NumberField,
    RadioField,
    ResidentField,
    ScalarField,
    SelectField,
)

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


class SummaryRow(NamedTuple):
    label: str
    value: str


def _number_text(value: float | int | Decimal) -> str:
    d = Decimal(str(value))
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d:,}"


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
    """A cleaned (ISO) date as pages, mail and PDFs show it, in the active language."""
    try:
        return format_date(date.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


# --- date inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatePicker:
    """The browser's date picker for a date field (``<input type="date">``): its value and
    bounds, ISO as the input wants them (``iso`` is "" when the typed text is no date)."""

    iso: str
    min: str
    max: str = ""

    def range_text(self) -> str:
        """What may be chosen, for the field's help: 「…から…までの日を選んでください。」"""
        low = format_date(date.fromisoformat(self.min))
        if not self.max:
            return _("%(min)s以降の日を選んでください。") % {"min": low}
        high = format_date(date.fromisoformat(self.max))
        return _("%(min)sから%(max)sまでの日を選んでください。") % {"min": low, "max": high}


def date_picker(f: DateField, value: str, today: date) -> DatePicker | None:
    """A picker for a date to come (its lower bound on or after today: 収集希望日, 使用開始日):
    there a calendar limited to the bookable range helps. None for the other dates (生年月日,
    転入日, an unbounded date): a text box, where 和暦, 12月14日 or 昭和50年4月1日 are quicker to
    type than to scroll to."""
    if f.min is None:
        return None
    low = parse_bound(f.min).resolve(today)
    if low < today:
        return None
    high = parse_bound(f.max).resolve(today) if f.max is not None else None
    try:
        iso = parse_japanese_date(value, today=today, earliest=low, latest=high).isoformat() if value else ""
    except JapaneseDateError:
        iso = ""
    return DatePicker(iso=iso, min=low.isoformat(), max=high.isoformat() if high else "")


def date_input_text(value: str) -> str:
    """What a date text box shows: a date given as ISO (a fact the counter fills in, what a
    picker posted) as people read it (令和8年（2026年）12月14日, which reads back); typed text as
    it was typed."""
    if len(value) == 10 and value[4:5] == "-":
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    return value


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
