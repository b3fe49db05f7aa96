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
from yakusho.plans.models import GradingScale, Node, Plan
from yakusho.plans.planfile.images import MAX_TOTAL_IMAGE_BYTES, FigureImage, ImageRefused, read_image
from yakusho.plans.planfile.schema import Figure, PlanFile, Table, split_date
from yakusho.plans.reference import reference

#: an error of a plan file (the shared kind of every data file's errors)
PlanError = FileError


class PlanFileInvalid(DataFileInvalid):
    """A refused plan file, with every error found."""


class PlanDataFile(DataFile):
    """A plan file as read: the folder it was read from, when it was read from disk (figures may
    name image files only then), and the images ``validate_semantics`` read and checked."""

    directory: Path | None = None
    images: dict[str, FigureImage]

    def __init__(self, file: str, data: Any, source: str | None = None) -> None:
        super().__init__(file, data, source)
        self.images = {}


NO_ALT = (
    "図には代替テキスト（alt）が必要です。図が示す内容を言葉で書いてください",
    "a figure needs its alternative text (alt): say in words what it shows",
)


def _message(err: Any) -> tuple[str, str] | None:
    kind, loc = err["type"], err["loc"]
    if kind == "plan_date":
        return (
            "日付（YYYY-MM-DD）か、月までの日付（YYYY-MM）で書いてください",
            "must be a date (YYYY-MM-DD) or a month (YYYY-MM)",
        )
    if kind == "plan_predecessor":
        return (
            "前の計画は key（Yakusho にある計画のキー）か title（Yakusho にない計画の名称）の"
            "どちらか一方で書いてください",
            "give the previous plan either by key (a plan held in Yakusho)"
            " or by title (one not held), not both",
        )
    no_text = kind in ("missing", "string_too_short", "string_pattern_mismatch")
    if no_text and loc and loc[-1] == "alt" and "figures" in loc:
        return NO_ALT
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
    errors += check_additions(plan, parsed, municipality, keys)
    if errors:
        raise PlanFileInvalid(errors)
    return municipality, departments


def figures_and_lists(
    plan: PlanFile,
) -> list[tuple[Path_, str | None, list[Figure], list[Table]]]:
    """Where the file has figures and lists: the edition's own, then each node's (path, node key)."""
    out: list[tuple[Path_, str | None, list[Figure], list[Table]]] = [((), None, plan.figures, plan.lists)]
    out += [(("nodes", i), n.key, n.figures, n.lists) for i, n in enumerate(plan.nodes)]
    return out


def check_additions(
    plan: PlanFile, parsed: DataFile, municipality: Municipality, node_keys: dict[str, int]
) -> list[PlanError]:
    """Review settings, lineage, figures and lists: what needs the whole file or the database.
    Reads and checks the figures' image files (kept on ``parsed.images`` for the import)."""
    errors: list[PlanError] = []
    err = parsed.error
    existing = Plan.objects.for_municipality(municipality).filter(key=plan.key).first()

    # Review settings: a scale stored under this name must have exactly these levels.
    scale = plan.review.scale
    if scale is not None:
        here: Path_ = ("review", "scale")
        codes = [level.code for level in scale.levels]
        for j, code in enumerate(codes):
            if code in codes[:j]:
                errors.append(
                    err((*here, "levels", j, "code"), f"記号 {code} が重複しています", "duplicate code")
                )
        stored = (
            GradingScale.objects.for_municipality(municipality).filter(plan=existing, name=scale.name).first()
            if existing
            else None
        )
        if stored is not None:
            wanted = [(lv.code, lv.label, lv.description) for lv in scale.levels]
            have = [(lv.code, lv.label, lv.description) for lv in stored.levels.order_by("order")]
            if wanted != have:
                errors.append(
                    err(
                        (*here, "name"),
                        f"評価の段階「{scale.name}」はこの計画にすでに別の区分で登録されています。"
                        "使われた段階は書き換えないため、新しい名称を付けてください",
                        "a scale of this name is stored with other levels; scales are never rewritten:"
                        " give the new levels a new name",
                    )
                )
            elif stored.retired:
                errors.append(
                    err(
                        (*here, "name"),
                        f"評価の段階「{scale.name}」は使用終了になっています。別の段階を指定してください",
                        "this scale is retired: name another",
                    )
                )

    # Lineage: the previous plan, the nodes carried on from it, closing reviews.
    previous: Plan | None = None
    previous_keys: set[str] = set()
    if plan.predecessor is not None and plan.predecessor.key is not None:
        key = plan.predecessor.key
        previous = Plan.objects.for_municipality(municipality).filter(key=key).first()
        if key == plan.key:
            errors.append(
                err(("predecessor", "key"), "自分自身を前の計画にはできません", "a plan cannot follow itself")
            )
            previous = None
        elif previous is None:
            errors.append(
                err(
                    ("predecessor", "key"),
                    f"{municipality.name}に計画 {key} がありません"
                    "（Yakusho にない計画は title で書いてください）",
                    "no such plan in the municipality (name a plan not held by its title)",
                )
            )
        else:
            cursor, seen = previous, {previous.pk}
            while cursor.predecessor_id is not None and cursor.predecessor_id not in seen:
                seen.add(cursor.predecessor_id)
                cursor = Plan.objects.get(pk=cursor.predecessor_id)
            if existing is not None and existing.pk in seen:
                errors.append(
                    err(
                        ("predecessor", "key"),
                        f"計画 {key} はこの計画の後の計画です（前後が循環します）",
                        "that plan follows this one: the lineage would go round in a circle",
                    )
                )
            previous_keys = set(
                Node.objects.filter(edition__plan=previous, edition__draft=False).values_list(
                    "key", flat=True
                )
            )
    for i, node in enumerate(plan.nodes):
        if not node.continues:
            continue
        if previous is None:
            if plan.predecessor is None or plan.predecessor.key is None:
                errors.append(
                    err(
                        ("nodes", i, "continues"),
                        "continues は、前の計画を predecessor の key で指定したときだけ書けます",
                        "continues needs the previous plan given by key (predecessor.key)",
                    )
                )
            continue
        for j, previous_key in enumerate(node.continues):
            if previous_key in node.continues[:j]:
                errors.append(
                    err(("nodes", i, "continues", j), f"{previous_key} が重複しています", "duplicate key")
                )
            elif previous_key not in previous_keys:
                errors.append(
                    err(
                        ("nodes", i, "continues", j),
                        f"前の計画（{previous.key}）に項目 {previous_key} がありません",
                        "no such node in the previous plan",
                    )
                )
    seen_reviews: set[tuple[str, str, str]] = set()
    for i, review in enumerate(plan.closing_review):
        here = ("closing_review", i)
        if review.of is not None and review.node is not None:
            errors.append(
                err(
                    (*here, "node"),
                    "of（前の計画の総括）には node を書けません。前の計画の項目は title で書いてください",
                    "with of (an earlier plan's review), name its item by title, not node",
                )
            )
        elif review.node is not None and review.node not in node_keys:
            errors.append(err((*here, "node"), f"項目 {review.node} がありません", "no such node"))
        identity = (review.of or "", review.node or "", review.title)
        if identity in seen_reviews:
            errors.append(
                err(
                    (*here, "title"),
                    "同じ計画・項目・表題の総括が重複しています",
                    "a closing review of the same plan, node and title is given twice",
                )
            )
        seen_reviews.add(identity)

    # Figures and lists: keys unique in the edition; rows as long as the columns; images checked.
    directory = parsed.directory if isinstance(parsed, PlanDataFile) else None
    figure_keys: set[str] = set()
    list_keys: set[str] = set()
    loaded: dict[str, FigureImage] = {}  # each image file read once, however many figures name it
    total, too_much = 0, False
    for at, _node, figures, lists in figures_and_lists(plan):
        for j, figure in enumerate(figures):
            here = (*at, "figures", j)
            if figure.key in figure_keys:
                errors.append(err((*here, "key"), f"図のキー {figure.key} が重複しています", "duplicate key"))
            figure_keys.add(figure.key)
            if figure.file is None or too_much:
                continue
            if directory is None:
                errors.append(
                    err(
                        (*here, "file"),
                        "画像ファイルは、コマンド（yakusho import-plan）でディスクから"
                        "取り込むときだけ指定できます",
                        "an image file can be named only when the plan file is imported from disk",
                    )
                )
                continue
            try:
                image = loaded[figure.file] if figure.file in loaded else read_image(directory, figure.file)
            except ImageRefused as exc:
                errors.append(err((*here, "file"), exc.ja, exc.en))
                continue
            if figure.file not in loaded:
                loaded[figure.file] = image
                total += len(image.data)
                if total > MAX_TOTAL_IMAGE_BYTES:
                    limit = MAX_TOTAL_IMAGE_BYTES // 1_000_000
                    errors.append(
                        err(
                            (*here, "file"),
                            f"画像ファイルの合計が大きすぎます（1つの計画ファイルで上限 {limit} MB）",
                            f"the images together are too large (at most {limit} MB for one plan file)",
                        )
                    )
                    too_much = True
                    continue
            if isinstance(parsed, PlanDataFile):
                parsed.images[figure.key] = image
        for j, table in enumerate(lists):
            here = (*at, "lists", j)
            if table.key in list_keys:
                errors.append(
                    err((*here, "key"), f"一覧表のキー {table.key} が重複しています", "duplicate key")
                )
            list_keys.add(table.key)
            width = len(table.columns)
            for r, row in enumerate(table.rows):
                if len(row) != width:
                    errors.append(
                        err(
                            (*here, "rows", r),
                            f"{r + 1}行目のセルが{len(row)}個あります。"
                            f"列（columns）の{width}個に合わせてください",
                            f"row {r + 1} has {len(row)} cells; the list has {width} columns",
                        )
                    )
    return errors


def read(path: Path | str) -> tuple[PlanFile, PlanDataFile]:
    path = Path(path)
    parsed = PlanDataFile.read(
        DataFile.raw(path, invalid=PlanFileInvalid), path.name, invalid=PlanFileInvalid
    )
    assert isinstance(parsed, PlanDataFile)
    parsed.directory = path.parent
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
    # Where an image lay on disk is not what the plan says (its content counts in ``digest``).
    for holder in (data, *data.get("nodes", [])):
        for figure in holder.get("figures", []):
            figure.pop("file", None)
    return json.loads(json.dumps(data, sort_keys=True, default=str))


def digest(plan: PlanFile, images: dict[str, str] | None = None) -> str:
    """The file's fingerprint: its meaning, and the content (SHA-256 by figure key) of the images
    it brought, so that a changed image is a changed file."""
    meaning = canonical(plan)
    if images:
        meaning = {"plan": meaning, "images": images}
    return hashlib.sha256(json.dumps(meaning, sort_keys=True).encode()).hexdigest()
