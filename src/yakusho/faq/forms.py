"""The resident's forms of the FAQ: a question left for staff."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakusho.core.forms import NormalizingMixin
from yakusho.core.models import Department, Municipality

MAX_QUESTION = 1000


def department_field(label: Any, empty_label: Any) -> forms.ModelChoiceField:
    """An optional choice of a 課; :func:`limit_departments` gives it the municipality's."""
    return forms.ModelChoiceField(
        label=label,
        queryset=Department.objects.none(),
        required=False,
        empty_label=empty_label,
        error_messages={"invalid_choice": _("この団体にない課です。一覧から選んでください。")},
    )


def limit_departments(form: forms.Form, municipality: Municipality) -> None:
    field: Any = form.fields["department"]
    field.queryset = Department.objects.for_municipality(municipality).order_by("order", "pk")


class AskForm(NormalizingMixin, forms.Form):
    text = forms.CharField(
        label=_("ご質問"),
        max_length=MAX_QUESTION,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("%(n)s文字まで。住所・電話番号・マイナンバーなどは書かないでください。") % {"n": "1,000"},
        error_messages={"required": _("ご質問を入力してください。")},
    )
    email = forms.EmailField(
        label=_("回答をお送りするメールアドレス"),
        max_length=254,
        help_text=_("回答の送信にだけ使い、回答を送ったあとで消去します。"),
        error_messages={
            "required": _("回答をお送りするメールアドレスを入力してください。"),
            "invalid": _("メールアドレスの形式が正しくありません（例：taro@example.jp）。"),
        },
    )
    department = department_field(_("担当課（わかれば）"), _("わからない"))

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_departments(self, municipality)

    def clean_text(self) -> str:
        text = str(self.cleaned_data["text"]).strip()
        if not any(c.isalnum() for c in text):
            raise forms.ValidationError(_("ご質問の内容を文字で入力してください。"))
        return text


class AnswerForm(NormalizingMixin, forms.Form):
    """Staff's answer to a question a resident left (sent by e-mail)."""

    answer = forms.CharField(
        label=_("回答"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("このままメールで送ります。住民の方に伝わる言葉で、手続や窓口の案内も添えてください。"),
        error_messages={"required": _("回答を入力してください。")},
    )
    department = department_field(_("担当課"), _("（決まっていない）"))

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_departments(self, municipality)
