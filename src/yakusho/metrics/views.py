"""The staff 指標 page: every registered figure of one municipality for one period."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from yakusho.core.jcal import fiscal_year_of, format_fiscal_year
from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.metrics.registry import Period, registry

#: how many fiscal years back the metrics page offers
METRICS_YEARS = 5


def metrics_periods(today: date) -> list[tuple[str, str, Period]]:
    """The periods the metrics page offers: today, this month, and the last fiscal years
    (value for ``?period=``, label, period); the current fiscal year first among the years."""
    month_end = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    year = fiscal_year_of(today)
    options = [
        ("today", _("今日（%(day)s）") % {"day": f"{today:%Y-%m-%d}"}, Period(today, today)),
        (
            "month",
            _("今月（%(month)s）") % {"month": f"{today:%Y-%m}"},
            Period(today.replace(day=1), month_end),
        ),
    ]
    for y in range(year, year - METRICS_YEARS, -1):
        options.append((f"fy{y}", format_fiscal_year(y), Period.fiscal_year(y)))
    return options


class MetricsView(MunicipalityStaffMixin, TemplateView):
    """Every registered figure for one period: a fiscal year (default: the current one, as KPIs
    ask), this month or today (a counter's day at a glance)."""

    template_name = "metrics/staff.html"

    def chosen_period(self, value: str) -> tuple[str, Period, list[tuple[str, str, Period]]]:
        today = timezone.localdate()
        choices = metrics_periods(today)
        options = {v: period for v, _label, period in choices}
        if value not in options:
            value = f"fy{fiscal_year_of(today)}"  # what KPIs ask for
        return value, options[value], choices

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """「今すぐ集計する」: measure this period's figures now rather than at the next round."""
        value, period, _choices = self.chosen_period(str(request.POST.get("period", "")))
        registry.refresh(self.municipality, period)
        messages.success(request, _("%(period)sの指標を集計しました。") % {"period": period})
        url = reverse("metrics:staff", args=[self.municipality.slug])
        return HttpResponseRedirect(f"{url}?{urlencode({'period': value})}")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        value, period, choices = self.chosen_period(self.request.GET.get("period", ""))
        providers = registry.all()
        # stored figures in one query: the page never measures (refresh-figures does)
        stored = registry.figures(self.municipality, [p.key for p in providers], period)
        context.update(
            period=period,
            period_value=value,
            period_options=[(v, label) for v, label, _p in choices],
            figures=[(p, stored[p.key]) for p in providers],
            running=period.is_running(today),
        )
        return context
