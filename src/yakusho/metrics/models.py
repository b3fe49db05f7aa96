"""Stored figures: what the metrics registry measured, kept so that pages read it instead of measuring.

A figure is computed by ``refresh-figures`` (or :meth:`MetricRegistry.refresh`) and read by pages in
one query (:meth:`MetricRegistry.figures`); see docs/architecture.md, "Metrics registry".
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core.models import TenantOwned


class PeriodKind(models.TextChoices):
    FISCAL_YEAR = "fiscal_year", _("年度")
    HALF_YEAR = "half_year", _("半期")
    QUARTER = "quarter", _("四半期")
    MONTH = "month", _("月")
    OTHER = "other", _("その他の期間")


class StoredFigure(TenantOwned):
    """One measured figure of one municipality for one period (a total, or one row of a breakdown).

    ``value`` is null when the provider had nothing to measure (no data); a row never computed yet
    (``computed_at`` null) is a figure a page asked for, which the next ``refresh-figures`` computes.
    """

    key = models.CharField(_("指標のキー"), max_length=100)
    period_start = models.DateField(_("期間の初日"))
    period_end = models.DateField(_("期間の末日"))
    period_kind = models.CharField(_("期間の種類"), max_length=20, choices=PeriodKind.choices)
    #: blank for the total; else the breakdown's key (e.g. a procedure's slug)
    breakdown = models.CharField(_("内訳のキー"), max_length=100, blank=True, default="")
    value = models.DecimalField(_("値"), max_digits=20, decimal_places=4, null=True, blank=True)
    computed_at = models.DateTimeField(_("集計日時"), null=True, blank=True)
    #: the provider's key, version and description when it was computed
    method = models.CharField(_("集計の方法"), max_length=300, blank=True)
    stale = models.BooleanField(_("要再集計"), default=True)

    class Meta:
        verbose_name = _("集計済みの指標")
        verbose_name_plural = _("集計済みの指標")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "key", "period_start", "period_end", "breakdown"],
                name="metrics_stored_figure_unique",
            )
        ]
        indexes = [models.Index(fields=["municipality", "key", "stale"], name="metrics_figure_stale")]

    def __str__(self) -> str:
        suffix = f"[{self.breakdown}]" if self.breakdown else ""
        return f"{self.key}{suffix} {self.period_start}〜{self.period_end}"
