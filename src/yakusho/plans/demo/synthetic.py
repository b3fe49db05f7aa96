"""A synthetic plan generator for tests and benchmarks (deterministic for a given seed)."""

from __future__ import annotations

import random
from typing import Any


def generate(
    municipality_code: str,
    *,
    nodes: int = 2000,
    kpis: int = 5000,
    years: int = 10,
    first_year: int = 2026,
    levels: int = 3,
    departments: list[str] | None = None,
    seed: int = 1,
    key: str = "synthetic",
) -> dict[str, Any]:
    """A valid plan file (as a dict) with about ``nodes`` nodes in ``levels`` levels."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    last_year = first_year + years - 1
    per_level = _split(nodes, levels)
    node_rows: list[dict[str, Any]] = []
    previous: list[str] = []
    for level, count in enumerate(per_level, start=1):
        current = []
        for i in range(count):
            parent = previous[i % len(previous)] if previous else None
            node_key = f"n{level}-{i}"
            row: dict[str, Any] = {
                "key": node_key,
                "code": f"{level}-{i + 1}",
                "title": f"施策 {level}-{i + 1}",
            }
            if parent:
                row["parent"] = parent
            row["description"] = f"第{level}階層の{i + 1}番目の項目です。\n\n- 目的\n- 手段"
            if departments:
                row["departments"] = [{"name": rng.choice(departments), "lead": True}]
            node_rows.append(row)
            current.append(node_key)
        previous = current
    leaves = previous
    schedule = [
        {
            "node": leaf,
            "first_year": (start := first_year + rng.randrange(years)),
            "last_year": min(last_year, start + rng.randrange(3)),
            "activity": "検討・実施",
            "phase": rng.choice(["検討", "試行", "実施", "運用"]),
        }
        for leaf in leaves
    ]
    kpi_rows = []
    for i in range(kpis):
        baseline = rng.randrange(10, 500)
        kpi_rows.append(
            {
                "key": f"k{i}",
                "node": leaves[i % len(leaves)],
                "name": f"指標{i}",
                "unit": "件",
                "direction": "increase",
                "accumulation": "per_year",
                "baseline": {"fiscal_year": first_year - 1, "value": baseline, "text": f"{baseline}件"},
                "targets": [
                    {
                        "fiscal_year": y,
                        "value": baseline + 10 * (y - first_year + 1),
                        "text": f"{baseline + 10 * (y - first_year + 1)}件",
                    }
                    for y in range(first_year, last_year + 1)
                ],
                "actuals": [
                    {"fiscal_year": first_year, "value": baseline + rng.randrange(20), "text": "実績"}
                ],
            }
        )
    return {
        "format": "yakusho-plan/1",
        "municipality": municipality_code,
        "key": key,
        "title": "合成計画",
        "kind": "計画",
        "first_year": first_year,
        "last_year": last_year,
        "edition": {"number": "1.0"},
        "level_labels": [f"第{i}階層" for i in range(1, levels + 1)],
        "nodes": node_rows,
        "schedule": schedule,
        "kpis": kpi_rows,
    }


def _split(total: int, levels: int) -> list[int]:
    """Node counts per level growing roughly fourfold each level down, summing to ``total``."""
    weights = [4**i for i in range(levels)]
    counts = [max(1, total * w // sum(weights)) for w in weights]
    counts[-1] += total - sum(counts)
    return counts
