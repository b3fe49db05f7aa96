"""Forms of the joint goals: a goal (consortium staff) and a member's answer to one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakusho.core.forms import NormalizingMixin
from yakusho.core.jcal import JapaneseDateError, format_fiscal_year, parse_fiscal_year
from yakusho.plans.models import JointGoal, Kpi, Observation, StandardIndicator


class GoalForm(NormalizingMixin, forms.ModelForm):
    key = forms.SlugField(
        label=_("キー"),
        max_length=60,
        help_text=_("URLに使う半角英数字とハイフン（例：online-procedures）"),
        error_messages={"invalid": _("キーは半角英数字・ハイフン・下線で入力してください。")},
    )
    target_value = forms.DecimalField(
        label=_("目標値（数値）"),
        required=False,
        max_digits=20,
        decimal_places=6,
        help_text=_("構成団体ごとの目標値。数値で比べられない目標は空欄にして「目標（文章）」に書きます"),
        error_messages={"invalid": _("目標値は数値で入力してください（例：100、30.5）。")},
    )
    target_fiscal_year = forms.CharField(
        label=_("目標年度"), required=False, help_text=_("例：令和10年度、R10、2028")
    )
    order = forms.IntegerField(
        label=_("表示順"), required=False, min_value=0, help_text=_("空欄なら最後に並びます")
    )

    class Meta:
        model = JointGoal
        fields = [
            "key",
            "title",
            "description",
            "indicator",
            "unit",
            "target_value",
            "target_text",
            "target_fiscal_year",
            "order",
        ]
        labels = {"target_text": _("目標（文章）"), "description": _("説明（Markdown）")}
        help_texts = {
            "unit": _("空欄なら標準指標の単位。構成団体の指標と単位が同じときだけ進み具合を出します"),
            "indicator": _("構成団体のKPI・現状の数値のうち、この標準指標のものを先に候補に出します"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = StandardIndicator.objects.order_by("key")  # type: ignore[attr-defined]
        self.fields["description"].widget.attrs.update(rows=4)
        year = self.initial.get("target_fiscal_year")
        if isinstance(year, int):
            self.initial["target_fiscal_year"] = format_fiscal_year(year, short=True)

    def clean_target_fiscal_year(self) -> int | None:
        value = self.cleaned_data["target_fiscal_year"]
        if not value:
            return None
        try:
            return parse_fiscal_year(value)
        except JapaneseDateError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("target_value") is None and not data.get("target_text"):
            self.add_error("target_text", _("目標値（数値）か目標（文章）のどちらかを入力してください。"))
        return data


def _label(item: Kpi | Observation, goal: JointGoal) -> str:
    mark = "★ " if goal.indicator_id is not None and item.indicator_id == goal.indicator_id else ""
    unit = f"（{item.unit}）" if item.unit else ""
    where = item.edition.title
    return f"{mark}{item.name}{unit} — {where}"


class LinkForm(NormalizingMixin, forms.Form):
    """A member's answer: one KPI, or one observation, or neither (then a note says why)."""

    kpi = forms.TypedChoiceField(label=_("KPI"), required=False, coerce=int, empty_value=None)
    observation = forms.TypedChoiceField(label=_("現状の数値"), required=False, coerce=int, empty_value=None)
    note = forms.CharField(
        label=_("備考"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "KPIも現状の数値も選ばないときは「計測していない」と回答します。その理由や今後の予定を書いてください"
        ),
    )

    def __init__(
        self, *args: Any, goal: JointGoal, kpis: list[Kpi], observations: list[Observation], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.goal = goal
        none = [("", _("選ばない"))]
        self.fields["kpi"].choices = none + [(k.pk, _label(k, goal)) for k in kpis]  # type: ignore[attr-defined]
        self.fields["observation"].choices = none + [(o.pk, _label(o, goal)) for o in observations]  # type: ignore[attr-defined]
        for name, items in (("kpi", kpis), ("observation", observations)):
            if not items:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("計画の現行版にありません。")
            elif goal.indicator is not None:
                self.fields[name].help_text = _("★は共通目標と同じ標準指標（%(name)s）のもの") % {
                    "name": goal.indicator.name
                }

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("kpi") is not None and data.get("observation") is not None:
            self.add_error("observation", _("KPIと現状の数値は、どちらか一つだけ選んでください。"))
        elif data.get("kpi") is None and data.get("observation") is None and not data.get("note"):
            self.add_error("note", _("計測していない場合は、その理由や今後の予定を備考に書いてください。"))
        return data
