"""The difference between any two editions of a plan, and a node's history across editions (the
read model of revisions).

History follows keys: a node, KPI or schedule row carried into a new edition keeps its key, so
reviews (which stay on the edition they were made on), progress notes (kept by node key) and the
diff all find "the same thing" in another edition by key.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher

from django.db.models import Prefetch
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from yakusho.core.jcal import format_fiscal_year
from yakusho.plans.compare import theme_of
from yakusho.plans.models import (
    GlossaryTerm,
    Kpi,
    KpiTarget,
    Node,
    NodeDepartment,
    NodeReview,
    Plan,
    PlanEdition,
    ScheduleEntry,
)
from yakusho.plans.revision.editions import NODE_TEXTS, order_key

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
    level: int  # what the node is among the plan's levels (not how deep it sits)
    level_label: str
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
    source: str = ""  # which of the plan's schedules prints it, when it prints more than one

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


def _label(labels: list[str], level: int) -> str:
    return labels[level - 1] if 0 < level <= len(labels) else str(level)


def _load(editions: Iterable[PlanEdition]) -> tuple[dict[int, dict[str, NodeInfo]], dict[int, NodeInfo]]:
    """Nodes of each edition by key, and every node by id (three queries)."""
    editions = list(editions)
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
    labels = {e.pk: list(e.level_labels or []) for e in editions}
    infos: dict[int, dict[str, NodeInfo]] = {i: {} for i in ids}
    for n in nodes:
        infos[n.edition_id][n.key] = NodeInfo(
            key=n.key,
            code=n.code,
            title=n.title,
            level=n.level,
            level_label=_label(labels.get(n.edition_id, []), n.level),
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
                *(
                    [TextChange(str(_("区分")), o.level_label, n.level_label)]
                    if o.level_label != n.level_label
                    else []
                ),
                *(
                    TextChange(str(label), o.texts[name], n.texts[name])
                    for name, label in NODE_TEXTS.items()
                    if o.texts[name] != n.texts[name]
                ),
            ],
        )
        if change.changed:
            changes.append(change)

    rows: dict[int, dict[str, list[ScheduleRow]]] = {old.pk: defaultdict(list), new.pk: defaultdict(list)}
    for r in (
        ScheduleEntry.objects.filter(node__edition_id__in=[old.pk, new.pk])
        .only("node_id", "first_year", "last_year", "activity", "phase", "source", "order")
        .order_by("order")
    ):
        info = by_id[r.node_id]
        edition_id = old.pk if a.get(info.key) is info else new.pk
        rows[edition_id][info.key].append(
            ScheduleRow(r.first_year, r.last_year, r.activity, r.phase, r.source)
        )
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
