"""The public fee page (docs/payments/catalogue.md): a municipality's public fee items, grouped by
担当課 (or by kind when an item has none), each with what it costs today, what it will cost from
an announced date, and which ways of paying it takes — as words (「○ 利用できます」), not colours.

The page is not kept in the page cache: what it shows changes on the day a new rate starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from yakusho.core.contacts import Contact, department_contact
from yakusho.core.models import Municipality
from yakusho.core.responses import NotFound
from yakusho.payments.models import CASHLESS, FeeItem, FeeKind, FeeRate, Method

#: the columns of the table: (name, heading, the methods that make it ○)
COLUMNS: tuple[tuple[str, Any, frozenset[str]], ...] = (
    ("cash", gettext_lazy("現金"), frozenset({Method.CASH})),
    ("cashless", gettext_lazy("キャッシュレス"), frozenset(CASHLESS)),
    ("convenience", gettext_lazy("コンビニ納付"), frozenset({Method.CONVENIENCE})),
    ("transfer", gettext_lazy("口座振替"), frozenset({Method.TRANSFER})),
)


@dataclass
class Cell:
    heading: str
    ok: bool
    detail: str = ""


@dataclass
class Row:
    item: FeeItem
    current: FeeRate | None
    upcoming: FeeRate | None
    cells: list[Cell]
    others: list[str]


@dataclass
class Group:
    title: str
    rows: list[Row] = field(default_factory=list)
    #: the 課's phone, place and hours (None for a group of items without a 課)
    contact: Contact | None = None


def method_cells(item: FeeItem) -> list[Cell]:
    cells = []
    for name, heading, methods in COLUMNS:
        taken = [m for m in Method.values if m in methods and item.accepts(m)]
        detail = ""
        if name == "cashless" and taken:
            detail = "・".join(str(Method(m).label) for m in taken)
        cells.append(Cell(str(heading), bool(taken), detail))
    return cells


def groups_of(municipality: Municipality, today: date) -> list[Group]:
    items = (
        FeeItem.objects.for_municipality(municipality)
        .filter(public=True)
        .select_related("department")
        .prefetch_related("rates")
        .order_by("department__order", "department__name", "order", "name", "pk")
    )
    shown = {m for _n, _h, methods in COLUMNS for m in methods}
    by_department: dict[int, Group] = {}
    by_kind: dict[str, Group] = {}
    for item in items:
        if item.department is not None:
            group = by_department.get(item.department.pk)
            if group is None:
                group = by_department[item.department.pk] = Group(
                    item.department.name, contact=department_contact(item.department, municipality)
                )
        else:
            group = by_kind.setdefault(item.kind, Group(str(FeeKind(item.kind).label)))
        upcoming = sorted((r for r in item.rates.all() if r.valid_from > today), key=lambda r: r.valid_from)
        group.rows.append(
            Row(
                item=item,
                current=item.rate_on(today),
                upcoming=upcoming[0] if upcoming else None,
                cells=method_cells(item),
                others=[str(Method(m).label) for m in Method.values if m in item.methods and m not in shown],
            )
        )
    kinds = [by_kind[k] for k in FeeKind.values if k in by_kind]
    return [*by_department.values(), *kinds]


class FeesView(TemplateView):
    template_name = "payments/fees.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        municipality = Municipality.objects.filter(slug=self.kwargs["municipality"]).first()
        if municipality is None:
            raise NotFound(_("その団体のページはありません。URLが正しいか確かめてください。"))
        today = timezone.localdate()
        groups = groups_of(municipality, today)
        context.update(
            municipality=municipality,
            groups=groups,
            today=today,
            any_demo=any(row.item.is_demo for g in groups for row in g.rows),
            columns=[str(heading) for _n, heading, _m in COLUMNS],
        )
        return context
