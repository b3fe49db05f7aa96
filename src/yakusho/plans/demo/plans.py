"""The plans app's demo data: every plan file in ``data/plans/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from yakusho.plans.planfile.files import PlanFileInvalid
from yakusho.plans.planfile.importer import import_file


def plan_files() -> list[Path]:
    return sorted((Path(settings.DATA_DIR) / "plans").glob("*.yaml"))


def load_demo_plans(sender: Any, **kwargs: Any) -> str:
    imported = 0
    for path in plan_files():
        try:
            if import_file(path).created:
                imported += 1
        except PlanFileInvalid as exc:
            raise CommandError(str(exc)) from None
    from yakusho.plans.demo.reviews import load_demo_reviews

    reviews = load_demo_reviews() if settings.YAKUSHO_DEMO_REVIEWS else 0
    return (
        f"Plans: {len(plan_files())} plan files ({imported} newly imported); {reviews} demo reviews loaded."
    )
