"""``yakusho demo`` leaves the figures measured: a ``demo_loaded`` receiver that refreshes them once
the demo's transaction commits (after every other app's demo data, whatever the receivers' order)."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def refresh_demo_figures(sender: Any = None, **kwargs: Any) -> str:
    from yakusho.metrics import store
    from yakusho.metrics.registry import registry

    transaction.on_commit(lambda: store.refresh_due(registry))
    return "Figures: measured for the metrics registry after loading (refresh-figures keeps them fresh)."
