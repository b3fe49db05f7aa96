"""The report's grade breakdown: counts and percentages per grade over the items actually graded
(what an item is follows PlanEdition.graded), with the base said in words; ungraded items apart."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.plans import figures
from yakusho.plans.models import GradedItem, ReviewGrade

#: an item without a grade (counted apart, never in the base)
NO_GRADE = ""


@dataclass(frozen=True)
class GradeShare:
    """One level of the scale in the grade summary: how many items got it, and their share."""

    key: str  # the level's code
    label: str  # 「A（順調）」
    count: int
    percent: Decimal | None  # one decimal; None when nothing is graded
    description: str = ""  # the municipality's description of the level

    @property
    def percent_text(self) -> str:
        return figures.format_figure(self.percent, "%", computed=True) if self.percent is not None else "—"

    @property
    def fraction(self) -> Decimal | None:
        """The share as Excel holds a percentage (0.25 shown as 25.0%)."""
        return self.percent / 100 if self.percent is not None else None


#: what an item is, per ``PlanEdition.graded``: (the items graded, all the items)
ITEM_WORDS = {
    GradedItem.DEPARTMENT: (gettext_lazy("評価した取組"), gettext_lazy("担当課ごとの評価")),
    GradedItem.NODE: (gettext_lazy("評価した取組"), gettext_lazy("取組")),
    GradedItem.KPI: (gettext_lazy("評価したKPI"), gettext_lazy("KPI")),
}


@dataclass(frozen=True)
class GradeSummary:
    """Grade counts and percentages over the items actually graded, with the base said in words."""

    kind: str  # GradedItem
    total: int  # items that could carry a grade
    graded: int  # items that carry one: the base of the percentages
    shares: list[GradeShare]

    @property
    def ungraded(self) -> int:
        return self.total - self.graded

    @property
    def kind_label(self) -> str:
        return str(GradedItem(self.kind).label)

    @property
    def base_text(self) -> str:
        """「評価した取組 18件（担当課ごとの評価 24件のうち18件）に対する割合」"""
        graded, items = ITEM_WORDS[GradedItem(self.kind)]
        return _("%(graded)s %(n)d件（%(items)s %(total)d件のうち%(n)d件）に対する割合") % {
            "graded": graded,
            "items": items,
            "n": self.graded,
            "total": self.total,
        }

    @property
    def ungraded_text(self) -> str:
        if not self.ungraded:
            return ""
        return _("未評価の%(n)d件は、割合に含めていません。") % {"n": self.ungraded}

    @property
    def nothing_text(self) -> str:
        """What the summary says instead of 0 % when nothing is graded."""
        _graded, items = ITEM_WORDS[GradedItem(self.kind)]
        if not self.total:
            return _("評価する%(items)sがありません。") % {"items": items}
        return _(
            "まだ評価が入っていません（%(items)s %(total)d件すべてが未評価）。"
            "割合は評価が入ってから示します。"
        ) % {"items": items, "total": self.total}

    @property
    def rule_text(self) -> str:
        """How an item's grade is taken, where that needs saying."""
        if self.kind == GradedItem.NODE:
            return _("取組の評価は主担当課の評価です（主担当課が未評価なら、評価のある最初の課の評価）。")
        if self.kind == GradedItem.DEPARTMENT:
            return _("一つの取組を複数の課が担当するときは、課ごとの評価をそれぞれ数えます。")
        return ""


def split_percent(counts: list[int]) -> list[Decimal | None]:
    """Each count's share of their sum in percent, to one decimal, adding up to exactly 100:
    every share is rounded down to a tenth, then the tenths left go to the largest remainders
    (the first of equal ones). None for every count when they sum to 0."""
    total = sum(counts)
    if total == 0:
        return [None for _ in counts]
    exact = [Fraction(c * 1000, total) for c in counts]  # in tenths of a percent
    tenths = [int(x) for x in exact]
    left = 1000 - sum(tenths)
    for i in sorted(range(len(counts)), key=lambda i: (-(exact[i] - tenths[i]), i))[:left]:
        tenths[i] += 1
    return [(Decimal(t) / 10).quantize(Decimal("0.1")) for t in tenths]


def grade_summary(kind: str, grades: list[ReviewGrade], items: list[tuple[str, str]]) -> GradeSummary:
    """``items``: (code, label) of each item, an empty code for one not graded. A code not in the
    scale (a grade of another scale) still counts, as a share of its own, so the shares add up."""
    counter = Counter(code for code, _label in items if code != NO_GRADE)
    levels: list[tuple[str, str, str]] = [(g.code, f"{g.code}（{g.label}）", g.description) for g in grades]
    known = {g.code for g in grades}
    for code, label in items:
        if code != NO_GRADE and code not in known:
            known.add(code)
            levels.append((code, f"{code}（{label}）" if label else code, ""))
    counts = [counter[code] for code, _label, _description in levels]
    percents = split_percent(counts)
    shares = [
        GradeShare(code, label, n, pct, description)
        for (code, label, description), n, pct in zip(levels, counts, percents, strict=True)
    ]
    return GradeSummary(kind=kind, total=len(items), graded=sum(counts), shares=shares)
