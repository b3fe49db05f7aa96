"""Grading scales of a plan: the scale an edition's reviews use, created with the default A–D the
first time; editing levels, retiring a scale that has been used (never deleting it)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from yakusho.plans.models import GradingScale, KpiGrade, NodeReview, PlanEdition, ReviewGrade

DEFAULT_NAME = "4段階（A・B・C・D）"
DEFAULT_GRADES = [
    ("A", "目標より進んでいる"),
    ("B", "目標どおり"),
    ("C", "遅れている"),
    ("D", "評価できない"),
]


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
    """A refused change of a scale, with a message for the person who tried it."""


def check_deletable(scale: GradingScale) -> None:
    if in_use(scale):
        raise ScaleRefused(
            _("この評価の段階は評価で使われているため削除できません。使用終了にしてください。")
        )
