"""Demo yearly reviews: the fixture files of ``data/demo/reviews/`` (see their README).

A cycle is opened through the same service staff use (so copy-forward and one review per node and
課 hold), then the fixture's states, texts and grades are written in bulk and the cycle is marked
``demo``. The fixtures' KPI actuals are invented, so they are stored with source ``demo`` (デモ)
and the cycle's due date (today while it is ahead) as their "as of"; every page, export and API
answer shows デモ beside them.
KPI actuals that the plan file already holds (美郷町's printed 令和6年度 実績値) are kept.
Loading twice changes nothing (but marks invented actuals an older loader stored as reviews).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from yakusho.core.models import Department, Municipality
from yakusho.plans.models import Kpi, KpiActual, NodeReview, PlanEdition, ReviewCycle
from yakusho.plans.review.scales import grades_for
from yakusho.plans.review.services import open_cycle

#: the note of every invented actual (its source is ``demo``)
DEMO_NOTE = "デモデータ"
FIELDS = ("state", "status", "progress", "grade", "achievements", "issues", "next_steps", "comment")


def fixture_files() -> list[Path]:
    return sorted((Path(settings.DATA_DIR) / "demo" / "reviews").glob("*.yaml"))


def load_demo_reviews() -> int:
    """Load every fixture whose cycle does not exist yet; returns how many were loaded."""
    loaded = 0
    for path in fixture_files():
        data = yaml.safe_load(path.read_text("utf-8"))
        try:
            if load_fixture(data):
                loaded += 1
        except (KeyError, ValueError, LookupError) as exc:
            raise CommandError(f"{path.name}: {exc!r}") from None
    return loaded


@transaction.atomic
def load_fixture(data: dict[str, Any]) -> ReviewCycle | None:
    municipality = Municipality.objects.get(code=str(data["municipality"]).zfill(6))
    edition = PlanEdition.objects.for_municipality(municipality).get(
        plan__key=data["plan"], number=str(data["edition"])
    )
    year = int(data["fiscal_year"])
    due = data["due_date"] if isinstance(data["due_date"], date) else date.fromisoformat(data["due_date"])
    # "as of" as a recorded review's: the due date, or today while it is still ahead
    as_of = min(due, timezone.localdate())
    existing = ReviewCycle.objects.filter(edition__plan=edition.plan, fiscal_year=year).first()
    if existing is not None:
        if existing.demo:
            # loaded before actuals had a source of their own: the invented ones said so only in a note
            KpiActual.objects.filter(
                kpi__edition=existing.edition,
                fiscal_year=year,
                source=KpiActual.Source.REVIEW,
                note=DEMO_NOTE,
            ).update(source=KpiActual.Source.DEMO, date=as_of)
        return None
    cycle = open_cycle(edition, year, due)
    grades = {g.code: g for g in grades_for(edition)}
    departments = {d.name: d.pk for d in Department.objects.for_municipality(municipality)}
    reviews = {
        (r.node.key, r.department_id): r for r in cycle.node_reviews.select_related("node").order_by("pk")
    }
    changed = []
    for row in data["reviews"]:
        department_id = departments[row["department"]] if row.get("department") else None
        review = reviews[(row["node"], department_id)]
        for name in FIELDS:
            if name == "grade":
                review.grade = grades[row["grade"]] if row.get("grade") else None
            elif name in row:
                setattr(review, name, row[name])
        changed.append(review)
    NodeReview.objects.bulk_update(changed, FIELDS, batch_size=500)
    kpis = {k.key: k for k in Kpi.objects.filter(edition=edition)}
    have = set(
        KpiActual.objects.filter(kpi__edition=edition, fiscal_year=year).values_list("kpi__key", flat=True)
    )
    KpiActual.objects.bulk_create(
        [
            KpiActual(
                municipality=municipality,
                kpi=kpis[row["kpi"]],
                fiscal_year=year,
                value=Decimal(str(row["value"])) if row.get("value") is not None else None,
                text=row.get("text", ""),
                date=as_of,
                note=DEMO_NOTE,
                source=KpiActual.Source.DEMO,
            )
            for row in data.get("actuals", [])
            if row["kpi"] not in have
        ]
    )
    cycle.demo = True
    cycle.state = ReviewCycle.State.FINALISED if data["state"] == "finalised" else ReviewCycle.State.OPEN
    cycle.save(update_fields=["demo", "state"])
    return cycle
