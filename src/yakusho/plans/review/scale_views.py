"""Staff pages of a plan's grading scales: the list (with each edition's scale and what it grades),
a new scale, a scale's page (its levels, the edit form, its audit trail), deleting an unused scale
and retiring (使用終了) one that has been used.

Every role of the municipality reads these pages; only the DX推進室 and the administrator
(``Perm.OPEN_REVIEW``) change anything. The rules live in :mod:`yakusho.plans.review.scales`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.permissions import Perm
from yakusho.plans.models import GradedItem, GradingScale, Plan, PlanEdition, ReviewGrade
from yakusho.plans.review import scales

EDIT = Perm.OPEN_REVIEW
LEVELS_PREFIX = "levels"
#: blank rows offered for new levels (a row left blank is ignored)
NEW_SCALE_ROWS = 5
#: at most this many rows, whatever the management form says
MAX_ROWS = 30


def _int(value: Any) -> int | None:
    """A posted id as a number, or None for anything else (a hostile value is not an id)."""
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


# --- forms ---------------------------------------------------------------------------------------


class ScaleForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=scales.NAME_MAX,
        required=False,  # checked by scales.name_problem, with the rest, in Japanese
        help_text=gettext_lazy("例：5段階（S・A・B・C・D）、3段階（◎・○・△）"),
    )
    description = forms.CharField(
        label=gettext_lazy("説明"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("評価の付け方など（報告書には載りません）"),
    )


class LevelForm(forms.Form):
    """One level; a row left blank is ignored, so a new scale can offer more rows than it needs."""

    id = forms.IntegerField(label=gettext_lazy("区分"), required=False, widget=forms.HiddenInput)
    order = forms.IntegerField(
        label=gettext_lazy("順序"),
        required=False,
        min_value=1,
        max_value=99,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 3}),
        help_text=gettext_lazy("小さい順に並べます"),
    )
    code = forms.CharField(
        label=gettext_lazy("記号"),
        required=False,
        max_length=scales.CODE_MAX,
        help_text=gettext_lazy("例：A"),
    )
    label = forms.CharField(
        label=gettext_lazy("意味"),
        required=False,
        max_length=scales.LABEL_MAX,
        help_text=gettext_lazy("例：順調"),
    )
    description = forms.CharField(
        label=gettext_lazy("説明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("この評価を付ける目安（例：計画どおりに進み、目標を達成する見込み）"),
    )


LevelFormSet = forms.formset_factory(
    LevelForm, extra=0, can_delete=True, max_num=MAX_ROWS, absolute_max=MAX_ROWS
)
#: the rows of a scale in use: no row may be added, removed or moved
LockedLevelFormSet = forms.formset_factory(LevelForm, extra=0, max_num=MAX_ROWS, absolute_max=MAX_ROWS)


class EditionGradingForm(forms.Form):
    """What an edition's reviews grade, and on which scale (one form per edition, prefixed)."""

    grading_scale = forms.TypedChoiceField(label=gettext_lazy("評価の段階"), coerce=int, empty_value=None)
    graded = forms.ChoiceField(label=gettext_lazy("評価の対象"), choices=GradedItem.choices)

    def __init__(
        self, *args: Any, edition: PlanEdition, plan_scales: list[GradingScale], **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", f"e{edition.pk}")
        kwargs.setdefault("initial", {"grading_scale": edition.grading_scale_id, "graded": edition.graded})
        super().__init__(*args, **kwargs)
        field = self.fields["grading_scale"]
        # every scale of the plan is a valid answer (a retired one is then refused in words); the
        # list offers those in use and the edition's own
        field.choices = [("", "—"), *((s.pk, s.name) for s in plan_scales)]  # type: ignore[attr-defined]
        field.widget.choices = [
            ("", _("（未設定：最初の進捗評価を始めるときに決まります）")),
            *(
                (s.pk, s.name + (_("（使用終了）") if s.retired else ""))
                for s in plan_scales
                if not s.retired or s.pk == edition.grading_scale_id
            ),
        ]
        field.error_messages["required"] = _("評価の段階を選んでください。")


# --- reading the typed rows ------------------------------------------------------------------------


def _deleted(form: forms.Form) -> bool:
    return bool((getattr(form, "cleaned_data", None) or {}).get("DELETE"))


def row_errors(formset: forms.BaseFormSet) -> bool:
    """Whether a row that is kept has an error (a row marked 削除 is not checked)."""
    return any(form.errors and not _deleted(form) for form in formset.forms)


def typed_levels(formset: forms.BaseFormSet) -> tuple[list[scales.LevelInput], list[int]]:
    """The levels typed, in their order (by 順序, then as listed), and the form index of each. Rows
    marked 削除 and blank new rows are left out."""
    rows: list[tuple[int, int, scales.LevelInput]] = []
    for index, form in enumerate(formset.forms):
        data: dict[str, Any] = getattr(form, "cleaned_data", {}) or {}
        if _deleted(form):
            continue
        code, label, description = (str(data.get(k) or "") for k in ("code", "label", "description"))
        pk = data.get("id")
        if pk is None and not (code.strip() or label.strip() or description.strip()):
            continue
        order = data.get("order")
        rows.append(
            (
                order if order is not None else 1000 + index,
                index,
                scales.LevelInput(pk, code, label, description),
            )
        )
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows], [r[1] for r in rows]


def attach_problems(
    formset: forms.BaseFormSet, levels: list[scales.LevelInput], indices: list[int]
) -> list[str]:
    """Put each problem of the levels on its row's field (unless the field already has an error of
    the form's own); return those about the levels as a whole."""
    whole = []
    for problem in scales.level_problems(levels):
        if problem.row is None or problem.field is None:
            whole.append(problem.message)
            continue
        form = formset.forms[indices[problem.row]]
        if not form.errors.get(problem.field):
            form.add_error(problem.field, problem.message)
    return whole


def check_all(
    plan: Plan, form: ScaleForm, formset: forms.BaseFormSet, scale: GradingScale | None = None
) -> tuple[list[scales.LevelInput], list[str]]:
    """Every check at once, whatever the form's own checks found: the name (unique in the plan)
    and the levels. Returns the levels typed and the problems about the levels as a whole; the
    others are put on their fields."""
    form.is_valid()
    if not formset.is_valid() and formset.non_form_errors():
        return [], []
    if not form.errors.get("name"):
        problem = scales.name_problem(plan, (form.cleaned_data.get("name") or "").strip(), scale)
        if problem:
            form.add_error("name", problem)
    typed, indices = typed_levels(formset)
    return typed, attach_problems(formset, typed, indices)


def has_errors(form: forms.Form, formset: forms.BaseFormSet, whole: list[str]) -> bool:
    return bool(form.errors or formset.non_form_errors() or whole or row_errors(formset))


@dataclass(frozen=True)
class ErrorLink:
    anchor: str
    text: str


def error_summary(form: forms.Form, formset: forms.BaseFormSet | None, whole: list[str]) -> list[ErrorLink]:
    """Every error at once, each naming its field (and row): 「区分2の記号：記号を入力してください」."""
    links = [ErrorLink("id_name", str(e)) for e in form.non_field_errors()]
    for field in form:
        links += [ErrorLink(field.id_for_label, f"{field.label}：{e}") for e in field.errors]
    if formset is not None:
        links += [ErrorLink("levels", _("区分：%(e)s") % {"e": e}) for e in formset.non_form_errors()]
        links += [ErrorLink("levels", _("区分：%(e)s") % {"e": e}) for e in whole]
        for number, row in enumerate(formset.forms, 1):
            if _deleted(row):
                continue
            for field in row:
                for e in field.errors:
                    links.append(
                        ErrorLink(
                            field.id_for_label,
                            _("区分%(n)dの%(field)s：%(e)s") % {"n": number, "field": field.label, "e": e},
                        )
                    )
    return links


def _typed_again(formset_class: type[forms.BaseFormSet], data: QueryDict, more: int = 0) -> forms.BaseFormSet:
    """An unbound formset showing what was typed (no error shown yet), with ``more`` blank rows."""
    count = min(_int(data.get(f"{LEVELS_PREFIX}-TOTAL_FORMS")) or 0, MAX_ROWS)
    names = ("id", "order", "code", "label", "description", "DELETE")
    initial = [{n: data.get(f"{LEVELS_PREFIX}-{i}-{n}", "") for n in names} for i in range(count)]
    initial += [{} for _ in range(min(more, MAX_ROWS - count))]
    return formset_class(initial=initial, prefix=LEVELS_PREFIX)


# --- views -----------------------------------------------------------------------------------------


class ScaleMixin(MunicipalityStaffMixin):
    kwargs: dict[str, Any]

    def require_editor(self) -> None:
        if not self.can(EDIT):
            raise PermissionDenied(_("評価の段階を変えられるのは、DX推進室と団体管理者です。"))

    def get_plan(self) -> Plan:
        return get_object_or_404(
            Plan.objects.for_municipality(self.municipality).select_related("current_edition"),
            key=self.kwargs["plan"],
        )

    def get_scale(self) -> GradingScale:
        return get_object_or_404(
            GradingScale.objects.for_municipality(self.municipality).select_related("plan__current_edition"),
            pk=self.kwargs["scale"],
        )


@dataclass(frozen=True)
class ScaleInfo:
    scale: GradingScale
    levels: list[ReviewGrade]
    used: bool
    editions: list[PlanEdition]

    @property
    def state(self) -> str:
        if self.scale.retired:
            return _("使用終了")
        return _("評価で使用中") if self.used else _("未使用")


def scale_info(scale: GradingScale) -> ScaleInfo:
    return ScaleInfo(scale, list(scale.levels.all()), scales.in_use(scale), scales.editions_using(scale))


class ScaleListView(ScaleMixin, TemplateView):
    """A plan's grading scales, and for each edition the scale its reviews use and what they grade."""

    template_name = "plans/review/scale_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan = kwargs.get("plan_obj") or self.get_plan()
        plan_scales = scales.plan_scales(plan)
        bound: EditionGradingForm | None = kwargs.get("bound")
        editions = list(
            PlanEdition.objects.for_municipality(self.municipality)
            .filter(plan=plan)
            .order_by("date", "number")
        )
        context.update(
            plan=plan,
            scales=[scale_info(s) for s in plan_scales],
            editions=[
                (
                    e,
                    bound
                    if bound is not None and bound.prefix == f"e{e.pk}"
                    else EditionGradingForm(edition=e, plan_scales=plan_scales),
                    scales.has_grades(e),
                )
                for e in editions
            ],
            can_edit=self.can(EDIT),
            history=scales.edition_history(plan),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        plan = self.get_plan()
        edition = get_object_or_404(
            PlanEdition.objects.for_municipality(self.municipality),
            plan=plan,
            pk=_int(request.POST.get("edition")),
        )
        plan_scales = scales.plan_scales(plan)
        form = EditionGradingForm(request.POST, edition=edition, plan_scales=plan_scales)
        if form.is_valid():
            chosen = next(s for s in plan_scales if s.pk == form.cleaned_data["grading_scale"])
            try:
                scales.choose_for_edition(edition, chosen, form.cleaned_data["graded"])
            except scales.ScaleRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(
                    request,
                    _("「%(edition)s」の評価の段階と評価の対象を保存しました。") % {"edition": edition},
                )
                return redirect("reviews:scales", self.municipality.slug, plan.key)
        return self.render_to_response(self.get_context_data(plan_obj=plan, bound=form), status=400)


class ScaleCreateView(ScaleMixin, TemplateView):
    template_name = "plans/review/scale_form.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            plan=kwargs.get("plan_obj") or self.get_plan(),
            form=kwargs.get("form") or ScaleForm(),
            levels=kwargs.get("levels")
            or LevelFormSet(initial=[{} for _ in range(NEW_SCALE_ROWS)], prefix=LEVELS_PREFIX),
            locked=False,
            errors=kwargs.get("errors", []),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        plan = self.get_plan()
        if "add_row" in request.POST:
            again = ScaleForm(initial={k: request.POST.get(k, "") for k in ("name", "description")})
            levels = _typed_again(LevelFormSet, request.POST, more=1)
            return self.render_to_response(self.get_context_data(plan_obj=plan, form=again, levels=levels))
        form = ScaleForm(request.POST)
        formset = LevelFormSet(request.POST, prefix=LEVELS_PREFIX)
        typed, whole = check_all(plan, form, formset)
        if not has_errors(form, formset, whole):
            try:
                scale = scales.create_scale(
                    plan,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    levels=typed,
                )
            except scales.ScaleRefused as exc:
                whole.append(str(exc))
            else:
                messages.success(request, _("評価の段階「%(name)s」を作りました。") % {"name": scale.name})
                return redirect("reviews:scale", self.municipality.slug, scale.pk)
        context = self.get_context_data(
            plan_obj=plan, form=form, levels=formset, errors=error_summary(form, formset, whole)
        )
        return self.render_to_response(context, status=400)


class ScaleView(ScaleMixin, TemplateView):
    """A scale: its levels and where it is used, the edit form (DX推進室), its audit trail."""

    template_name = "plans/review/scale.html"

    def initial_levels(self, info: ScaleInfo) -> forms.BaseFormSet:
        initial = [
            {"id": lv.pk, "order": i, "code": lv.code, "label": lv.label, "description": lv.description}
            for i, lv in enumerate(info.levels, 1)
        ]
        if info.used:
            return LockedLevelFormSet(initial=initial, prefix=LEVELS_PREFIX)
        return LevelFormSet(initial=[*initial, {}], prefix=LEVELS_PREFIX)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        scale = kwargs.get("scale_obj") or self.get_scale()
        info = scale_info(scale)
        can_edit = self.can(EDIT)
        context.update(
            plan=scale.plan,
            scale=scale,
            info=info,
            can_edit=can_edit,
            locked=info.used,
            form=kwargs.get("form")
            or ScaleForm(initial={"name": scale.name, "description": scale.description}),
            levels=kwargs.get("levels") or self.initial_levels(info),
            errors=kwargs.get("errors", []),
            history=scales.scale_history(scale),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        scale = self.get_scale()
        used = scales.in_use(scale)
        formset_class = LockedLevelFormSet if used else LevelFormSet
        if "add_row" in request.POST and not used:
            again = ScaleForm(initial={k: request.POST.get(k, "") for k in ("name", "description")})
            levels = _typed_again(formset_class, request.POST, more=1)
            return self.render_to_response(self.get_context_data(scale_obj=scale, form=again, levels=levels))
        form = ScaleForm(request.POST)
        formset = formset_class(request.POST, prefix=LEVELS_PREFIX)
        typed, whole = check_all(scale.plan, form, formset, scale)
        status = 400
        if not has_errors(form, formset, whole):
            try:
                scales.update_scale(
                    scale,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    levels=typed,
                )
            except scales.ScaleRefused as exc:
                whole.append(str(exc))
                status = 409 if used else 400
            else:
                messages.success(request, _("評価の段階を保存しました。"))
                return redirect("reviews:scale", self.municipality.slug, scale.pk)
        context = self.get_context_data(
            scale_obj=scale, form=form, levels=formset, errors=error_summary(form, formset, whole)
        )
        return self.render_to_response(context, status=status)


class ScaleConfirmView(ScaleMixin, TemplateView):
    """A confirmation page of one change of a scale (editors only); ``mode`` says which."""

    template_name = "plans/review/scale_confirm.html"

    def mode(self, scale: GradingScale) -> str:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        scale = kwargs.get("scale_obj") or self.get_scale()
        context.update(
            plan=scale.plan,
            scale=scale,
            info=scale_info(scale),
            mode=self.mode(scale),
            refusal=kwargs.get("refusal", ""),
        )
        return context


class ScaleDeleteView(ScaleConfirmView):
    """Confirm, then delete an unused scale; a scale in use is offered 使用終了 instead."""

    def mode(self, scale: GradingScale) -> str:
        return "delete"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        scale = self.get_scale()
        plan = scale.plan
        try:
            scales.delete_scale(scale)
        except scales.ScaleRefused as exc:
            return self.render_to_response(
                self.get_context_data(scale_obj=scale, refusal=str(exc)), status=409
            )
        messages.success(request, _("評価の段階「%(name)s」を削除しました。") % {"name": scale.name})
        return redirect("reviews:scales", self.municipality.slug, plan.key)


class ScaleRetireView(ScaleConfirmView):
    """Confirm, then retire a scale (使用終了), or put a retired one back into use."""

    def mode(self, scale: GradingScale) -> str:
        return "restore" if scale.retired else "retire"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_editor()
        scale = self.get_scale()
        action = request.POST.get("action")
        try:
            if action == "retire":
                scales.retire(scale)
                done = _("評価の段階「%(name)s」を使用終了にしました。")
            elif action == "restore":
                scales.restore(scale)
                done = _("評価の段階「%(name)s」の使用を再開しました。")
            else:
                return self.render_to_response(
                    self.get_context_data(scale_obj=scale, refusal=_("不明な操作です。")), status=400
                )
        except scales.ScaleRefused as exc:
            return self.render_to_response(
                self.get_context_data(scale_obj=scale, refusal=str(exc)), status=409
            )
        messages.success(request, done % {"name": scale.name})
        return redirect("reviews:scale", self.municipality.slug, scale.pk)
