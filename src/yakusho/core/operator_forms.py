"""The system operator's forms: a municipality or a consortium to add, a suspension's reason.

Adding goes through :mod:`yakusho.core.localgov` — the same checks and the same function as the
commands ``add-municipality`` and ``add-consortium`` — and every refusal is shown at once, beside
the field it is about.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakusho.core import localgov
from yakusho.core.forms import NormalizingMixin
from yakusho.core.models import Municipality
from yakusho.core.models.tenancy import ConsortiumKind


def add_refusals(form: forms.Form, errors: dict[str, list[str]]) -> None:
    """Put ``localgov``'s refusals beside their fields (on the form itself for one it has no field
    of), leaving out a field that already has its own error (an empty required field)."""
    for key, messages in errors.items():
        field = key if key in form.fields else None
        if field is not None and field in form.errors:
            continue
        for message in messages:
            form.add_error(field, message)


class MunicipalityAddForm(NormalizingMixin, forms.Form):
    code = forms.CharField(
        label=_("全国地方公共団体コード"),
        max_length=20,
        help_text=_(
            "6桁（末尾は検査数字）。例：063240。団体名・よみ・都道府県・区分は全国の一覧から入ります。"
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    slug = forms.CharField(
        label=_("URL名"),
        max_length=60,
        required=False,
        help_text=_("英小文字・数字・ハイフン（/m/URL名/）。空欄ならコードを使います。例：oe"),
    )
    email = forms.CharField(
        label=_("メール送信元アドレス"),
        max_length=254,
        required=False,
        help_text=_("空欄なら既定の送信元（DEFAULT_FROM_EMAIL）を使います。"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        *_rest, errors = localgov.check_municipality(
            cleaned.get("code") or "", cleaned.get("slug") or "", cleaned.get("email") or ""
        )
        add_refusals(self, errors)
        return cleaned


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.prefecture}{obj.name}（{obj.code}）"


class ConsortiumAddForm(NormalizingMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=80, help_text=_("例：西村山広域行政事務組合"))
    kind = forms.ChoiceField(label=_("種別"), choices=ConsortiumKind.choices, initial=ConsortiumKind.DENSAN)
    members = MemberChoiceField(
        label=_("構成団体"),
        queryset=Municipality.objects.order_by("code"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("構成団体を1つ以上選んでください。"),
            "invalid_choice": _("選んだ構成団体（%(value)s）は登録されていません。"),
            "invalid_pk_value": _("構成団体の指定（%(pk)s）が正しくありません。"),
        },
    )
    slug = forms.CharField(
        label=_("URL名"),
        max_length=60,
        required=False,
        help_text=_("英小文字・数字・ハイフン。空欄なら c と最初の構成団体のコードを使います。"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        *_rest, errors = localgov.check_consortium(
            cleaned.get("name") or "",
            [m.code for m in cleaned.get("members") or []],
            cleaned.get("slug") or "",
            cleaned.get("kind") or ConsortiumKind.OTHER,
        )
        add_refusals(self, errors)
        return cleaned


class SuspendForm(NormalizingMixin, forms.Form):
    reason = forms.CharField(
        label=_("利用停止の理由"),
        max_length=Municipality._meta.get_field("suspended_reason").max_length,
        help_text=_("運用管理者と監査ログにだけ残ります。住民・職員の画面には表示しません。"),
        error_messages={"required": _("利用停止の理由を入力してください。")},
    )
