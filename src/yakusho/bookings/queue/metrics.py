"""Waiting times of the queue tickets, published to the metrics registry.

The registry's keys are fixed when the process starts and a provider gets only (municipality,
period), so a service is chosen by its *kind* (``QueueKind``), part of the key:

- ``bookings.queue_wait_avg.<kind>`` — average measured wait (minutes, one decimal) of the
  tickets of every service of that kind, called in the period;
- ``bookings.queue_wait_p90.<kind>`` — the 90th percentile (nearest rank) of the same waits;
- ``bookings.queue_wait_avg`` and ``bookings.queue_wait_p90`` — over every service.

A season is a period: 大江町's 「申告相談の待ち時間」 KPI takes
``bookings.queue_wait_avg.tax_consultation``; measured over a fiscal year it covers the February–
March 申告相談 of that year (the only time such a service runs), and
``queue.season_period(2026)`` gives exactly February–March 2027 for any other caller. A period
with no measured wait gives no figure (None), not zero.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from yakusho.bookings.queue.models import QueueKind
from yakusho.bookings.queue.services import average_wait_minutes, measured_waits, p90_wait_minutes
from yakusho.core.models import Municipality
from yakusho.metrics.registry import MetricProvider, Period, registry

Summary = Callable[[list[int]], Decimal | None]


def _measure(kind: str | None, summary: Summary) -> Callable[[Municipality, Period], Decimal | None]:
    def measure(municipality: Municipality, period: Period) -> Decimal | None:
        return summary(measured_waits(municipality, period, kind))

    return measure


def _register() -> None:
    kinds: list[tuple[str | None, str, str]] = [(None, "全窓口", "all services")]
    kinds += [(k.value, str(k.label), k.value.replace("_", " ")) for k in QueueKind]
    for kind, label_ja, label_en in kinds:
        suffix = f".{kind}" if kind else ""
        for name, summary, what_ja, what_en in (
            ("queue_wait_avg", average_wait_minutes, "平均待ち時間", "Average queue wait"),
            (
                "queue_wait_p90",
                p90_wait_minutes,
                "待ち時間（90パーセンタイル）",
                "90th-percentile queue wait",
            ),
        ):
            key = f"bookings.{name}{suffix}"
            if key in registry:
                continue
            registry.register(
                MetricProvider(
                    key=key,
                    label_ja=f"整理券の{what_ja}（{label_ja}）",
                    label_en=f"{what_en} ({label_en})",
                    unit="分",
                    measure=_measure(kind, summary),
                    description="発券から最初の呼出までの時間。期間内に呼び出された整理券の実測値",
                    depends_on=("bookings.QueueTicket",),
                )
            )


_register()
