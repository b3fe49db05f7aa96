"""Staff forms of the fee catalogue (docs/payments/catalogue.md): an item, and a new rate of it.

The rules an item and a rate obey are here once, in small functions, so that the Excel import
(``payments.tabular``) checks a row exactly as the forms check what staff type.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from yakusho.core import wording
from yakusho.core.forms import NormalizingMixin, SpreadsheetUploadForm, WarekiDateField
from yakusho.core.models import Department, Municipality
from yakusho.core.normalize import normalize_number, normalize_text
from yakusho.payments.models import FeeItem, FeeRate, Method, Unit
from yakusho.payments.services import PaymentError, parse_yen

MAX_KEY = 40
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_NAME = 80
MAX_LEGAL_BASIS = 120
MAX_ACCOUNT_CODE = 40
MAX_ACCOUNT_NAME = 80
MAX_NOTE = 200
#: a rate's largest number of units in one payment (a typo guard)
MAX_QUANTITY = 999
DEFAULT_QUANTITY = 99
MAX_EXEMPTIONS = 10
#: a reason is stored on a payment line too (``PaymentLine.exemption``)
MAX_EXEMPTION = 80
#: the Excel import's limits
MAX_UPLOAD_BYTES = 2_000_000
MAX_UPLOAD_ROWS = 2_000


def new_request_key() -> str:
    return secrets.token_urlsafe(16)


# --- the rules (forms and import) -------------------------------------------------------------------


def tidy_key(value: str) -> str:
    return normalize_text(value).lower()


def key_problem(key: str) -> str | None:
    if not key:
        return _t("キーを入力してください（例：juminhyo）。")
    if len(key) > MAX_KEY or not KEY_PATTERN.match(key):
        return _t(
            "キーは半角の英小文字・数字・ハイフンで、%(n)s文字以内にしてください（%(key)s）。"
            "ハイフンは先頭・末尾に置けず、続けても使えません。"
        ) % {"n": MAX_KEY, "key": key[:60]}
    return None


def too_long(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return _t("%(n)s文字以内にしてください（%(count)s文字あります）。") % {
            "n": limit,
            "count": len(value),
        }
    return None


def exemption_lines(value: str) -> list[str]:
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return list(dict.fromkeys(line.strip() for line in lines if line.strip()))


def exemptions_problem(lines: list[str]) -> str | None:
    if len(lines) > MAX_EXEMPTIONS:
        return _t("減免の理由は%(n)s行までにしてください（%(count)s行あります）。") % {
            "n": MAX_EXEMPTIONS,
            "count": len(lines),
        }
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_EXEMPTION:
            return _t("減免の理由の%(line)s行目が長すぎます（%(n)s文字まで）。") % {
                "line": number,
                "n": MAX_EXEMPTION,
            }
    return None


def parse_quantity(value: Any) -> int:
    """1回の上限数量 as typed (full-width digits too); ValueError with the message."""
    text = normalize_number(str(value if value is not None else ""))
    if not text:
        return DEFAULT_QUANTITY
    if not text.isdigit() or not 1 <= int(text) <= MAX_QUANTITY:
        raise ValueError(_t("1回の上限数量は1から%(n)sまでの整数にしてください。") % {"n": MAX_QUANTITY})
    return int(text)


def valid_from_problem(item: FeeItem | None, day: date, today: date) -> str | None:
    """A new rate starts today or later, unless the item has no rate yet (its first rate may be
    dated back to when the fee was set); one rate per day."""
    if item is None or item.pk is None:
        return None
    rates = item.rates.all()
    if any(r.valid_from == day for r in rates):
        return _t(
            "%(day)sから適用の料金はすでに登録されています。別の適用開始日にしてください。"
            "登録した料金は変更・削除できません。"
        ) % {"day": f"{day:%Y年%m月%d日}"}
    if rates and day < today:
        return _t(
            "適用開始日は今日（%(today)s）以降にしてください。過去の料金は変えられません（支払の記録が使っています）。"
        ) % {"today": f"{today:%Y年%m月%d日}"}
    return None


def rate_values(rate: FeeRate) -> tuple[Any, ...]:
    """What makes two rates the same (their date aside)."""
    return (rate.unit, rate.amount_yen, rate.non_resident_yen, rate.max_quantity, tuple(rate.exemptions))


def ordered_methods(values: list[str]) -> list[str]:
    return [m for m in Method.values if m in set(values)]


def save_item(item: FeeItem, values: dict[str, Any]) -> bool:
    """Write an item (the Excel import's rows): a new one whole, a known one only where a field
    differs (its methods compared as a set). True when anything was written."""
    changed = [name for name, value in values.items() if _differs(item, name, value)]
    for name in changed:
        setattr(item, name, values[name])
    if item.pk is None:
        item.save()
        return True
    if changed:
        item.save(update_fields=changed)
    return bool(changed)


def _differs(item: FeeItem, name: str, value: Any) -> bool:
    if name == "methods":
        return set(value) != set(item.methods or ())
    return bool(getattr(item, name) != value)


def add_rate(rate: FeeRate) -> FeeRate:
    """Save a new rate (never an existing one: a rate is not changed once saved)."""
    assert rate.pk is None, "a rate is never changed"
    rate.save()
    return rate


# --- forms ------------------------------------------------------------------------------------------


class RequestKeyMixin:
    """A hidden ``request_key`` made when the form is rendered: a second submission of the same
    page (a double click) is recognised by the view and counted once."""

    def _setup_request_key(self) -> None:
        fields: dict[str, Any] = self.fields  # type: ignore[attr-defined]
        fields["request_key"] = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
        if not getattr(self, "is_bound", False):
            fields["request_key"].initial = new_request_key()


class FeeItemForm(RequestKeyMixin, NormalizingMixin, forms.ModelForm):
    """An item of the municipality's catalogue (its rates are added with :class:`RateForm`)."""

    methods = forms.MultipleChoiceField(
        label=_("支払方法"),
        choices=Method.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "窓口・オンラインで受け付ける支払方法。キャッシュレスはクレジットカード・QRコード決済・電子マネー。"
        ),
        error_messages={
            "required": _("支払方法を1つ以上選んでください。"),
            "invalid_choice": _("選べない支払方法です（%(value)s）。"),
        },
    )

    class Meta:
        model = FeeItem
        fields = [
            "key",
            "name",
            "kind",
            "department",
            "legal_basis",
            "account_code",
            "account_name",
            "methods",
            "note",
            "counted_as",
            "order",
            "public",
        ]

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.instance.municipality = municipality
        self._setup_request_key()
        self.fields["key"].help_text = _(
            "英小文字・数字・ハイフン（%(n)s文字まで）。Excelの読み込みはこのキーで手数料を見分けます。例：juminhyo"
        ) % {"n": MAX_KEY}
        self.fields["key"].validators = []  # the message of key_problem says it better
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = Department.objects.for_municipality(municipality)
        department.empty_label = _("（指定なし）")
        department.error_messages["invalid_choice"] = _("選ばれた課はこの団体の課ではありません。")
        self.fields["order"].help_text = _("小さい順に表示します。")
        self.fields["public"].help_text = _("住民向けの「手数料と支払方法」のページに載せる")
        if not self.is_bound and self.instance.pk:
            self.initial["methods"] = list(self.instance.methods)

    def clean_key(self) -> str:
        key = tidy_key(self.cleaned_data.get("key") or "")
        problem = key_problem(key)
        if problem:
            raise forms.ValidationError(problem, code="invalid")
        taken = FeeItem.objects.for_municipality(self.municipality).filter(key=key)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("キー「%(key)s」はこの団体のほかの手数料が使っています。別のキーにしてください。"),
                code="unique",
                params={"key": key},
            )
        return key

    def clean_methods(self) -> list[str]:
        return ordered_methods(self.cleaned_data["methods"])

    def validate_unique(self) -> None:
        """The key's uniqueness is checked by :meth:`clean_key` (with a message staff understand)."""


class RateForm(RequestKeyMixin, NormalizingMixin, forms.Form):
    """A new rate of an item from a date on (a rate once saved is never changed)."""

    valid_from = WarekiDateField(label=_("適用開始日"), help_text=_("例：2026-04-01、令和8年4月1日"))
    unit = forms.ChoiceField(label=_("単位"), choices=Unit.choices, initial=Unit.FIXED)
    amount = forms.CharField(
        label=_("金額（円）"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    non_resident = forms.CharField(
        label=_("町外・市外の方の金額（円）"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("空欄なら同じ金額です。"),
    )
    max_quantity = forms.CharField(
        label=_("1回の上限数量"),
        max_length=10,
        required=False,
        initial=DEFAULT_QUANTITY,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("1回の会計で受け付ける数量の上限（1〜%(n)s）。空欄なら%(default)s。")
        % {"n": MAX_QUANTITY, "default": DEFAULT_QUANTITY},
    )
    exemptions = forms.CharField(
        label=_("減免の理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("1行に1つ（例：生活保護受給者）。窓口で選ぶと金額が0円になります。"),
    )

    def __init__(self, *args: Any, item: FeeItem, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.today = timezone.localdate()
        self._setup_request_key()
        self.fields["non_resident"].label = _("%(outside)sの方の金額（円）") % {
            "outside": wording.municipality_word(municipality, "外")
        }
        current = item.rate_on(self.today)
        if not self.is_bound and current is not None:
            self.initial.update(
                unit=current.unit,
                amount=current.amount_yen,
                non_resident=current.non_resident_yen if current.non_resident_yen is not None else "",
                max_quantity=current.max_quantity,
                exemptions="\n".join(current.exemptions),
            )

    def clean_valid_from(self) -> date:
        day: date = self.cleaned_data["valid_from"]
        problem = valid_from_problem(self.item, day, self.today)
        if problem:
            raise forms.ValidationError(problem, code="invalid")
        return day

    def clean_amount(self) -> int:
        try:
            return parse_yen(self.cleaned_data["amount"], _t("金額"))
        except PaymentError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from None

    def clean_non_resident(self) -> int | None:
        value = self.cleaned_data.get("non_resident") or ""
        if not value.strip():
            return None
        try:
            return parse_yen(value, str(self.fields["non_resident"].label or ""))
        except PaymentError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from None

    def clean_max_quantity(self) -> int:
        try:
            return parse_quantity(self.cleaned_data.get("max_quantity"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None

    def clean_exemptions(self) -> list[str]:
        lines = exemption_lines(self.cleaned_data.get("exemptions") or "")
        problem = exemptions_problem(lines)
        if problem:
            raise forms.ValidationError(problem, code="invalid")
        return lines

    def rate(self) -> FeeRate:
        """The new rate, not saved."""
        data = self.cleaned_data
        return FeeRate(
            item=self.item,
            valid_from=data["valid_from"],
            unit=data["unit"],
            amount_yen=data["amount"],
            non_resident_yen=data["non_resident"],
            max_quantity=data["max_quantity"],
            exemptions=data["exemptions"],
        )


class ImportForm(SpreadsheetUploadForm):
    max_bytes = MAX_UPLOAD_BYTES
    file = forms.FileField(
        label=_("ファイル（Excel .xlsx）"),
        allow_empty_file=True,
        help_text=_("書き出したファイルと同じ列のもの（2MB・2,000行まで）。"),
    )
