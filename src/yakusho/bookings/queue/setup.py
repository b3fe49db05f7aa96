"""Wiring of the queue tickets (整理券), called from ``BookingsConfig.ready``: the metrics
providers, the staff-home panel and the demo queues."""

from __future__ import annotations


def ready() -> None:
    from yakusho.bookings.demo import queues as queue_demo
    from yakusho.bookings.queue import metrics, panels  # noqa: F401 - they register on import
    from yakusho.core.demo import demo_loaded

    demo_loaded.connect(queue_demo.load_demo_queues, dispatch_uid="queue-demo")
