"""The self-checkout's forms (docs/payments.md "Self-checkout"): staff name a new kiosk; the
kiosk reads a scan (or a 受付番号 typed by hand) and takes the resident's choice of method."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.payments import selfcheckout
from yakusho.payments.models import Method


class KioskForm(forms.Form):
    """「セルフレジを登録する」: the kiosk's name (also the payments' till)."""

    name = forms.CharField(
        label=gettext_lazy("セルフレジの名前"),
        help_text=gettext_lazy("例：1階ロビーのセルフレジ（%(max)d文字まで。支払の「レジ」欄に記録されます）")
        % {"max": selfcheckout.NAME_MAX},
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"maxlength": selfcheckout.NAME_MAX, "autocomplete": "off"}),
    )


class ScanForm(forms.Form):
    """The start screen: what the scanner typed (the slip's payload) or the 受付番号 by hand."""

    code = forms.CharField(required=False, max_length=10_000, strip=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scan = selfcheckout.parse_scan(str(data.get("code") or ""))
        if scan.error:
            self.add_error("code", scan.error)
        data["scan"] = scan
        return data


class PayForm(forms.Form):
    """The method the resident pressed, the form's one-time key and the total they saw."""

    method = forms.ChoiceField(
        choices=[(m, m) for m in Method.values],
        error_messages={
            "required": gettext_lazy("お支払い方法を選んでください。"),
            "invalid_choice": gettext_lazy("お支払い方法を選んでください。"),
        },
    )
    request_key = forms.CharField(max_length=64, required=False)
    total = forms.IntegerField(required=False, min_value=0, max_value=100_000_000)

    def clean_request_key(self) -> str:
        key = str(self.cleaned_data.get("request_key") or "")
        if not key:
            raise forms.ValidationError(_("画面を最初からやり直してください。"))
        return key
