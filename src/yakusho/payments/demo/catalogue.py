"""``yakusho demo`` loads the demo towns' fee catalogues from ``catalogues.yaml`` (a ``demo_loaded``
receiver: :func:`load_demo_catalogue`). What in them comes from the plans and what is invented is
said at the top of that file and in docs/payments/catalogue.md; every item is marked ``is_demo``.

Loading again changes nothing that is already right: items are updated or created by key, and a
rate is added only when the item has none from that date (a rate is never changed: payments keep
the rate they were taken at).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from yakusho.core.models import Department, Municipality
from yakusho.payments.models import FeeItem, FeeRate

DATA = Path(__file__).with_name("catalogues.yaml")
#: the fields of an item the file sets (the rest keep their defaults)
ITEM_FIELDS = ("name", "kind", "legal_basis", "account_code", "account_name", "note")


@dataclass
class LoadResult:
    towns: int = 0
    items: int = 0
    created: int = 0
    rates_added: int = 0
    #: (town, item key, 課 name) whose 課 the town does not have: the item has no 担当課
    missing_departments: list[tuple[str, str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"Fee catalogues: {self.towns} towns, {self.items} items ({self.created} new), "
            f"{self.rates_added} rates added."
        )
        if self.missing_departments:
            text += " No such 課 (item left without one): " + ", ".join(
                f"{town}/{key}: {name}" for town, key, name in self.missing_departments
            )
        return text


def catalogue_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return data


def load_demo_catalogue(**kwargs: Any) -> str:
    """The ``demo_loaded`` receiver: every demo town that exists gets its catalogue."""
    return str(load_catalogues())


@transaction.atomic
def load_catalogues(slugs: set[str] | None = None) -> LoadResult:
    data = catalogue_data()
    rates_from: date = data["rates_from"]
    result = LoadResult()
    wanted = set(data["towns"]) if slugs is None else set(data["towns"]) & slugs
    for town in Municipality.objects.filter(slug__in=wanted).order_by("slug"):
        result.towns += 1
        departments = {d.name: d for d in Department.objects.for_municipality(town)}
        for order, spec in enumerate(data["towns"][town.slug]["items"], start=1):
            department = departments.get(spec["department"]) if spec.get("department") else None
            if spec.get("department") and department is None:
                result.missing_departments.append((town.slug, spec["key"], spec["department"]))
            defaults = {name: spec.get(name, "") for name in ITEM_FIELDS}
            defaults.update(
                department=department,
                methods=list(spec["methods"]),
                order=order * 10,
                public=spec.get("public", True),
                counted_as=spec.get("plan_row", ""),
                is_demo=True,
            )
            item, created = FeeItem.objects.update_or_create(
                municipality=town, key=spec["key"], defaults=defaults
            )
            result.items += 1
            result.created += int(created)
            rate = spec.get("rate")
            if rate is None:
                continue
            valid_from = rate.get("valid_from", rates_from)
            if item.rates.filter(valid_from=valid_from).exists():
                continue
            FeeRate.objects.create(
                item=item,
                valid_from=valid_from,
                unit=rate["unit"],
                amount_yen=rate["amount"],
                non_resident_yen=rate.get("non_resident"),
                max_quantity=rate.get("max_quantity", 99),
                exemptions=list(rate.get("exemptions", [])),
            )
            result.rates_added += 1
    return result
