from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakusho.core.forms import NormalizingMixin, WarekiDateField
from yakusho.core.jcal import JapaneseDateError, parse_fiscal_year
from yakusho.plans import periods
from yakusho.plans.models import NodeReview, ReviewGrade, ReviewPeriod


class OpenCycleForm(NormalizingMixin, forms.Form):
    fiscal_year = forms.CharField(label=_("対象年度"), help_text=_("例：令和7年度、R7、2025"))
    period = forms.TypedChoiceField(label=_("評価する期"), coerce=int, choices=[])
    due_date = WarekiDateField(label=_("提出期限"), help_text=_("例：令和8年5月29日"))

    def __init__(self, *args: Any, kind: str = ReviewPeriod.YEAR, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        numbers = periods.numbers(kind)
        if numbers == [0]:
            del self.fields["period"]
        else:
            self.fields["period"].choices = [(n, periods.name(kind, n)) for n in numbers]  # type: ignore[attr-defined]

    def clean_fiscal_year(self) -> int:
        try:
            return parse_fiscal_year(self.cleaned_data["fiscal_year"])
        except JapaneseDateError as exc:
            raise forms.ValidationError(str(exc)) from None


class NodeReviewForm(NormalizingMixin, forms.ModelForm):
    class Meta:
        model = NodeReview
        fields = ["status", "progress", "grade", "achievements", "issues", "next_steps", "evidence"]

    def __init__(self, *args: Any, gradable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not gradable:
            del self.fields["grade"]
            return
        self.fields["grade"].queryset = ReviewGrade.objects.filter(  # type: ignore[attr-defined]
            scale_id=self.instance.cycle.edition.grading_scale_id
        ).order_by("order")


class AmendmentForm(NodeReviewForm):
    """A correction of a finalised review: the same fields, and the reason that stays with it."""

    reason = forms.CharField(label=_("訂正の理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class KpiEntryForm(NormalizingMixin, forms.Form):
    """One KPI's input inside the review's one form (prefixed ``kpi-<pk>``): saved with the review's
    own fields by 保存 and by 提出する alike. Empty means "nothing typed" and records nothing."""

    value = forms.DecimalField(label=_("実績値（数値）"), required=False, max_digits=20, decimal_places=6)
    text = forms.CharField(label=_("実績（文章）"), required=False, max_length=500)
    on = WarekiDateField(
        label=_("時点"),
        required=False,
        help_text=_("例：令和8年3月31日（空欄なら記録した日。提出期限より後なら提出期限）"),
    )
    note = forms.CharField(label=_("備考"), required=False, max_length=500)
    override_reason = forms.CharField(label=_("計測値と異なる理由"), required=False, max_length=500)
    grade = forms.ModelChoiceField(label=_("KPIの評価"), queryset=ReviewGrade.objects.none(), required=False)

    def __init__(
        self, *args: Any, grades: Any = None, qualitative: bool = False, measured: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if qualitative:
            del self.fields["value"]
        if not measured:
            del self.fields["override_reason"]
        if grades is None:
            del self.fields["grade"]
        else:
            self.fields["grade"].queryset = grades  # type: ignore[attr-defined]

    @property
    def typed(self) -> bool:
        """Whether an actual was typed (a grade alone records no actual)."""
        data = self.cleaned_data
        return data.get("value") is not None or bool(data.get("text", "").strip())


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("submit", "return", "accept", "finalise")])
    comment = forms.CharField(required=False, max_length=2000)


class NoteForm(NormalizingMixin, forms.Form):
    date = WarekiDateField(label=_("日付"), help_text=_("例：令和8年4月1日"))
    text = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
