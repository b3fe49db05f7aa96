"""The metrics registry: services publish measured figures here; plans read KPI actuals from it.

An app declares providers in its ``metrics.py``::

    from yakusho.metrics.registry import registry

    @registry.provider("procedures.online_submissions", label_ja="オンライン申請件数",
                       label_en="Online submissions", unit="件",
                       depends_on=("procedures.Submission",))
    def online_submissions(municipality, period):
        return Submission.objects.for_municipality(municipality).filter(...).count()

Keys are ``<app>.<name>`` and unique: registering a key twice raises :class:`AlreadyRegistered`.
Tests use :func:`isolated_registry` to work on a registry of their own.

Figures are stored, not measured on a page view: :meth:`MetricRegistry.refresh` measures and stores
(``refresh-figures`` calls it every ten minutes), :meth:`MetricRegistry.figure` and
:meth:`MetricRegistry.figures` read what is stored in one query. A provider names the models it
reads (``depends_on``, as ``"app_label.Model"``); a save or delete of one marks the municipality's
figures of that key stale, and the next ``refresh-figures`` measures them again
(:mod:`yakusho.metrics.store`). :meth:`MetricRegistry.measure` still measures live, for tests and
for the refresh itself.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yakusho.core.jcal import (
    fiscal_year_bounds,
    fiscal_year_of,
    format_fiscal_year,
    format_wareki_date,
    format_wareki_month,
)
from yakusho.core.registry import AlreadyRegistered as AlreadyRegistered
from yakusho.core.registry import NotRegistered as NotRegistered
from yakusho.core.registry import Registry

if TYPE_CHECKING:
    from yakusho.core.models import Municipality

Number = int | Decimal | None
MeasureFunc = Callable[["Municipality", "Period"], Number]
#: a provider's breakdown: ``{breakdown key: value}`` (e.g. per procedure), stored row by row
BreakdownFunc = Callable[["Municipality", "Period"], dict[str, Number]]

FISCAL_YEAR, HALF_YEAR, QUARTER, MONTH, OTHER = "fiscal_year", "half_year", "quarter", "month", "other"


def _month_start(year: int, month: int) -> date:
    """The 1st of ``month`` counted from January of ``year`` (13 is next January)."""
    extra, index = divmod(month - 1, 12)
    return date(year + extra, index + 1, 1)


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included; most KPIs ask for a fiscal year, reviews also for its
    halves (上期 April–September, 下期 October–March) and quarters (第1四半期 April–June …)."""

    start: date
    end: date

    @classmethod
    def fiscal_year(cls, year: int) -> Period:
        start, end = fiscal_year_bounds(year)
        return cls(start, end)

    @classmethod
    def half_year(cls, year: int, half: int) -> Period:
        """Half 1 (上期) or 2 (下期) of fiscal year ``year``."""
        if half not in (1, 2):
            raise ValueError("a fiscal year has halves 1 and 2")
        start = _month_start(year, 4 + (half - 1) * 6)
        return cls(start, _month_start(year, 10 + (half - 1) * 6) - timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Quarter 1–4 of fiscal year ``year`` (第1四半期 is April–June)."""
        if quarter not in (1, 2, 3, 4):
            raise ValueError("a fiscal year has quarters 1 to 4")
        start = _month_start(year, 4 + (quarter - 1) * 3)
        return cls(start, _month_start(year, 7 + (quarter - 1) * 3) - timedelta(days=1))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), _month_start(year, month + 1) - timedelta(days=1))

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        """The fiscal year, half, quarter or month ``day`` falls in (a period of ``kind``)."""
        year = fiscal_year_of(day)
        month_of_year = (day.month - 4) % 12  # 0 for April
        if kind == FISCAL_YEAR:
            return cls.fiscal_year(year)
        if kind == HALF_YEAR:
            return cls.half_year(year, month_of_year // 6 + 1)
        if kind == QUARTER:
            return cls.quarter(year, month_of_year // 3 + 1)
        if kind == MONTH:
            return cls.month(day.year, day.month)
        raise ValueError(f"no period of kind {kind!r} contains a day")

    @property
    def fiscal_year_number(self) -> int:
        return fiscal_year_of(self.start)

    @property
    def kind(self) -> str:
        """fiscal_year / half_year / quarter / month, or other for any other span of days."""
        for kind in (FISCAL_YEAR, HALF_YEAR, QUARTER, MONTH):
            if Period.containing(kind, self.start) == self:
                return kind
        return OTHER

    def is_running(self, today: date | None = None) -> bool:
        """Whether the period has not ended yet (its figure is the period so far)."""
        today = today or timezone.localdate()
        return self.start <= today <= self.end

    def __str__(self) -> str:
        kind = self.kind
        if kind == FISCAL_YEAR:
            return format_fiscal_year(self.start.year)
        year = format_fiscal_year(self.fiscal_year_number, short=True)
        if kind == HALF_YEAR:
            return year + (_("上期") if self.start.month == 4 else _("下期"))
        if kind == QUARTER:
            return year + _("第%(n)d四半期") % {"n": (self.start.month - 4) % 12 // 3 + 1}
        if kind == MONTH:
            return format_wareki_month(self.start)
        return f"{format_wareki_date(self.start)}〜{format_wareki_date(self.end)}"


@dataclass(frozen=True)
class MetricProvider:
    key: str
    label_ja: str
    label_en: str
    unit: str
    measure: MeasureFunc
    description: str = ""
    #: the models the provider reads, as "app_label.Model": a change to one marks its figures stale
    depends_on: tuple[str, ...] = ()
    #: optional figures by a key of their own (e.g. per procedure), stored beside the total
    breakdown: BreakdownFunc | None = None
    #: bump when the way of measuring changes: stored figures name the version that made them
    version: str = "1"

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "ja").startswith("en") else self.label_ja

    @property
    def method(self) -> str:
        """How a stored figure was computed: key, version and description."""
        return f"{self.key} v{self.version}: {self.description}"[:300]


@dataclass(frozen=True)
class Figure:
    key: str
    value: Number
    unit: str
    period: Period
    #: when it was measured; None for a figure not measured yet (「まだ集計していません」)
    computed_at: datetime | None = field(default=None, compare=False)
    #: the data behind it changed since; the next refresh measures it again
    stale: bool = field(default=False, compare=False)
    method: str = field(default="", compare=False)

    @property
    def measured(self) -> bool:
        return self.computed_at is not None

    @property
    def running(self) -> bool:
        """The period is still running: the figure is the period so far (「年度途中の値」)."""
        return self.period.is_running()

    @property
    def as_of(self) -> str:
        """「2026年12月7日 9時10分時点の集計」, or empty for a figure not measured yet."""
        if self.computed_at is None:
            return ""
        local = timezone.localtime(self.computed_at)
        return _("%(year)d年%(month)d月%(day)d日 %(hour)d時%(minute)d分時点の集計") % {
            "year": local.year,
            "month": local.month,
            "day": local.day,
            "hour": local.hour,
            "minute": local.minute,
        }

    @property
    def freshness(self) -> str:
        """The as-of line with what a reader should know: not measured yet, or the period so far."""
        if self.computed_at is None:
            return _("まだ集計していません")
        words = [self.as_of]
        if self.running:
            words.append(_("年度途中の値") if self.period.kind == FISCAL_YEAR else _("期間途中の値"))
        return "・".join(words)


class MetricRegistry(Registry[MetricProvider]):
    """Metric providers by key (``<app>.<name>``), discovered in each app's ``metrics.py``."""

    def __init__(self) -> None:
        super().__init__("metric", module="metrics")
        self._watched: tuple[int, int, dict[str, tuple[str, ...]]] = (0, -1, {})

    def watched_models(self) -> dict[str, tuple[str, ...]]:
        """Model label (lower case) → the keys of the providers that read it; recomputed when the
        providers change (an isolated registry in a test swaps them)."""
        entries = self._entries
        if self._watched[:2] != (id(entries), len(entries)):
            watch: dict[str, list[str]] = {}
            for provider in entries.values():
                for label in provider.depends_on:
                    watch.setdefault(label.lower(), []).append(provider.key)
            self._watched = (id(entries), len(entries), {k: tuple(v) for k, v in watch.items()})
        return self._watched[2]

    def register(self, provider: MetricProvider) -> MetricProvider:
        if "." not in provider.key:
            raise ValueError(f"metric key {provider.key!r} must be '<app>.<name>'")
        for label in provider.depends_on:
            if label.count(".") != 1:
                raise ValueError(f"metric {provider.key!r}: depends_on {label!r} must be 'app_label.Model'")
        return self.add(provider.key, provider)

    def provider(
        self,
        key: str,
        *,
        label_ja: str,
        label_en: str,
        unit: str,
        description: str = "",
        depends_on: tuple[str, ...] = (),
        breakdown: BreakdownFunc | None = None,
        version: str = "1",
    ) -> Callable[[MeasureFunc], MeasureFunc]:
        def decorator(func: MeasureFunc) -> MeasureFunc:
            self.register(
                MetricProvider(
                    key, label_ja, label_en, unit, func, description, tuple(depends_on), breakdown, version
                )
            )
            return func

        return decorator

    def measure(self, key: str, municipality: Municipality, period: Period) -> Figure:
        """Measure live (tests, and :meth:`refresh`); pages read stored figures instead."""
        provider = self.get(key)
        return Figure(key, provider.measure(municipality, period), provider.unit, period, timezone.now())

    # --- stored figures (yakusho.metrics.store) --------------------------------------------------------

    def figure(self, key: str, municipality: Municipality, period: Period) -> Figure:
        """The stored figure (one query); not measured yet reads as such, and is measured next."""
        return self.figures(municipality, [key], period)[key]

    def figures(self, municipality: Municipality, keys: list[str], period: Period) -> dict[str, Figure]:
        """The stored figures of ``keys`` (registered ones) in one query, by key; never measures."""
        from yakusho.metrics import store

        return store.read(self, [municipality], keys, period)[municipality.pk]

    def figures_of(
        self, municipalities: list[Municipality], keys: list[str], period: Period
    ) -> dict[int, dict[str, Figure]]:
        """:meth:`figures` of several municipalities (a consortium's members) in one query."""
        from yakusho.metrics import store

        return store.read(self, municipalities, keys, period)

    def breakdown(self, key: str, municipality: Municipality, period: Period) -> dict[str, Figure]:
        """The stored breakdown rows of ``key`` (one query), by breakdown key."""
        from yakusho.metrics import store

        return store.read_breakdown(self, municipality, key, period)

    def refresh(
        self, municipality: Municipality, period: Period, keys: list[str] | None = None
    ) -> dict[str, Figure]:
        """Measure ``keys`` (every provider if None) and store them with their breakdowns."""
        from yakusho.metrics import store

        return store.refresh(self, municipality, period, keys)


registry = MetricRegistry()


def isolated_registry(*, keep: bool = False) -> AbstractContextManager[MetricRegistry]:
    """Within the block the global registry is empty (or a copy, with ``keep``); restored after."""
    return registry.isolated(keep=keep)
