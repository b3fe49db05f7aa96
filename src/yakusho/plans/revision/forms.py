"""Forms of plan revision. Plan texts are kept exactly as typed (no NFKC: ① and ² are the plan's
own characters); version numbers, keys and years are normalised."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakusho.core.forms import WarekiDateField
from yakusho.core.jcal import JapaneseDateError, format_fiscal_year, parse_fiscal_year
from yakusho.core.models import Department
from yakusho.core.validators import normalize_text
from yakusho.plans.models import Kpi, Node, PlanEdition
from yakusho.plans.revision.editing import TargetInput


class NewEditionForm(forms.Form):
    number = forms.CharField(label=_("版番号"), max_length=20, help_text=_("例：2.4、3.0"))
    date = WarekiDateField(label=_("改訂日"), help_text=_("例：令和8年4月1日"))
    note = forms.CharField(
        label=_("改訂内容"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_number(self) -> str:
        return normalize_text(self.cleaned_data["number"]).removeprefix("第").removesuffix("版")


class NodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return "　" * (obj.depth - 1) + str(obj)


def _fiscal_year(raw: str) -> int | None:
    if not raw:
        return None
    try:
        return parse_fiscal_year(raw)
    except JapaneseDateError as exc:
        raise forms.ValidationError(str(exc)) from None


def _key(raw: str) -> str:
    return normalize_text(raw).lower()


class NodeForm(forms.Form):
    """A node's title, number, texts and 課; for a new node also its parent and (optional) key."""

    parent = NodeChoiceField(
        label=_("親の項目"), queryset=Node.objects.none(), required=False, empty_label=_("（最上位）")
    )
    key = forms.CharField(
        label=_("キー"),
        required=False,
        max_length=80,
        help_text=_("版をまたいで同じ項目を指す名前（半角英数字）。空欄なら自動で付けます。"),
    )
    code = forms.CharField(label=_("番号"), required=False, max_length=30, help_text=_("例：1-2、(1)、③"))
    title = forms.CharField(label=_("名称"), max_length=300)
    level = forms.TypedChoiceField(
        label=_("区分"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("計画の階層のうち、この項目がどれにあたるか。新しい項目で空欄なら親の一つ下です。"),
    )
    description = forms.CharField(label=_("説明"), required=False, max_length=200000, widget=forms.Textarea)
    current_state = forms.CharField(
        label=_("現状と課題"), required=False, max_length=200000, widget=forms.Textarea
    )
    actions = forms.CharField(label=_("主な取組"), required=False, max_length=200000, widget=forms.Textarea)
    effects = forms.CharField(
        label=_("期待される効果"), required=False, max_length=200000, widget=forms.Textarea
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("担当課"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    lead = forms.ModelChoiceField(
        label=_("主担当"), queryset=Department.objects.none(), required=False, empty_label=_("（なし）")
    )
    department_note = forms.CharField(
        label=_("担当（課名以外）"), required=False, max_length=200, help_text=_("例：全課、各担当課")
    )

    def __init__(self, *args: Any, edition: PlanEdition, new: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = Department.objects.for_municipality(edition.municipality).order_by("order", "name")
        self.fields["departments"].queryset = departments  # type: ignore[attr-defined]
        self.fields["lead"].queryset = departments  # type: ignore[attr-defined]
        levels = [(i, label) for i, label in enumerate(edition.level_labels, 1)]
        self.fields["level"].choices = [("", "—"), *levels]  # type: ignore[attr-defined]
        if new:
            self.fields["parent"].queryset = Node.objects.filter(edition=edition).order_by("order")  # type: ignore[attr-defined]
        else:
            del self.fields["parent"], self.fields["key"]

    def clean_key(self) -> str:
        return _key(self.cleaned_data["key"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lead = data.get("lead")
        if lead is not None and lead not in (data.get("departments") or []):
            self.add_error("lead", _("主担当は担当課の中から選んでください。"))
        return data


class MoveForm(forms.Form):
    parent = NodeChoiceField(
        label=_("移動先（親の項目）"),
        queryset=Node.objects.none(),
        required=False,
        empty_label=_("（最上位）"),
    )
    code = forms.CharField(
        label=_("移動先での番号"),
        required=False,
        max_length=30,
        help_text=_("空欄なら今の番号のままです。移動先に同じ番号があるときは入力してください。"),
    )

    def __init__(self, *args: Any, edition: PlanEdition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Node.objects.filter(edition=edition).order_by("order")  # type: ignore[attr-defined]


class KpiForm(forms.Form):
    key = forms.CharField(
        label=_("キー"),
        required=False,
        max_length=80,
        help_text=_("版をまたいで同じKPIを指す名前（半角英数字）。空欄なら自動で付けます。"),
    )
    node = NodeChoiceField(label=_("項目"), queryset=Node.objects.none())
    name = forms.CharField(label=_("指標名"), max_length=300)
    unit = forms.CharField(label=_("単位"), required=False, max_length=20, help_text=_("例：件、%、人"))
    direction = forms.ChoiceField(label=_("方向"), choices=Kpi.Direction.choices)
    accumulation = forms.ChoiceField(label=_("集計"), choices=Kpi.Accumulation.choices)
    baseline_text = forms.CharField(label=_("現状値（原文）"), required=False, max_length=20000)
    baseline_value = forms.DecimalField(
        label=_("現状値（数値）"), required=False, max_digits=20, decimal_places=6
    )
    baseline_fiscal_year = forms.CharField(
        label=_("現状値の年度"), required=False, help_text=_("例：令和6年度、R6、2024")
    )
    note = forms.CharField(
        label=_("備考"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, edition: PlanEdition, new: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = Node.objects.filter(edition=edition).order_by("order")  # type: ignore[attr-defined]
        if not new:
            del self.fields["key"]

    def clean_key(self) -> str:
        return _key(self.cleaned_data["key"])

    def clean_unit(self) -> str:
        return normalize_text(self.cleaned_data["unit"])

    def clean_baseline_fiscal_year(self) -> int | None:
        return _fiscal_year(normalize_text(self.cleaned_data["baseline_fiscal_year"]))


class TargetForm(forms.Form):
    fiscal_year = forms.CharField(
        label=_("年度"), required=False, help_text=_("空欄は計画の最終目標"), max_length=20
    )
    value = forms.DecimalField(label=_("目標値（数値）"), required=False, max_digits=20, decimal_places=6)
    text = forms.CharField(label=_("目標値（原文）"), max_length=20000)
    final = forms.BooleanField(label=_("最終目標"), required=False)
    unit = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def clean_fiscal_year(self) -> int | None:
        return _fiscal_year(normalize_text(self.cleaned_data["fiscal_year"]))

    def target(self) -> TargetInput:
        d = self.cleaned_data
        value: Decimal | None = d.get("value")
        return TargetInput(d.get("fiscal_year"), value, d["text"], d.get("unit", ""), bool(d.get("final")))


TargetFormSet = forms.formset_factory(TargetForm, extra=2, can_delete=True)


def target_initial(kpi: Kpi) -> list[dict[str, Any]]:
    return [
        {
            "fiscal_year": format_fiscal_year(t.fiscal_year, short=True) if t.fiscal_year else "",
            "value": format(t.value.normalize(), "f") if t.value is not None else None,
            "unit": t.unit,
            "text": t.text,
            "final": t.final,
        }
        for t in kpi.targets.order_by("order")
    ]
