"""KPI actuals and grades in a review: a figure recorded for the cycle's year or period (source:
review, or a metric's figure staff confirmed), the year's actual built from its periods, and a KPI's
grade for plans that grade each KPI."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.core.models import Membership
from yakusho.metrics.registry import Figure, Period, registry
from yakusho.plans import periods
from yakusho.plans.models import (
    GradedItem,
    Kpi,
    KpiActual,
    KpiGrade,
    KpiPeriodActual,
    ReviewCycle,
    ReviewGrade,
)
from yakusho.plans.review.services import COUNT_UNITS, ReviewError, check_role_for_kpi


@transaction.atomic
def record_actual(
    kpi: Kpi,
    cycle: ReviewCycle,
    membership: Membership,
    *,
    value: Decimal | None = None,
    text: str = "",
    on: date | None = None,
    note: str = "",
    override_reason: str = "",
) -> KpiActual:
    """Write the cycle's fiscal year into the KPI's one series of actuals (source: review).

    Its "as of" is ``on`` when staff give it, else the day it is recorded — or the cycle's due date
    when it is recorded after it (the figure the review asked for).

    For a KPI bound to a metric, a value other than the registry's figure is an override and needs
    a reason, which is kept in the actual's note."""
    if kpi.edition_id != cycle.edition_id:
        raise ReviewError(_("このKPIはこの評価の計画にありません。"))
    if cycle.state == ReviewCycle.State.FINALISED:
        raise ReviewError(_("確定した評価の実績値は変更できません。"))
    check_role_for_kpi(kpi, cycle, membership)
    if kpi.direction == Kpi.Direction.QUALITATIVE:
        if value is not None:
            raise ReviewError(_("定性のKPIには数値ではなく文章で実績を書いてください。"))
        if not text.strip():
            raise ReviewError(_("実績を文章で書いてください。"))
    else:
        if value is None:
            raise ReviewError(
                _("このKPIの実績値は数値で入力してください（単位：%(unit)s）。") % {"unit": kpi.unit or "—"}
            )
        if value < 0 and kpi.unit in COUNT_UNITS:
            raise ReviewError(_("件数・人数などは0以上の数値で入力してください。"))
        if kpi.unit == "%" and not 0 <= value <= 100:
            raise ReviewError(_("割合は0から100の間で入力してください。"))
    figure = metric_figure(kpi, cycle)
    if figure is not None and figure.value is not None and value != Decimal(figure.value):
        if not override_reason.strip():
            raise ReviewError(
                _("計測値（%(figure)s）と異なる値を記録するときは、理由を書いてください。")
                % {"figure": _plain(Decimal(figure.value))}
            )
        note = _join_note(
            _("計測値%(figure)sを修正：%(reason)s")
            % {"figure": _plain(Decimal(figure.value)), "reason": override_reason.strip()},
            note,
        )
    as_of = on or min(cycle.due_date, timezone.localdate())
    return _write_actual(kpi, cycle, value, text, as_of, note, KpiActual.Source.REVIEW)


def _write_actual(
    kpi: Kpi, cycle: ReviewCycle, value: Decimal | None, text: str, on: date | None, note: str, source: str
) -> KpiActual:
    """Write the cycle's figure: the year's actual for a yearly review; for a review per period, the
    period's actual and then the year's actual built from the year's periods."""
    if cycle.period:
        KpiPeriodActual.objects.update_or_create(
            kpi=kpi,
            fiscal_year=cycle.fiscal_year,
            period=cycle.period,
            defaults={
                "municipality_id": kpi.municipality_id,
                "value": value,
                "text": text,
                "date": on,
                "note": note,
                "source": source,
            },
        )
        return year_from_periods(kpi, cycle.fiscal_year, cycle.edition.review_period)
    actual, _created = KpiActual.objects.update_or_create(
        kpi=kpi,
        fiscal_year=cycle.fiscal_year,
        defaults={
            "municipality_id": kpi.municipality_id,
            "value": value,
            "text": text,
            "date": on,
            "note": note,
            "source": source,
        },
    )
    return actual


#: figures that add up within a year (the year's figure is the sum of its periods); the others are
#: a level or a running total, whose year's figure is the latest period's
FLOWS = {Kpi.Accumulation.PER_YEAR, Kpi.Accumulation.CUMULATIVE}


def year_from_periods(kpi: Kpi, fiscal_year: int, kind: str) -> KpiActual:
    """The year's actual built from the periods recorded so far: their sum for a KPI counted per
    year, the latest period's figure for a level or running total; its note says which periods it
    is made of and which are not recorded yet, its "as of" is the latest period's."""
    rows = list(KpiPeriodActual.objects.filter(kpi=kpi, fiscal_year=fiscal_year).order_by("period"))
    latest = rows[-1]
    recorded = [r.period for r in rows]
    missing = [n for n in periods.numbers(kind) if n not in recorded]
    names = "・".join(periods.name(kind, n) for n in recorded)
    if kpi.direction == Kpi.Direction.QUALITATIVE:
        value, text = None, latest.text
        note = _("%(p)sの実績") % {"p": periods.name(kind, latest.period)}
    elif kpi.accumulation in FLOWS:
        values = [r.value for r in rows if r.value is not None]
        value, text = (sum(values, Decimal(0)) if values else None), ""
        note = _("%(p)sの合計") % {"p": names}
    else:
        value, text = latest.value, latest.text
        note = _("%(p)sの値") % {"p": periods.name(kind, latest.period)}
    if missing:
        note += _("（%(m)sは未記録）") % {"m": "・".join(periods.name(kind, n) for n in missing)}
    sources = {r.source for r in rows}
    source = sources.pop() if len(sources) == 1 else KpiActual.Source.REVIEW
    actual, _created = KpiActual.objects.update_or_create(
        kpi=kpi,
        fiscal_year=fiscal_year,
        defaults={
            "municipality_id": kpi.municipality_id,
            "value": value,
            "text": text,
            "date": latest.date,
            "note": note,
            "source": source,
        },
    )
    return actual


def period_actual(kpi: Kpi, cycle: ReviewCycle) -> KpiPeriodActual | KpiActual | None:
    """What has been recorded for the cycle: the period's actual, or the year's for a yearly review."""
    if cycle.period:
        return KpiPeriodActual.objects.filter(
            kpi=kpi, fiscal_year=cycle.fiscal_year, period=cycle.period
        ).first()
    return KpiActual.objects.filter(kpi=kpi, fiscal_year=cycle.fiscal_year).first()


def cycle_period(cycle: ReviewCycle) -> Period:
    """The days the cycle reviews: its fiscal year, or its half or quarter."""
    return periods.period(cycle.fiscal_year, cycle.edition.review_period, cycle.period)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f").rstrip("0")


def _join_note(first: str, rest: str) -> str:
    return f"{first}\n{rest}" if rest.strip() else first


def metric_figure(kpi: Kpi, cycle: ReviewCycle) -> Figure | None:
    """The metrics registry's stored figure for a KPI bound to a metric, for the cycle's year or
    period (one query; a figure not measured yet reads as such and is measured by the next
    ``refresh-figures``)."""
    return metric_figures([kpi], cycle).get(kpi.pk)


def metric_figures(kpis: list[Kpi], cycle: ReviewCycle) -> dict[int, Figure]:
    """:func:`metric_figure` of several KPIs in one query, by KPI id (KPIs without a metric left out)."""
    bound = [k for k in kpis if k.metric and k.metric in registry]
    if not bound:
        return {}
    figures = registry.figures(cycle.municipality, [k.metric for k in bound], cycle_period(cycle))
    return {k.pk: figures[k.metric] for k in bound}


@transaction.atomic
def confirm_metric(kpi: Kpi, cycle: ReviewCycle, membership: Membership, note: str = "") -> KpiActual:
    """Take the registry's figure as the year's actual (source: metric), as staff confirmed it; its
    "as of" is the measured period's last day (today while the year runs)."""
    if kpi.edition_id != cycle.edition_id:
        raise ReviewError(_("このKPIはこの評価の計画にありません。"))
    if cycle.state == ReviewCycle.State.FINALISED:
        raise ReviewError(_("確定した評価の実績値は変更できません。"))
    check_role_for_kpi(kpi, cycle, membership)
    figure = metric_figure(kpi, cycle)
    if figure is not None and (not figure.measured or figure.stale):
        # staff confirm what the data says now: a figure not measured yet, or whose data changed
        # since, is measured for this confirmation (a deliberate action, not a page view)
        figure = registry.refresh(cycle.municipality, figure.period, [figure.key])[figure.key]
    if figure is None or figure.value is None:
        raise ReviewError(_("このKPIには確認できる計測値がありません。実績値を入力してください。"))
    as_of = min(figure.period.end, timezone.localdate())
    return _write_actual(kpi, cycle, Decimal(figure.value), "", as_of, note, KpiActual.Source.METRIC)


@transaction.atomic
def grade_kpi(kpi: Kpi, cycle: ReviewCycle, membership: Membership, grade: ReviewGrade | None) -> KpiGrade:
    """Grade a KPI in a cycle (for plans that grade each KPI); the same people who record its actual."""
    if kpi.edition_id != cycle.edition_id:
        raise ReviewError(_("このKPIはこの評価の計画にありません。"))
    if cycle.edition.graded != GradedItem.KPI:
        raise ReviewError(_("この計画はKPIごとには評価しません。"))
    if cycle.state == ReviewCycle.State.FINALISED:
        raise ReviewError(_("確定した評価は変更できません。"))
    check_role_for_kpi(kpi, cycle, membership)
    if grade is not None and grade.scale_id != cycle.edition.grading_scale_id:
        raise ReviewError(_("この計画の評価の段階にない評価です。"))
    row, _created = KpiGrade.objects.update_or_create(
        cycle=cycle, kpi=kpi, defaults={"municipality_id": cycle.municipality_id, "grade": grade}
    )
    return row


#: what may be attached as evidence, and how large
