"""Exports of one plan edition: Excel workbook, CSV of KPIs, the plan file itself, and each list the
plan prints (``PlanList``) as CSV or a workbook of its own.

Figures are numbers (Decimals without their stored trailing zeros), their unit in a column of its
own, every actual with its source (計画書, 進捗評価, 計測値, デモ) and "as of" beside it; each sheet
has its header row frozen and an auto filter. Words and numbers come from ``plans.figures``, as on
the pages."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Prefetch
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from yakusho.core.jcal import format_fiscal_year
from yakusho.core.spreadsheets import SafeWorkbook, workbook_bytes
from yakusho.plans import figures
from yakusho.plans.achievement import Achievement, evaluate
from yakusho.plans.models import Kpi, KpiActual, KpiTarget, PlanEdition, PlanList, ScheduleEntry
from yakusho.plans.queries import nodes_with_links

HEADER = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E6E6E6")
BAR_FILL = PatternFill("solid", fgColor="DBE4FF")


def kpis_of(edition: PlanEdition) -> list[Kpi]:
    return list(
        Kpi.objects.filter(edition=edition)
        .select_related("node", "edition", "indicator", "reprint_of__node")
        .prefetch_related("targets", Prefetch("actuals", queryset=KpiActual.objects.order_by("fiscal_year")))
        .order_by("order")
    )


#: One row per KPI (the CSV and the workbook's KPI sheet). Numbers are numbers, each with its unit
#: in a column of its own; every actual is listed with its source and "as of" beside it, and the
#: latest one has columns of its own (value, year, source, as of). 集計 is the accumulation kind in
#: words; 判定した値 the figure the status judges (for a cumulative KPI the running total, said 累計
#: in 判定した値の内容 with its years, for every_n_years the window), with its year where it is
#: not the latest actual's.
KPI_HEADER = [
    "番号",
    "項目",
    "KPI",
    "再掲元",
    "集計",
    "単位",
    "現状値",
    "現状値（原文）",
    "現状値の注記",
    "目標値（原文）",
    "最終目標値",
    "最終目標の年度",
    "実績値（出典・時点）",
    "最新の実績値",
    "最新の実績値の年度",
    "最新の実績値の出典",
    "最新の実績値の時点",
    "判定した値",
    "判定した値の内容",
    "判定した値の年度",
    "進み具合",
    "進捗率(%)",
]
#: Columns of KPI_HEADER holding figures in the KPI's unit (formatted by the unit in Excel).
FIGURE_COLUMNS = ("現状値", "最終目標値", "最新の実績値", "判定した値")
#: One row per actual (the workbook's 実績値 sheet).
ACTUAL_HEADER = [
    "番号",
    "項目",
    "KPI",
    "年度",
    "年度（和暦）",
    "実績値",
    "単位",
    "実績値（原文）",
    "出典",
    "時点",
    "備考",
]


def _final_target(kpi: Kpi) -> KpiTarget | None:
    numeric = [t for t in kpi.targets.all() if t.value is not None]
    last = kpi.edition.last_year
    return max(numeric, key=lambda t: (t.final, t.fiscal_year or last), default=None)


def _status(achievement: Achievement, kpi: Kpi) -> str:
    """The status in words, with the words for a KPI behind its baseline (the 進捗率 is then 0)."""
    words = figures.status_text(achievement)
    if figures.behind_baseline(achievement):
        words += f"（{figures.progress_text(achievement, kpi.direction)}）"
    return words


def kpi_table(edition: PlanEdition) -> list[list[Any]]:
    rows = []
    for k in kpis_of(edition):
        achievement = evaluate(k)
        final = _final_target(k)
        actuals = list(k.actuals.all())
        latest = actuals[-1] if actuals else None
        judged_year = achievement.judged_year if achievement.judged_value is not None else None
        original = k.reprint_of
        rows.append(
            [
                k.node.code,
                k.node.title,
                k.name,
                f"{original.node.code} {original.name}".strip() if original else "",
                achievement.kind_label,
                k.unit,
                figures.excel_number(k.baseline_value),
                k.baseline_text,
                k.baseline_note,
                " / ".join(
                    f"{format_fiscal_year(t.fiscal_year, short=True)}：{t.text}" if t.fiscal_year else t.text
                    for t in k.targets.all()
                ),
                figures.excel_number(final.value) if final else None,
                (final.fiscal_year or edition.last_year) if final else None,
                " / ".join(figures.actual_with_year(a, k.unit) for a in actuals),
                figures.excel_number(latest.value) if latest else None,
                latest.fiscal_year if latest else None,
                figures.source_label(latest) if latest else "",
                latest.date if latest else None,
                figures.excel_number(achievement.judged_value),
                figures.judged_kind(achievement, edition.first_year),
                # the year of the judged figure where it is not the latest actual's (a carried-over
                # every_n_years actual, a latest actual in words only)
                judged_year if latest is None or judged_year != latest.fiscal_year else None,
                _status(achievement, k),
                figures.shown_percent(achievement),
            ]
        )
    return rows


def actual_rows(edition: PlanEdition) -> list[list[Any]]:
    return [
        [
            k.node.code,
            k.node.title,
            k.name,
            a.fiscal_year,
            format_fiscal_year(a.fiscal_year, short=True),
            figures.excel_number(a.value),
            k.unit,
            a.text,
            figures.source_label(a),
            a.date,
            a.note,
        ]
        for k in kpis_of(edition)
        for a in k.actuals.all()
    ]


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
                # what the node is in the plan's own levels, not how deep it sits (村上市 3/6/24)
                labels[n.level - 1] if 0 < n.level <= len(labels) else n.level,
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
    format_figures(sheet, KPI_HEADER, FIGURE_COLUMNS)

    actuals = wb.create_sheet("実績値")
    actuals.append(ACTUAL_HEADER)
    for values in actual_rows(edition):
        actuals.append(values)
    style_header(actuals, 1)
    format_figures(actuals, ACTUAL_HEADER, ("実績値",))

    return workbook_bytes(wb)


def format_figures(ws: Any, header: list[str], columns: tuple[str, ...]) -> None:
    """Number formats for the figure columns (separators, as the row's unit needs), the percent
    and year columns, and dates; the unit stays in its own column."""
    unit_column = header.index("単位") + 1
    for row in ws.iter_rows(min_row=2):
        unit = str(row[unit_column - 1].value or "")
        for cell in row:
            name = header[cell.column - 1]
            if cell.value is None:
                continue
            if name in columns:
                cell.number_format = figures.excel_format(unit)
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif name == "進捗率(%)":
                cell.number_format = "0"


def style_header(ws: Any, row: int) -> None:
    for cell in ws[row]:
        cell.font = HEADER
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for index, column in enumerate(ws.iter_cols(min_row=row, max_row=ws.max_row), start=1):
        width = max((len(str(c.value)) for c in column if c.value is not None), default=6)
        ws.column_dimensions[get_column_letter(index)].width = min(max(width * 1.6, 8), 60)
    ws.freeze_panes = ws.cell(row=row + 1, column=1)
    ws.auto_filter.ref = f"A{row}:{get_column_letter(max(ws.max_column, 1))}{max(ws.max_row, row)}"


def list_workbook(table: PlanList, edition: PlanEdition) -> SafeWorkbook:
    """One list of the plan: a sheet 一覧表 (its columns and rows, as text) and a sheet 出典 (title,
    plan, where printed, note). Saved through ``core.spreadsheets``, so every cell is neutralised."""
    wb = SafeWorkbook()
    sheet = wb.active
    sheet.title = "一覧表"
    sheet.append(table.columns)
    for row in table.rows:
        sheet.append(row)
    style_header(sheet, 1)
    about = wb.create_sheet("出典")
    for label, value in (
        ("表題", table.title),
        ("計画", str(edition)),
        ("出典", table.source),
        ("注記", table.note),
    ):
        about.append([label, value])
    about.column_dimensions["A"].width = 10
    about.column_dimensions["B"].width = 80
    return wb
