"""Template filters for figures on the plan pages: ``{% load plan_figures %}``.

Every number on a plan page goes through ``figure`` (or ``actual``, which adds the source and the
"as of" beside it), so the pages, the report and the exports (``plans.figures``) write figures alike.
"""

from __future__ import annotations

from typing import Any

from django import template

from yakusho.plans import figures
from yakusho.plans.achievement import Achievement
from yakusho.plans.models import Kpi, KpiActual, Observation

register = template.Library()


@register.filter
def figure(value: Any, unit: str = "") -> str:
    """``{{ value|figure:kpi.unit }}`` → ``1,970件``, ``3.7%``; None → —."""
    return figures.format_figure(value, unit or "")


@register.filter
def computed_figure(value: Any, unit: str = "") -> str:
    """A computed value (a yearly 目安, the straight-line path), rounded as its unit needs."""
    return figures.format_figure(value, unit or "", computed=True)


@register.filter
def actual(value: KpiActual | None, unit: str = "") -> str:
    """``{{ a|actual:kpi.unit }}`` → ``120件（進捗評価・令和7年5月31日時点）``."""
    return figures.MISSING if value is None else figures.actual_text(value, unit or "")


@register.filter
def provenance(value: KpiActual) -> str:
    return figures.provenance(value)


@register.filter
def observation(value: Observation) -> str:
    return figures.observation_text(value)


@register.filter
def progress(value: Achievement, kpi: Kpi | None = None) -> str:
    """``45%``, or the words for a KPI behind its baseline; empty without a figure."""
    return figures.progress_text(value, kpi.direction if kpi is not None else "")


@register.filter
def status(value: Achievement) -> str:
    return figures.status_text(value)


@register.filter
def accumulation(value: Kpi) -> str:
    return figures.accumulation_text(value)
