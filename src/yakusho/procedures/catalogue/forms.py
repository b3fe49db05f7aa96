"""Forms of the procedure catalogue: the public search and the staff upload of a form definition."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakusho.core.models import Department
from yakusho.procedures.catalogue.life_events import life_event_choices
from yakusho.procedures.models import ChannelKind, LifeEvent

#: Channel filters: value → (label, the channel kinds that count, available ones only).
CHANNEL_FILTERS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "online": (_("オンラインで申請できる"), (ChannelKind.YAKUSHO, ChannelKind.EXTERNAL)),
    "yakusho": (_("このサイトで申請できる"), (ChannelKind.YAKUSHO,)),
    "counter": (_("窓口でできる"), (ChannelKind.COUNTER,)),
    "convenience-store": (_("コンビニでできる"), (ChannelKind.CONVENIENCE_STORE,)),
    "post": (_("郵送でできる"), (ChannelKind.POST,)),
}

MAX_DEFINITION_BYTES = 1024 * 1024


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(
        label=_("キーワード"),
        required=False,
        max_length=100,
        help_text=_("漢字・ひらがな・カタカナのどれでも探せます（例：じゅうみんひょう）"),
    )
    event = forms.ChoiceField(
        label=_("ライフイベント"), required=False, choices=[("", _("すべて")), *LifeEvent.choices]
    )
    channel = forms.ChoiceField(
        label=_("手続の方法"),
        required=False,
        choices=[("", _("すべて")), *((k, label) for k, (label, _kinds) in CHANNEL_FILTERS.items())],
    )

    def __init__(self, *args: Any, municipality: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event = self.fields["event"]
        assert isinstance(event, forms.ChoiceField)
        event.choices = [("", _("すべて")), *life_event_choices(municipality)]
        self.fields["q"].widget.attrs.update(
            {"type": "search", "autocomplete": "off", "enterkeyhint": "search"}
        )


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("キーワード"), required=False, max_length=100)
    department = forms.ModelChoiceField(label=_("担当課"), required=False, queryset=Department.objects.none())

    def __init__(self, *args: Any, municipality: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Department.objects.for_municipality(municipality)
        field.empty_label = _("すべての課")


class FormDefinitionUploadForm(forms.Form):
    file = forms.FileField(
        label=_("フォーム定義ファイル（JSON）"),
        help_text=_("UTF-8 の JSON ファイル（1MBまで）。版（version）は現在の版より大きくしてください。"),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_DEFINITION_BYTES:
            raise forms.ValidationError(_("ファイルが大きすぎます（1MBまで）。"))
        if not upload.name.lower().endswith(".json"):
            raise forms.ValidationError(_("拡張子が .json のファイルを選んでください。"))
        return upload
