"""Revising a plan: a new edition copied from the current one, edited as a draft, then adopted;
and the difference between any two editions.

An edition staff are writing is a *draft* (``PlanEdition.draft``; imports never make a draft
current). Only a draft may be edited; the current
edition and older ones are the record of what was adopted. ``adopt()`` makes a draft current and
gives it the digest of its own export, so exporting and re-importing it changes nothing.

History follows keys: a node, KPI or schedule row carried into a new edition keeps its key, so
reviews (which stay on the edition they were made on), progress notes (kept by node key) and the
diff all find "the same thing" in another edition by key.
"""

from __future__ import annotations

import datetime
import html
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

from auditlog.context import set_actor
from django.db import IntegrityError, models, transaction
from django.db.models import Max, Prefetch, QuerySet
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core.jcal import format_fiscal_year, format_wareki_date
from yakusho.core.models import Department
from yakusho.core.validators import normalize_text
from yakusho.plans.compare import theme_of
from yakusho.plans.models import (
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
    ScheduleEntry,
)
from yakusho.plans.planfile.files import digest, export_edition
from yakusho.plans.planfile.schema import PlanFile

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
NODE_TEXTS: dict[str, Any] = {
    "description": gettext_lazy("説明"),
    "current_state": gettext_lazy("現状と課題"),
    "actions": gettext_lazy("主な取組"),
    "effects": gettext_lazy("期待される効果"),
    "department_note": gettext_lazy("担当（課名以外）"),
}


class RevisionError(Exception):
    """A refused revision, with a Japanese message and the form field it is about (if any)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- drafts, current and older editions ------------------------------------------------------


def is_draft(edition: PlanEdition) -> bool:
    return edition.draft


def adopted(editions: QuerySet[PlanEdition]) -> QuerySet[PlanEdition]:
    """Editions that were imported or adopted (what residents may see): no drafts."""
    return editions.filter(draft=False)


def order_key(edition: PlanEdition) -> tuple[Any, ...]:
    """The order of editions (the one ``files._set_current`` uses to pick the newest)."""
    parts = tuple(int(p) if p.isdigit() else 0 for p in edition.number.split("."))
    return (edition.date or edition.adopted_on or datetime.date.min, parts)


def edition_state(edition: PlanEdition, plan: Plan) -> str:
    if edition.pk == plan.current_edition_id:
        return "current"
    return "draft" if is_draft(edition) else "past"


def require_draft(edition: PlanEdition) -> None:
    if is_draft(edition):
        return
    if edition.pk == edition.plan.current_edition_id:
        raise RevisionError(
            _("第%(n)s版は現行版のため編集できません。新しい版を作ってから編集してください。")
            % {"n": edition.number}
        )
    raise RevisionError(_("第%(n)s版は過去の版のため編集できません。") % {"n": edition.number})


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
            % {"n": source.number, "d": format_wareki_date(source.date) if source.date else "—"},
            "date",
        )
    history = [h for h in source.history if h.get("number") != number]
    if not any(h.get("number") == source.number for h in history):
        history.append(
            {
                "number": source.number,
                "date": source.date.isoformat() if source.date else None,
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
    departments: Sequence[Department] | None = None,
    lead: Department | None = None,
    **texts: str,
) -> Node:
    """A new node, last among its siblings."""
    require_draft(edition)
    if parent is not None and parent.edition_id != edition.pk:
        raise RevisionError(_("親の項目がこの版にありません。"), "parent")
    depth = parent.depth + 1 if parent else 1
    _check_depth(edition, depth)
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
    departments: Sequence[Department] | None = None,
    lead: Department | None = None,
    **fields: str,
) -> Node:
    """Retitle, renumber, change the texts and the 課 of a node of a draft."""
    require_draft(node.edition)
    allowed = {"title", "code", *NODE_TEXTS}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "code" in fields:
        _check_code(node.edition, node.parent, fields["code"], node)
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
    below = Node.objects.filter(pk__in=descendants(node)).aggregate(m=Max("depth"))["m"]
    _check_depth(edition, depth + ((below or node.depth) - node.depth))
    if code is not None:
        node.code = code
    try:
        _check_code(edition, parent, node.code, node)
    except RevisionError as exc:
        raise RevisionError(f"{exc}{_('移動先での番号を入力してください。')}", "code") from None
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


# --- the difference between two editions -----------------------------------------------------


def _segments(old: str, new: str) -> list[tuple[str, str]]:
    """(old part, new part) runs; equal runs have old == new. Lines first, then characters within
    changed lines (Japanese has no spaces to split words on), then tiny equal runs between changes
    are folded into them so a rewritten sentence reads as one deletion and one insertion."""
    runs: list[tuple[bool, str, str]] = []  # (equal, old part, new part)
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        x, y = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            runs.append((True, x, x))
        elif tag == "replace" and len(x) * len(y) <= 4_000_000:
            for t, p1, p2, q1, q2 in SequenceMatcher(None, x, y, autojunk=False).get_opcodes():
                runs.append((t == "equal", x[p1:p2], y[q1:q2]))
        else:
            runs.append((False, x, y))
    folded: list[tuple[bool, str, str]] = []
    for i, (equal, x, y) in enumerate(runs):
        between = 0 < i < len(runs) - 1 and not runs[i - 1][0] and not runs[i + 1][0]
        if equal and between and len(x) < 3 and "\n" not in x:
            equal = False
        if folded and folded[-1][0] == equal:
            _, px, py = folded[-1]
            folded[-1] = (equal, px + x, py + y)
        else:
            folded.append((equal, x, y))
    return [(x, y) for _, x, y in folded if x or y]


def inline_diff(old: str, new: str) -> SafeString:
    """``old`` → ``new`` as HTML: removed text in <del>, added text in <ins>, each with a hidden
    label for screen readers (struck through and underlined, so not by colour alone)."""
    out = []
    deleted, added, end_deleted, end_added = _("削除"), _("追加"), _("削除ここまで"), _("追加ここまで")
    for x, y in _segments(old, new):
        if x == y:
            out.append(html.escape(x))
            continue
        if x:
            out.append(
                f'<del><span class="visually-hidden">［{deleted}］</span>{html.escape(x)}'
                f'<span class="visually-hidden">［{end_deleted}］</span></del>'
            )
        if y:
            out.append(
                f'<ins><span class="visually-hidden">［{added}］</span>{html.escape(y)}'
                f'<span class="visually-hidden">［{end_added}］</span></ins>'
            )
    return mark_safe("".join(out))  # noqa: S308 - every piece of text is escaped above


@dataclass(frozen=True)
class TextChange:
    label: str
    old: str
    new: str

    def html(self) -> SafeString:
        return inline_diff(self.old, self.new)


@dataclass(frozen=True)
class NodeInfo:
    key: str
    code: str
    title: str
    depth: int
    order: int
    parent_key: str | None
    texts: dict[str, str]
    departments: tuple[str, ...]
    items: dict[str, str]  # theme (national item key without its version) → title

    def __str__(self) -> str:
        return f"{self.code} {self.title}".strip()


@dataclass
class NodeChange:
    old: NodeInfo
    new: NodeInfo
    old_parent: NodeInfo | None = None
    new_parent: NodeInfo | None = None
    texts: list[TextChange] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.new.key

    @property
    def moved(self) -> bool:
        return self.old.parent_key != self.new.parent_key

    @property
    def retitled(self) -> bool:
        return self.old.title != self.new.title

    @property
    def renumbered(self) -> bool:
        return self.old.code != self.new.code

    @property
    def departments_changed(self) -> bool:
        return self.old.departments != self.new.departments

    @property
    def items_added(self) -> list[str]:
        return [t for k, t in self.new.items.items() if k not in self.old.items]

    @property
    def items_removed(self) -> list[str]:
        return [t for k, t in self.old.items.items() if k not in self.new.items]

    def title_html(self) -> SafeString:
        return inline_diff(self.old.title, self.new.title)

    @property
    def changed(self) -> bool:
        return bool(
            self.moved
            or self.retitled
            or self.renumbered
            or self.texts
            or self.departments_changed
            or self.items_added
            or self.items_removed
        )


@dataclass(frozen=True)
class ScheduleRow:
    first_year: int
    last_year: int
    activity: str
    phase: str

    @property
    def years(self) -> str:
        start = format_fiscal_year(self.first_year, short=True)
        return (
            start
            if self.first_year == self.last_year
            else f"{start}〜{format_fiscal_year(self.last_year, short=True)}"
        )


@dataclass(frozen=True)
class ScheduleChange:
    node: NodeInfo
    old: ScheduleRow | None
    new: ScheduleRow | None

    @property
    def kind(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"

    def activity_html(self) -> SafeString:
        return inline_diff(self.old.activity if self.old else "", self.new.activity if self.new else "")


@dataclass(frozen=True)
class KpiInfo:
    key: str
    name: str
    node: NodeInfo
    values: dict[str, str]  # label → shown value


#: a changed field of a KPI (name, unit, baseline, targets) reads like a changed text
FieldChange = TextChange


@dataclass(frozen=True)
class KpiChange:
    old: KpiInfo
    new: KpiInfo
    fields: list[FieldChange]


@dataclass
class EditionDiff:
    old: PlanEdition
    new: PlanEdition
    added: list[NodeInfo]
    removed: list[NodeInfo]
    changes: list[NodeChange]  # nodes in both editions that changed in any way
    schedule: list[ScheduleChange]
    kpis_added: list[KpiInfo]
    kpis_removed: list[KpiInfo]
    kpis_changed: list[KpiChange]
    plan_texts: list[TextChange]
    glossary: list[TextChange]

    @property
    def moved(self) -> list[NodeChange]:
        return [c for c in self.changes if c.moved]

    @property
    def retitled(self) -> list[NodeChange]:
        return [c for c in self.changes if c.retitled]

    @property
    def renumbered(self) -> list[NodeChange]:
        return [c for c in self.changes if c.renumbered]

    @property
    def rewritten(self) -> list[NodeChange]:
        return [c for c in self.changes if c.texts]

    @property
    def reassigned(self) -> list[NodeChange]:
        """Nodes whose 課 or national items changed."""
        return [c for c in self.changes if c.departments_changed or c.items_added or c.items_removed]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "moved": len(self.moved),
            "retitled": len(self.retitled),
            "renumbered": len(self.renumbered),
            "rewritten": len(self.rewritten),
            "reassigned": len(self.reassigned),
            "schedule": len(self.schedule),
            "kpis_added": len(self.kpis_added),
            "kpis_removed": len(self.kpis_removed),
            "kpis_changed": len(self.kpis_changed),
            "plan_texts": len(self.plan_texts),
            "glossary": len(self.glossary),
        }

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


def _num(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _baseline(k: Kpi) -> str:
    if not k.has_baseline:
        return "—"
    parts = [k.baseline_text or (f"{_num(k.baseline_value)}{k.unit}" if k.baseline_value is not None else "")]
    if k.baseline_fiscal_year:
        parts.append(f"（{format_fiscal_year(k.baseline_fiscal_year, short=True)}）")
    return "".join(parts) or "—"


def _targets(k: Kpi) -> str:
    rows = []
    for t in k.targets.all():
        year = format_fiscal_year(t.fiscal_year, short=True) if t.fiscal_year else _("最終")
        rows.append(f"{year}：{t.text or _num(t.value) + (t.unit or k.unit)}")
    return "\n".join(rows) or "—"


def _load(editions: Iterable[PlanEdition]) -> tuple[dict[int, dict[str, NodeInfo]], dict[int, NodeInfo]]:
    """Nodes of each edition by key, and every node by id (three queries)."""
    ids = [e.pk for e in editions]
    nodes = list(
        Node.objects.filter(edition_id__in=ids)  # type: ignore[no-redef]  # to_attr names typed on Node
        .prefetch_related(
            Prefetch(
                "node_departments",
                queryset=NodeDepartment.objects.select_related("department").order_by("order"),
                to_attr="dept_links",
            ),
            Prefetch("national_items", to_attr="items"),
        )
        .order_by("order")
    )
    key_of = {n.pk: n.key for n in nodes}
    infos: dict[int, dict[str, NodeInfo]] = {i: {} for i in ids}
    for n in nodes:
        infos[n.edition_id][n.key] = NodeInfo(
            key=n.key,
            code=n.code,
            title=n.title,
            depth=n.depth,
            order=n.order,
            parent_key=key_of.get(n.parent_id) if n.parent_id else None,
            texts={name: getattr(n, name) for name in NODE_TEXTS},
            departments=tuple(
                f"{nd.department.name}（{_('主担当')}）" if nd.lead else nd.department.name
                for nd in n.dept_links
            ),
            items={theme_of(i.key): i.title for i in sorted(n.items, key=lambda i: i.order)},
        )
    return infos, {n.pk: infos[n.edition_id][n.key] for n in nodes}


def diff(old: PlanEdition, new: PlanEdition) -> EditionDiff:
    """What changed from ``old`` to ``new``, matched by key. Seven queries whatever the size."""
    infos, by_id = _load([old, new])
    a, b = infos[old.pk], infos.get(new.pk, infos[old.pk])
    added = [n for k, n in b.items() if k not in a]
    removed = [n for k, n in a.items() if k not in b]
    changes = []
    for k, n in b.items():
        if k not in a:
            continue
        o = a[k]
        change = NodeChange(
            old=o,
            new=n,
            old_parent=a.get(o.parent_key) if o.parent_key else None,
            new_parent=b.get(n.parent_key) if n.parent_key else None,
            texts=[
                TextChange(str(label), o.texts[name], n.texts[name])
                for name, label in NODE_TEXTS.items()
                if o.texts[name] != n.texts[name]
            ],
        )
        if change.changed:
            changes.append(change)

    rows: dict[int, dict[str, list[ScheduleRow]]] = {old.pk: defaultdict(list), new.pk: defaultdict(list)}
    for r in (
        ScheduleEntry.objects.filter(node__edition_id__in=[old.pk, new.pk])
        .only("node_id", "first_year", "last_year", "activity", "phase", "order")
        .order_by("order")
    ):
        info = by_id[r.node_id]
        edition_id = old.pk if a.get(info.key) is info else new.pk
        rows[edition_id][info.key].append(ScheduleRow(r.first_year, r.last_year, r.activity, r.phase))
    schedule: list[ScheduleChange] = []
    for k in [*b, *(k for k in a if k not in b)]:
        x, y = rows[old.pk].get(k, []), rows[new.pk].get(k, [])
        if x == y:
            continue
        node = b.get(k) or a[k]
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, x, y, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            olds, news = x[i1:i2], y[j1:j2]
            for i in range(max(len(olds), len(news))):
                schedule.append(
                    ScheduleChange(
                        node, olds[i] if i < len(olds) else None, news[i] if i < len(news) else None
                    )
                )

    kpis: dict[int, dict[str, KpiInfo]] = {old.pk: {}, new.pk: {}}
    for kpi in (
        Kpi.objects.filter(edition_id__in=[old.pk, new.pk])
        .prefetch_related(Prefetch("targets", queryset=KpiTarget.objects.order_by("order")))
        .order_by("order")
    ):
        kpis[kpi.edition_id][kpi.key] = KpiInfo(
            key=kpi.key,
            name=kpi.name,
            node=by_id[kpi.node_id],
            values={
                str(_("指標名")): kpi.name,
                str(_("項目")): str(by_id[kpi.node_id]),
                str(_("単位")): kpi.unit,
                str(_("方向")): str(kpi.get_direction_display()),
                str(_("集計")): str(kpi.get_accumulation_display()),
                str(_("現状値")): _baseline(kpi),
                str(_("目標値")): _targets(kpi),
                str(_("備考")): kpi.note,
            },
        )
    ka, kb = kpis[old.pk], kpis[new.pk]
    kpi_changes = []
    for k, after in kb.items():
        if k in ka:
            fields = [
                FieldChange(label, ka[k].values[label], value)
                for label, value in after.values.items()
                if ka[k].values[label] != value
            ]
            if fields:
                kpi_changes.append(KpiChange(ka[k], after, fields))

    plan_texts = [
        TextChange(str(label), getattr(old, name), getattr(new, name))
        for name, label in (
            ("title", _("名称")),
            ("vision", _("目指す姿")),
            ("position", _("位置づけ")),
            ("governance", _("推進体制")),
            ("principles", _("原則")),
        )
        if getattr(old, name) != getattr(new, name)
    ]
    old_sections = {s.get("title", ""): s.get("body", "") for s in old.sections}
    new_sections = {s.get("title", ""): s.get("body", "") for s in new.sections}
    for title in [*new_sections, *(t for t in old_sections if t not in new_sections)]:
        before, after = old_sections.get(title, ""), new_sections.get(title, "")
        if before != after or (title in old_sections) != (title in new_sections):
            plan_texts.append(TextChange(_("章「%(t)s」") % {"t": title}, before, after))

    terms: dict[int, dict[str, str]] = {old.pk: {}, new.pk: {}}
    for t in GlossaryTerm.objects.filter(edition_id__in=[old.pk, new.pk]).order_by("order"):
        terms[t.edition_id][t.term] = t.definition
    ta, tb = terms[old.pk], terms[new.pk]
    glossary = [
        TextChange(term, ta.get(term, ""), tb.get(term, ""))
        for term in [*tb, *(t for t in ta if t not in tb)]
        if ta.get(term) != tb.get(term)
    ]
    return EditionDiff(
        old=old,
        new=new,
        added=added,
        removed=removed,
        changes=changes,
        schedule=schedule,
        kpis_added=[n for k, n in kb.items() if k not in ka],
        kpis_removed=[o for k, o in ka.items() if k not in kb],
        kpis_changed=kpi_changes,
        plan_texts=plan_texts,
        glossary=glossary,
    )


# --- a node's history across editions --------------------------------------------------------


@dataclass
class NodeHistory:
    since: PlanEdition | None  # the oldest edition holding the node's key
    editions: list[PlanEdition]  # every edition (shown) holding it, oldest first
    reviews: list[NodeReview]  # reviews of the same key made on other editions


def node_history(
    plan: Plan, key: str, shown: PlanEdition, editions: Sequence[PlanEdition], staff: bool
) -> NodeHistory:
    """Two queries whatever the number of editions and reviews. ``editions`` are those the reader
    may see; residents see finalised reviews only, staff every review with its state."""
    visible = {e.pk: e for e in editions}
    holding = set(
        Node.objects.filter(edition__plan=plan, key=key, edition_id__in=list(visible)).values_list(
            "edition_id", flat=True
        )
    )
    ordered = sorted((visible[i] for i in holding), key=order_key)
    reviews = (
        NodeReview.objects.filter(
            node__key=key, cycle__edition__plan=plan, cycle__edition_id__in=list(visible)
        )
        .exclude(cycle__edition=shown)
        .select_related("cycle__edition", "department", "grade")
        .order_by("-cycle__fiscal_year", "department__order")
    )
    if not staff:
        reviews = reviews.filter(state=NodeReview.State.FINALISED)
    return NodeHistory(ordered[0] if ordered else None, ordered, list(reviews[:50]))
