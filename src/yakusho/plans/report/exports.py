"""The progress report (進捗状況報告書) as PDF and as an Excel workbook, from one :class:`Report`.

The PDF shares its font, styles and page layout with the plan's PDF (``plans.pdf``): A4
landscape, reportlab's built-in Japanese CID font, so the text stays selectable. The workbook
has three sheets, 概要 / 項目別評価 / KPI, each starting with the title and the report's state
(確定 or 未確定, and the demo notice for demo cycles) so a printed or forwarded sheet says it too.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl.chart import BarChart as ExcelBarChart
from openpyxl.chart import Reference
from openpyxl.styles import Alignment, Font
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Spacer, Table, TableStyle

from yakusho.core.spreadsheets import SafeWorkbook, workbook_bytes
from yakusho.plans.exports import style_header
from yakusho.plans.pdf import BODY, FONT, GRID, H1, H2, SMALL, a4_document, paragraph
from yakusho.plans.report.build import DEMO_BANNER, Count, Report

H3 = ParagraphStyle("h3", parent=BODY, fontSize=10, leading=14, spaceBefore=4, spaceAfter=2)
NOTICE = TableStyle(
    [
        ("BOX", (0, 0), (-1, -1), 1.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#FFF4CC")),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
)
NODE_HEADER = [
    "番号",
    "階層",
    "名称",
    "担当課",
    "主担当",
    "進捗状況",
    "進捗率(%)",
    "評価",
    "実績",
    "課題",
    "今後の方向性",
    "訂正",
]
KPI_HEADER = [
    "番号",
    "項目",
    "KPI",
    "単位",
    "現状値",
    "目標値（当年度）",
    "最終目標",
    "実績値（当年度）",
    "達成状況",
    "進捗率(%)",
    "評価",
]


def notices(report: Report) -> list[str]:
    """What every page and sheet says about the report's standing, besides its title."""
    lines = []
    if report.demo:
        lines.append(str(DEMO_BANNER))
    if not report.finalised:
        lines.append(
            _("未確定：この評価はまだ確定していません。内容は変わることがあり、公表されていません。")
        )
    return lines


def summary_lines(report: Report) -> list[tuple[str, str]]:
    share = (
        f"{report.on_track_percent}%（{report.kpi_on_track} / {report.kpi_judged}）"
        if report.on_track_percent is not None
        else "—"
    )
    return [
        ("団体", report.municipality),
        ("計画", report.plan_title),
        ("対象年度", report.fiscal_year_label),
        ("状態", report.state_label),
        ("評価した項目", f"{report.node_total}"),
        ("KPI", f"{len(report.kpis)}"),
        ("順調の割合（達成・順調 / 数値で判断できたKPI）", share),
    ]


# --- PDF ------------------------------------------------------------------------------------


def _pdf_chart(title: str, counts: list[Count], width: float) -> list[Any]:
    """A horizontal bar chart (labels and numbers as text) followed by the same figures as a table."""
    row, label_w, value_w = 14, 42 * mm, 10 * mm
    bar_w = width - label_w - value_w
    top = max((c.count for c in counts), default=0) or 1
    drawing = Drawing(width, row * len(counts) + 4)
    for i, c in enumerate(counts):
        y = drawing.height - (i + 1) * row
        drawing.add(String(label_w - 4, y + 3, c.label, fontName=FONT, fontSize=7.5, textAnchor="end"))
        bar = bar_w * c.count / top
        drawing.add(Rect(label_w, y + 1, bar, row - 4, fillColor=colors.HexColor("#0017C1"), strokeWidth=0))
        drawing.add(String(label_w + bar + 3, y + 3, str(c.count), fontName=FONT, fontSize=7.5))
    table = Table(
        [[paragraph(h, SMALL) for h in ("区分", "件数")]]
        + [[paragraph(c.label, SMALL), paragraph(str(c.count), SMALL)] for c in counts],
        colWidths=[width * 0.75, width * 0.25],
    )
    table.setStyle(GRID)
    return [paragraph(title, H3), drawing, Spacer(1, 2 * mm), table]


def report_pdf(report: Report) -> bytes:
    out = io.BytesIO()
    doc = a4_document(out, report.title, report.municipality)
    width = doc.width
    marks = notices(report)

    def on_page(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        if marks:
            canvas.drawString(doc.leftMargin, doc.pagesize[1] - 8 * mm, "※ " + "　".join(marks))
        canvas.drawRightString(doc.pagesize[0] - doc.rightMargin, 6 * mm, f"{report.title}　{document.page}")
        canvas.restoreState()

    story: list[Any] = [paragraph(report.title, H1)]
    for line in marks:
        box = Table([[paragraph("※ " + line, H3)]], colWidths=[width])
        box.setStyle(NOTICE)
        story += [box, Spacer(1, 2 * mm)]
    story.append(paragraph("概要", H2))
    facts = Table(
        [[paragraph(k, SMALL), paragraph(v, SMALL)] for k, v in summary_lines(report)],
        colWidths=[width * 0.3, width * 0.7],
    )
    facts.setStyle(GRID)
    story += [facts, Spacer(1, 4 * mm)]
    column = (width - 8 * mm) / 3
    charts = [
        _pdf_chart("進捗状況別の項目数", report.status_counts, column),
        _pdf_chart("評価別の項目数", report.grade_counts, column),
        _pdf_chart("KPIの達成状況", report.kpi_counts, column),
    ]
    grid = Table([charts], colWidths=[column + 4 * mm] * 3)
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story.append(KeepTogether([grid]))

    story += [PageBreak(), paragraph("項目別評価", H2)]
    head = ["番号・名称", "担当課", "進捗状況", "評価", "実績", "課題", "今後の方向性・訂正"]
    rows: list[list[Any]] = [[paragraph(h, SMALL) for h in head]]
    for node in report.nodes:
        for i, r in enumerate(node.reviews):
            name = f"{node.level_label} {node.code} {node.title}".strip() if i == 0 else ""
            progress = f"{r.status_label}" + (f" {r.progress}%" if r.progress is not None else "")
            rows.append(
                [
                    paragraph(("　" * (node.depth - 1)) + name, SMALL),
                    paragraph(
                        r.department + ("（主担当）" if r.lead and len(node.reviews) > 1 else ""), SMALL
                    ),
                    paragraph(progress, SMALL),
                    paragraph(r.grade or "—", SMALL),
                    paragraph(r.achievements, SMALL),
                    paragraph(r.issues, SMALL),
                    paragraph("\n".join(filter(None, [r.next_steps, *r.amendments])), SMALL),
                ]
            )
    table = Table(
        rows,
        colWidths=[width * f for f in (0.2, 0.11, 0.08, 0.05, 0.19, 0.18, 0.19)],
        repeatRows=1,
        splitInRow=1,
    )
    table.setStyle(GRID)
    story.append(table)

    story += [PageBreak(), paragraph("KPI", H2)]
    if report.kpis:
        head = ["KPI", "項目", "現状値", "目標値（当年度）", "最終目標", "実績値", "達成状況", "評価"]
        rows = [[paragraph(h, SMALL) for h in head]]
        for k in report.kpis:
            a = k.achievement
            rows.append(
                [
                    paragraph(f"{k.name}（{k.unit}）" if k.unit else k.name, SMALL),
                    paragraph(f"{k.node_code} {k.node_title}".strip(), SMALL),
                    paragraph(k.baseline or "—", SMALL),
                    paragraph(k.target or "—", SMALL),
                    paragraph(k.final_target or "—", SMALL),
                    paragraph(k.actual or "—", SMALL),
                    paragraph(a.label + (f" {a.percent}%" if a.percent is not None else ""), SMALL),
                    paragraph(k.grade or "—", SMALL),
                ]
            )
        widths = [width * f for f in (0.22, 0.17, 0.11, 0.12, 0.12, 0.11, 0.1, 0.05)]
        table = Table(rows, colWidths=widths, repeatRows=1, splitInRow=1)
        table.setStyle(GRID)
        story.append(table)
    else:
        story.append(paragraph("この計画にはKPIが設定されていません。"))
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


# --- Excel ----------------------------------------------------------------------------------


def _sheet_head(ws: Any, report: Report) -> None:
    ws.append([report.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["　".join(notices(report)) or f"状態：{report.state_label}"])
    ws["A2"].font = Font(bold=True)


def _counts_block(ws: Any, title: str, counts: list[Count], anchor: str) -> None:
    """A header row, one row per count, and a bar chart of them placed at ``anchor``."""
    ws.append([])
    ws.append([title, "件数"])
    header = ws.max_row
    for c in ws[header]:
        c.font = Font(bold=True)
    for c in counts:
        ws.append([c.label, c.count])
    chart = ExcelBarChart()
    chart.type = "bar"
    chart.title = title
    chart.legend = None
    chart.add_data(Reference(ws, min_col=2, min_row=header, max_row=ws.max_row), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=ws.max_row))
    chart.height, chart.width = 6, 12
    ws.add_chart(chart, anchor)


def report_workbook(report: Report) -> bytes:
    """The three sheets; every cell neutralised (``core.spreadsheets``): the reviews' texts are typed
    by staff and the titles come from plan files."""
    wb = SafeWorkbook()
    overview = wb.active
    overview.title = "概要"
    _sheet_head(overview, report)
    overview.append([])
    for key, value in summary_lines(report):
        overview.append([key, value])
    _counts_block(overview, "進捗状況", report.status_counts, "D4")
    _counts_block(overview, "評価", report.grade_counts, "D18")
    _counts_block(overview, "KPIの達成状況", report.kpi_counts, "D32")
    overview.column_dimensions["A"].width = 44
    overview.column_dimensions["B"].width = 40

    nodes = wb.create_sheet("項目別評価")
    _sheet_head(nodes, report)
    nodes.append(NODE_HEADER)
    for node in report.nodes:
        for r in node.reviews:
            nodes.append(
                [
                    node.code,
                    node.level_label,
                    ("　" * (node.depth - 1)) + node.title,
                    r.department,
                    "○" if r.lead else "",
                    r.status_label,
                    r.progress,
                    r.grade,
                    r.achievements,
                    r.issues,
                    r.next_steps,
                    r.amendment_text,
                ]
            )
    style_header(nodes, 3)
    for row in nodes.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)

    sheet = wb.create_sheet("KPI")
    _sheet_head(sheet, report)
    sheet.append(KPI_HEADER)
    for k in report.kpis:
        sheet.append(
            [
                k.node_code,
                k.node_title,
                k.name,
                k.unit,
                k.baseline,
                k.target,
                k.final_target,
                k.actual,
                k.achievement.label,
                k.achievement.percent,
                k.grade,
            ]
        )
    style_header(sheet, 3)
    return workbook_bytes(wb)
