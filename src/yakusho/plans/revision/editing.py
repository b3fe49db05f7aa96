"""Revising a plan: a new edition copied from the current one, edited as a draft (nodes, their 課,
KPIs), then adopted. ``adopt()`` makes a draft current and gives it the digest of its own export,
so exporting and re-importing it changes nothing. What is carried into a new edition keeps its key
(what ``diff`` matches by).
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from auditlog.context import set_actor
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max, Min
from django.utils.translation import gettext as _

from yakusho.core.jcal import format_fiscal_year, format_wareki_date, format_wareki_month
from yakusho.core.models import Department
from yakusho.core.validators import normalize_text
from yakusho.plans.models import (
    DatePrecision,
    GlossaryTerm,
    JointGoalLink,
    Kpi,
    KpiActual,
    KpiTarget,
    Node,
    NodeDepartment,
    NodeReview,
    Observation,
    Plan,
    PlanEdition,
    PlanFigure,
    PlanList,
    ScheduleEntry,
)
from yakusho.plans.planfile.export import export_edition
from yakusho.plans.planfile.files import digest
from yakusho.plans.planfile.schema import PlanFile, join_date
from yakusho.plans.revision.editions import NODE_TEXTS, RevisionError, is_draft, order_key, require_draft

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


# --- a new edition ---------------------------------------------------------------------------


def _clone(obj: models.Model, **overrides: Any) -> Any:
    """An unsaved copy of ``obj`` with every concrete field (so new model fields are copied too)."""
    values = {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if not f.primary_key and f.attname not in overrides
    }
    values.update(overrides)
    return type(obj)(**values)


def _title_for(title: str, old: str, new: str) -> str:
    """「…【第2.3版】」 becomes 「…【第2.4版】」; a title without its number is kept."""
    return title.replace(f"第{old}版", f"第{new}版")


@transaction.atomic
def new_edition(plan: Plan, number: str, date: datetime.date, note: str = "", by: Any = None) -> PlanEdition:
    """A draft copied from the current edition: every node, 課, national item, schedule row, KPI
    (targets and its one series of actuals), observation and glossary term, with the same keys.

    All or nothing; rows are inserted in bulk (one query per table and batch, never per row).
    """
    number = normalize_text(number)
    if not number:
        raise RevisionError(_("版番号を入力してください。"), "number")
    if len(number) > 20:
        raise RevisionError(_("版番号は20文字以内にしてください。"), "number")
    plan = Plan.objects.select_for_update().get(pk=plan.pk)  # one new edition at a time per plan
    source = plan.current_edition
    if source is None:
        raise RevisionError(_("この計画には現行版がないため、新しい版を作れません。"))
    if PlanEdition.objects.filter(plan=plan, number=number).exists():
        raise RevisionError(
            _("第%(n)s版はすでにあります。別の版番号にしてください。") % {"n": number}, "number"
        )
    draft = PlanEdition(number=number, date=date)
    if order_key(draft) <= order_key(source):
        raise RevisionError(
            _(
                "新しい版は現行版（第%(n)s版、%(d)s）より後の日付にしてください"
                "（同じ日付なら、より大きい版番号にしてください）。"
            )
            % {
                "n": source.number,
                "d": _date_text(source.date, source.date_precision) if source.date else "—",
            },
            "date",
        )
    history = [h for h in source.history if h.get("number") != number]
    if not any(h.get("number") == source.number for h in history):
        history.append(
            {
                "number": source.number,
                "date": _date_json(source.date, source.date_precision),
                "note": source.edition_note,
            }
        )
    history.append({"number": number, "date": date.isoformat(), "note": note})
    with set_actor(by) if by is not None else _nothing():
        try:
            with transaction.atomic():
                edition = _clone(
                    source,
                    number=number,
                    date=date,
                    date_precision=DatePrecision.DAY,
                    edition_note=note,
                    history=history,
                    title=_title_for(source.title, source.number, number),
                    digest="",
                    draft=True,
                )
                edition.save()
        except IntegrityError:
            raise RevisionError(
                _("第%(n)s版はすでにあります。別の版番号にしてください。") % {"n": number}, "number"
            ) from None
        _copy_rows(source, edition)
    return edition


def _date_text(day: datetime.date, precision: str) -> str:
    return format_wareki_month(day) if precision == DatePrecision.MONTH else format_wareki_date(day)


def _date_json(day: datetime.date | None, precision: str) -> str | None:
    """As the plan file writes it: ``2023-12`` for a date the plan gives only to the month."""
    value = join_date(day, precision)
    return value.isoformat() if isinstance(value, datetime.date) else value


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _copy_rows(source: PlanEdition, edition: PlanEdition) -> None:
    nodes = list(Node.objects.filter(edition=source).order_by("depth", "order"))
    node_ids: dict[int, int] = {}
    for depth in sorted({n.depth for n in nodes}):
        level = [n for n in nodes if n.depth == depth]
        copies = [
            _clone(n, edition_id=edition.pk, parent_id=node_ids[n.parent_id] if n.parent_id else None)
            for n in level
        ]
        Node.objects.bulk_create(copies, batch_size=1000)
        node_ids.update({old.pk: new.pk for old, new in zip(level, copies, strict=True)})
    NodeDepartment.objects.bulk_create(
        [
            _clone(nd, node_id=node_ids[nd.node_id])
            for nd in NodeDepartment.objects.filter(node__edition=source)
        ],
        batch_size=1000,
    )
    through = Node.national_items.through
    through.objects.bulk_create(
        [
            through(node_id=node_ids[node_id], nationalitem_id=item_id)
            for node_id, item_id in through.objects.filter(node__edition=source).values_list(
                "node_id", "nationalitem_id"
            )
        ],
        batch_size=1000,
    )
    ScheduleEntry.objects.bulk_create(
        [_clone(r, node_id=node_ids[r.node_id]) for r in ScheduleEntry.objects.filter(node__edition=source)],
        batch_size=1000,
    )
    for model in (PlanFigure, PlanList):  # the diagrams and printed lists go with the text
        model.objects.bulk_create(
            [
                _clone(x, edition_id=edition.pk, node_id=node_ids[x.node_id] if x.node_id else None)
                for x in model.objects.filter(edition=source)
            ],
            batch_size=500,
        )
    kpis = list(Kpi.objects.filter(edition=source))
    kpi_copies = [
        _clone(k, edition_id=edition.pk, node_id=node_ids[k.node_id], reprint_of_id=None) for k in kpis
    ]
    Kpi.objects.bulk_create(kpi_copies, batch_size=1000)
    kpi_ids = {old.pk: new.pk for old, new in zip(kpis, kpi_copies, strict=True)}
    reprints = []
    for old, new in zip(kpis, kpi_copies, strict=True):
        if old.reprint_of_id and old.reprint_of_id in kpi_ids:
            new.reprint_of_id = kpi_ids[old.reprint_of_id]
            reprints.append(new)
    Kpi.objects.bulk_update(reprints, ["reprint_of"], batch_size=1000)
    KpiTarget.objects.bulk_create(
        [_clone(t, kpi_id=kpi_ids[t.kpi_id]) for t in KpiTarget.objects.filter(kpi__edition=source)],
        batch_size=2000,
    )
    # The KPI's one series of actuals goes with it (whatever their source), so a KPI carried by key
    # keeps its history; ``adopt`` adds what the old edition recorded after the copy.
    KpiActual.objects.bulk_create(
        [_clone(a, kpi_id=kpi_ids[a.kpi_id]) for a in KpiActual.objects.filter(kpi__edition=source)],
        batch_size=2000,
    )
    Observation.objects.bulk_create(
        [
            _clone(o, edition_id=edition.pk, node_id=node_ids[o.node_id] if o.node_id else None)
            for o in Observation.objects.filter(edition=source)
        ],
        batch_size=1000,
    )
    GlossaryTerm.objects.bulk_create(
        [_clone(t, edition_id=edition.pk) for t in GlossaryTerm.objects.filter(edition=source)],
        batch_size=1000,
    )


# --- editing a draft -------------------------------------------------------------------------


def _renumber(edition: PlanEdition) -> None:
    """Orders and depths as a pre-order walk of the tree (siblings keep their relative order)."""
    nodes = list(Node.objects.filter(edition=edition).only("id", "parent_id", "order", "depth"))
    children: dict[int | None, list[Node]] = defaultdict(list)
    for n in sorted(nodes, key=lambda n: (n.order, n.pk)):
        children[n.parent_id].append(n)
    changed: list[Node] = []
    counter = 0
    stack: list[tuple[Node, int]] = [(n, 1) for n in reversed(children[None])]
    while stack:
        node, depth = stack.pop()
        if node.order != counter or node.depth != depth:
            node.order, node.depth = counter, depth
            changed.append(node)
        counter += 1
        stack.extend((c, depth + 1) for c in reversed(children[node.pk]))
    Node.objects.bulk_update(changed, ["order", "depth"], batch_size=1000)


def _check_depth(edition: PlanEdition, depth: int) -> None:
    if depth > len(edition.level_labels):
        raise RevisionError(
            _("この計画の階層は%(n)d段（%(labels)s）までです。これより深くはできません。")
            % {"n": len(edition.level_labels), "labels": "・".join(edition.level_labels)},
            "parent",
        )


def _check_level(edition: PlanEdition, level: int, parent: Node | None, below: int | None = None) -> None:
    """``level`` (1 = ``level_labels[0]``) must name a level of the plan, lie below the parent's
    and above ``below`` (the highest level among the node's children)."""
    labels = edition.level_labels
    if level > len(labels):
        raise RevisionError(
            _("この計画の階層は%(n)d段（%(labels)s）までです。これより深くはできません。")
            % {"n": len(labels), "labels": "・".join(labels)},
            "level",
        )
    if level < 1 or (parent is not None and level <= parent.level):
        raise RevisionError(_("区分は親の項目より下の区分にしてください。"), "level")
    if below is not None and below <= level:
        raise RevisionError(_("区分は下位の項目より上の区分にしてください。"), "level")


def _check_code(edition: PlanEdition, parent: Node | None, code: str, node: Node | None = None) -> None:
    if not code:
        return
    clash = Node.objects.filter(edition=edition, parent=parent, code=code)
    if node is not None:
        clash = clash.exclude(pk=node.pk)
    if clash.exists():
        raise RevisionError(
            _("番号「%(code)s」は同じ親の下ですでに使われています。") % {"code": code}, "code"
        )


def _new_key(edition: PlanEdition, parent: Node | None, existing: set[str]) -> str:
    base = parent.key[:70] if parent else "node"
    i = 1
    while f"{base}-{i}" in existing:
        i += 1
    return f"{base}-{i}"


def _set_departments(node: Node, departments: Sequence[Department] | None, lead: Department | None) -> None:
    if departments is None:
        return
    if lead is not None and lead not in departments:
        raise RevisionError(_("主担当は担当課の中から選んでください。"), "lead")
    NodeDepartment.objects.filter(node=node).delete()
    NodeDepartment.objects.bulk_create(
        [
            NodeDepartment(
                municipality_id=node.municipality_id, node=node, department=d, lead=d == lead, order=i
            )
            for i, d in enumerate(departments)
        ]
    )


@transaction.atomic
def add_node(
    edition: PlanEdition,
    *,
    parent: Node | None,
    title: str,
    key: str = "",
    code: str = "",
    level: int | None = None,
    departments: Sequence[Department] | None = None,
    lead: Department | None = None,
    **texts: str,
) -> Node:
    """A new node, last among its siblings; its ``level`` (what it is among the plan's levels, 1 =
    the top) is by default the one below its parent's."""
    require_draft(edition)
    if parent is not None and parent.edition_id != edition.pk:
        raise RevisionError(_("親の項目がこの版にありません。"), "parent")
    depth = parent.depth + 1 if parent else 1
    _check_depth(edition, depth)
    if level is None:
        level = parent.level + 1 if parent else 1
    _check_level(edition, level, parent)
    existing = set(Node.objects.filter(edition=edition).values_list("key", flat=True))
    key = key or _new_key(edition, parent, existing)
    if not KEY_PATTERN.match(key) or len(key) > 80:
        raise RevisionError(
            _("キーは半角英小文字・数字と . _ - で、英数字から始めてください（80文字以内）。"), "key"
        )
    if key in existing:
        raise RevisionError(_("キー「%(key)s」はこの版ですでに使われています。") % {"key": key}, "key")
    _check_code(edition, parent, code)
    last = Node.objects.filter(edition=edition).aggregate(m=Max("order"))["m"]
    node = Node.objects.create(
        municipality_id=edition.municipality_id,
        edition=edition,
        parent=parent,
        key=key,
        depth=depth,
        level=level,
        code=code,
        title=title,
        order=(last or 0) + 1,
        **{k: v for k, v in texts.items() if k in NODE_TEXTS},
    )
    _set_departments(node, departments, lead)
    _renumber(edition)
    return node


@transaction.atomic
def update_node(
    node: Node,
    *,
    level: int | None = None,
    departments: Sequence[Department] | None = None,
    lead: Department | None = None,
    **fields: str,
) -> Node:
    """Retitle, renumber, change the texts, the level and the 課 of a node of a draft."""
    require_draft(node.edition)
    allowed = {"title", "code", *NODE_TEXTS}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "code" in fields:
        _check_code(node.edition, node.parent, fields["code"], node)
    if level is not None and level != node.level:
        below = Node.objects.filter(parent=node).aggregate(m=Min("level"))["m"]
        _check_level(node.edition, level, node.parent, below)
        node.level = level
    for name, value in fields.items():
        setattr(node, name, value)
    node.save()  # audited, field by field
    _set_departments(node, departments, lead)
    return node


def descendants(node: Node) -> set[int]:
    """Ids of every node under ``node`` (one query for the edition, walked in Python)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Node.objects.filter(edition_id=node.edition_id).values_list("id", "parent_id"):
        children[parent_id].append(pk)
    found: set[int] = set()
    stack = list(children[node.pk])
    while stack:
        pk = stack.pop()
        found.add(pk)
        stack.extend(children[pk])
    return found


@transaction.atomic
def move_node(node: Node, parent: Node | None, code: str | None = None) -> Node:
    """Move ``node`` (with everything under it) under ``parent`` (None: the top level), last;
    ``code`` renumbers it there (needed when its number is taken under the new parent)."""
    edition = node.edition
    require_draft(edition)
    if parent is not None:
        if parent.edition_id != edition.pk:
            raise RevisionError(_("移動先の項目がこの版にありません。"), "parent")
        if parent.pk == node.pk or parent.pk in descendants(node):
            raise RevisionError(
                _("「%(t)s」を自分自身やその下位の項目の下には移動できません。") % {"t": node.title}, "parent"
            )
    if (parent.pk if parent else None) == node.parent_id:
        raise RevisionError(_("移動先が今の親と同じです。"), "parent")
    depth = parent.depth + 1 if parent else 1
    subtree = descendants(node)
    deepest = Node.objects.filter(pk__in=subtree).aggregate(d=Max("depth"), lv=Max("level"))
    _check_depth(edition, depth + ((deepest["d"] or node.depth) - node.depth))
    # A node keeps what it is (a 取組事項 stays one under a 重点項目); only under a parent of its own
    # level or below does it go down, with everything under it, to the level below the parent's.
    shift = max(0, parent.level + 1 - node.level) if parent is not None else 0
    _check_depth(edition, max(deepest["lv"] or 0, node.level) + shift)
    if code is not None:
        node.code = code
    try:
        _check_code(edition, parent, node.code, node)
    except RevisionError as exc:
        raise RevisionError(f"{exc}{_('移動先での番号を入力してください。')}", "code") from None
    if shift:
        Node.objects.filter(pk__in=subtree).update(level=F("level") + shift)
        node.level += shift
    last = Node.objects.filter(edition=edition).aggregate(m=Max("order"))["m"]
    node.parent = parent
    node.depth = depth
    node.order = (last or 0) + 1
    node.save()
    _renumber(edition)
    return node


@transaction.atomic
def remove_node(node: Node) -> None:
    """Remove a node of a draft with its schedule rows, KPIs and observations. A node with nodes
    under it is refused: move or remove those first, so nothing goes by surprise."""
    require_draft(node.edition)
    if Node.objects.filter(parent=node).exists():
        raise RevisionError(
            _("「%(t)s」の下に項目があるため削除できません。先に下位の項目を移動するか削除してください。")
            % {"t": node.title}
        )
    if NodeReview.objects.filter(node=node).exists():
        raise RevisionError(_("この項目には進捗評価があるため削除できません。"))
    JointGoalLink.objects.filter(kpi__node=node).update(kpi=None)  # none on a draft, but never dangling
    edition = node.edition
    node.delete()
    _renumber(edition)


@dataclass
class TargetInput:
    fiscal_year: int | None
    value: Decimal | None
    text: str
    unit: str = ""
    final: bool = False


KPI_FIELDS = (
    "name",
    "unit",
    "direction",
    "accumulation",
    "baseline_fiscal_year",
    "baseline_value",
    "baseline_text",
    "note",
)


@transaction.atomic
def save_kpi(
    edition: PlanEdition,
    kpi: Kpi | None,
    *,
    node: Node,
    targets: Sequence[TargetInput],
    key: str = "",
    **fields: Any,
) -> Kpi:
    """Add a KPI (``kpi`` None) or change one, its targets replaced by ``targets``."""
    require_draft(edition)
    if node.edition_id != edition.pk:
        raise RevisionError(_("項目がこの版にありません。"), "node")
    period = range(edition.first_year, edition.last_year + 1)
    unit = fields.get("unit", kpi.unit if kpi else "")
    direction = fields.get("direction", kpi.direction if kpi else "")
    for t in targets:
        if t.fiscal_year is not None and t.fiscal_year not in period:
            raise RevisionError(
                _("目標値の年度（%(y)s）が計画期間外です。") % {"y": format_fiscal_year(t.fiscal_year)},
                "targets",
            )
        if t.value is not None and direction == Kpi.Direction.QUALITATIVE:
            raise RevisionError(_("定性のKPIには数値の目標値を書けません。"), "targets")
        if t.value is not None and not (t.unit or unit):
            raise RevisionError(_("数値の目標値には単位が必要です（KPIの単位を入力してください）。"), "unit")
    if kpi is None:
        existing = set(Kpi.objects.filter(edition=edition).values_list("key", flat=True))
        if not key:
            i = len(existing) + 1
            while f"kpi-{i}" in existing:
                i += 1
            key = f"kpi-{i}"
        if not KEY_PATTERN.match(key) or len(key) > 80:
            raise RevisionError(
                _("キーは半角英小文字・数字と . _ - で、英数字から始めてください（80文字以内）。"), "key"
            )
        if key in existing:
            raise RevisionError(_("キー「%(key)s」はこの版ですでに使われています。") % {"key": key}, "key")
        last = Kpi.objects.filter(edition=edition).aggregate(m=Max("order"))["m"]
        kpi = Kpi(
            municipality_id=edition.municipality_id,
            edition=edition,
            key=key,
            order=(last or 0) + 1,
            accumulation=Kpi.Accumulation.POINT_IN_TIME,
        )
    elif kpi.edition_id != edition.pk:
        raise RevisionError(_("このKPIはこの版にありません。"))
    kpi.node = node
    for name in KPI_FIELDS:
        if name in fields:
            setattr(kpi, name, fields[name])
    kpi.has_baseline = bool(kpi.baseline_text or kpi.baseline_value is not None or kpi.baseline_fiscal_year)
    kpi.save()
    old = [(t.fiscal_year, t.value, t.unit, t.text, t.final) for t in kpi.targets.order_by("order")]
    new = [(t.fiscal_year, t.value, t.unit, t.text, t.final) for t in targets]
    if old != new:
        kpi.targets.all().delete()
        KpiTarget.objects.bulk_create(
            [
                KpiTarget(
                    municipality_id=edition.municipality_id,
                    kpi=kpi,
                    fiscal_year=t.fiscal_year,
                    value=t.value,
                    unit=t.unit,
                    text=t.text,
                    final=t.final,
                    order=i,
                )
                for i, t in enumerate(targets)
            ]
        )
    return kpi


# --- adopting a draft ------------------------------------------------------------------------


@dataclass
class Adopted:
    edition: PlanEdition
    previous: PlanEdition
    actuals_added: int
    links_moved: int
    links_kept: int  # joint-goal links whose KPI has no namesake in the new edition: left as they were


@transaction.atomic
def adopt(edition: PlanEdition, by: Any = None) -> Adopted:
    """Make a draft the current edition.

    - The KPIs of the new edition take the actuals the old edition recorded after the copy was
      made (same KPI key, a fiscal year the new KPI lacks), so each KPI keeps one series.
    - Joint-goal links measured by a KPI (or an observation) of the old edition move to the KPI of
      the same key (the observation of the same node key and name) in the new one; a link whose
      measure was removed stays on the old edition's row, which still exists, and is counted.
    - The edition gets the digest of its own export: it is now as fixed as an imported one.
    """
    plan = Plan.objects.select_for_update().get(pk=edition.plan_id)
    edition = PlanEdition.objects.get(pk=edition.pk)
    if not is_draft(edition):
        raise RevisionError(
            _("第%(n)s版は作成中の版ではないため、現行版にできません。") % {"n": edition.number}
        )
    previous = plan.current_edition
    if previous is None:
        raise RevisionError(_("この計画には現行版がありません。"))
    if order_key(edition) <= order_key(previous):
        raise RevisionError(
            _(
                "第%(old)s版のほうが新しいため、第%(n)s版を現行版にできません。日付か版番号を見直してください。"
            )
            % {"old": previous.number, "n": edition.number}
        )
    try:
        fingerprint = digest(PlanFile.model_validate(export_edition(edition)))
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise RevisionError(
            _("この版は計画ファイルとして書き出せないため、現行版にできません：%(e)s") % {"e": exc}
        ) from None

    old_kpis = {k.key: k for k in Kpi.objects.filter(edition=previous).prefetch_related("actuals")}
    new_kpis = {k.key: k for k in Kpi.objects.filter(edition=edition).prefetch_related("actuals")}
    missing = []
    for key, new in new_kpis.items():
        old = old_kpis.get(key)
        if old is None:
            continue
        have = {a.fiscal_year for a in new.actuals.all()}
        missing += [_clone(a, kpi_id=new.pk) for a in old.actuals.all() if a.fiscal_year not in have]
    KpiActual.objects.bulk_create(missing, batch_size=2000)

    moved = kept = 0
    links = list(JointGoalLink.objects.filter(plan=plan).select_related("kpi", "observation__node"))
    new_observations = {
        (o.node.key if o.node else None, o.name): o
        for o in Observation.objects.filter(edition=edition).select_related("node")
    }
    for link in links:
        if link.kpi is not None and link.kpi.edition_id == previous.pk:
            target = new_kpis.get(link.kpi.key)
            if target is None:
                kept += 1
                continue
            link.kpi = target
        elif link.observation is not None and link.observation.edition_id == previous.pk:
            o = link.observation
            found = new_observations.get((o.node.key if o.node else None, o.name))
            if found is None:
                kept += 1
                continue
            link.observation = found
        else:
            continue
        link.save()
        moved += 1

    with set_actor(by) if by is not None else _nothing():
        edition.digest = fingerprint
        edition.draft = False
        edition.save(update_fields=["digest", "draft"])
        plan.current_edition = edition
        plan.save(update_fields=["current_edition"])
    return Adopted(edition, previous, len(missing), moved, kept)
