"""Stored figures: measure and store (:func:`refresh`), read in one query (:func:`read`), mark stale
when the data behind them changes (:func:`mark_stale`), and the scheduled round (:func:`refresh_due`).

Freshness rules (docs/architecture.md, "Metrics registry"):

- a page never measures: a figure not stored yet reads as not measured (「まだ集計していません」) and
  is recorded as wanted (a row without ``computed_at``), which the next ``refresh-figures`` measures;
- a save or delete of a model a provider reads (``depends_on``) marks that municipality's figures of
  the provider stale, in one UPDATE;
- ``refresh-figures`` measures the stale and wanted figures, the figures of the running periods
  (today, this month, quarter, half and fiscal year) that are older than ``max_age`` or whose
  provider declares no ``depends_on``, and the last fiscal years once; a past period's figure is
  otherwise measured once and again only when it is marked stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from yakusho.metrics.registry import (
    FISCAL_YEAR,
    HALF_YEAR,
    MONTH,
    OTHER,
    QUARTER,
    Figure,
    MetricProvider,
    MetricRegistry,
    Number,
    Period,
)

if TYPE_CHECKING:
    from yakusho.core.models import Municipality

#: the running periods ``refresh-figures`` keeps measured, besides today
RUNNING_KINDS = (FISCAL_YEAR, HALF_YEAR, QUARTER, MONTH)
#: past fiscal years the staff 指標 page offers (measured once, then only when stale)
PAST_YEARS = 4
#: figures of single days older than this are removed (the 指標 page offers only today)
KEEP_DAYS = 31


_UNSET = object()


def _value(raw: Decimal | None) -> Number:
    if raw is None:
        return None
    return int(raw) if raw == raw.to_integral_value() else raw.normalize()


def _stored(value: Number) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.0001"))


def _figure(provider: MetricProvider | None, key: str, period: Period, row: Any | None) -> Figure:
    unit = provider.unit if provider else ""
    if row is None:
        return Figure(key, None, unit, period)
    return Figure(key, _value(row.value), unit, period, row.computed_at, row.stale, row.method)


def read(
    registry: MetricRegistry, municipalities: list[Municipality], keys: list[str], period: Period
) -> dict[int, dict[str, Figure]]:
    """The stored totals of ``keys`` for each municipality, in one query (plus one insert recording
    the figures not stored yet as wanted, when there are some)."""
    from yakusho.metrics.models import StoredFigure

    keys = [k for k in dict.fromkeys(keys) if k in registry]
    ids = [m.pk for m in municipalities]
    rows = {}
    if keys and ids:
        rows = {
            (r.municipality_id, r.key): r
            for r in StoredFigure.objects.filter(
                municipality_id__in=ids,
                key__in=keys,
                period_start=period.start,
                period_end=period.end,
                breakdown="",
            )
        }
    result: dict[int, dict[str, Figure]] = {}
    missing = []
    for mid in ids:
        result[mid] = {}
        for key in keys:
            row = rows.get((mid, key))
            result[mid][key] = _figure(registry.get(key), key, period, row)
            if row is None:
                missing.append((mid, key))
    if missing:
        want(missing, period)
    return result


def want(pairs: Iterable[tuple[int, str]], period: Period) -> None:
    """Record figures a reader asked for and found missing: the next refresh measures them."""
    from yakusho.metrics.models import StoredFigure

    StoredFigure.objects.bulk_create(
        [
            StoredFigure(
                municipality_id=mid,
                key=key,
                period_start=period.start,
                period_end=period.end,
                period_kind=period.kind,
                stale=True,
            )
            for mid, key in pairs
        ],
        ignore_conflicts=True,
    )


def read_breakdown(
    registry: MetricRegistry, municipality: Municipality, key: str, period: Period
) -> dict[str, Figure]:
    from yakusho.metrics.models import StoredFigure

    provider = registry.get(key) if key in registry else None
    rows = StoredFigure.objects.filter(
        municipality=municipality, key=key, period_start=period.start, period_end=period.end
    ).exclude(breakdown="")
    return {r.breakdown: _figure(provider, key, period, r) for r in rows.order_by("breakdown")}


def refresh(
    registry: MetricRegistry, municipality: Municipality, period: Period, keys: list[str] | None = None
) -> dict[str, Figure]:
    """Measure the providers of ``keys`` (every one if None) for one period and store the totals
    and breakdowns; a breakdown row the provider no longer gives is removed."""
    from yakusho.metrics.models import StoredFigure

    providers = registry.all() if keys is None else [registry.get(k) for k in keys]
    before = {
        (key, breakdown): value
        for key, breakdown, value in StoredFigure.objects.filter(
            municipality=municipality,
            key__in=[p.key for p in providers],
            period_start=period.start,
            period_end=period.end,
            computed_at__isnull=False,
        ).values_list("key", "breakdown", "value")
    }
    rows = []
    figures = {}
    for provider in providers:
        # the time the measuring started: a change saved while it runs marks it stale again
        started = timezone.now()
        value = provider.measure(municipality, period)
        parts = provider.breakdown(municipality, period) if provider.breakdown else {}
        figures[provider.key] = Figure(
            provider.key, value, provider.unit, period, started, False, provider.method
        )
        for breakdown, part in [("", value), *sorted(parts.items())]:
            rows.append(
                StoredFigure(
                    municipality=municipality,
                    key=provider.key,
                    period_start=period.start,
                    period_end=period.end,
                    period_kind=period.kind,
                    breakdown=str(breakdown)[:100],
                    value=_stored(part),
                    computed_at=started,
                    method=provider.method,
                    stale=False,
                )
            )
        if provider.breakdown:
            StoredFigure.objects.filter(
                municipality=municipality,
                key=provider.key,
                period_start=period.start,
                period_end=period.end,
            ).exclude(breakdown="").exclude(breakdown__in=[str(k)[:100] for k in parts]).delete()
    if any(before.get((r.key, r.breakdown), _UNSET) != r.value for r in rows):
        # pages cached under the municipality's data version show the new figure on the next request
        from yakusho.core import pagecache

        pagecache.changed_on_commit(municipality.slug)
    if rows:
        StoredFigure.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["municipality", "key", "period_start", "period_end", "breakdown"],
            update_fields=["value", "computed_at", "method", "stale", "period_kind"],
        )
    return figures


def default_periods(today: date) -> list[Period]:
    """What ``refresh-figures`` keeps measured: today, the running month, quarter, half and fiscal
    year, and the last :data:`PAST_YEARS` fiscal years."""
    periods = [Period(today, today)] + [Period.containing(kind, today) for kind in RUNNING_KINDS]
    year = periods[-1].fiscal_year_number
    periods += [Period.fiscal_year(y) for y in range(year - 1, year - 1 - PAST_YEARS, -1)]
    return periods


def refresh_due(
    registry: MetricRegistry,
    *,
    max_age: timedelta = timedelta(hours=1),
    municipalities: Iterable[Municipality] | None = None,
    now: datetime | None = None,
) -> int:
    """One round of ``refresh-figures``: measure what is stale, wanted, missing or (running and)
    older than ``max_age``; returns how many figures were measured."""
    from yakusho.core.models import Municipality
    from yakusho.metrics.models import StoredFigure

    now = now or timezone.now()
    today = timezone.localdate(now)
    wanted_periods = default_periods(today)
    providers = {p.key: p for p in registry.all()}
    if municipalities is None:
        municipalities = Municipality.objects.order_by("pk")
    measured = 0
    for municipality in municipalities:
        todo: dict[Period, set[str]] = {p: set(providers) for p in wanted_periods}
        existing = StoredFigure.objects.filter(
            municipality=municipality, key__in=list(providers), breakdown=""
        ).values_list("key", "period_start", "period_end", "computed_at", "stale")
        for key, start, end, computed_at, stale in existing:
            period = Period(start, end)
            running = end >= today
            due = (
                stale
                or computed_at is None
                or (running and (computed_at < now - max_age or not providers[key].depends_on))
            )
            if due:
                todo.setdefault(period, set()).add(key)
            elif period in todo:
                todo[period].discard(key)
        for period, keys in todo.items():
            if keys:
                measured += len(refresh(registry, municipality, period, sorted(keys)))
    old_days = today - timedelta(days=KEEP_DAYS)
    StoredFigure.objects.filter(period_kind=OTHER, period_end__lt=old_days).delete()
    return measured


# --- stale marking ------------------------------------------------------------------------------------------


def mark_stale(sender: Any, instance: Any = None, raw: bool = False, **kwargs: Any) -> None:
    """``post_save``/``post_delete`` receiver: a change to a model a provider reads marks that
    municipality's figures of the provider stale (every municipality's, for a model without one)."""
    if raw or sender is None:
        return
    from yakusho.metrics.registry import registry

    keys = registry.watched_models().get(sender._meta.label_lower)
    if not keys:
        return
    from yakusho.metrics.models import StoredFigure

    figures = StoredFigure.objects.filter(key__in=keys, stale=False)
    municipality_id = getattr(instance, "municipality_id", None)
    if municipality_id is not None:
        figures = figures.filter(municipality_id=municipality_id)
    figures.update(stale=True)
