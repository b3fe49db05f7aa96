"""Staff forms. Japanese input is NFKC-normalised before validation; errors name the field."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakusho.core import suspension, wording
from yakusho.core.jcal import JapaneseDateError, format_date, parse_japanese_date
from yakusho.core.models import (
    Closure,
    Department,
    Invitation,
    Membership,
    Municipality,
    PolicyPage,
    Role,
    User,
)
from yakusho.core.normalize import phone_number
from yakusho.core.validators import normalize_text


class WarekiDateField(forms.CharField):
    """A date typed as 和暦 (令和8年4月1日, R8.4.1) or 西暦 (2026-04-01, 2026年4月1日)."""

    def to_python(self, value: Any) -> datetime.date | None:  # type: ignore[override]
        if isinstance(value, datetime.date):
            return value
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_japanese_date(text)
        except JapaneseDateError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None

    def prepare_value(self, value: Any) -> Any:
        """A stored date is shown as people write it (令和8年（2026年）4月1日), which reads back."""
        return format_date(value) if isinstance(value, datetime.date) else value


#: a thousands separator between digits (after NFKC, full-width commas are commas)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


class NormalizingMixin:
    """NFKC-normalise submitted text before validation (全角英数 → 半角, 半角カナ → 全角), and read
    numbers as people write them: in a numeric field ``1,850`` and ``１，８５０`` are 1850.

    Passwords are left exactly as typed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A browser's number input refuses 「１８５０」 and 「1,850」 before the server sees them, so
        # numeric fields are text inputs with a numeric keyboard; the server reads them (below).
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field.widget, forms.NumberInput):
                attrs = {k: v for k, v in field.widget.attrs.items() if k not in ("min", "max", "step")}
                decimal = isinstance(field, forms.DecimalField | forms.FloatField)
                field.widget = forms.TextInput(
                    attrs={**attrs, "inputmode": "decimal" if decimal else "numeric"}
                )

    def full_clean(self) -> None:
        form: Any = self
        if form.is_bound:
            data = form.data.copy()
            for name, field in form.fields.items():
                if isinstance(field.widget, forms.PasswordInput):
                    continue
                key = form.add_prefix(name)
                numeric = isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField)

                def clean(value: Any, numeric: bool = numeric) -> Any:
                    if not isinstance(value, str):
                        return value
                    text = normalize_text(value)
                    return _THOUSANDS.sub("", text).strip() if numeric else text

                if hasattr(data, "getlist"):
                    values = data.getlist(key)
                    if values:
                        data.setlist(key, [clean(v) for v in values])
                elif isinstance(data.get(key), str):
                    data[key] = clean(data[key])
            form.data = data
        super().full_clean()  # type: ignore[misc]


class MunicipalityForm(NormalizingMixin, forms.ModelForm):
    website = forms.URLField(label=_("公式サイト"), required=False, assume_scheme="https")

    class Meta:
        model = Municipality
        fields = [
            "name",
            "name_en",
            "kana",
            "prefecture",
            "kind",
            "code",
            "population",
            "website",
            "address",
            "phone",
            "office_opens",
            "office_closes",
            "email_from",
            "closes_year_end",
        ]

    def clean_code(self) -> str:
        return normalize_text(self.cleaned_data["code"])


class PolicyPageForm(NormalizingMixin, forms.ModelForm):
    tested_on = WarekiDateField(label=_("試験実施日"), required=False, help_text=_("例：令和8年4月1日"))

    class Meta:
        model = PolicyPage
        fields = ["body", "target_level", "conformance", "tested_on", "test_results"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.kind == PolicyPage.Kind.PRIVACY:
            for name in ("target_level", "conformance", "tested_on", "test_results"):
                del self.fields[name]


class DepartmentForm(NormalizingMixin, forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "kana", "email", "phone", "place", "hours", "order"]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})}

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.instance.municipality = municipality

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        if not value:
            return ""
        phone = phone_number(value)
        if phone is None:
            example = wording.phone_example(self.municipality)
            if not example:
                raise forms.ValidationError(
                    _("電話番号は市外局番から、10桁（携帯電話は11桁）で入力してください。"), code="invalid"
                )
            raise forms.ValidationError(
                _("電話番号は市外局番から、%(example)s のように入力してください。"),
                code="invalid",
                params={"example": example},
            )
        return phone

    def save(self, commit: bool = True) -> Department:
        # Numbers and places typed by staff are real: the demo mark goes once either is edited.
        if self.instance.contact_is_demo and {"phone", "place"} & set(self.changed_data):
            self.instance.contact_is_demo = False
        department: Department = super().save(commit)
        return department

    def clean_name(self) -> str:
        name = normalize_text(self.cleaned_data["name"])
        clash = Department.objects.for_municipality(self.municipality).filter(name=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                _("「%(name)s」という課はすでに%(municipality)sにあります。"),
                code="unique",
                params={"name": name, "municipality": self.municipality.name},
            )
        return name


class DepartmentChoiceField(forms.ModelMultipleChoiceField):
    """課 of one municipality only; an id from elsewhere gets a message that says so."""

    default_error_messages = {
        "invalid_choice": _("選択された課（%(value)s）はこの団体の課ではありません。"),
        "invalid_pk_value": _("「%(pk)s」は課の指定として正しくありません。"),
    }


class _RoleDepartmentsMixin:
    def _setup_departments(self, municipality: Municipality) -> None:
        self.fields["departments"] = DepartmentChoiceField(  # type: ignore[attr-defined]
            queryset=Department.objects.for_municipality(municipality),
            required=False,
            label=_("所属課"),
            widget=forms.CheckboxSelectMultiple,
            help_text=_("担当課職員は1つ以上の課に所属させてください。"),
        )

    def _check_role_departments(self, cleaned: dict[str, Any]) -> None:
        if cleaned.get("role") == Role.DEPARTMENT and not cleaned.get("departments"):
            self.add_error("departments", _("担当課職員には所属課を1つ以上選んでください。"))  # type: ignore[attr-defined]


class InvitationForm(_RoleDepartmentsMixin, NormalizingMixin, forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "display_name", "role", "departments"]

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.instance.municipality = municipality
        self._setup_departments(municipality)

    def clean_email(self) -> str:
        email = normalize_text(self.cleaned_data["email"]).lower()
        if Membership.objects.for_municipality(self.municipality).filter(user__email=email).exists():
            raise forms.ValidationError(
                _("%(email)s の職員はすでに%(municipality)sに登録されています。"),
                code="in_use",
                params={"email": email, "municipality": self.municipality.name},
            )
        pending = Invitation.objects.for_municipality(self.municipality).filter(
            email=email, accepted_at__isnull=True, expires_at__gt=timezone.now()
        )
        if pending.exists():
            raise forms.ValidationError(
                _("%(email)s にはすでに有効な招待を送っています。"),
                code="pending",
                params={"email": email},
            )
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_role_departments(cleaned)
        return cleaned


class MembershipForm(_RoleDepartmentsMixin, NormalizingMixin, forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "departments"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_departments(self.instance.municipality)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_role_departments(cleaned)
        return cleaned


class ClosureForm(NormalizingMixin, forms.ModelForm):
    date = WarekiDateField(label=_("閉庁日"), help_text=_("例：令和8年4月1日、R8.4.1、2026-04-01"))

    class Meta:
        model = Closure
        fields = ["date", "reason"]

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.instance.municipality = municipality

    def clean_date(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["date"]
        if Closure.objects.for_municipality(self.municipality).filter(date=day).exists():
            raise forms.ValidationError(
                _("%(date)s はすでに閉庁日として登録されています。"), params={"date": day.isoformat()}
            )
        return day


class AcceptInvitationForm(NormalizingMixin, forms.Form):
    display_name = forms.CharField(label=_("氏名"), max_length=80)
    password1 = forms.CharField(label=_("パスワード"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("パスワード（確認）"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("確認用のパスワードが一致しません。"))
        elif p1:
            try:
                password_validation.validate_password(p1, User(email=self.email))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class StaffAuthenticationForm(AuthenticationForm):
    """Staff sign-in; refuses, with its own message, staff whose every municipality is suspended
    (:func:`yakusho.core.suspension.sign_in_refused`) — only once the password is right."""

    refusal = ""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        refused = suspension.sign_in_refused(user)
        if refused:
            self.refusal = str(
                _(
                    "%(names)sは現在ご利用いただけないため、ログインできません。"
                    "詳しくはシステムの運用管理者にお問い合わせください。"
                )
                % {"names": "、".join(m.name for m in refused)}
            )
            raise forms.ValidationError(self.refusal, code="suspended")


class TokenForm(NormalizingMixin, forms.Form):
    token = forms.CharField(
        label=_("確認コード（6桁）"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self) -> str:
        token = normalize_text(self.cleaned_data["token"]).replace(" ", "")
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError(_("確認コードは6桁の数字で入力してください。"))
        return token


class SpreadsheetUploadForm(forms.Form):
    """An exported list uploaded to be imported again (the FAQ's, the fee catalogue's): a file of
    one of ``suffixes`` (an old .xls is named as such), not empty, not larger than ``max_bytes``.
    Subclasses give ``file`` its label and say which kinds the import reads."""

    suffixes: tuple[str, ...] = (".xlsx",)
    max_bytes = 2_000_000  # the message says 2MB
    wrong_kind: Any = _("Excelのファイル（.xlsx）を選んでください。書き出したファイルを直して読み込めます。")

    file = forms.FileField(allow_empty_file=True)

    def clean_file(self) -> Any:
        from pathlib import PurePath

        upload = self.cleaned_data["file"]
        suffix = PurePath(upload.name or "").suffix.lower()
        if suffix == ".xls":
            raise forms.ValidationError(
                _(
                    "古い形式（.xls）は読めません。"
                    "Excelで「Excel ブック（.xlsx）」として保存し直してください。"
                ),
                code="kind",
            )
        if suffix not in self.suffixes:
            raise forms.ValidationError(self.wrong_kind, code="kind")
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("ファイルが大きすぎます（2MBまで）。ファイルを分けて読み込んでください。"), code="size"
            )
        if upload.size == 0:
            raise forms.ValidationError(_("ファイルが空です。"), code="empty")
        return upload
