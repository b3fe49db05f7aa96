"""Forms of the counter pages: arrival, choosing procedures, the one-stop configuration.

Identification reuses the card-reader pages' forms (``reader_forms``): the simulated reader's
payload and manual entry. An item's form is the engine's, not a Django form.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core.forms import NormalizingMixin
from yakusho.procedures.counter.ages import MAX_AGE
from yakusho.procedures.models import Procedure


class StartVisitForm(NormalizingMixin, forms.Form):
    """A new visit; the arrival time defaults to now (give it when the resident waited first)."""

    arrived = forms.CharField(
        label=gettext_lazy("来庁時刻"),
        required=False,
        max_length=5,
        help_text=gettext_lazy("空欄なら今の時刻です。整理券を取った時刻などを 9:05 のように入力できます。"),
    )

    #: the queue ticket the visit starts from, shown above the form (not stored)
    ticket = ""

    def clean_arrived(self) -> datetime | None:
        text = (self.cleaned_data.get("arrived") or "").strip().replace("：", ":")
        if not text:
            return None
        hour, sep, minute = text.partition(":")
        if not sep or not hour.isdigit() or not minute.isdigit() or len(minute) != 2:
            raise forms.ValidationError(_("来庁時刻は 9:05 のように時と分で入力してください。"))
        if not (0 <= int(hour) <= 23 and 0 <= int(minute) <= 59):
            raise forms.ValidationError(_("来庁時刻「%(value)s」はありえない時刻です。") % {"value": text})
        now = timezone.localtime()
        arrived = now.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
        if arrived > now:
            raise forms.ValidationError(_("来庁時刻に今より後の時刻は入力できません。"))
        return arrived


class ProcedureChoiceForm(forms.Form):
    """The procedures of a visit, checked from the proposals and search results shown."""

    procedures = forms.TypedMultipleChoiceField(
        label=gettext_lazy("行う手続"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": gettext_lazy("手続を1つ以上選んでください。"),
            "invalid_choice": gettext_lazy("選んだ手続「%(value)s」は選べません。"),
        },
    )
    life_event = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, choices: Sequence[Procedure] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["procedures"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(p.pk, p.name) for p in choices]


class OneStopForm(forms.Form):
    """One row per procedure: whether the life event proposes it, in which order, and for which
    ages of the visitor (optional, inclusive, 0–130; 「以上」 no greater than 「以下」)."""

    def __init__(self, *args: Any, procedures: Sequence[Procedure] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procedures = list(procedures)
        for p in self.procedures:
            self.fields[f"use_{p.pk}"] = forms.BooleanField(label=p.name, required=False)
            order_message = _("「%(name)s」の表示順は0〜999の整数で入力してください。") % {"name": p.name}
            self.fields[f"order_{p.pk}"] = forms.IntegerField(
                label=_("「%(name)s」の表示順") % {"name": p.name},
                required=False,
                min_value=0,
                max_value=999,
                error_messages={
                    "invalid": order_message,
                    "min_value": order_message,
                    "max_value": order_message,
                },
            )
            for key, label in (
                ("min_age", _("「%(name)s」の対象の年齢（以上）")),
                ("max_age", _("「%(name)s」の対象の年齢（以下）")),
            ):
                message = _("%(label)sは0〜%(max)sの整数（歳）で入力してください。") % {
                    "label": label % {"name": p.name},
                    "max": MAX_AGE,
                }
                self.fields[f"{key}_{p.pk}"] = forms.IntegerField(
                    label=label % {"name": p.name},
                    required=False,
                    min_value=0,
                    max_value=MAX_AGE,
                    error_messages={"invalid": message, "min_value": message, "max_value": message},
                )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for p in self.procedures:
            low, high = cleaned.get(f"min_age_{p.pk}"), cleaned.get(f"max_age_{p.pk}")
            if low is not None and high is not None and low > high:
                self.add_error(
                    f"min_age_{p.pk}",
                    _(
                        "「%(name)s」の対象の年齢は「以上」（%(low)s歳）を「以下」（%(high)s歳）より小さくしてください。"
                    )
                    % {"name": p.name, "low": low, "high": high},
                )
        return cleaned

    def rows(
        self,
    ) -> list[
        tuple[Procedure, forms.BoundField, forms.BoundField, tuple[forms.BoundField, forms.BoundField]]
    ]:
        """(procedure, 提案する, 表示順, (対象の年齢（以上）, 対象の年齢（以下）)) per row."""
        return [
            (
                p,
                self[f"use_{p.pk}"],
                self[f"order_{p.pk}"],
                (self[f"min_age_{p.pk}"], self[f"max_age_{p.pk}"]),
            )
            for p in self.procedures
        ]

    def chosen(self) -> list[tuple[int, int, int | None, int | None]]:
        """(procedure id, order, min age, max age) of the ticked rows; a row without order comes
        after the others. The ages of a row not ticked are not kept."""
        out = []
        for index, p in enumerate(self.procedures):
            if self.cleaned_data.get(f"use_{p.pk}"):
                order = self.cleaned_data.get(f"order_{p.pk}")
                out.append(
                    (
                        p.pk,
                        order if order is not None else 500 + index,
                        self.cleaned_data.get(f"min_age_{p.pk}"),
                        self.cleaned_data.get(f"max_age_{p.pk}"),
                    )
                )
        return out
