"""The till's forms (docs/payments.md "The till"): a payment of up to ten lines, and a void or refund.

The till form prices every line by the rate in force today (:func:`.services.quote`) while it
validates, so every mistake is shown at once, each beside its input: a row with no item, a
quantity that is not a number or above the rate's limit, an exemption the rate does not have, a
method one of the chosen items refuses (naming them), and, for cash, お預かり below the total.
Amounts are read as people type them (:func:`.services.parse_yen`: 「１，０００」 is 1000).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core import shortcodes, wording
from yakusho.core.forms import NormalizingMixin
from yakusho.core.models import Municipality
from yakusho.core.normalize import normalize_number
from yakusho.payments import services
from yakusho.payments.models import (
    TERMINAL_METHODS,
    FeeItem,
    FeeKind,
    FeeRate,
    Method,
    ReversalKind,
)
from yakusho.payments.payables import payables
from yakusho.payments.services import PaymentError
from yakusho.payments.terminals import terminals

#: the most lines one payment has at the till
MAX_ROWS = 10
#: rows shown open; the others are behind 「さらに項目を追加」 unless something is typed in them
OPEN_ROWS = 5
#: the payable a counter visit registers (the till prefills a visit's lines from it)
VISIT_PAYABLE = "procedures.counter_visit"
_QUANTITY_RE = re.compile(r"^[0-9]{1,4}$")


def new_request_key() -> str:
    return secrets.token_urlsafe(16)


def till_methods() -> list[str]:
    """What the till takes: cash, and the cashless methods of the configured terminal."""
    try:
        terminal_methods = terminals.get(settings.PAYMENT_TERMINAL).methods
    except KeyError:  # a misconfigured terminal: ``manage.py check`` says so; the till takes cash
        terminal_methods = frozenset()
    return [m for m in Method.values if m == Method.CASH or (m in TERMINAL_METHODS and m in terminal_methods)]


def payable_items(municipality: Municipality, day: date) -> list[tuple[FeeItem, FeeRate]]:
    """The municipality's fee items with a rate on ``day``, in the catalogue's order."""
    items = (
        FeeItem.objects.for_municipality(municipality)
        .select_related("department")
        .prefetch_related("rates")
        .order_by("order", "name", "pk")
    )
    out = []
    for item in items:
        rate = item.rate_on(day)
        if rate is not None:
            out.append((item, rate))
    return out


@dataclass(frozen=True)
class Row:
    """One line of the till form, as the template lays it out."""

    number: int
    item: forms.BoundField
    quantity: forms.BoundField
    outside: forms.BoundField
    exemption: forms.BoundField

    @property
    def has_errors(self) -> bool:
        return bool(self.item.errors or self.quantity.errors or self.outside.errors or self.exemption.errors)


class TillForm(NormalizingMixin, forms.Form):
    """会計: up to :data:`MAX_ROWS` lines, the method, お預かり for cash, and the form's key."""

    method = forms.ChoiceField(
        label=gettext_lazy("支払方法"),
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("支払方法を選んでください。"),
            "invalid_choice": gettext_lazy("この支払方法は窓口では選べません。"),
        },
    )
    tendered = forms.CharField(
        label=gettext_lazy("お預かり"),
        required=False,
        help_text=gettext_lazy("現金のときに入力します（例：1,000）。キャッシュレスでは入力しません。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "20"}),
    )
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    visit = forms.CharField(
        label=gettext_lazy("受付番号"), widget=forms.HiddenInput, max_length=20, required=False
    )

    def __init__(
        self, *args: Any, municipality: Municipality, day: date | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.day = day or services.today()
        catalogue = payable_items(municipality, self.day)
        self.items = {item.key: item for item, _rate in catalogue}
        self.rates = {item.key: rate for item, rate in catalogue}
        outside = wording.municipality_word(municipality, "外")
        groups: dict[str, list[tuple[str, str]]] = {}
        for item, rate in catalogue:
            groups.setdefault(item.kind, []).append((item.key, self._item_label(item, rate, outside)))
        item_choices: list[Any] = [("", _("（選んでください）"))]
        item_choices += [(label, groups[kind]) for kind, label in FeeKind.choices if kind in groups]
        reasons = sorted({r for rate in self.rates.values() for r in rate.exemptions if isinstance(r, str)})
        exemption_choices = [("", _("なし")), *[(r, r) for r in reasons]]
        for n in range(1, MAX_ROWS + 1):
            self.fields[f"item_{n}"] = forms.ChoiceField(
                label=_("%(n)s行目の項目") % {"n": n},
                choices=item_choices,
                required=False,
                error_messages={"invalid_choice": _("手数料一覧にない項目です。一覧から選んでください。")},
            )
            self.fields[f"quantity_{n}"] = forms.CharField(
                label=_("%(n)s行目の数量") % {"n": n},
                required=False,
                initial="1",
                widget=forms.TextInput(
                    attrs={"inputmode": "numeric", "autocomplete": "off", "size": "3", "maxlength": "6"}
                ),
            )
            self.fields[f"outside_{n}"] = forms.BooleanField(
                label=_("%(n)s行目：%(outside)sの方") % {"n": n, "outside": outside}, required=False
            )
            self.fields[f"exemption_{n}"] = forms.ChoiceField(
                label=_("%(n)s行目の減免") % {"n": n},
                choices=exemption_choices,
                required=False,
                error_messages={"invalid_choice": _("一覧にない減免の理由です。一覧から選んでください。")},
            )
        method_field: Any = self.fields["method"]
        method_field.choices = [(m, Method(m).label) for m in till_methods()]
        if not self.is_bound and not self.initial.get("request_key"):
            self.initial["request_key"] = new_request_key()

    @staticmethod
    def _item_label(item: FeeItem, rate: FeeRate, outside: str) -> str:
        price = f"{rate.amount_yen:,}円／{rate.get_unit_display()}"
        if rate.non_resident_yen is not None and rate.non_resident_yen != rate.amount_yen:
            price += f"、{outside}の方 {rate.non_resident_yen:,}円"
        return f"{item.name}（{price}）"

    # --- laying it out ---------------------------------------------------------------------------

    def rows(self) -> list[Row]:
        return [
            Row(n, self[f"item_{n}"], self[f"quantity_{n}"], self[f"outside_{n}"], self[f"exemption_{n}"])
            for n in range(1, MAX_ROWS + 1)
        ]

    def open_rows(self) -> list[Row]:
        return self.rows()[:OPEN_ROWS]

    def more_rows(self) -> list[Row]:
        return self.rows()[OPEN_ROWS:]

    def more_rows_used(self) -> bool:
        return any(row.has_errors or row.item.value() for row in self.more_rows())

    def chosen_keys(self) -> list[str]:
        """The item keys chosen in the rows (typed or prefilled), known ones only."""
        return [
            str(value)
            for n in range(1, MAX_ROWS + 1)
            if (value := self[f"item_{n}"].value()) and str(value) in self.items
        ]

    def method_options(self) -> list[tuple[Any, list[str]]]:
        """Each method's radio with the chosen items that refuse it (shown beside it)."""
        chosen = [self.items[key] for key in dict.fromkeys(self.chosen_keys())]
        return [
            (radio, [item.name for item in chosen if not item.accepts(str(radio.data["value"]))])
            for radio in self["method"]
        ]

    # --- checking it -----------------------------------------------------------------------------

    def clean_request_key(self) -> str:
        key = str(self.cleaned_data.get("request_key") or "")
        if not key:
            raise forms.ValidationError(_("画面を読み込み直してから、もう一度会計してください。"))
        return key

    def clean_visit(self) -> str:
        value = str(self.cleaned_data.get("visit") or "")
        if not value:
            return ""
        code = shortcodes.normalize(value)
        if code is None:
            raise forms.ValidationError(_("受付番号が正しくありません。会計をやり直してください。"))
        if VISIT_PAYABLE not in payables:
            raise forms.ValidationError(_("窓口の受付からの会計には、まだ対応していません。"))
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        lines: list[services.Line] = []
        any_row = False
        for n in range(1, MAX_ROWS + 1):
            line, typed = self._clean_row(n)
            any_row = any_row or typed
            if line is not None:
                lines.append(line)
        if not any_row:
            self.add_error("item_1", _("会計する項目を1つ以上選んでください。"))
        method = cleaned.get("method")
        if method:
            refused = [
                self.items[key].name
                for key in dict.fromkeys(self.chosen_keys())
                if not self.items[key].accepts(method)
            ]
            if refused:
                self.add_error(
                    "method",
                    _(
                        "%(items)sは%(method)sでは支払えません。ほかの支払方法を選ぶか、項目を分けて会計してください。"
                    )
                    % {"items": "、".join(f"「{name}」" for name in refused), "method": Method(method).label},
                )
        total = sum(line.amount_yen for line in lines)
        tendered: int | None = None
        if method == Method.CASH:
            try:
                tendered = services.parse_yen(cleaned.get("tendered", ""), _("お預かり金額"), "tendered")
            except PaymentError as exc:
                self.add_error("tendered", exc.message)
            else:
                # the total of the lines read so far is at most the whole total: below it is too little
                if tendered < total:
                    self.add_error(
                        "tendered",
                        _("お預かり金額が合計（%(total)s円）より少なくなっています。")
                        % {"total": f"{total:,}"},
                    )
        cleaned["lines"] = lines
        cleaned["total"] = total
        cleaned["tendered_yen"] = tendered
        return cleaned

    def _clean_row(self, n: int) -> tuple[services.Line | None, bool]:
        """The row's line (None when it has an error or is empty), and whether anything is in it."""
        key = self.cleaned_data.get(f"item_{n}")
        raw_quantity = str(self.cleaned_data.get(f"quantity_{n}") or "").strip()
        exemption = str(self.cleaned_data.get(f"exemption_{n}") or "")
        outside = bool(self.cleaned_data.get(f"outside_{n}"))
        if self.has_error(f"item_{n}"):
            return None, True
        if not key:
            if raw_quantity not in ("", "1") or exemption or outside:
                self.add_error(f"item_{n}", _("項目を選んでください（数量などだけ入力されています）。"))
                return None, True
            return None, False
        item, rate = self.items[key], self.rates[key]
        ok = True
        quantity = normalize_number(raw_quantity) if raw_quantity else "1"
        if not _QUANTITY_RE.match(quantity):
            self.add_error(
                f"quantity_{n}",
                _("「%(item)s」の数量は数字で入力してください（例：2）。") % {"item": item.name},
            )
            ok = False
        if exemption and exemption not in rate.exemptions:
            self.add_error(
                f"exemption_{n}",
                _("「%(item)s」に「%(reason)s」の減免はありません。")
                % {"item": item.name, "reason": exemption},
            )
            ok = False
        if not ok:
            return None, True
        try:
            line = services.quote(
                item, int(quantity), day=self.day, resident=not outside, exemption=exemption
            )
        except PaymentError as exc:  # the quantity (below 1, above the rate's limit)
            self.add_error(f"quantity_{n}", exc.message)
            return None, True
        return line, True


class ReversalForm(NormalizingMixin, forms.Form):
    """取消・返金の申請: a void (the whole payment) or a refund (an amount), with the reason."""

    kind = forms.ChoiceField(
        label=gettext_lazy("種類"),
        choices=ReversalKind.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("取消は支払の全額を、その日のうちに。返金は全額または一部を、あとから。"),
        error_messages={
            "required": gettext_lazy("取消か返金かを選んでください。"),
            "invalid_choice": gettext_lazy("取消か返金かを選んでください。"),
        },
    )
    amount = forms.CharField(
        label=gettext_lazy("返金額"),
        required=False,
        help_text=gettext_lazy("返金のときに入力します（例：300）。取消は全額です。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "20"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("理由"),
        max_length=200,
        help_text=gettext_lazy("例：手数料の種類を誤って会計したため"),
        error_messages={
            "required": gettext_lazy("理由を入力してください。"),
            "max_length": gettext_lazy("理由は200文字以内で入力してください。"),
        },
    )
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial.get("request_key"):
            self.initial["request_key"] = new_request_key()

    def clean_request_key(self) -> str:
        key = str(self.cleaned_data.get("request_key") or "")
        if not key:
            raise forms.ValidationError(_("画面を読み込み直してから、もう一度送ってください。"))
        return key

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        cleaned["amount_yen"] = 0
        if cleaned.get("kind") == ReversalKind.REFUND:
            try:
                cleaned["amount_yen"] = services.parse_yen(cleaned.get("amount", ""), _("返金額"), "amount")
            except PaymentError as exc:
                self.add_error("amount", exc.message)
        return cleaned


class TerminalOutcome:
    CHARGED = "charged"
    NOT_CHARGED = "not_charged"


class SettleForm(NormalizingMixin, forms.Form):
    """What the terminal's journal says of a payment it never answered: charged (with its
    transaction number) or not (docs/payments.md, "A payment the terminal never answered")."""

    outcome = forms.ChoiceField(
        label=gettext_lazy("決済端末の記録"),
        choices=[
            (TerminalOutcome.CHARGED, gettext_lazy("決済されている（成立として計上する）")),
            (TerminalOutcome.NOT_CHARGED, gettext_lazy("決済されていない（不成立にする）")),
        ],
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "決済端末の利用明細（ジャーナル）で、この会計の時刻と金額の取引を探して選んでください。"
        ),
        error_messages={
            "required": gettext_lazy("決済されていたかどうかを選んでください。"),
            "invalid_choice": gettext_lazy("決済されていたかどうかを選んでください。"),
        },
    )
    terminal_ref = forms.CharField(
        label=gettext_lazy("端末の取引番号"),
        required=False,
        max_length=services.MAX_TERMINAL_REF,
        help_text=gettext_lazy("決済されていたときに、利用明細の取引番号（伝票番号）を入力します。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={
            "max_length": gettext_lazy(
                "取引番号は%(limit_value)s文字以内で入力してください（いま%(show_value)s文字）。"
            )
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        cleaned["terminal_ref"] = str(cleaned.get("terminal_ref") or "").strip()
        missing = not cleaned["terminal_ref"] and "terminal_ref" not in self.errors
        if cleaned.get("outcome") == TerminalOutcome.CHARGED and missing:
            self.add_error(
                "terminal_ref",
                _(
                    "決済されていたときは、決済端末の記録（利用明細・ジャーナル）にある取引番号を入力してください。"
                ),
            )
        return cleaned
