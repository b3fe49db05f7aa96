"""Exports of one plan edition: Excel workbook, CSV of KPIs, and the plan file itself."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Prefetch
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from yakusho.core.jcal import format_fiscal_year
from yakusho.core.spreadsheets import SafeWorkbook, workbook_bytes
from yakusho.plans.achievement import evaluate
from yakusho.plans.models import Kpi, KpiActual, PlanEdition, ScheduleEntry
from yakusho.plans.queries import nodes_with_links

HEADER = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E6E6E6")
BAR_FILL = PatternFill("solid", fgColor="DBE4FF")


def kpis_of(edition: PlanEdition) -> list[Kpi]:
    return list(
        Kpi.objects.filter(edition=edition)
        .select_related("node", "edition", "indicator")
        .prefetch_related("targets", Prefetch("actuals", queryset=KpiActual.objects.order_by("fiscal_year")))
        .order_by("order")
    )


KPI_HEADER = [
    "番号",
    "項目",
    "KPI",
    "単位",
    "現状値",
    "現状値の注記",
    "目標値",
    "実績値",
    "進み具合",
    "進捗率(%)",
]


def kpi_table(edition: PlanEdition) -> list[list[Any]]:
    rows = []
    for k in kpis_of(edition):
        achievement = evaluate(k)
        rows.append(
            [
                k.node.code,
                k.node.title,
                k.name,
                k.unit,
                k.baseline_text,
                k.baseline_note,
                " / ".join(
                    f"{format_fiscal_year(t.fiscal_year, short=True)}：{t.text}" if t.fiscal_year else t.text
                    for t in k.targets.all()
                ),
                " / ".join(
                    f"{format_fiscal_year(a.fiscal_year, short=True)}：{a.text or a.value}"
                    for a in k.actuals.all()
                ),
                achievement.label,
                achievement.percent,
            ]
        )
    return rows


def workbook(edition: PlanEdition) -> bytes:
    """施策体系, 工程表 (和暦 headers, a bar per cell) and KPI sheets; every cell neutralised
    (``core.spreadsheets``), so a title or KPI text from a plan file never opens as a formula."""
    wb = SafeWorkbook()
    tree = wb.active
    tree.title = "施策体系"
    labels = edition.level_labels
    tree.append([edition.title])
    tree["A1"].font = Font(bold=True, size=14)
    tree.append(["階層", "番号", "名称", "担当課", "国の計画の関連項目"])
    nodes = nodes_with_links(edition)
    for n in nodes:
        tree.append(
            [
                labels[n.depth - 1] if n.depth - 1 < len(labels) else n.depth,
                n.code,
                ("　" * (n.depth - 1)) + n.title,
                "、".join(nd.department.name for nd in n.node_departments.all())
                + (f" {n.department_note}" if n.department_note else ""),
                "、".join(i.title for i in n.national_items.all()),
            ]
        )
    style_header(tree, 2)

    road = wb.create_sheet("工程表")
    years = list(range(edition.first_year, edition.last_year + 1))
    road.append(["番号", "名称", *[format_fiscal_year(y, short=True) for y in years]])
    schedule: dict[int, list[ScheduleEntry]] = defaultdict(list)
    for scheduled in ScheduleEntry.objects.filter(node__edition=edition).order_by("order"):
        schedule[scheduled.node_id].append(scheduled)
    for n in nodes:
        entries = schedule.get(n.pk, [])
        if not entries:
            road.append([n.code, n.title])
            continue
        for entry in entries:
            cells: list[Any] = [n.code, n.title]
            for y in years:
                inside = entry.first_year <= y <= entry.last_year
                cells.append(
                    (entry.activity + (f"［{entry.phase}］" if entry.phase else ""))
                    if y == max(entry.first_year, years[0])
                    else ("⇒" if inside else "")
                )
            road.append(cells)
            for offset, y in enumerate(years):
                if entry.first_year <= y <= entry.last_year:
                    road.cell(row=road.max_row, column=3 + offset).fill = BAR_FILL
    style_header(road, 1)

    sheet = wb.create_sheet("KPI")
    sheet.append(KPI_HEADER)
    for values in kpi_table(edition):
        sheet.append(values)
    style_header(sheet, 1)

    return workbook_bytes(wb)


def style_header(ws: Any, row: int) -> None:
    for cell in ws[row]:
        cell.font = HEADER
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for index, column in enumerate(ws.iter_cols(min_row=row, max_row=ws.max_row), start=1):
        width = max((len(str(c.value)) for c in column if c.value is not None), default=6)
        ws.column_dimensions[get_column_letter(index)].width = min(max(width * 1.6, 8), 60)
    ws.freeze_panes = ws.cell(row=row + 1, column=1)
