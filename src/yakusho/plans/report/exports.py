"""The progress report (進捗状況報告書) as PDF and as an Excel workbook, from one :class:`Report`.

The PDF is a tagged PDF (PDF/UA-1) made by WeasyPrint from an HTML template
(``plans/report/pdf.html`` with its print stylesheet ``pdf.css``): A4 landscape, ``<html lang="ja">``
(the PDF's /Lang), real headings, tables whose header cells carry their scope, the charts as
figures with alternative text, and Debian's Noto Sans CJK JP embedded (subset), so a screen reader
can read it and it prints the same everywhere. Nothing is fetched while rendering: the stylesheet
is handed over as a string, the charts are inline SVG and the font comes from the system
(fontconfig). The workbook has three sheets, 概要 / 項目別評価 / KPI, each starting with the title
and the report's state (確定 or 未確定, and the demo notice for demo cycles) so a printed or
forwarded sheet says it too, and a fourth, 外部評価, when outside bodies commented on the review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.chart import BarChart as ExcelBarChart
from openpyxl.chart import Reference
from openpyxl.styles import Alignment, Font

from yakusho.core.spreadsheets import SafeWorkbook, workbook_bytes
from yakusho.plans import figures
from yakusho.plans.exports import style_header
from yakusho.plans.report.build import DEMO_BANNER, Count, KpiEntry, Report, charts
from yakusho.plans.review.external import ExternalEntry

PDF_TEMPLATE = "plans/report/pdf.html"
PDF_STYLESHEET = "plans/report/pdf.css"  # found by the template loaders, handed over as a string
#: The variant WeasyPrint writes: tagged (structure tree, MarkInfo), /Lang, title shown, PDF 1.7.
PDF_VARIANT = "pdf/ua-1"
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
#: One row per KPI. Baseline, targets, actual and the figure judged are numbers, in the unit of the
#: 単位 column; the text beside each is the figure as printed (the plan's words, 「13件（目安）」).
#: 判定した値 is the figure the status judges, with what it is (判定した値の内容, as in the plan's
#: workbook: 「累計（令和6〜7年度の合計）」) and its year where that is not the report's.
KPI_HEADER = [
    "番号",
    "項目",
    "KPI",
    "集計",
    "単位",
    "現状値",
    "現状値（表記）",
    "目標値（当年度）",
    "目標値（当年度・表記）",
    "最終目標",
    "最終目標（表記）",
    "実績値（当年度）",
    "実績値（当年度・表記）",
    "実績値の出典",
    "実績値の時点",
    "判定した値",
    "判定した値の内容",
    "判定した値の年度",
    "計測の周期",
    "達成状況",
    "進捗率(%)",
    "評価",
]
#: Columns of KPI_HEADER holding figures in the KPI's unit (formatted by the unit in Excel).
FIGURE_COLUMNS = frozenset({"現状値", "目標値（当年度）", "最終目標", "実績値（当年度）", "判定した値"})
#: The 外部評価 sheet: one row per comment, the item's columns empty for one about the whole cycle.
EXTERNAL_HEADER = ["対象", "番号", "項目", "会議・委員会", "日付", "意見"]
#: How a share is shown in Excel (the cell holds 0.25 for 25.0%).
PERCENT_FORMAT = "0.0%"


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
        ("評価の対象", report.grade_summary.kind_label),
    ]


def grade_lines(report: Report) -> list[tuple[str, str]]:
    """The grade summary as lines of words (the PDF's 概要 table): its base, each level's count and
    share, the items not graded apart — or, with nothing graded, the sentence saying so."""
    summary = report.grade_summary
    if not summary.graded:
        return [("評価の内訳", summary.nothing_text)]
    lines = [
        (
            "評価の内訳（割合の母数）",
            "。".join(filter(None, [summary.base_text, summary.rule_text.rstrip("。")])),
        )
    ]
    lines += [(f"評価 {s.label}", f"{s.count}件（{s.percent_text}）") for s in summary.shares]
    if summary.ungraded:
        lines.append(("未評価", f"{summary.ungraded}件（割合に含めていません）"))
    return lines


# --- PDF ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfReviewRow:
    """One 課's review as a row of the PDF's 項目別評価 table (the node's cell spans its rows)."""

    department: str
    progress: str
    grade: str
    achievements: str
    issues: str
    next_steps: str  # with the 「訂正」 notes after it, one a line


@dataclass(frozen=True)
class PdfNodeRows:
    name: str  # level label, code and title
    depth: int  # 1 at the top; the stylesheet indents down to 6
    reviews: list[PdfReviewRow]
    external: tuple[ExternalEntry, ...] = ()  # a row each, under the reviews

    @property
    def rowspan(self) -> int:
        return len(self.reviews) + len(self.external)


def _pdf_nodes(report: Report) -> list[PdfNodeRows]:
    nodes = []
    for node in report.nodes:
        several = len(node.reviews) > 1
        rows = [
            PdfReviewRow(
                department=r.department + ("（主担当）" if r.lead and several else ""),
                progress=r.status_label + (f" {r.progress}%" if r.progress is not None else ""),
                grade=r.grade or "—",
                achievements=r.achievements,
                issues=r.issues,
                next_steps="\n".join(filter(None, [r.next_steps, *r.amendments])),
            )
            for r in node.reviews
        ]
        name = f"{node.level_label} {node.code} {node.title}".strip()
        nodes.append(
            PdfNodeRows(name=name, depth=min(max(node.depth, 1), 6), reviews=rows, external=node.external)
        )
    return nodes


def _pdf_html(report: Report) -> str:
    """The HTML the PDF is made from (in Japanese, as ``lang="ja"`` says, whatever the UI language)."""
    with translation.override("ja"):
        return render_to_string(
            PDF_TEMPLATE,
            {
                "report": report,
                "notices": notices(report),
                "summary": summary_lines(report),
                "grade_lines": grade_lines(report),
                "charts": charts(report),
                "nodes": _pdf_nodes(report),
            },
        )


def report_pdf(report: Report) -> bytes:
    """The report as a tagged PDF (PDF/UA-1) with its Japanese font embedded.

    WeasyPrint is imported here, not at the top: it loads Pango through cffi, and a server missing
    those system libraries (``make system-deps`` installs them) should lose this download only.
    """
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    # Nothing to fetch: the stylesheet comes as a string and the charts are inline SVG. Refusing
    # every scheme keeps a URL that ever slips into the template from reaching the network or disk.
    no_fetch = URLFetcher(allowed_protocols=())
    stylesheet = CSS(string=render_to_string(PDF_STYLESHEET), url_fetcher=no_fetch)
    document = HTML(string=_pdf_html(report), url_fetcher=no_fetch)
    pdf: bytes = document.write_pdf(stylesheets=[stylesheet], pdf_variant=PDF_VARIANT)
    return pdf


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
    _grade_share_block(overview, report)
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
        sheet.append(kpi_row(k))
        _format_figures(sheet[sheet.max_row], k.unit)
    style_header(sheet, 3)
    if report.has_external:
        _external_sheet(wb.create_sheet("外部評価"), report)
    return workbook_bytes(wb)


def _grade_share_block(ws: Any, report: Report) -> None:
    """The grade summary: the base in words, then each level's count (a number) and share (a
    number shown as a percentage), the items not graded on a row of their own, outside the base."""
    summary = report.grade_summary
    ws.append([])
    ws.append(["評価の内訳（評価した件数に対する割合）", "件数", "割合"])
    for c in ws[ws.max_row]:
        c.font = Font(bold=True)
    if not summary.graded:
        ws.append([summary.nothing_text])
        return
    ws.append(["。".join(filter(None, [summary.base_text, summary.rule_text.rstrip("。")]))])
    for s in summary.shares:
        ws.append([s.label, s.count, s.fraction])
        ws.cell(row=ws.max_row, column=3).number_format = PERCENT_FORMAT
    ws.append(["計（割合の母数）", summary.graded, 1])
    ws.cell(row=ws.max_row, column=3).number_format = PERCENT_FORMAT
    if summary.ungraded:
        ws.append(["未評価（割合に含めない）", summary.ungraded, None])


def external_row(e: ExternalEntry) -> list[Any]:
    """A row of the 外部評価 sheet, in the order of :data:`EXTERNAL_HEADER`."""
    target = "項目" if e.node_title else "計画全体"
    return [target, e.node_code, e.node_title, e.body, e.date, e.text]


def _external_sheet(ws: Any, report: Report) -> None:
    """Every external evaluation: those about the whole cycle first, then by item."""
    _sheet_head(ws, report)
    ws.append(EXTERNAL_HEADER)
    rows = list(report.external) + [e for node in report.nodes for e in node.external]
    for e in rows:
        ws.append(external_row(e))
        ws.cell(row=ws.max_row, column=EXTERNAL_HEADER.index("日付") + 1).number_format = "yyyy-mm-dd"
    style_header(ws, 3)
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.column_dimensions["F"].width = 80


def kpi_status(k: KpiEntry) -> str:
    """The status in words, with the words for a KPI behind its baseline (its 進捗率 is then 0)."""
    if k.behind_baseline and k.progress_text:
        return f"{k.status_text}（{k.progress_text}）"
    return k.status_text


def kpi_row(k: KpiEntry) -> list[Any]:
    """A row of the KPI sheet, in the order of :data:`KPI_HEADER`."""
    return [
        k.node_code,
        k.node_title,
        k.name,
        k.kind_label,
        k.unit,
        k.baseline_value,
        k.baseline,
        k.target_value,
        k.target,
        k.final_target_value,
        k.final_target,
        k.actual_value,
        k.actual_figure,
        k.actual_source,
        k.actual_as_of,
        k.judged_value,
        k.judged_kind,
        k.judged_year if k.judged_year != k.achievement.year else None,
        k.window_text,
        kpi_status(k),
        k.achievement.percent,  # never below 0 (the status says when it was)
        k.grade,
    ]


def _format_figures(row: tuple[Any, ...], unit: str) -> None:
    for cell in row:
        if cell.value is None:
            continue
        name = KPI_HEADER[cell.column - 1]
        if name in FIGURE_COLUMNS:
            cell.number_format = figures.excel_format(unit)
        elif isinstance(cell.value, date):
            cell.number_format = "yyyy-mm-dd"
        elif name == "進捗率(%)":
            cell.number_format = "0"
