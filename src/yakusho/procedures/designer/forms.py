"""Forms of the form designer: a new procedure, form settings and fee, a page, a field (per type).

These forms check only what a form can (numbers are numbers, a key has the right characters);
the form engine then checks the whole definition (``procedures.designer``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core import uploads
from yakusho.core.models import Department, Municipality
from yakusho.procedures import designer
from yakusho.procedures.catalogue.life_events import life_event_choices
from yakusho.procedures.formengine import schema
from yakusho.procedures.models import LifeEvent, PaymentTiming, Procedure

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PROCEDURE_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
MODELS: dict[str, type[schema.BaseField]] = {
    "text": schema.TextField,
    "textarea": schema.TextareaField,
    "number": schema.NumberField,
    "date": schema.DateField,
    "select": schema.SelectField,
    "radio": schema.RadioField,
    "checkbox": schema.CheckboxField,
    "email": schema.EmailField,
    "phone": schema.PhoneField,
    "postal_code": schema.PostalCodeField,
    "address": schema.AddressField,
    "name": schema.NameField,
    "file": schema.FileField,
    "consent": schema.ConsentField,
    "resident": schema.ResidentField,
    "group": schema.GroupField,
}
TYPE_CHOICES = [(k, v) for k, v in designer.TYPE_LABELS.items()]
EXPRESSION_HELP = gettext_lazy(
    "空欄ならいつも表示します。例：kind == 'large'、age(applicant.birth_date) < 18、count(children) > 0"
)


def _key_field(label: Any, help_text: Any) -> forms.CharField:
    return forms.CharField(label=label, max_length=40, help_text=help_text)


def _check_key(value: str) -> str:
    if not KEY_RE.match(value):
        raise forms.ValidationError(
            _(
                "キーは半角英小文字で始め、半角英小文字・数字・_ だけで"
                "40文字までにしてください（例：child_name）。"
            )
        )
    return value


# --- a new procedure -------------------------------------------------------------------------------


class ProcedureCreateForm(forms.ModelForm):
    key = forms.CharField(
        label=gettext_lazy("キー"),
        required=False,
        max_length=60,
        help_text=gettext_lazy(
            "住民向けページのURLに使う半角英小文字・数字・ハイフン（例：inu-touroku）。空欄なら手続名から作ります。"
        ),
    )
    life_events = forms.MultipleChoiceField(
        label=gettext_lazy("ライフイベント"),
        required=False,
        choices=LifeEvent.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Procedure
        fields = [
            "name",
            "kana",
            "key",
            "department",
            "summary",
            "description",
            "processing_days",
            "retention_years",
            "payment_timing",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(
        self, *args: Any, municipality: Municipality, departments: QuerySet[Department], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = departments
        events = self.fields["life_events"]
        assert isinstance(events, forms.MultipleChoiceField)
        events.choices = life_event_choices(municipality)
        self.fields["kana"].help_text = _("ひらがなで（例：いぬのとうろく）。検索と並び順に使います。")
        self.fields["retention_years"].help_text = _("申請を保存する年数。過ぎたものは消去されます。")
        self.fields["processing_days"].help_text = _("受付から処理までの開庁日数（空欄は未設定）。")
        timing = self.fields["payment_timing"]
        timing.required = False  # a form without it keeps the default (paid before it counts)
        timing.help_text = _(
            "フォームの手数料が手数料一覧の項目で、その項目がオンライン決済を受け付けるときだけ使います。"
        )

    def clean_payment_timing(self) -> str:
        value: str = self.cleaned_data.get("payment_timing") or ""
        return value or (self.instance.payment_timing if self.instance.pk else PaymentTiming.BEFORE)

    def clean_key(self) -> str:
        key: str = self.cleaned_data.get("key", "").strip()
        if not key:
            return ""
        if not PROCEDURE_KEY_RE.match(key):
            raise forms.ValidationError(
                _("キーは半角英小文字・数字・ハイフンで、英小文字か数字で始め、60文字までにしてください。")
            )
        if Procedure.objects.for_municipality(self.municipality).filter(key=key).exists():
            raise forms.ValidationError(_("キー「%(key)s」の手続はすでにあります。") % {"key": key})
        return key

    def clean_retention_years(self) -> int:
        years: int = self.cleaned_data["retention_years"]
        if not 1 <= years <= 100:
            raise forms.ValidationError(_("1年から100年の間にしてください。"))
        return years

    def validate_unique(self) -> None:
        pass  # the key is checked in clean_key (per municipality); a generated key is made unique


@lru_cache(maxsize=1)
def _kakasi() -> Any:
    """pykakasi, for the romaji of a new procedure's key (loaded on first use: building its
    dictionary takes ~0.4 s once per process)."""
    import pykakasi

    return pykakasi.kakasi()


def generate_key(municipality: Municipality, name: str, kana: str) -> str:
    """A procedure key from the reading of its name (romaji), unique in the municipality."""

    text = kana or name
    roman = "-".join(part["hepburn"] for part in _kakasi().convert(text) if part["hepburn"].strip())
    base = re.sub(r"[^a-z0-9]+", "-", roman.lower()).strip("-")[:50].strip("-") or "tetsuzuki"
    taken = set(
        Procedure.objects.for_municipality(municipality)
        .filter(key__startswith=base)
        .values_list("key", flat=True)
    )
    key, n = base, 2
    while key in taken:
        key = f"{base}-{n}"
        n += 1
    return key


# --- form settings and fee -------------------------------------------------------------------------


class SettingsForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("フォームの題名"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("説明（最初のページの上に表示、Markdown）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    privacy_notice = forms.CharField(
        label=gettext_lazy("個人情報の取扱い（Markdown）"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("申請を始める前に住民が読んで同意します。"),
    )
    fee_note = forms.CharField(
        label=gettext_lazy("手数料の支払い方法などの説明"), required=False, max_length=2000
    )

    def __init__(self, *args: Any, fee_rows: int = 3, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fee_rows = fee_rows
        for n in range(fee_rows):
            self.fields[f"fee_{n}_label"] = forms.CharField(
                label=_("手数料%(n)s：名前") % {"n": n + 1}, required=False, max_length=200
            )
            self.fields[f"fee_{n}_amount"] = forms.CharField(
                label=_("手数料%(n)s：金額の式（円）") % {"n": n + 1},
                required=False,
                max_length=2000,
                help_text=_("例：300、500 * count(items)"),
            )
            self.fields[f"fee_{n}_when"] = forms.CharField(
                label=_("手数料%(n)s：かかる条件（空欄はいつも）") % {"n": n + 1},
                required=False,
                max_length=2000,
            )
            self.fields[f"fee_{n}_fee_item"] = forms.CharField(
                label=_("手数料%(n)s：手数料一覧の項目（キー）") % {"n": n + 1},
                required=False,
                max_length=40,
                help_text=_(
                    "例：juminhyo。書くと、金額は手数料一覧のその日の料金で決まり、レジで会計できます"
                ),
            )
            self.fields[f"fee_{n}_quantity"] = forms.CharField(
                label=_("手数料%(n)s：数量の式（手数料一覧の項目があるとき、空欄は1）") % {"n": n + 1},
                required=False,
                max_length=2000,
                help_text=_("例：copies"),
            )

    @staticmethod
    def initial_for(data: dict[str, Any]) -> dict[str, Any]:
        fee = data.get("fee") or {}
        initial: dict[str, Any] = {
            "title": data.get("title", ""),
            "description": data.get("description", ""),
            "privacy_notice": data.get("privacy_notice", ""),
            "fee_note": fee.get("note", ""),
        }
        for n, item in enumerate(fee.get("items", [])):
            initial.update(
                {
                    f"fee_{n}_label": item.get("label", ""),
                    f"fee_{n}_amount": item.get("amount", ""),
                    f"fee_{n}_when": item.get("when", ""),
                    f"fee_{n}_fee_item": item.get("fee_item", ""),
                    f"fee_{n}_quantity": item.get("quantity", ""),
                }
            )
        return initial

    def fee_fields(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"fee_{n}_{part}"] for part in ("label", "amount", "when", "fee_item", "quantity")]
            for n in range(self.fee_rows)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for n in range(self.fee_rows):
            label = cleaned.get(f"fee_{n}_label", "")
            amount = cleaned.get(f"fee_{n}_amount", "")
            when = cleaned.get(f"fee_{n}_when", "")
            if (label or when) and not amount:
                self.add_error(f"fee_{n}_amount", _("金額の式を書いてください（無料なら 0）。"))
            if amount and not label:
                self.add_error(f"fee_{n}_label", _("手数料の名前を書いてください。"))
        return cleaned

    def fee_items(self) -> list[dict[str, str]]:
        items = []
        for n in range(self.fee_rows):
            amount = self.cleaned_data.get(f"fee_{n}_amount", "")
            if amount:
                items.append(
                    {
                        "label": self.cleaned_data[f"fee_{n}_label"],
                        "amount": amount,
                        "when": self.cleaned_data.get(f"fee_{n}_when", ""),
                        "fee_item": self.cleaned_data.get(f"fee_{n}_fee_item", ""),
                        "quantity": self.cleaned_data.get(f"fee_{n}_quantity", ""),
                    }
                )
        return items


# --- pages -----------------------------------------------------------------------------------------


class AddPageForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("新しいページの題名"), max_length=200)


class PageForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("ページの題名"), max_length=200)
    key = _key_field(gettext_lazy("キー"), gettext_lazy("ページを区別する半角の名前（住民には見えません）"))
    description = forms.CharField(
        label=gettext_lazy("説明（Markdown）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    visible_when = forms.CharField(
        label=gettext_lazy("表示条件"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("空欄ならいつも表示します。前のページの項目だけを使えます。"),
    )

    def clean_key(self) -> str:
        return _check_key(self.cleaned_data["key"])


# --- fields ----------------------------------------------------------------------------------------


class AddFieldForm(forms.Form):
    type = forms.ChoiceField(label=gettext_lazy("種類"), choices=TYPE_CHOICES)
    label = forms.CharField(label=gettext_lazy("ラベル（住民が読む質問）"), max_length=200)


class MoveToPageForm(forms.Form):
    page = forms.IntegerField(label=gettext_lazy("移動先のページ"), min_value=0)


class ChangeTypeForm(forms.Form):
    type = forms.ChoiceField(
        label=gettext_lazy("新しい種類"), choices=[c for c in TYPE_CHOICES if c[0] != "group"]
    )


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


class FieldForm(forms.Form):
    """The attributes of one field; which inputs it has depends on the field's type."""

    key = _key_field(
        gettext_lazy("キー"),
        gettext_lazy("入力の名前・表示条件や手数料の式で使う半角の名前（例：child_name）"),
    )
    label = forms.CharField(label=gettext_lazy("ラベル（住民が読む質問）"), max_length=200)
    help = forms.CharField(
        label=gettext_lazy("説明（ラベルの下に表示）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    required = forms.BooleanField(label=gettext_lazy("必須にする"), required=False)
    visible_when = forms.CharField(
        label=gettext_lazy("表示条件"), required=False, max_length=2000, help_text=EXPRESSION_HELP
    )

    def __init__(
        self, *args: Any, field_type: str, current: dict[str, Any], in_group: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", self.initial_for(field_type, current))
        super().__init__(*args, **kwargs)
        self.field_type = field_type
        self.current = current
        self.model = MODELS[field_type]
        f = self.fields
        t = field_type
        if designer.HAS_FACT and t not in ("group", "file") and not in_group:
            f["fact"] = forms.CharField(
                label=designer.ATTR_WORDS["fact"],
                required=False,
                max_length=60,
                help_text=_(
                    "窓口で同じ来庁の別の申請から値を引き継ぐための名前（例：contact.phone）。空欄なら使いません。"
                ),
            )
        if t in ("text", "textarea"):
            f["min_length"] = forms.IntegerField(label=_("最小文字数"), required=False, min_value=0)
            f["max_length"] = forms.IntegerField(label=_("最大文字数"), required=False, min_value=1)
        if t == "text":
            f["pattern"] = forms.CharField(
                label=_("入力パターン（正規表現）"),
                required=False,
                max_length=500,
                help_text=_("値全体がこれに合わないと受け付けません。例：[0-9]{4}"),
            )
            f["pattern_message"] = forms.CharField(
                label=_("パターンに合わないときのメッセージ"), required=False, max_length=300
            )
            f["placeholder"] = forms.CharField(label=_("入力例"), required=False, max_length=200)
        if t == "textarea":
            f["rows"] = forms.IntegerField(label=_("行数"), required=False, min_value=2, max_value=30)
        if t == "number":
            f["min"] = forms.FloatField(label=_("最小値"), required=False)
            f["max"] = forms.FloatField(label=_("最大値"), required=False)
            f["decimals"] = forms.IntegerField(
                label=_("小数点以下の桁数"), required=False, min_value=0, max_value=4
            )
            f["unit"] = forms.CharField(label=_("単位（円、台、人 など）"), required=False, max_length=20)
        if t == "date":
            bound_help = _("2026-04-01 のような日付、または today、today+14d、today-18y")
            f["min"] = forms.CharField(label=_("最も早い日"), required=False, help_text=bound_help)
            f["max"] = forms.CharField(label=_("最も遅い日"), required=False, help_text=bound_help)
        if t in designer.CHOICE_TYPES:
            f["options"] = forms.CharField(
                label=_("選択肢（1行に1つ）"),
                widget=forms.Textarea(attrs={"rows": 6}),
                help_text=_(
                    "「値=ラベル」の形で書きます（例：large=大型）。値は半角英数字で、式と保存に使います。"
                    "ラベルだけの行には値を自動で付けます。"
                ),
            )
        if t in ("checkbox", "group"):
            f["min_items"] = forms.IntegerField(label=_("最小の数"), required=False, min_value=0)
            f["max_items"] = forms.IntegerField(label=_("最大の数"), required=False, min_value=1)
        if t == "group":
            f["item_label"] = forms.CharField(
                label=_("1件の呼び名（子ども、品目 など）"), required=False, max_length=60
            )
        if t == "phone":
            f["mobile_only"] = forms.BooleanField(label=_("携帯電話の番号だけを受け付ける"), required=False)
        if t == "address":
            f["postal_code"] = forms.BooleanField(label=_("郵便番号も尋ねる"), required=False)
            f["building"] = forms.BooleanField(label=_("方書（建物名・部屋番号）も尋ねる"), required=False)
        if t == "name":
            f["kana"] = forms.BooleanField(label=_("フリガナも尋ねる"), required=False)
        if t == "file":
            f["accept"] = forms.MultipleChoiceField(
                label=_("添付できる種類"),
                choices=[(k, uploads.KIND_LABELS[k]) for k in uploads.KINDS],
                widget=forms.CheckboxSelectMultiple,
            )
            f["max_size_mb"] = forms.DecimalField(
                label=_("最大サイズ（MB）"),
                required=False,
                min_value=Decimal("0.01"),
                max_value=Decimal(50),
                decimal_places=2,
            )
        if t == "consent":
            f["text"] = forms.CharField(
                label=_("同意する内容（Markdown）"), required=False, widget=forms.Textarea(attrs={"rows": 4})
            )
        if t == "resident":
            f["parts"] = forms.MultipleChoiceField(
                label=_("尋ねる項目"),
                choices=[
                    ("name", _("氏名")),
                    ("address", _("住所")),
                    ("birth_date", _("生年月日")),
                    ("sex", _("性別")),
                ],
                widget=forms.CheckboxSelectMultiple,
            )

    @staticmethod
    def initial_for(field_type: str, current: dict[str, Any]) -> dict[str, Any]:
        model = MODELS[field_type]
        initial: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            if name in ("type", "fields"):
                continue
            default = info.get_default(call_default_factory=True)
            initial[name] = current.get(name, default)
        if field_type in designer.CHOICE_TYPES:
            initial["options"] = designer.options_text(current.get("options", []))
        if field_type == "file":
            size = current.get("max_size", 10 * 1024 * 1024)
            initial["max_size_mb"] = (Decimal(size) / (1024 * 1024)).quantize(Decimal("0.01")).normalize()
        return initial

    def clean_key(self) -> str:
        return _check_key(self.cleaned_data["key"])

    def clean_options(self) -> list[dict[str, str]]:
        try:
            return designer.parse_options(self.cleaned_data["options"], self.current.get("options"))
        except designer.DesignerError as exc:
            raise forms.ValidationError(exc.messages) from None

    def attrs(self) -> dict[str, Any]:
        """The field's attributes for ``designer.edit_field``: engine defaults are left out."""
        data = dict(self.cleaned_data)
        if "max_size_mb" in data:
            size = data.pop("max_size_mb")
            data["max_size"] = int(size * 1024 * 1024) if size is not None else None
        for name in ("min", "max"):
            if self.field_type == "number" and name in data:
                data[name] = _number(data[name])
        out: dict[str, Any] = {}
        for name, value in data.items():
            info = self.model.model_fields.get(name)
            if info is not None and name not in ("key", "label"):
                default = info.get_default(call_default_factory=True)
                if value == default or (value in ("", None) and default in ("", None)):
                    continue
            out[name] = value
        return out
