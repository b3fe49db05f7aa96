"""Plan files: read with line numbers, validate, import all-or-nothing, export.

Errors name the file, line and field, in Japanese and English::

    katagami-2026.yaml:214 kpis[0].targets[1].fiscal_year: 計画期間外です (outside the plan period)
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from pydantic import ValidationError

from yakusho.core.datafiles import DataFileInvalid, FileError, Path_, format_path, line_map, pydantic_message
from yakusho.core.models import Department, Municipality
from yakusho.metrics.registry import registry as metric_registry
from yakusho.plans.models import (
    GlossaryTerm,
    Kpi,
    KpiActual,
    KpiTarget,
    NationalFramework,
    NationalItem,
    Node,
    NodeDepartment,
    Observation,
    Plan,
    PlanEdition,
    ScheduleEntry,
    StandardIndicator,
)
from yakusho.plans.planfile import fastyaml
from yakusho.plans.planfile.schema import PlanFile
from yakusho.plans.queries import nodes_with_links
from yakusho.plans.reference import reference, sync_reference

#: an error of a plan file (the shared kind of every data file's errors)
PlanError = FileError


class PlanFileInvalid(DataFileInvalid):
    """A refused plan file, with every error found."""


@dataclass
class Parsed:
    file: str
    data: Any
    root: yaml.Node | None = None
    _lines: dict[Path_, int] | None = None
    source: str | None = None  # the text, composed (JSON is YAML) only if an error needs lines

    def line(self, path: Path_) -> int | None:
        """The line of ``path`` (or of its nearest ancestor); mapped only once an error needs it."""
        if self._lines is None:
            self._lines = {}
            if self.root is None and self.source is not None:
                self.root = yaml.compose(self.source, Loader=_Loader)
            if self.root is not None:
                line_map(self.root, (), self._lines)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get((), None)

    def error(self, path: Path_, ja: str, en: str) -> PlanError:
        return PlanError(self.file, self.line(path), format_path(path), ja, en)


def parse_json(text: str, file: str) -> Parsed:
    """JSON plan files (what ``export-plan --format json`` writes): much faster to read than YAML.

    JSON is YAML, so when an error needs a line number the text is composed as YAML then.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileInvalid(
            [
                PlanError(
                    file, exc.lineno, "", f"JSONとして読み取れません: {exc.msg}", f"not valid JSON: {exc.msg}"
                )
            ]
        ) from None
    return Parsed(file, data, None, None, text)


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str, file: str) -> Parsed:
    """Read YAML fast; line numbers are found (by composing the text) only when an error needs them."""
    try:
        data = fastyaml.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlanFileInvalid(
            [PlanError(file, line, "", f"YAMLとして読み取れません: {problem}", f"not valid YAML: {problem}")]
        ) from None
    return Parsed(file, data, None, None, text)


def validate_structure(parsed: Parsed) -> PlanFile:
    try:
        return PlanFile.model_validate(parsed.data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            ja, en = pydantic_message(err)
            errors.append(parsed.error(tuple(err["loc"]), ja, en))
        raise PlanFileInvalid(errors) from None


def validate_semantics(plan: PlanFile, parsed: Parsed) -> tuple[Municipality, dict[str, Department]]:
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
    framework = plan.national_framework or ref.framework_in_force(plan.adopted_on)
    if plan.national_framework and plan.national_framework not in ref.frameworks:
        errors.append(
            err(("national_framework",), "国の計画の版が見つかりません", "unknown national framework")
        )
    item_keys = {i["key"] for i in ref.frameworks.get(framework or "", {}).get("items", [])}

    keys: dict[str, int] = {}
    depth: dict[str, int] = {}
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
            depth[node.key] = 1
        else:
            depth[node.key] = depth[node.parent] + 1 if node.parent else 1
        if depth[node.key] > len(plan.level_labels):
            errors.append(
                err(
                    (*here, "parent"),
                    "階層が level_labels より深くなっています",
                    "deeper than the level labels allow",
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
        check_year(("schedule", i, "last_year"), row.last_year)
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


def read(path: Path | str) -> tuple[PlanFile, Parsed]:
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileInvalid(
            [PlanError(path.name, None, "", f"ファイルを読めません: {exc}", f"cannot read the file: {exc}")]
        ) from None
    parsed = parse_json(text, path.name) if path.suffix == ".json" else parse(text, path.name)
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
    return json.loads(json.dumps(data, sort_keys=True, default=str))


def digest(plan: PlanFile) -> str:
    return hashlib.sha256(json.dumps(canonical(plan), sort_keys=True).encode()).hexdigest()


@dataclass
class ImportResult:
    edition: PlanEdition
    created: bool
    counts: dict[str, int]


@transaction.atomic
def import_file(path: Path | str) -> ImportResult:
    plan_file, parsed = read(path)
    sync_reference()
    municipality, departments = validate_semantics(plan_file, parsed)
    return import_plan(plan_file, municipality, departments, parsed)


def import_plan(
    pf: PlanFile, municipality: Municipality, departments: dict[str, Department], parsed: Parsed
) -> ImportResult:
    plan, _ = Plan.objects.get_or_create(
        municipality=municipality, key=pf.key, defaults={"published": pf.published}
    )
    existing = PlanEdition.objects.filter(plan=plan, number=pf.edition.number).first()
    fingerprint = digest(pf)
    if existing is not None:
        if existing.digest == fingerprint:
            return ImportResult(existing, False, {})
        if existing.draft:
            raise PlanFileInvalid(
                [
                    parsed.error(
                        ("edition", "number"),
                        f"第{pf.edition.number}版は職員が作成中の版です。版を改めてください",
                        "staff are writing this edition: give the file a new edition",
                    )
                ]
            )
        raise PlanFileInvalid(
            [
                parsed.error(
                    ("edition", "number"),
                    f"第{pf.edition.number}版はすでに取り込まれていて、内容が異なります。版を改めてください",
                    "this edition was already imported with different content: give the file a new edition",
                )
            ]
        )
    m = municipality
    ref = reference()
    framework_key = pf.national_framework or ref.framework_in_force(pf.adopted_on)
    framework = NationalFramework.objects.filter(key=framework_key).first() if framework_key else None
    edition = PlanEdition.objects.create(
        municipality=m,
        plan=plan,
        number=pf.edition.number,
        date=pf.edition.date,
        edition_note=pf.edition.note,
        history=[e.model_dump(mode="json") for e in pf.editions],
        title=pf.title,
        kind=pf.kind,
        adopted_on=pf.adopted_on,
        first_year=pf.first_year,
        last_year=pf.last_year,
        level_labels=list(pf.level_labels),
        vision=pf.vision,
        position=pf.position,
        governance=pf.governance,
        principles=pf.principles,
        sections=[s.model_dump(mode="json") for s in pf.sections],
        national_framework=framework,
        framework_cited=pf.national_framework is not None,
        note=pf.note,
        digest=fingerprint,
    )
    items = {
        i.key: i for i in NationalItem.objects.filter(key__in={k for n in pf.nodes for k in n.national_items})
    }
    indicators = {i.key: i for i in StandardIndicator.objects.all()}

    nodes: dict[str, Node] = {}
    depth: dict[str, int] = {}
    for order, n in enumerate(pf.nodes):
        depth[n.key] = depth[n.parent] + 1 if n.parent else 1
        nodes[n.key] = Node(
            municipality=m,
            edition=edition,
            key=n.key,
            depth=depth[n.key],
            code=n.code,
            title=n.title,
            description=n.description,
            current_state=n.current_state,
            actions=n.actions,
            effects=n.effects,
            department_note=n.department_note,
            note=n.note,
            order=order,
        )
    # Parents first: insert level by level so each parent has its id.
    parents = {n.key: n.parent for n in pf.nodes}
    for level in sorted(set(depth.values())):
        batch = [nodes[k] for k, d in depth.items() if d == level]
        for node in batch:
            parent_key = parents[node.key]
            node.parent = nodes[parent_key] if parent_key else None
        Node.objects.bulk_create(batch, batch_size=1000)
    NodeDepartment.objects.bulk_create(
        [
            NodeDepartment(
                municipality=m, node=nodes[n.key], department=departments[d.name], lead=d.lead, order=j
            )
            for n in pf.nodes
            for j, d in enumerate(n.departments)
        ],
        batch_size=1000,
    )
    through = Node.national_items.through
    through.objects.bulk_create(
        [
            through(node_id=nodes[n.key].pk, nationalitem_id=items[k].pk)
            for n in pf.nodes
            for k in n.national_items
        ],
        batch_size=1000,
    )
    ScheduleEntry.objects.bulk_create(
        [
            ScheduleEntry(
                municipality=m,
                node=nodes[r.node],
                first_year=r.first_year,
                last_year=r.last_year,
                activity=r.activity,
                phase=r.phase,
                note=r.note,
                order=i,
            )
            for i, r in enumerate(pf.schedule)
        ],
        batch_size=1000,
    )
    kpis: dict[str, Kpi] = {}
    for order, k in enumerate(pf.kpis):
        b = k.baseline
        kpis[k.key] = Kpi(
            municipality=m,
            edition=edition,
            node=nodes[k.node],
            key=k.key,
            name=k.name,
            unit=k.unit,
            direction=k.direction,
            accumulation=k.accumulation,
            has_baseline=b is not None,
            baseline_fiscal_year=b.fiscal_year if b else None,
            baseline_date=b.date if b else None,
            baseline_value=b.value if b else None,
            baseline_text=b.text if b else "",
            baseline_note=b.note if b else "",
            metric=k.metric or "",
            indicator=indicators.get(k.indicator) if k.indicator else None,
            note=k.note,
            order=order,
        )
    Kpi.objects.bulk_create(list(kpis.values()), batch_size=1000)
    reprints = [kpis[k.key] for k in pf.kpis if k.reprint_of]
    for k in pf.kpis:
        if k.reprint_of:
            kpis[k.key].reprint_of = kpis[k.reprint_of]
    Kpi.objects.bulk_update(reprints, ["reprint_of"], batch_size=1000)
    KpiTarget.objects.bulk_create(
        [
            KpiTarget(
                municipality=m,
                kpi=kpis[k.key],
                fiscal_year=t.fiscal_year,
                value=t.value,
                unit=t.unit,
                text=t.text,
                final=t.final,
                order=j,
            )
            for k in pf.kpis
            for j, t in enumerate(k.targets)
        ],
        batch_size=2000,
    )
    KpiActual.objects.bulk_create(
        [
            KpiActual(
                municipality=m,
                kpi=kpis[k.key],
                fiscal_year=a.fiscal_year,
                value=a.value,
                text=a.text,
                date=a.date,
                note=a.note,
                source=KpiActual.Source.PLAN,
            )
            for k in pf.kpis
            for a in k.actuals
        ],
        batch_size=2000,
    )
    Observation.objects.bulk_create(
        [
            Observation(
                municipality=m,
                edition=edition,
                node=nodes[o.node] if o.node else None,
                name=o.name,
                value=o.value,
                unit=o.unit,
                text=o.text,
                as_of=o.as_of,
                as_of_text=o.as_of_text,
                indicator=indicators.get(o.indicator) if o.indicator else None,
                note=o.note,
                order=i,
            )
            for i, o in enumerate(pf.observations)
        ]
    )
    GlossaryTerm.objects.bulk_create(
        [
            GlossaryTerm(
                municipality=m,
                edition=edition,
                term=t.term,
                reading=t.reading,
                definition=t.definition,
                order=i,
            )
            for i, t in enumerate(pf.glossary)
        ]
    )
    _set_current(plan)
    return ImportResult(
        edition,
        True,
        {
            "nodes": len(nodes),
            "schedule": len(pf.schedule),
            "kpis": len(kpis),
            "observations": len(pf.observations),
            "glossary": len(pf.glossary),
        },
    )


def _set_current(plan: Plan) -> None:
    editions = list(plan.editions.filter(draft=False))

    def sort_key(e: PlanEdition) -> tuple[Any, ...]:
        parts = tuple(int(p) if p.isdigit() else 0 for p in e.number.split("."))
        return (e.date or e.adopted_on or datetime.date.min, parts)

    plan.current_edition = max(editions, key=sort_key)
    plan.save(update_fields=["current_edition"])


def _num(value: Decimal | None) -> Decimal | None:
    """569.000000 → 569, 14.400000 → 14.4 (as written in the file)."""
    return None if value is None else Decimal(format(value.normalize(), "f"))


def export_edition(edition: PlanEdition) -> dict[str, Any]:
    """The edition as a plan file (a dict ready for YAML or JSON)."""
    nodes = nodes_with_links(edition)
    kpis = list(
        edition.kpis.select_related("node", "reprint_of", "indicator").prefetch_related("targets", "actuals")
    )
    schedule = ScheduleEntry.objects.filter(node__edition=edition).select_related("node").order_by("order")
    data: dict[str, Any] = {
        "format": "yakusho-plan/1",
        "municipality": edition.municipality.code,
        "key": edition.plan.key,
        "title": edition.title,
        "kind": edition.kind,
        "adopted_on": edition.adopted_on,
        "first_year": edition.first_year,
        "last_year": edition.last_year,
        "published": edition.plan.published,
        "edition": {"number": edition.number, "date": edition.date, "note": edition.edition_note},
        "editions": edition.history,
        "national_framework": edition.national_framework.key
        if edition.framework_cited and edition.national_framework
        else None,
        "level_labels": edition.level_labels,
        "vision": edition.vision,
        "position": edition.position,
        "governance": edition.governance,
        "principles": edition.principles,
        "sections": edition.sections,
        "nodes": [
            {
                "key": n.key,
                "parent": n.parent.key if n.parent else None,
                "code": n.code,
                "title": n.title,
                "description": n.description,
                "current_state": n.current_state,
                "actions": n.actions,
                "effects": n.effects,
                "departments": [
                    {"name": nd.department.name, "lead": nd.lead} for nd in n.node_departments.all()
                ],
                "department_note": n.department_note,
                "national_items": sorted(i.key for i in n.national_items.all()),
                "note": n.note,
            }
            for n in nodes
        ],
        "schedule": [
            {
                "node": r.node.key,
                "first_year": r.first_year,
                "last_year": r.last_year,
                "activity": r.activity,
                "phase": r.phase,
                "note": r.note,
            }
            for r in schedule
        ],
        "kpis": [
            {
                "key": k.key,
                "node": k.node.key,
                "name": k.name,
                "unit": k.unit,
                "direction": k.direction,
                "accumulation": k.accumulation,
                "baseline": {
                    "fiscal_year": k.baseline_fiscal_year,
                    "date": k.baseline_date,
                    "value": _num(k.baseline_value),
                    "text": k.baseline_text,
                    "note": k.baseline_note,
                }
                if k.has_baseline
                else None,
                "targets": [
                    {
                        "fiscal_year": t.fiscal_year,
                        "value": _num(t.value),
                        "unit": t.unit,
                        "text": t.text,
                        "final": t.final,
                    }
                    for t in k.targets.all()
                ],
                "actuals": [
                    {
                        "fiscal_year": a.fiscal_year,
                        "value": _num(a.value),
                        "text": a.text,
                        "date": a.date,
                        "note": a.note,
                    }
                    for a in k.actuals.all()
                    if a.source == KpiActual.Source.PLAN
                ],
                "reprint_of": k.reprint_of.key if k.reprint_of else None,
                "metric": k.metric or None,
                "indicator": k.indicator.key if k.indicator else None,
                "note": k.note,
            }
            for k in kpis
        ],
        "observations": [
            {
                "node": o.node.key if o.node else None,
                "name": o.name,
                "value": _num(o.value),
                "unit": o.unit,
                "text": o.text,
                "as_of": o.as_of,
                "as_of_text": o.as_of_text,
                "indicator": o.indicator.key if o.indicator else None,
                "note": o.note,
            }
            for o in edition.observations.select_related("node", "indicator")
        ],
        "glossary": [
            {"term": t.term, "reading": t.reading, "definition": t.definition} for t in edition.glossary.all()
        ],
        "note": edition.note,
    }
    # Through the schema, so the output is exactly what a file would hold, defaults dropped.
    return _plain(PlanFile.model_validate(data).model_dump(mode="python", exclude_defaults=True))


def _plain(value: Any) -> Any:
    """Decimals as the integers or decimals they are written as; containers recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(format(value, "f"))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def dump_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def dump_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
