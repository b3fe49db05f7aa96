"""Grading scales of a plan: the scale an edition's reviews use, created with the default A–D the
first time; creating and editing scales, retiring a scale that has been used (never deleting it),
and choosing the scale and what is graded for an edition.

The rules (also in docs/progress-reports.md, "Grading scales"):

- A scale has any number of levels (:data:`MIN_LEVELS` to :data:`MAX_LEVELS`), each with a code
  (「A」), a label (「順調」) and a description, as the municipality words them.
- While no review or KPI grade uses one of its levels (:func:`in_use`), everything may change:
  levels added, removed, reordered, codes changed. Once used, only the name, the description and
  each level's label and description may change: the grades already given keep their meaning.
- A scale in use is never deleted: it is retired (使用終了), and a retired scale cannot be chosen
  for an edition again until it is put back into use.
- An edition's scale and what it grades (``PlanEdition.graded``) cannot change while any review
  of that edition carries a grade.

Every change goes through ``save()`` or ``delete()`` of an audited model (``plans.audit``), one
record at a time, so the audit trail has an entry for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.core import audit
from yakusho.core.validators import normalize_text
from yakusho.plans.models import (
    GradedItem,
    GradingScale,
    KpiGrade,
    NodeReview,
    Plan,
    PlanEdition,
    ReviewGrade,
)

DEFAULT_NAME = "4段階（A・B・C・D）"
DEFAULT_GRADES = [
    ("A", "目標より進んでいる"),
    ("B", "目標どおり"),
    ("C", "遅れている"),
    ("D", "評価できない"),
]
#: how many levels a scale may have
MIN_LEVELS = 2
MAX_LEVELS = 10
CODE_MAX = ReviewGrade._meta.get_field("code").max_length or 4
LABEL_MAX = ReviewGrade._meta.get_field("label").max_length or 60
NAME_MAX = GradingScale._meta.get_field("name").max_length or 100


@transaction.atomic
def scale_for(edition: PlanEdition) -> GradingScale:
    """The scale the edition's reviews use: the one it names, else the plan's latest scale in use,
    else a new default A–D scale of the plan; the edition is set to name it."""
    if edition.grading_scale_id is not None:
        return edition.grading_scale  # type: ignore[return-value]
    scale = (
        GradingScale.objects.filter(plan_id=edition.plan_id, retired=False)
        .order_by("-created_at", "-pk")
        .first()
    )
    if scale is None:
        scale = GradingScale.objects.create(
            municipality_id=edition.municipality_id, plan_id=edition.plan_id, name=DEFAULT_NAME
        )
        ReviewGrade.objects.bulk_create(
            [
                ReviewGrade(
                    municipality_id=edition.municipality_id, scale=scale, code=code, label=label, order=i
                )
                for i, (code, label) in enumerate(DEFAULT_GRADES)
            ]
        )
    edition.grading_scale = scale
    PlanEdition.objects.filter(pk=edition.pk).update(grading_scale=scale)
    return scale


def grades_for(edition: PlanEdition) -> list[ReviewGrade]:
    """The levels of the edition's scale, in order."""
    return list(scale_for(edition).levels.order_by("order"))


def in_use(scale: GradingScale) -> bool:
    """Whether any review or KPI grade uses one of the scale's levels."""
    levels = scale.levels.all()
    return (
        NodeReview.objects.filter(grade__in=levels).exists()
        or KpiGrade.objects.filter(grade__in=levels).exists()
    )


class ScaleRefused(Exception):
    """A refused change of a scale, with a message for the person who tried it and, where it is
    about one field of the form, that field's name (``grading_scale``, ``graded``, ``name``,
    ``levels``)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def check_deletable(scale: GradingScale) -> None:
    if in_use(scale):
        raise ScaleRefused(
            _("この評価の段階は評価で使われているため削除できません。使用終了にしてください。")
        )
    editions = editions_using(scale)
    if editions:
        raise ScaleRefused(
            _(
                "この評価の段階は「%(editions)s」で使うことになっているため削除できません。"
                "先にその版の評価の段階を変えてください。"
            )
            % {"editions": "」「".join(str(e) for e in editions)}
        )


# --- reading ------------------------------------------------------------------------------------


def editions_using(scale: GradingScale) -> list[PlanEdition]:
    """The editions whose reviews use the scale, oldest first."""
    return list(PlanEdition.objects.filter(grading_scale=scale).order_by("date", "number", "pk"))


def has_grades(edition: PlanEdition) -> bool:
    """Whether any review of the edition (any cycle, any period) carries a grade."""
    return (
        NodeReview.objects.filter(cycle__edition=edition, grade__isnull=False).exists()
        or KpiGrade.objects.filter(cycle__edition=edition, grade__isnull=False).exists()
    )


def plan_scales(plan: Plan) -> list[GradingScale]:
    """The plan's scales, those in use for new reviews first, each with its levels loaded."""
    return list(
        GradingScale.objects.filter(plan=plan, municipality_id=plan.municipality_id)
        .prefetch_related(models.Prefetch("levels", queryset=ReviewGrade.objects.order_by("order", "pk")))
        .order_by("retired", "created_at", "pk")
    )


# --- levels as typed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelInput:
    """One level as typed in the form: ``pk`` of the level it edits, or None for a new one."""

    pk: int | None
    code: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Problem:
    """What is wrong with the levels typed: ``row`` (0-based, in the order given) and ``field``
    (``code``, ``label``) say where, or both None for the levels as a whole."""

    row: int | None
    field: str | None
    message: str


def level_problems(levels: list[LevelInput]) -> list[Problem]:
    """Every problem of the levels at once (the form shows them all, each at its row and field)."""
    problems: list[Problem] = []
    if len(levels) < MIN_LEVELS:
        problems.append(Problem(None, None, _("区分を%(n)dつ以上入力してください。") % {"n": MIN_LEVELS}))
    if len(levels) > MAX_LEVELS:
        problems.append(Problem(None, None, _("区分は%(n)dつまでにしてください。") % {"n": MAX_LEVELS}))
    seen: dict[str, int] = {}
    for i, level in enumerate(levels):
        if not level.code:
            problems.append(Problem(i, "code", _("記号を入力してください（例：A、◎、1）。")))
        elif len(level.code) > CODE_MAX:
            problems.append(Problem(i, "code", _("記号は%(n)d文字までにしてください。") % {"n": CODE_MAX}))
        elif level.code in seen:
            problems.append(
                Problem(
                    i,
                    "code",
                    _("記号「%(code)s」は区分%(other)dと同じです。区分ごとに違う記号にしてください。")
                    % {"code": level.code, "other": seen[level.code] + 1},
                )
            )
        else:
            seen[level.code] = i
        if not level.label:
            problems.append(Problem(i, "label", _("意味を入力してください（例：順調）。")))
        elif len(level.label) > LABEL_MAX:
            problems.append(Problem(i, "label", _("意味は%(n)d文字までにしてください。") % {"n": LABEL_MAX}))
    return problems


def name_problem(plan: Plan, name: str, scale: GradingScale | None = None) -> str | None:
    if not name:
        return _("名称を入力してください（例：5段階（S・A・B・C・D））。")
    if len(name) > NAME_MAX:
        return _("名称は%(n)d文字までにしてください。") % {"n": NAME_MAX}
    clash = GradingScale.objects.filter(plan=plan, name=name)
    if scale is not None:
        clash = clash.exclude(pk=scale.pk)
    if clash.exists():
        return _("この計画には「%(name)s」という評価の段階がすでにあります。別の名称にしてください。") % {
            "name": name
        }
    return None


def clean_code(value: str) -> str:
    """A level's code as stored: NFKC (「Ａ」 is 「A」) and trimmed."""
    return normalize_text(value)


def _check(plan: Plan, name: str, levels: list[LevelInput], scale: GradingScale | None) -> None:
    problem = name_problem(plan, name, scale)
    if problem:
        raise ScaleRefused(problem, "name")
    problems = level_problems(levels)
    if problems:
        raise ScaleRefused(problems[0].message, "levels")


# --- changes -------------------------------------------------------------------------------------


@transaction.atomic
def create_scale(plan: Plan, *, name: str, description: str, levels: list[LevelInput]) -> GradingScale:
    """A new scale of the plan with its levels in the order given (no edition uses it yet)."""
    levels = [
        LevelInput(None, clean_code(lv.code), lv.label.strip(), lv.description.strip()) for lv in levels
    ]
    name = name.strip()
    _check(plan, name, levels, None)
    scale = GradingScale.objects.create(
        municipality_id=plan.municipality_id, plan=plan, name=name, description=description.strip()
    )
    for order, level in enumerate(levels):
        ReviewGrade.objects.create(
            municipality_id=plan.municipality_id,
            scale=scale,
            code=level.code,
            label=level.label,
            description=level.description,
            order=order,
        )
    return scale


@transaction.atomic
def update_scale(
    scale: GradingScale, *, name: str, description: str, levels: list[LevelInput]
) -> GradingScale:
    """Save the scale's name, description and levels (in the order given). A level without ``pk``
    is added, a level of the scale not given is removed. For a scale in use only names, labels
    and descriptions may change; anything else is refused and nothing is saved."""
    scale = GradingScale.objects.select_for_update().select_related("plan").get(pk=scale.pk)
    current = list(scale.levels.order_by("order", "pk"))
    by_pk = {level.pk: level for level in current}
    if any(lv.pk is not None and lv.pk not in by_pk for lv in levels):
        raise ScaleRefused(_("この評価の段階にない区分が送られました。画面を開き直してください。"), "levels")
    if len({lv.pk for lv in levels if lv.pk is not None}) != len([lv for lv in levels if lv.pk is not None]):
        raise ScaleRefused(_("同じ区分が二度送られました。画面を開き直してください。"), "levels")
    levels = [
        LevelInput(lv.pk, clean_code(lv.code), lv.label.strip(), lv.description.strip()) for lv in levels
    ]
    name = name.strip()
    _check(scale.plan, name, levels, scale)
    if in_use(scale):
        same_levels = [lv.pk for lv in levels] == [lv.pk for lv in current]
        same_codes = all(by_pk[lv.pk].code == lv.code for lv in levels if lv.pk is not None)
        if not (same_levels and same_codes):
            raise ScaleRefused(
                _(
                    "この評価の段階は評価で使われているため、区分の追加・削除・並べ替えと記号の変更はできません"
                    "（意味と説明は変えられます）。別の区分が必要なときは、新しい評価の段階を作ってください。"
                ),
                "levels",
            )

    if (scale.name, scale.description) != (name, description.strip()):
        scale.name, scale.description = name, description.strip()
        scale.save(update_fields=["name", "description"])

    kept = {lv.pk for lv in levels if lv.pk is not None}
    for level in current:
        if level.pk not in kept:
            level.delete()
    existing = [(by_pk[lv.pk], lv, order) for order, lv in enumerate(levels) if lv.pk is not None]
    _rename_codes([(level, typed.code) for level, typed, _order in existing])
    for level, typed, order in existing:
        if (level.code, level.label, level.description, level.order) != (
            typed.code,
            typed.label,
            typed.description,
            order,
        ):
            level.code, level.label, level.description, level.order = (
                typed.code,
                typed.label,
                typed.description,
                order,
            )
            level.save()
    for order, typed in enumerate(levels):
        if typed.pk is None:
            ReviewGrade.objects.create(
                municipality_id=scale.municipality_id,
                scale=scale,
                code=typed.code,
                label=typed.label,
                description=typed.description,
                order=order,
            )
    return scale


def _rename_codes(renames: list[tuple[ReviewGrade, str]]) -> None:
    """Give levels their new codes without two levels ever holding one code (the database keeps
    codes unique in a scale): each level whose new code is free takes it; a swap (A↔B) first
    parks one level on a temporary code. Each step is a ``save()``, so the audit trail has it."""
    pending = [(level, code) for level, code in renames if level.code != code]
    temporary = 0
    while pending:
        held = {level.code for level, _code in renames}
        free = next(((lv, code) for lv, code in pending if code not in held), None)
        if free is None:
            level, _code = pending[0]
            temporary += 1
            level.code = f"~{temporary}"
            level.save(update_fields=["code"])
            continue
        level, code = free
        level.code = code
        level.save(update_fields=["code"])
        pending.remove(free)


@transaction.atomic
def delete_scale(scale: GradingScale) -> None:
    """Delete a scale nobody has used nor chosen, with its levels; refused otherwise."""
    scale = GradingScale.objects.select_for_update().get(pk=scale.pk)
    check_deletable(scale)
    for level in scale.levels.all():
        level.delete()
    scale.delete()


@transaction.atomic
def retire(scale: GradingScale) -> GradingScale:
    """Stop offering the scale for new reviews (its grades stay as they are)."""
    scale = GradingScale.objects.select_for_update().select_related("plan").get(pk=scale.pk)
    if scale.retired:
        raise ScaleRefused(_("この評価の段階はすでに使用終了になっています。"))
    current = scale.plan.current_edition_id
    if current is not None and PlanEdition.objects.filter(pk=current, grading_scale=scale).exists():
        raise ScaleRefused(
            _(
                "この評価の段階は計画の現行版で使っているため、使用終了にできません。"
                "先に現行版の評価の段階を変えてください。"
            )
        )
    scale.retired = True
    scale.save(update_fields=["retired"])
    return scale


@transaction.atomic
def restore(scale: GradingScale) -> GradingScale:
    """Offer a retired scale again."""
    scale = GradingScale.objects.select_for_update().get(pk=scale.pk)
    if not scale.retired:
        raise ScaleRefused(_("この評価の段階は使用中です。"))
    scale.retired = False
    scale.save(update_fields=["retired"])
    return scale


@transaction.atomic
def choose_for_edition(edition: PlanEdition, scale: GradingScale, graded: str) -> PlanEdition:
    """Set the scale an edition's reviews use and what they grade. Refused for a retired scale, a
    scale of another plan, and — for either setting — once any review of the edition is graded."""
    edition = PlanEdition.objects.select_for_update().get(pk=edition.pk)
    if scale.plan_id != edition.plan_id or scale.municipality_id != edition.municipality_id:
        raise ScaleRefused(_("この計画の評価の段階から選んでください。"), "grading_scale")
    if graded not in GradedItem.values:
        raise ScaleRefused(_("評価の対象を選んでください。"), "graded")
    scale_changes = scale.pk != edition.grading_scale_id
    graded_changes = graded != edition.graded
    if scale_changes and scale.retired:
        raise ScaleRefused(
            _("「%(name)s」は使用終了になっているため選べません。使う場合は、先に使用を再開してください。")
            % {"name": scale.name},
            "grading_scale",
        )
    if (scale_changes or graded_changes) and has_grades(edition):
        field = "grading_scale" if scale_changes else "graded"
        what = _("評価の段階") if scale_changes else _("評価の対象")
        raise ScaleRefused(
            _(
                "この版の進捗評価にはすでに評価が入っているため、%(what)sは変えられません。"
                "評価の途中で段階や対象を変えると、同じ年度の評価が比べられなくなります。"
            )
            % {"what": what},
            field,
        )
    if scale_changes or graded_changes:
        edition.grading_scale = scale
        edition.graded = graded
        edition.save(update_fields=["grading_scale", "graded"])
    return edition


# --- the audit trail, as the pages show it ------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    """One audit entry as a page shows it: which record, what changed, by whom, when."""

    when: datetime
    action: str
    actor: str
    target: str
    changes: list[tuple[str, str, str]]  # field, before, after (words, never None or True)


def history_rows(entries: list[LogEntry]) -> list[HistoryRow]:
    """Audit entries, newest first, as rows without ``None``, ``True`` or ids: each change in words
    as ``core.audit`` reads it (a value set on creation or removed on deletion against 「—」)."""
    names = audit.Names()
    rows = []
    for entry in sorted(entries, key=lambda e: (e.timestamp, e.pk), reverse=True):
        changes = [
            (
                c.field,
                audit.EMPTY if c.before is None else c.before,
                audit.EMPTY if c.after is None else c.after,
            )
            for c in audit.entry_changes(entry, names)
        ]
        actor = entry.actor
        name = (actor.get_full_name() or str(actor)) if actor is not None else _("システム")
        rows.append(
            HistoryRow(
                when=timezone.localtime(entry.timestamp),
                action=str(entry.get_action_display()),
                actor=name,
                target=audit.entry_target(entry, names),
                changes=changes,
            )
        )
    return rows


def _entries(model: type[models.Model], pks: set[str], municipality_id: int) -> list[LogEntry]:
    if not pks:
        return []
    content_type = ContentType.objects.get_for_model(model)
    return list(
        LogEntry.objects.filter(
            content_type=content_type,
            object_pk__in=pks,
            additional_data__municipality=municipality_id,
        ).select_related("actor", "content_type")
    )


def scale_history(scale: GradingScale) -> list[HistoryRow]:
    """The scale's audit trail: the scale itself, each of its levels (removed ones too) and the
    editions that chose it."""
    municipality_id = scale.municipality_id
    level_type = ContentType.objects.get_for_model(ReviewGrade)
    level_pks = {str(pk) for pk in scale.levels.values_list("pk", flat=True)}
    # removed levels are found by their entries, which name the scale they belonged to
    for entry in LogEntry.objects.filter(
        content_type=level_type, additional_data__municipality=municipality_id
    ).only("object_pk", "changes"):
        if str(scale.pk) in (entry.changes_dict.get("scale") or []):
            level_pks.add(entry.object_pk)
    edition_entries = [
        e
        for e in _entries(
            PlanEdition,
            {
                str(pk)
                for pk in PlanEdition.objects.filter(plan_id=scale.plan_id).values_list("pk", flat=True)
            },
            municipality_id,
        )
        if str(scale.pk) in (e.changes_dict.get("grading_scale") or [])
    ]
    return history_rows(
        _entries(GradingScale, {str(scale.pk)}, municipality_id)
        + _entries(ReviewGrade, level_pks, municipality_id)
        + edition_entries
    )


def edition_history(plan: Plan) -> list[HistoryRow]:
    """Changes of the plan's editions' grading settings (scale and what is graded)."""
    pks = {str(pk) for pk in PlanEdition.objects.filter(plan=plan).values_list("pk", flat=True)}
    entries = [
        e
        for e in _entries(PlanEdition, pks, plan.municipality_id)
        if {"grading_scale", "graded"} & set(e.changes_dict)
    ]
    rows = history_rows(entries)
    keep = {str(PlanEdition.grading_scale.field.verbose_name), str(PlanEdition.graded.field.verbose_name)}
    return [
        HistoryRow(r.when, r.action, r.actor, r.target, [c for c in r.changes if c[0] in keep]) for r in rows
    ]
