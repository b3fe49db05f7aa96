from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakusho.core.forms import NormalizingMixin, WarekiDateField
from yakusho.core.jcal import JapaneseDateError, parse_fiscal_year
from yakusho.plans.models import NodeReview, ReviewGrade


class OpenCycleForm(NormalizingMixin, forms.Form):
    fiscal_year = forms.CharField(label=_("対象年度"), help_text=_("例：令和7年度、R7、2025"))
    due_date = WarekiDateField(label=_("提出期限"), help_text=_("例：令和8年5月29日"))

    def clean_fiscal_year(self) -> int:
        try:
            return parse_fiscal_year(self.cleaned_data["fiscal_year"])
        except JapaneseDateError as exc:
            raise forms.ValidationError(str(exc)) from None


class NodeReviewForm(NormalizingMixin, forms.ModelForm):
    class Meta:
        model = NodeReview
        fields = ["status", "progress", "grade", "achievements", "issues", "next_steps", "evidence"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grade"].queryset = ReviewGrade.objects.filter(  # type: ignore[attr-defined]
            scale_id=self.instance.cycle.edition.grading_scale_id
        ).order_by("order")


class AmendmentForm(NodeReviewForm):
    """A correction of a finalised review: the same fields, and the reason that stays with it."""

    reason = forms.CharField(label=_("訂正の理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ActualForm(NormalizingMixin, forms.Form):
    kpi = forms.IntegerField(widget=forms.HiddenInput)
    value = forms.DecimalField(label=_("実績値（数値）"), required=False, max_digits=20, decimal_places=6)
    text = forms.CharField(label=_("実績（文章）"), required=False, max_length=500)
    on = WarekiDateField(label=_("時点"), required=False)
    note = forms.CharField(label=_("備考"), required=False, max_length=500)
    override_reason = forms.CharField(label=_("計測値と異なる理由"), required=False, max_length=500)
    confirm_metric = forms.BooleanField(required=False)


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("submit", "return", "accept", "finalise")])
    comment = forms.CharField(required=False, max_length=2000)


class NoteForm(NormalizingMixin, forms.Form):
    date = WarekiDateField(label=_("日付"), help_text=_("例：令和8年4月1日"))
    text = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
