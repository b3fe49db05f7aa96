"""The daily close's form (日計): the cash counted in the drawer and, when it differs from what
the day's payments say should be there, the reason (docs/payments.md, "The daily close")."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakusho.core.forms import NormalizingMixin
from yakusho.payments import services

#: as long as ``DailyClose.difference_reason``
MAX_REASON = 200


class CloseForm(NormalizingMixin, forms.Form):
    """Counted cash as people type it (「１２，３００」, 「12,300円」); the reason is required by
    :func:`services.close_day` only when the count differs from the expected cash."""

    counted_cash = forms.CharField(
        label=_("現金の実査額（円）"),
        max_length=20,
        help_text=_("レジの現金を数えた金額（釣銭準備金を除く）。例：12,300"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("現金の実査額を入力してください。")},
    )
    reason = forms.CharField(
        label=_("過不足の理由"),
        max_length=MAX_REASON,
        required=False,
        help_text=_("実査額が予定額と違うときは必ず入力してください。例：100円不足（釣銭の渡し過ぎ）"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _(
                "過不足の理由は%(limit_value)s文字以内で入力してください（いま%(show_value)s文字）。"
            )
        },
    )
    #: made when the form is shown: a second press of 締める with the same key is the same close
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("request_key", secrets.token_urlsafe(16))
        super().__init__(*args, **kwargs)

    def clean_counted_cash(self) -> int:
        try:
            return services.parse_yen(self.cleaned_data["counted_cash"], str(_("現金の実査額")))
        except services.PaymentError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from None

    def clean_reason(self) -> str:
        return str(self.cleaned_data.get("reason") or "").strip()
