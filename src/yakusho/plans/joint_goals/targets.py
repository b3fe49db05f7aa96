"""What every part of joint goals shares, and the targets a goal is judged against.

- :class:`JointGoalError`, the refusal every rule raises (all its Japanese messages at once);
- the fiscal years a target may name (:data:`YEAR_MIN` to :data:`YEAR_MAX`), the current fiscal
  year, and the small checks of typed text and numbers the other modules use;
- the **direction** of a number goal: :func:`meets` judges a figure against a target;
- the **targets**: the final one (the goal's own fields) and one per earlier fiscal year
  (``JointGoalTarget``): :func:`check_targets` and :func:`write_targets` for the goal form and
  goals files, :func:`target_for` for the target of the year shown (:class:`ShownTarget`).

It imports nothing else of the package; the other modules import from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.core.jcal import fiscal_year_of, format_fiscal_year
from yakusho.core.validators import normalize_text
from yakusho.plans.models import JointGoal, JointGoalTarget, Kpi

Kind = JointGoal.Kind
Direction = Kpi.Direction


# --- shared: the refusal, the years, typed text and numbers -----------------------------------


class JointGoalError(ValueError):
    """A refused change, with every Japanese message for the person who asked for it (all the
    problems found at once, so a form can show them together)."""

    def __init__(self, *messages: str) -> None:
        self.messages = [str(m) for m in messages]
        super().__init__(" ".join(self.messages))


#: Fiscal years a yearly target may name.
YEAR_MIN = 2000
YEAR_MAX = 2100
#: What a numeric target fits in (``max_digits=20, decimal_places=6`` on the models).
_VALUE_LIMIT = Decimal(10) ** 14


def current_fiscal_year() -> int:
    return fiscal_year_of(timezone.localdate())


def _year_name(year: int) -> str:
    if YEAR_MIN <= year <= YEAR_MAX:
        return format_fiscal_year(year, short=True)
    return _("%(year)s年度") % {"year": year}


def clean_text(value: str) -> str:
    """Typed text as stored: NFKC-normalised and trimmed (None reads as empty)."""
    return normalize_text(value or "").strip()


def has_nul(*values: str) -> bool:
    """Whether any of the texts holds a NUL character (refused with the text's own message)."""
    return any("\x00" in (v or "") for v in values)


def value_problem(value: Decimal | None, what: str) -> str | None:
    """Why a target value does not fit the models' numbers (naming ``what``), or None."""
    if value is None:
        return None
    try:
        fits = value.is_finite() and abs(value) < _VALUE_LIMIT and value == value.quantize(Decimal("1e-6"))
    except InvalidOperation:
        fits = False
    if not fits:
        return _("%(what)sは、整数14桁・小数6桁までの数値で入力してください。") % {"what": what}
    return None


# --- direction: how a numeric target is judged ------------------------------------------------


def meets(direction: str, value: Decimal, target: Decimal) -> bool:
    """Whether ``value`` meets ``target``: at most the target for a goal to reduce something
    (減らす), at least the target otherwise (増やす, 維持する, or no direction)."""
    return value <= target if direction == Direction.DECREASE else value >= target


def direction_text(goal: JointGoal) -> str:
    """The direction and the rule it gives: 「減らす（目標値以下で達成）」."""
    if goal.kind != Kind.NUMBER:
        return ""
    if goal.direction == Direction.DECREASE:
        return _("減らす（目標値以下で達成）")
    if goal.direction in (Direction.INCREASE, Direction.KEEP):
        return _("%(direction)s（目標値以上で達成）") % {"direction": goal.get_direction_display()}
    return _("指定なし（目標値以上で達成）")


# --- targets: the final one and one per year --------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    """A yearly target as typed: the fiscal year, and a number and/or a text."""

    fiscal_year: int
    value: Decimal | None = None
    text: str = ""


@dataclass(frozen=True)
class ShownTarget:
    """The target a goal is judged against for the year shown: that year's target, else the
    final target (the goal's own fields)."""

    value: Decimal | None
    text: str
    year: int | None  # the fiscal year this target is for (the final one may name none)
    final: bool
    asked: int | None = None  # the year shown (None: the final target was asked for)

    @property
    def exists(self) -> bool:
        return self.value is not None or bool(self.text)

    @property
    def caption(self) -> str:
        """「令和8年度の目標」, 「最終目標（令和10年度）」, or why the final target is used."""
        if not self.final and self.year is not None:
            return _("%(year)sの目標") % {"year": format_fiscal_year(self.year, short=True)}
        final = (
            _("最終目標（%(year)s）") % {"year": format_fiscal_year(self.year, short=True)}
            if self.year is not None
            else _("最終目標")
        )
        if self.asked is not None and self.asked != self.year:
            return _("%(asked)sの目標はないため%(final)s") % {
                "asked": format_fiscal_year(self.asked, short=True),
                "final": final,
            }
        return final


def final_target(goal: JointGoal, asked: int | None = None) -> ShownTarget:
    return ShownTarget(goal.target_value, goal.target_text, goal.target_fiscal_year, True, asked)


def target_for(goal: JointGoal, targets: Iterable[JointGoalTarget], year: int | None) -> ShownTarget:
    """The target of ``year`` (a ``JointGoalTarget``), else the final target; ``year`` None asks
    for the final target."""
    if year is not None:
        for target in targets:
            if target.fiscal_year == year:
                return ShownTarget(target.value, target.text, year, False, year)
    return final_target(goal, year)


def check_targets(kind: str, final_year: int | None, rows: Sequence[TargetRow]) -> list[str]:
    """Every problem of a goal's yearly targets, each naming its year: one per year, within
    2000–2100 and before the final target year, and what the goal's kind needs (a number for a
    number goal, a text for a text goal, a share or a text for a list goal)."""
    problems: list[str] = []
    seen: set[int] = set()
    for row in rows:
        name = _year_name(row.fiscal_year)
        if not YEAR_MIN <= row.fiscal_year <= YEAR_MAX:
            problems.append(
                _("年度別目標の年度（%(year)s）は、%(min)s年度から%(max)s年度までで入力してください。")
                % {"year": name, "min": YEAR_MIN, "max": YEAR_MAX}
            )
            continue
        if final_year is not None and row.fiscal_year >= final_year:
            problems.append(
                _(
                    "年度別目標の年度（%(year)s）は、目標年度（%(final)s）より前にしてください。"
                    "目標年度の目標は「目標値（数値）」「目標（文章）」に書きます。"
                )
                % {"year": name, "final": format_fiscal_year(final_year, short=True)}
            )
        if row.fiscal_year in seen:
            problems.append(
                _("年度別目標に%(year)sが2回あります。1年度に1つにしてください。") % {"year": name}
            )
        seen.add(row.fiscal_year)
        what = _("%(year)sの目標値") % {"year": name}
        problem = value_problem(row.value, what)
        if problem:
            problems.append(problem)
        if len(row.text) > 200 or has_nul(row.text):
            problems.append(
                _("%(year)sの目標（文章）は、200字までの文章で入力してください。") % {"year": name}
            )
        if kind == Kind.NUMBER and row.value is None:
            problems.append(
                _("%(year)sの目標：数値の目標なので、目標値（数値）を入力してください。") % {"year": name}
            )
        elif kind == Kind.TEXT and not row.text:
            problems.append(
                _("%(year)sの目標：文章の目標なので、目標（文章）を入力してください。") % {"year": name}
            )
        elif kind == Kind.LIST:
            if row.value is None and not row.text:
                problems.append(
                    _("%(year)sの目標：完了の割合（%%）か目標（文章）を入力してください。") % {"year": name}
                )
            elif row.value is not None and not 0 <= row.value <= 100:
                problems.append(
                    _("%(year)sの目標：項目の一覧の目標値は完了の割合（%%）で、0から100までです。")
                    % {"year": name}
                )
    return problems


def write_targets(goal: JointGoal, rows: Sequence[TargetRow]) -> None:
    """Make the goal's yearly targets exactly ``rows`` (checked already)."""
    years = [row.fiscal_year for row in rows]
    JointGoalTarget.objects.filter(goal=goal).exclude(fiscal_year__in=years).delete()
    for row in rows:
        JointGoalTarget.objects.update_or_create(
            goal=goal,
            fiscal_year=row.fiscal_year,
            defaults={"consortium_id": goal.consortium_id, "value": row.value, "text": clean_text(row.text)},
        )
