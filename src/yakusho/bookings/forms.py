"""Contact details of a booking, normalised (NFKC) before validation; errors name the field.

Phone numbers, e-mail addresses and フリガナ are checked by the same functions as the form
engine's fields (``core.normalize``).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakusho.bookings.models import (
    WEEKDAYS_JA,
    Audience,
    Channel,
    PaymentMethod,
    Resource,
    Schedule,
    audience_choices,
)
from yakusho.bookings.services import Contact
from yakusho.core import shortcodes, wording
from yakusho.core.forms import NormalizingMixin, WarekiDateField
from yakusho.core.normalize import email_address, is_katakana, normalize_kana, phone_number
from yakusho.payments.models import FeeItem


class ContactForm(NormalizingMixin, forms.Form):
    name = forms.CharField(
        label=_("氏名"), max_length=60, error_messages={"required": _("氏名を入力してください。")}
    )
    kana = forms.CharField(
        label=_("フリガナ"),
        max_length=80,
        help_text=_("カタカナ（ひらがなでも入力できます）"),
        error_messages={"required": _("フリガナを入力してください。")},
    )
    email = forms.CharField(
        label=_("メールアドレス"),
        max_length=254,
        help_text=_("予約の確定と変更・取消のためのリンクをお送りします"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": _("メールアドレスを入力してください。")},
    )
    phone = forms.CharField(
        label=_("電話番号"),
        max_length=20,
        help_text=_("例：090-1234-5678"),  # and a fixed-line example in the municipality's area code
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"required": _("電話番号を入力してください。")},
    )
    note = forms.CharField(
        label=_("連絡事項（任意）"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, resource: Resource, waitlist: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resource = resource
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["phone"].help_text = _("例：%(examples)s") % {
            "examples": wording.phone_examples(resource.municipality)
        }
        email = self.fields["email"]
        if waitlist:
            email.help_text = _("空きが出たら、このアドレスにお知らせします")
            email.error_messages["required"] = _(
                "空き待ちの登録にはメールアドレスが必要です（空きが出たらメールでお知らせするため）。"
            )
        elif resource.allow_without_email:
            email.required = False
            email.label = _("メールアドレス（任意）")
            email.help_text = _(
                "予約の確定と変更・取消のためのリンクをお送りします。"
                "メールアドレスがない方は空欄のまま進んでください（予約番号を画面でお知らせします）"
            )
        if resource.audience == Audience.RESIDENTS:
            self.fields["eligible"] = forms.BooleanField(
                label=_("%(municipality)sに住所・勤務先・通学先があります")
                % {"municipality": resource.municipality.name},
                error_messages={
                    "required": _(
                        "この予約は、住所・勤務先・通学先がある方のみです。確認欄にチェックしてください。"
                    )
                },
            )

    def clean_kana(self) -> str:
        kana = normalize_kana(self.cleaned_data["kana"])
        if not is_katakana(kana):
            raise forms.ValidationError(
                _("フリガナはカタカナで入力してください（入力：%(value)s）。"), params={"value": kana}
            )
        return kana

    def clean_email(self) -> str:
        value = self.cleaned_data["email"]
        if not value and not self.fields["email"].required:
            return ""
        email = email_address(value)
        if email is None:
            raise forms.ValidationError(
                _("メールアドレスの形式が正しくありません（入力：%(value)s、例：taro@example.jp）。"),
                params={"value": value},
            )
        return email.lower()

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        if not value and not self.fields["phone"].required:
            return ""
        phone = phone_number(value)
        if phone is None:
            raise forms.ValidationError(
                _("電話番号の形式が正しくありません（入力：%(value)s、例：090-1234-5678）。"),
                params={"value": value},
            )
        return phone

    def contact(self) -> Contact:
        data = self.cleaned_data
        return Contact(
            name=data["name"], kana=data["kana"], email=data["email"], phone=data["phone"], note=data["note"]
        )


class LookupForm(NormalizingMixin, forms.Form):
    """A resident without e-mail finds their booking by its code and their phone number."""

    code = forms.CharField(
        label=_("予約番号"),
        max_length=20,
        help_text=_("例：ACEF-HJK3（予約したときの画面や、印刷した控えに出ています）"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        error_messages={"required": _("予約番号を入力してください。")},
    )
    phone = forms.CharField(
        label=_("電話番号"),
        max_length=20,
        help_text=_("予約のときに入力した電話番号"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"required": _("電話番号を入力してください。")},
    )

    def clean_code(self) -> str:
        value = self.cleaned_data["code"]
        code = shortcodes.normalize(value)
        if code is None:
            raise forms.ValidationError(
                _("予約番号は「ACEF-HJK3」のような英数字8文字です。見直してください（入力：%(value)s）。"),
                params={"value": value},
            )
        return code

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        phone = phone_number(value)
        if phone is None:
            raise forms.ValidationError(
                _("電話番号の形式が正しくありません（入力：%(value)s、例：090-1234-5678）。"),
                params={"value": value},
            )
        return phone


class StaffBookingForm(ContactForm):
    """A booking taken by phone or at the counter: e-mail and フリガナ optional."""

    channel = forms.ChoiceField(
        label=_("受付方法"),
        choices=[(Channel.PHONE, _("電話")), (Channel.COUNTER, _("窓口"))],
        initial=Channel.PHONE,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = False
        self.fields["email"].label = _("メールアドレス（任意）")
        self.fields["email"].help_text = _("あれば確認メールを送ります")
        self.fields["kana"].required = False
        self.fields.pop("eligible", None)

    def clean_kana(self) -> str:
        if not self.cleaned_data["kana"]:
            return ""
        return super().clean_kana()


class ClosureForm(NormalizingMixin, forms.Form):
    reason = forms.CharField(
        label=_("休館の理由"),
        max_length=100,
        error_messages={"required": _("休館の理由を入力してください。")},
    )


class StaffCancelForm(NormalizingMixin, forms.Form):
    reason = forms.CharField(
        label=_("取消の理由（任意）"),
        max_length=200,
        required=False,
        help_text=_("空欄なら「職員による取消」と記録します。メールのある方には取消のお知らせが届きます"),
    )


class BlockForm(NormalizingMixin, forms.Form):
    reason = forms.CharField(label=_("受付停止の理由"), max_length=100, required=False)


def hours_to_text(hours: dict[str, list[list[str]]]) -> str:
    lines = []
    for i, name in enumerate(WEEKDAYS_JA):
        ranges = hours.get(str(i), [])
        if ranges:
            lines.append(f"{name} " + ", ".join(f"{a}-{b}" for a, b in ranges))
    return "\n".join(lines)


_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def parse_hours_text(text: str) -> dict[str, list[list[str]]]:
    """``月 09:00-12:00, 13:00-17:00`` per line → ``{"0": [["09:00", "12:00"], …]}``; a Japanese
    error naming the line otherwise."""
    hours: dict[str, list[list[str]]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace("〜", "-").replace("~", "-").replace("、", ",")
        if not line:
            continue
        day, _space, rest = line.partition(" ")
        if day[:1] not in WEEKDAYS_JA or not rest.strip():
            raise forms.ValidationError(
                _("%(n)s行目：「月 09:00-12:00」のように、曜日と時間を書いてください（入力：%(line)s）。"),
                params={"n": number, "line": raw},
            )
        ranges = []
        for part in rest.replace(" ", "").split(","):
            m = _RANGE.match(part)
            if not m or not (
                0 <= int(m[1]) <= 23 and 0 <= int(m[3]) <= 24 and int(m[2]) < 60 and int(m[4]) < 60
            ):
                raise forms.ValidationError(
                    _("%(n)s行目：時間「%(part)s」は「09:00-12:00」の形で書いてください。"),
                    params={"n": number, "part": part},
                )
            start, end = f"{int(m[1]):02d}:{m[2]}", f"{int(m[3]):02d}:{m[4]}"
            if start >= end:
                raise forms.ValidationError(
                    _("%(n)s行目：終わりの時刻（%(end)s）は始まり（%(start)s）より後にしてください。"),
                    params={"n": number, "start": start, "end": end},
                )
            ranges.append([start, end])
        hours[str(WEEKDAYS_JA.index(day[:1]))] = sorted(ranges)
    return hours


class ResourceForm(NormalizingMixin, forms.ModelForm):
    hours = forms.CharField(
        label=_("受付時間"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_(
            "1行に1曜日：「月 09:00-12:00, 13:00-17:00」。書かない曜日は休み（枠の決め方が「回」なら不要）"
        ),
    )
    payment_methods = forms.MultipleChoiceField(
        label=_("支払方法"),
        required=False,
        choices=PaymentMethod.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Resource
        fields = [
            "name",
            "key",
            "kind",
            "department",
            "description",
            "location",
            "capacity",
            "schedule",
            "slot_minutes",
            "closed_on_holidays",
            "opens_days_ahead",
            "closes_hours_before",
            "limit_active",
            "limit_per_day",
            "fee_item",
            "fee_yen",
            "fee_unit",
            "payment_methods",
            "what_to_bring",
            "audience",
            "allow_without_email",
            "limit_phone_per_day",
            "limit_network_per_day",
            "waitlist",
            "offer_hours",
            "is_active",
        ]

    def __init__(self, *args: Any, municipality: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.instance.municipality = municipality
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = departments
        fee_item = self.fields["fee_item"]
        assert isinstance(fee_item, forms.ModelChoiceField)
        fee_item.queryset = FeeItem.objects.for_municipality(municipality).order_by("order", "name")
        fee_item.empty_label = _("（手数料一覧の項目を使わない）")
        self.fields["hours"].initial = hours_to_text(self.instance.opening_hours or {})
        audience = self.fields["audience"]
        assert isinstance(audience, forms.TypedChoiceField)
        audience.choices = audience_choices(municipality)

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        clash = (
            Resource.objects.for_municipality(self.municipality).filter(key=key).exclude(pk=self.instance.pk)
        )
        if clash.exists() or key in {"b", "sent"}:
            raise forms.ValidationError(_("URL名「%(key)s」はすでに使われています。"), params={"key": key})
        return key

    def clean_hours(self) -> dict[str, list[list[str]]]:
        return parse_hours_text(self.cleaned_data["hours"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("schedule") == Schedule.SLOTS and not data.get("hours") and "hours" not in self.errors:
            self.add_error("hours", _("枠を開館時間から作るときは、受付時間を書いてください。"))
        return data

    def save(self, commit: bool = True) -> Resource:
        self.instance.opening_hours = self.cleaned_data["hours"]
        return super().save(commit)


class SessionForm(NormalizingMixin, forms.Form):
    day = WarekiDateField(label=_("日付"), help_text=_("例：令和8年6月9日、2026-06-09"))
    starts = forms.TimeField(label=_("開始時刻"), help_text=_("例：10:00"))
    ends = forms.TimeField(label=_("終了時刻"), help_text=_("例：12:00"))
    capacity = forms.IntegerField(
        label=_("定員"), min_value=1, required=False, help_text=_("空欄なら予約先の定員")
    )
    title = forms.CharField(label=_("回の名前"), max_length=100, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts") and data.get("ends") and data["ends"] <= data["starts"]:
            self.add_error("ends", _("終了時刻は開始時刻より後にしてください。"))
        return data
