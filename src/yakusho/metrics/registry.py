"""The metrics registry: services publish measured figures here; plans read KPI actuals from it.

An app declares providers in its ``metrics.py``::

    from yakusho.metrics.registry import registry

    @registry.provider("procedures.online_submissions", label_ja="オンライン申請件数",
                       label_en="Online submissions", unit="件")
    def online_submissions(municipality, period):
        return Submission.objects.for_municipality(municipality).filter(...).count()

Keys are ``<app>.<name>`` and unique: registering a key twice raises :class:`AlreadyRegistered`.
Tests use :func:`isolated_registry` to work on a registry of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import get_language

from yakusho.core.jcal import fiscal_year_bounds, format_fiscal_year, format_wareki_date
from yakusho.core.registry import AlreadyRegistered as AlreadyRegistered
from yakusho.core.registry import NotRegistered as NotRegistered
from yakusho.core.registry import Registry

if TYPE_CHECKING:
    from yakusho.core.models import Municipality

Number = int | Decimal | None
MeasureFunc = Callable[["Municipality", "Period"], Number]


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included; most KPIs ask for a fiscal year."""

    start: date
    end: date

    @classmethod
    def fiscal_year(cls, year: int) -> Period:
        start, end = fiscal_year_bounds(year)
        return cls(start, end)

    def __str__(self) -> str:
        if (self.start, self.end) == fiscal_year_bounds(self.start.year):
            return format_fiscal_year(self.start.year)
        return f"{format_wareki_date(self.start)}〜{format_wareki_date(self.end)}"


@dataclass(frozen=True)
class MetricProvider:
    key: str
    label_ja: str
    label_en: str
    unit: str
    measure: MeasureFunc
    description: str = ""

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "ja").startswith("en") else self.label_ja


@dataclass(frozen=True)
class Figure:
    key: str
    value: Number
    unit: str
    period: Period


class MetricRegistry(Registry[MetricProvider]):
    """Metric providers by key (``<app>.<name>``), discovered in each app's ``metrics.py``."""

    def __init__(self) -> None:
        super().__init__("metric", module="metrics")

    def register(self, provider: MetricProvider) -> MetricProvider:
        if "." not in provider.key:
            raise ValueError(f"metric key {provider.key!r} must be '<app>.<name>'")
        return self.add(provider.key, provider)

    def provider(
        self, key: str, *, label_ja: str, label_en: str, unit: str, description: str = ""
    ) -> Callable[[MeasureFunc], MeasureFunc]:
        def decorator(func: MeasureFunc) -> MeasureFunc:
            self.register(MetricProvider(key, label_ja, label_en, unit, func, description))
            return func

        return decorator

    def measure(self, key: str, municipality: Municipality, period: Period) -> Figure:
        provider = self.get(key)
        return Figure(key, provider.measure(municipality, period), provider.unit, period)


registry = MetricRegistry()


def isolated_registry(*, keep: bool = False) -> AbstractContextManager[MetricRegistry]:
    """Within the block the global registry is empty (or a copy, with ``keep``); restored after."""
    return registry.isolated(keep=keep)
