"""Forms of the card-reader pages: an adapter's configuration, a simulated payload, manual entry."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yakusho.core.datafiles import DataFile, DataFileInvalid
from yakusho.procedures.counter.readers.base import FIELD_LABELS, Sex

MAX_UPLOAD_BYTES = 65536


class ReaderConfigForm(forms.Form):
    config = forms.CharField(
        label=_("設定（JSON）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_('JSONのオブジェクトで書きます（例：{"max_bytes": 8192}）。空にすると既定の設定です。'),
    )

    def clean_config(self) -> dict[str, Any]:
        text = (self.cleaned_data.get("config") or "").strip()
        if not text:
            return {}
        try:
            value = DataFile.read(text, "config.json", fmt="json").data
        except DataFileInvalid as exc:
            raise forms.ValidationError(exc.errors[0].text(get_language())) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("JSONはオブジェクト（{ … }）にしてください。"))
        return value


class PayloadForm(forms.Form):
    """For the simulated reader: paste the JSON or the QR code's text, or upload a JSON file."""

    payload = forms.CharField(
        label=_("カードのデータ（JSONまたはQRコードの内容）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_("QRコードリーダーで読み取るとここに入ります。JSONファイルを選んでもかまいません。"),
    )
    file = forms.FileField(label=_("JSONファイル"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("file")
        if upload is not None:
            if upload.size > MAX_UPLOAD_BYTES:
                self.add_error("file", _("JSONファイルが大きすぎます（64KBまで）。"))
                return cleaned
            try:
                cleaned["payload"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", _("JSONファイルはUTF-8で保存してください。"))
                return cleaned
        if not (cleaned.get("payload") or "").strip():
            self.add_error("payload", _("カードのデータを貼り付けるか、JSONファイルを選んでください。"))
        return cleaned


class ManualEntryForm(forms.Form):
    """Manual entry: the four basic items (validated by the adapter, which names the field)."""

    name = forms.CharField(label=FIELD_LABELS["name"], max_length=200)
    name_kana = forms.CharField(label=FIELD_LABELS["name_kana"], max_length=200, required=False)
    address = forms.CharField(label=FIELD_LABELS["address"], max_length=400)
    birth_date = forms.CharField(
        label=FIELD_LABELS["birth_date"],
        max_length=40,
        help_text=_("和暦でも西暦でもかまいません（例：昭和60年4月1日、S60.4.1、1985-04-01）。"),
    )
    sex = forms.ChoiceField(label=FIELD_LABELS["sex"], choices=[("", "—"), *Sex.choices])
