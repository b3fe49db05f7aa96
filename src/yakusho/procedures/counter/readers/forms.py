"""Forms of the card-reader pages: an adapter's configuration, a simulated payload, manual entry."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yakusho.core.datafiles import DataFile, DataFileInvalid
from yakusho.procedures.counter.readers.base import FIELD_LABELS, Sex
from yakusho.procedures.counter.readers.simulated import sample_cards

if TYPE_CHECKING:
    from yakusho.core.models import Municipality

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


class ReaderForm(forms.Form):
    """What staff give an adapter, for a municipality (``municipality=``; the views pass theirs)."""

    def __init__(self, *args: Any, municipality: Municipality | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality


class PayloadForm(ReaderForm):
    """For the simulated reader: choose a sample card, or (advanced) paste the JSON or the QR
    code's text, or upload a JSON file.

    Two buttons say which: ``source=sample`` reads the chosen card, ``source=payload`` what was
    pasted or uploaded. Without either (a script, the Enter key), a chosen card alone or a payload
    alone is read; both at once are refused. A card is read as its JSON document, through the same
    validation as a pasted one."""

    sample = forms.ChoiceField(
        label=_("見本のカード（デモ）"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "デモ用の架空の住民のカードです。選んで「このカードを読み取る」を押すと、そのカードを読み取ります。"
        ),
        error_messages={"invalid_choice": _("見本のカードは一覧の中から選んでください。")},
    )
    payload = forms.CharField(
        label=_("カードのデータ（JSONまたはQRコードの内容）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_("QRコードリーダーで読み取るとここに入ります。JSONファイルを選んでもかまいません。"),
    )
    file = forms.FileField(label=_("JSONファイル"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.samples = sample_cards(self.municipality) if self.municipality is not None else []
        if self.samples:
            self.fields["sample"].choices = [(card.key, card.name) for card in self.samples]  # type: ignore[attr-defined]
        else:
            del self.fields["sample"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        source = str(self.data.get("source", "")) if self.is_bound else ""
        key = cleaned.get("sample") or ""
        given = bool((cleaned.get("payload") or "").strip()) or cleaned.get("file") is not None
        if "sample" in self.fields and source != "payload":
            if source == "sample" and not key and "sample" not in self.errors:
                self.add_error("sample", _("読み取る見本のカードを選んでください。"))
                return cleaned
            if key and given and source != "sample":
                self.add_error(
                    "sample",
                    _("見本のカードと貼り付けたデータの両方があります。読み取るのはどちらか一方です。"),
                )
                return cleaned
            if key:
                card = next(c for c in self.samples if c.key == key)
                cleaned["payload"] = json.dumps(card.document(), ensure_ascii=False)
                cleaned["file"] = None
                return cleaned
            if "sample" in self.errors:
                return cleaned
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
            if self.samples:
                self.add_error(
                    "payload",
                    _("見本のカードを選ぶか、カードのデータを貼り付けるかJSONファイルを選んでください。"),
                )
            else:
                self.add_error("payload", _("カードのデータを貼り付けるか、JSONファイルを選んでください。"))
        return cleaned


class ManualEntryForm(ReaderForm):
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
