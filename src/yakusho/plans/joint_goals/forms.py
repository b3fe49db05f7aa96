"""Forms of the joint goals: a goal with its yearly targets and items (consortium staff), and a
member's answer to one (a measure, its states on a list's items, or done / not done)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakusho.core.forms import NormalizingMixin, WarekiDateField
from yakusho.core.jcal import JapaneseDateError, format_fiscal_year, parse_fiscal_year
from yakusho.core.validators import normalize_text
from yakusho.plans.joint_goals.goals import GOAL_FIELDS, ItemRow
from yakusho.plans.joint_goals.targets import TargetRow, check_targets
from yakusho.plans.models import JointGoal, JointGoalItemStatus, Kpi, Observation, StandardIndicator

#: the largest id a hidden id field accepts (a larger one is a tampered form, refused in words)
MAX_ID = 2**31 - 1
ID_ERRORS = {
    "invalid": _("番号が正しくありません。画面を開き直してください。"),
    "min_value": _("番号が正しくありません。画面を開き直してください。"),
    "max_value": _("番号が正しくありません。画面を開き直してください。"),
}
VALUE_ERRORS = {
    "invalid": _("目標値は数値で入力してください（例：100、30.5）。"),
    "max_digits": _("目標値は、整数14桁・小数6桁までの数値で入力してください。"),
    "max_decimal_places": _("目標値は、整数14桁・小数6桁までの数値で入力してください。"),
    "max_whole_digits": _("目標値は、整数14桁・小数6桁までの数値で入力してください。"),
}


class GoalForm(NormalizingMixin, forms.ModelForm):
    key = forms.SlugField(
        label=_("キー"),
        max_length=60,
        help_text=_("URLに使う半角英数字とハイフン（例：online-procedures）"),
        error_messages={"invalid": _("キーは半角英数字・ハイフン・下線で入力してください。")},
    )
    target_value = forms.DecimalField(
        label=_("目標値（数値）"),
        required=False,
        max_digits=20,
        decimal_places=6,
        help_text=_(
            "目標年度の目標値（最終目標）。数値で比べられない目標は空欄にして「目標（文章）」に書きます。"
            "項目の一覧の目標では、完了した項目の割合（%）です"
        ),
        error_messages=VALUE_ERRORS,
    )
    target_fiscal_year = forms.CharField(
        label=_("目標年度"), required=False, help_text=_("最終目標の年度。例：令和10年度、R10、2028")
    )
    order = forms.IntegerField(
        label=_("表示順"), required=False, min_value=0, help_text=_("空欄なら最後に並びます")
    )

    class Meta:
        model = JointGoal
        fields = list(GOAL_FIELDS)  # what goals.save_goal writes
        labels = {"target_text": _("目標（文章）"), "description": _("説明（Markdown）")}
        help_texts = {
            "unit": _("空欄なら標準指標の単位。構成団体の指標と単位が同じときだけ進み具合を出します"),
            "indicator": _("構成団体のKPI・現状の数値のうち、この標準指標のものを先に候補に出します"),
            "kind": _(
                "数値：構成団体が自らのKPIや現状の数値で答えます。項目の一覧：項目ごとに状況を答えます。"
                "文章：達成・未達成を答えます。回答が集まった後は変えられません"
            ),
            "direction": _("数値の目標だけ。減らすは目標値以下、それ以外は目標値以上で達成です"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = StandardIndicator.objects.order_by("key")  # type: ignore[attr-defined]
        self.fields["description"].widget.attrs.update(rows=4)
        directions = [c for c in Kpi.Direction.choices if c[0] != Kpi.Direction.QUALITATIVE]
        self.fields["direction"].choices = [("", _("指定なし（目標値以上で達成）")), *directions]  # type: ignore[attr-defined]
        # Left out of a post (an older form, a script): a new goal is a number goal; an existing
        # one keeps its kind.
        self.fields["kind"].required = False
        year = self.initial.get("target_fiscal_year")
        if isinstance(year, int):
            self.initial["target_fiscal_year"] = format_fiscal_year(year, short=True)

    def clean_target_fiscal_year(self) -> int | None:
        value = self.cleaned_data["target_fiscal_year"]
        if not value:
            return None
        try:
            return parse_fiscal_year(value)
        except JapaneseDateError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_kind(self) -> str:
        kind: str = self.cleaned_data.get("kind") or ""
        if kind:
            return kind
        return self.instance.kind if self.instance.pk else JointGoal.Kind.NUMBER

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("kind") == JointGoal.Kind.TEXT and not data.get("target_text"):
            self.add_error("target_text", _("文章の目標には「目標（文章）」を入力してください。"))
        elif data.get("target_value") is None and not data.get("target_text"):
            self.add_error("target_text", _("目標値（数値）か目標（文章）のどちらかを入力してください。"))
        return data


class TextField(forms.CharField):
    """A text field whose refusal of a NUL character says so in words."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        self.validators.append(
            ProhibitNullCharactersValidator(message=_("使えない文字（NUL）が含まれています。"))
        )


class TargetForm(NormalizingMixin, forms.Form):
    """One yearly target: the fiscal year and a number and/or a text (a blank row is no target)."""

    fiscal_year = TextField(
        label=_("年度"), required=False, max_length=40, help_text=_("例：令和8年度、R8、2026")
    )
    value = forms.DecimalField(
        label=_("目標値（数値）"),
        required=False,
        max_digits=20,
        decimal_places=6,
        error_messages=VALUE_ERRORS,
    )
    text = TextField(label=_("目標（文章）"), required=False, max_length=200)

    def clean_fiscal_year(self) -> int | None:
        value = self.cleaned_data["fiscal_year"]
        if not value:
            return None
        try:
            return parse_fiscal_year(value)
        except JapaneseDateError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        typed = data.get("value") is not None or data.get("text")
        if typed and data.get("fiscal_year") is None and "fiscal_year" not in self.errors:
            self.add_error("fiscal_year", _("年度を入力してください。"))
        return data

    def row(self) -> TargetRow | None:
        data = getattr(self, "cleaned_data", {})
        if not data or data.get("fiscal_year") is None or data.get("DELETE"):
            return None
        return TargetRow(data["fiscal_year"], data.get("value"), data.get("text", ""))


class BaseTargetFormSet(forms.BaseFormSet):
    """The yearly targets of a goal; the view sets ``kind`` and ``final_year`` (from the goal's
    form) before validating, so every problem of the years shows at once."""

    kind: str = JointGoal.Kind.NUMBER
    final_year: int | None = None

    def rows(self) -> list[TargetRow]:
        return [row for form in self.forms if (row := form.row()) is not None]

    def clean(self) -> None:
        super().clean()
        # the rows typed well are checked together even when another row has an error, so
        # every problem shows at once
        valid = [row for form in self.forms if not form.errors and (row := form.row()) is not None]
        problems = check_targets(self.kind, self.final_year, valid)
        if problems:
            raise forms.ValidationError(problems)


TargetFormSet = forms.formset_factory(
    TargetForm, formset=BaseTargetFormSet, extra=2, can_delete=True, max_num=100, validate_max=True
)


def target_formset(goal: JointGoal | None, data: Any = None) -> BaseTargetFormSet:
    initial = []
    if goal is not None and goal.pk is not None:
        initial = [
            {"fiscal_year": format_fiscal_year(t.fiscal_year, short=True), "value": t.value, "text": t.text}
            for t in goal.targets.order_by("fiscal_year")
        ]
    # A posted form stands on what was posted alone (no initial rows to compare it with).
    return TargetFormSet(data, initial=None if data is not None else initial, prefix="targets")  # type: ignore[return-value]


class ItemForm(NormalizingMixin, forms.Form):
    """One item of a list goal: a new one, or an existing one (``id``) renamed, moved or removed."""

    id = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=MAX_ID, error_messages=ID_ERRORS
    )
    name = TextField(label=_("項目名"), required=False, max_length=200)
    order = forms.IntegerField(
        label=_("表示順"),
        required=False,
        min_value=0,
        max_value=100000,
        error_messages={
            "invalid": _("表示順は整数で入力してください。"),
            "min_value": _("表示順は0から100000までで入力してください。"),
            "max_value": _("表示順は0から100000までで入力してください。"),
        },
    )
    remove = forms.BooleanField(
        label=_("削除"), required=False, help_text=_("着手した構成団体がある項目は削除できません")
    )

    def row(self) -> ItemRow | None:
        data = getattr(self, "cleaned_data", {})
        if not data or (data.get("id") is None and not data.get("name")):
            return None
        return ItemRow(
            name=data.get("name", ""),
            id=data.get("id"),
            order=data.get("order"),
            remove=bool(data.get("remove")),
        )


class BaseItemFormSet(forms.BaseFormSet):
    def rows(self) -> list[ItemRow]:
        return [row for form in self.forms if (row := form.row()) is not None]

    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        problems: list[str] = []
        for row in [row for form in self.forms if not form.errors and (row := form.row()) is not None]:
            name = normalize_text(row.name)
            if row.remove or not name:
                if not row.remove and row.id is not None:
                    problems.append(
                        str(_("項目名を入力してください（項目をやめるときは「削除」を選びます）。"))
                    )
                continue
            if name in seen:
                problems.append(
                    _("項目「%(name)s」が2つあります。項目名は重ならないようにしてください。")
                    % {"name": name}
                )
            seen.add(name)
        if problems:
            raise forms.ValidationError(problems)


ItemFormSet = forms.formset_factory(
    ItemForm, formset=BaseItemFormSet, extra=3, max_num=500, validate_max=True
)


def item_formset(goal: JointGoal | None, data: Any = None) -> BaseItemFormSet:
    initial = []
    if goal is not None and goal.pk is not None:
        initial = [{"id": i.pk, "name": i.name, "order": i.order} for i in goal.items.order_by("order", "pk")]
    return ItemFormSet(data, initial=None if data is not None else initial, prefix="items")  # type: ignore[return-value]


def _label(item: Kpi | Observation, goal: JointGoal) -> str:
    mark = "★ " if goal.indicator_id is not None and item.indicator_id == goal.indicator_id else ""
    unit = f"（{item.unit}）" if item.unit else ""
    where = item.edition.title
    return f"{mark}{item.name}{unit} — {where}"


class LinkForm(NormalizingMixin, forms.Form):
    """A member's answer: one KPI, or one observation, or neither (then a note says why)."""

    kpi = forms.TypedChoiceField(label=_("KPI"), required=False, coerce=int, empty_value=None)
    observation = forms.TypedChoiceField(label=_("現状の数値"), required=False, coerce=int, empty_value=None)
    note = forms.CharField(
        label=_("備考"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "KPIも現状の数値も選ばないときは「計測していない」と回答します。その理由や今後の予定を書いてください"
        ),
    )

    def __init__(
        self, *args: Any, goal: JointGoal, kpis: list[Kpi], observations: list[Observation], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.goal = goal
        none = [("", _("選ばない"))]
        self.fields["kpi"].choices = none + [(k.pk, _label(k, goal)) for k in kpis]  # type: ignore[attr-defined]
        self.fields["observation"].choices = none + [(o.pk, _label(o, goal)) for o in observations]  # type: ignore[attr-defined]
        for name, items in (("kpi", kpis), ("observation", observations)):
            if not items:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("計画の現行版にありません。")
            elif goal.indicator is not None:
                self.fields[name].help_text = _("★は共通目標と同じ標準指標（%(name)s）のもの") % {
                    "name": goal.indicator.name
                }

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("kpi") is not None and data.get("observation") is not None:
            self.add_error("observation", _("KPIと現状の数値は、どちらか一つだけ選んでください。"))
        elif data.get("kpi") is None and data.get("observation") is None and not data.get("note"):
            self.add_error("note", _("計測していない場合は、その理由や今後の予定を備考に書いてください。"))
        return data


# --- a member's answer to a list goal and to a text goal ---------------------------------------

ITEM_STATE_CHOICES = [("", _("未回答")), *JointGoalItemStatus.State.choices]


class ItemStateForm(NormalizingMixin, forms.Form):
    """The member's state on one item (``item_name`` is set by the view, for the label)."""

    item = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=MAX_ID, error_messages=ID_ERRORS
    )
    state = forms.ChoiceField(
        label=_("状況"),
        required=False,
        choices=ITEM_STATE_CHOICES,
        error_messages={"invalid_choice": _("状況は、未着手・実施中・完了・対象外から選んでください。")},
    )
    note = TextField(label=_("備考"), required=False, max_length=300)

    item_name: str = ""


class BaseItemStateFormSet(forms.BaseFormSet):
    def add_problems(self, problems: list[str]) -> None:
        """Refusals of the service, shown with the formset's own errors."""
        errors = self.non_form_errors()
        for problem in problems:
            errors.append(problem)

    def states(self) -> dict[int, tuple[str, str]]:
        out: dict[int, tuple[str, str]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            if data.get("item") is not None:
                out[data["item"]] = (data.get("state", ""), data.get("note", ""))
        return out


ItemStateFormSet = forms.formset_factory(ItemStateForm, formset=BaseItemStateFormSet, extra=0, max_num=500)


def item_state_formset(
    goal: JointGoal, cells: list[Any], data: Any = None, prefix: str = ""
) -> BaseItemStateFormSet:
    """One row per item, with the member's state and note (``cells``: its ``ItemCell`` list)."""
    initial = [{"item": c.item.pk, "state": c.state, "note": c.note} for c in cells]
    formset: BaseItemStateFormSet = ItemStateFormSet(  # type: ignore[assignment]
        data, initial=None if data is not None else initial, prefix=prefix or f"goal-{goal.pk}-items"
    )
    names = {c.item.pk: c.item.name for c in cells}
    for form in formset.forms:
        raw = form["item"].value()
        known = str(raw or "").isdigit() and int(raw) <= MAX_ID
        form.item_name = names.get(int(raw), "？") if known else "？"
    return formset


class TextAnswerForm(NormalizingMixin, forms.Form):
    """The member's answer to a text goal: 達成 (with the date) or 未達成."""

    done = forms.ChoiceField(
        label=_("達成したか"),
        choices=[("done", _("達成")), ("not_done", _("未達成"))],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("達成か未達成かを選んでください。"),
            "invalid_choice": _("達成か未達成かを選んでください。"),
        },
    )
    done_on = WarekiDateField(
        label=_("達成日"),
        required=False,
        help_text=_("達成のときに入力します。例：令和8年4月1日、2026-04-01"),
    )
    note = TextField(
        label=_("備考"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        day: date | None = data.get("done_on")
        if data.get("done") == "done":
            if day is None and "done_on" not in self.errors:
                self.add_error("done_on", _("達成した場合は、達成した日を入力してください。"))
            elif day is not None and day > timezone.localdate():
                self.add_error("done_on", _("先の日付は入力できません。"))
        return data
