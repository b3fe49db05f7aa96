"""Wiring of the queue tickets (整理券), called from ``BookingsConfig.ready``: the metrics
providers, the staff-home panel and the demo queues."""

from __future__ import annotations


def ready() -> None:
    from yakusho.bookings import queue_demo, queue_metrics, queue_panels  # noqa: F401
    from yakusho.core.demo import demo_loaded

    demo_loaded.connect(queue_demo.load_demo_queues, dispatch_uid="queue-demo")
