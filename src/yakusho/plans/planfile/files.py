"""Plan files: read with line numbers, validate, import all-or-nothing, export.

Errors name the file, line and field, in Japanese and English::

    katagami-2026.yaml:214 kpis[0].targets[1].fiscal_year: 計画期間外です (outside the plan period)
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from yakusho.core.datafiles import DataFile, DataFileInvalid, FileError, Path_
from yakusho.core.models import Department, Municipality
from yakusho.metrics.registry import registry as metric_registry
from yakusho.plans.planfile.schema import PlanFile, split_date
from yakusho.plans.reference import reference

#: an error of a plan file (the shared kind of every data file's errors)
PlanError = FileError


class PlanFileInvalid(DataFileInvalid):
    """A refused plan file, with every error found."""


def _message(err: Any) -> tuple[str, str] | None:
    if err["type"] == "plan_date":
        return (
            "日付（YYYY-MM-DD）か、月までの日付（YYYY-MM）で書いてください",
            "must be a date (YYYY-MM-DD) or a month (YYYY-MM)",
        )
    return None


def validate_structure(parsed: DataFile) -> PlanFile:
    parsed.limit_items(("nodes",), invalid=PlanFileInvalid)  # at most core.datafiles.MAX_ITEMS
    return parsed.validate(PlanFile, invalid=PlanFileInvalid, message=_message)


def node_levels(plan: PlanFile) -> tuple[dict[str, int], dict[str, int]]:
    """Each node's depth and level (1 = ``level_labels[0]``): its ``level`` where the file names
    one of the labels, else its depth. Unknown parents count as the top, unknown labels as the depth
    (``validate_semantics`` reports both)."""
    depth: dict[str, int] = {}
    level: dict[str, int] = {}
    labels = list(plan.level_labels)
    for node in plan.nodes:
        parent = node.parent if node.parent in depth else None
        depth[node.key] = depth[parent] + 1 if parent else 1
        named = node.level if node.level in labels else None
        level[node.key] = labels.index(named) + 1 if named is not None else depth[node.key]
    return depth, level


def validate_semantics(plan: PlanFile, parsed: DataFile) -> tuple[Municipality, dict[str, Department]]:
    """Whole-file and database checks; returns the municipality and its departments by name."""
    errors: list[PlanError] = []
    err = parsed.error
    municipality = Municipality.objects.filter(code=plan.municipality).first()
    if municipality is None:
        raise PlanFileInvalid(
            [
                err(
                    ("municipality",),
                    f"団体コード {plan.municipality} の団体がありません",
                    "no such municipality",
                )
            ]
        )
    departments = {d.name: d for d in Department.objects.for_municipality(municipality)}
    period = range(plan.first_year, plan.last_year + 1)
    if plan.first_year > plan.last_year:
        errors.append(
            err(("last_year",), "計画期間の終わりが始まりより前です", "the period ends before it starts")
        )

    ref = reference()
    framework = plan.national_framework or ref.framework_in_force(split_date(plan.adopted_on)[0])
    if plan.national_framework and plan.national_framework not in ref.frameworks:
        errors.append(
            err(("national_framework",), "国の計画の版が見つかりません", "unknown national framework")
        )
    item_keys = {i["key"] for i in ref.frameworks.get(framework or "", {}).get("items", [])}

    keys: dict[str, int] = {}
    depth, level = node_levels(plan)
    labels = list(plan.level_labels)
    codes: set[tuple[str | None, str]] = set()
    for i, node in enumerate(plan.nodes):
        here = ("nodes", i)
        if node.key in keys:
            errors.append(err((*here, "key"), f"キー {node.key} が重複しています", "duplicate key"))
        if node.parent is not None and node.parent not in keys:
            errors.append(
                err(
                    (*here, "parent"),
                    f"親 {node.parent} がこれより前にありません",
                    "parent not found before this node",
                )
            )
        if depth[node.key] > len(labels):
            errors.append(
                err(
                    (*here, "parent"),
                    "階層が level_labels より深くなっています",
                    "deeper than the level labels allow",
                )
            )
        if node.level is not None and node.level not in labels:
            errors.append(
                err(
                    (*here, "level"),
                    f"「{node.level}」は level_labels（{'・'.join(labels)}）にありません",
                    "not one of the level labels",
                )
            )
        elif node.parent in keys and level[node.key] <= level[node.parent]:
            parent_label = labels[level[node.parent] - 1] if level[node.parent] <= len(labels) else ""
            errors.append(
                err(
                    (*here, "level"),
                    f"親（{parent_label}）より下の区分にしてください",
                    "a node's level must be below its parent's",
                )
            )
        if node.code:
            if (node.parent, node.code) in codes:
                errors.append(
                    err((*here, "code"), f"番号 {node.code} が同じ親の下で重複しています", "duplicate code")
                )
            codes.add((node.parent, node.code))
        keys[node.key] = i
        leads = [d for d in node.departments if d.lead]
        if len(leads) > 1:
            errors.append(err((*here, "departments"), "主担当は1つだけにしてください", "more than one lead"))
        for j, dept in enumerate(node.departments):
            if dept.name not in departments:
                errors.append(
                    err(
                        (*here, "departments", j, "name"),
                        f"{municipality.name}に「{dept.name}」という課はありません",
                        "department not in the municipality",
                    )
                )
        for j, item in enumerate(node.national_items):
            if item not in item_keys:
                errors.append(
                    err(
                        (*here, "national_items", j),
                        f"国の項目 {item} は {framework} にありません",
                        "national item not in the cited framework",
                    )
                )

    def check_node(path: Path_, key: str | None) -> None:
        if key is not None and key not in keys:
            errors.append(err(path, f"項目 {key} がありません", "no such node"))

    def check_year(path: Path_, year: int | None) -> None:
        if year is not None and year not in period:
            errors.append(err(path, "計画期間外です", "outside the plan period"))

    for i, row in enumerate(plan.schedule):
        check_node(("schedule", i, "node"), row.node)
        check_year(("schedule", i, "first_year"), row.first_year)
        # A bar may run on past the period (「～R12」): only its start must lie inside it.
        if row.first_year > row.last_year:
            errors.append(
                err(("schedule", i, "last_year"), "終了年度が開始年度より前です", "ends before it starts")
            )

    kpi_keys = {k.key for k in plan.kpis}
    seen_kpis: set[str] = set()
    for i, kpi in enumerate(plan.kpis):
        here = ("kpis", i)
        if kpi.key in seen_kpis:
            errors.append(err((*here, "key"), f"キー {kpi.key} が重複しています", "duplicate key"))
        seen_kpis.add(kpi.key)
        if (kpi.accumulation == "every_n_years") != (kpi.interval_years is not None):
            errors.append(
                parsed.error(
                    (*here, "interval_years"),
                    "interval_years は accumulation: every_n_years のときだけ、必ず書いてください",
                    "interval_years goes with accumulation: every_n_years, and only with it",
                )
            )
        check_node((*here, "node"), kpi.node)
        if kpi.reprint_of is not None and (kpi.reprint_of not in kpi_keys or kpi.reprint_of == kpi.key):
            errors.append(err((*here, "reprint_of"), "再掲元のKPIがありません", "reprinted KPI not found"))
        if kpi.indicator is not None and kpi.indicator not in ref.indicators:
            errors.append(err((*here, "indicator"), "標準指標が見つかりません", "unknown standard indicator"))
        if kpi.metric is not None and kpi.metric not in metric_registry:
            errors.append(
                err(
                    (*here, "metric"),
                    f"指標レジストリに {kpi.metric} がありません",
                    "no such metric in the registry",
                )
            )
        for j, target in enumerate(kpi.targets):
            check_year((*here, "targets", j, "fiscal_year"), target.fiscal_year)
            if target.value is not None:
                if kpi.direction == "qualitative":
                    errors.append(
                        err(
                            (*here, "targets", j, "value"),
                            "定性のKPIに数値目標があります",
                            "numeric target on a qualitative KPI",
                        )
                    )
                elif not (target.unit or kpi.unit):
                    errors.append(
                        err(
                            (*here, "targets", j, "unit"),
                            "数値目標に単位がありません",
                            "numeric target without unit",
                        )
                    )
        for j, actual in enumerate(kpi.actuals):
            if actual.value is not None and not kpi.unit and kpi.direction != "qualitative":
                errors.append(
                    err((*here, "actuals", j, "value"), "数値の実績に単位がありません", "number without unit")
                )
    for i, obs in enumerate(plan.observations):
        check_node(("observations", i, "node"), obs.node)
        if obs.indicator is not None and obs.indicator not in ref.indicators:
            errors.append(
                err(
                    ("observations", i, "indicator"), "標準指標が見つかりません", "unknown standard indicator"
                )
            )
    if errors:
        raise PlanFileInvalid(errors)
    return municipality, departments


def read(path: Path | str) -> tuple[PlanFile, DataFile]:
    path = Path(path)
    parsed = DataFile.read(DataFile.raw(path, invalid=PlanFileInvalid), path.name, invalid=PlanFileInvalid)
    return validate_structure(parsed), parsed


def validate(path: Path | str) -> PlanFile:
    plan, parsed = read(path)
    validate_semantics(plan, parsed)
    return plan


def canonical(plan: PlanFile) -> dict[str, Any]:
    """The file's meaning: defaults omitted, numbers normalised (88.0 = 88), national items as a set."""

    def norm(value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        if isinstance(value, dict):
            return {k: sorted(v) if k == "national_items" else norm(v) for k, v in value.items()}
        if isinstance(value, list):
            return [norm(v) for v in value]
        return value

    data = norm(plan.model_dump(mode="python", exclude_defaults=True))
    # A level that names the node's depth says nothing more than leaving it out.
    depth, _ = node_levels(plan)
    labels = list(plan.level_labels)
    for node in data.get("nodes", []):
        d = depth.get(node["key"], 0)
        if "level" in node and 0 < d <= len(labels) and labels[d - 1] == node["level"]:
            del node["level"]
    return json.loads(json.dumps(data, sort_keys=True, default=str))


def digest(plan: PlanFile) -> str:
    return hashlib.sha256(json.dumps(canonical(plan), sort_keys=True).encode()).hexdigest()
