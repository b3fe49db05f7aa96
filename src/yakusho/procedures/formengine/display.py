"""How cleaned answers read: what the parts of composite fields are called, a value's display
text and the rows of a summary (check-your-answers page, PDF, CSV)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core import uploads
from yakusho.core.jcal import JapaneseDateError, format_wareki_date

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
