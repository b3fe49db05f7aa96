"""PDF of a plan edition (overview, roadmap, KPIs) on A4 landscape, with selectable Japanese text.

reportlab's built-in Japanese CID font (HeiseiKakuGo-W5) needs no font file on the server and
keeps the text as text, so it can be searched, copied and read aloud.

Its figures are written as on the plan pages (``plans.figures``): every actual with its year,
source and "as of" (``令和6年度：63件（計画書）``), a figure given only as a number written with its
unit, the status in words with a progress never below 0 %, a cumulative KPI's running total
labelled 累計, an every_n_years KPI's window in words, and each node named by its own level
(``Node.level``; the tree's depth only indents it).
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any
from xml.sax.saxutils import escape

import nh3
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from yakusho.core.jcal import format_fiscal_year
from yakusho.core.markdown import render_markdown
from yakusho.plans import figures
from yakusho.plans.achievement import evaluate
from yakusho.plans.exports import kpis_of
from yakusho.plans.models import Kpi, KpiTarget, Node, PlanEdition, ScheduleEntry

FONT = "HeiseiKakuGo-W5"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=10)
H1 = ParagraphStyle("h1", parent=BODY, fontSize=16, leading=22, spaceAfter=6)
H2 = ParagraphStyle("h2", parent=BODY, fontSize=12, leading=17, spaceBefore=8, spaceAfter=4)
GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E6E6E6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def paragraph(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    """Plain text (escaped, line breaks kept) as a paragraph in the Japanese font."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


_p = paragraph


def a4_document(out: io.BytesIO, title: str, author: str) -> SimpleDocTemplate:
    """An A4 landscape document with 12 mm margins: the layout of every PDF Yakusho makes."""
    return SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author=author,
    )


def _plain(markdown: str) -> str:
    html = render_markdown(markdown).replace("</p>", "\n").replace("</li>", "\n").replace("<br>", "\n")
    return nh3.clean(html, tags=set()).strip()


def level_label(labels: list[str], node: Node) -> str:
    """The plan's own name of the node's level (``Node.level``), not of its depth in the tree."""
    return labels[node.level - 1] if 0 < node.level <= len(labels) else ""


def target_text(target: KpiTarget, unit: str) -> str:
    """``令和11年度：700件``: the plan's words, else the number with its unit."""
    text = target.text or figures.format_figure(target.value, target.unit or unit)
    return f"{format_fiscal_year(target.fiscal_year, short=True)}：{text}" if target.fiscal_year else text


def kpi_cells(kpi: Kpi) -> list[str]:
    """The KPI table's texts: name (with its unit and kind), baseline, targets, actuals, progress."""
    a = evaluate(kpi)
    name = f"{kpi.name}（{kpi.unit}）" if kpi.unit else kpi.name
    if kpi.reprint_of_id is not None:
        name += "（再掲）"
    kind = figures.accumulation_text(kpi)
    window = figures.window_text(a)
    if kind:
        name += "\n" + f"集計：{kind}" + (f"（{window}）" if window else "")
    baseline = kpi.baseline_text or figures.format_figure(kpi.baseline_value, kpi.unit)
    targets = "\n".join(target_text(t, kpi.unit) for t in kpi.targets.all()) or figures.MISSING
    actuals = "\n".join(figures.actual_with_year(x, kpi.unit) for x in kpi.actuals.all()) or figures.MISSING
    judged = figures.judged_text(kpi, a, kpi.edition.first_year)
    if judged:
        actuals += "\n" + judged
    progress = figures.progress_text(a, kpi.direction)
    status = figures.status_text(a) + (f" {progress}" if progress else "")
    return [name, baseline, targets, actuals, status]


def plan_pdf(edition: PlanEdition) -> bytes:
    out = io.BytesIO()
    doc = a4_document(out, edition.title, edition.municipality.name)
    first_fy = format_fiscal_year(edition.first_year, short=True)
    period = f"{first_fy}〜{format_fiscal_year(edition.last_year, short=True)}"
    story: list[Any] = [
        _p(edition.title, H1),
        _p(f"{edition.municipality.name}　{edition.kind}　計画期間：{period}　第{edition.number}版"),
    ]
    if edition.vision:
        story += [_p("目指す姿", H2), _p(_plain(edition.vision))]
    nodes = list(Node.objects.filter(edition=edition).order_by("order"))
    labels = edition.level_labels
    story.append(_p("施策の体系", H2))
    for n in nodes:
        named = " ".join(p for p in (level_label(labels, n), n.code, n.title) if p)
        story.append(_p(f"{'　' * (n.depth - 1)}{named}"))

    years = list(range(edition.first_year, edition.last_year + 1))
    schedule: dict[int, list[ScheduleEntry]] = defaultdict(list)
    for scheduled in ScheduleEntry.objects.filter(node__edition=edition).order_by("order"):
        schedule[scheduled.node_id].append(scheduled)
    story += [PageBreak(), _p("工程表", H2)]
    head = [_p("項目", SMALL)] + [_p(format_fiscal_year(y, short=True), SMALL) for y in years]
    rows = [head]
    for n in nodes:
        entries: list[ScheduleEntry | None] = list(schedule.get(n.pk, [])) or [None]
        for entry in entries:
            cells = [_p(f"{n.code} {n.title}", SMALL)]
            for y in years:
                if entry is not None and entry.first_year <= y <= entry.last_year:
                    text = entry.activity if y == max(entry.first_year, years[0]) else "⇒"
                    cells.append(_p(text, SMALL))
                else:
                    cells.append(_p("", SMALL))
            rows.append(cells)
    width = doc.width
    first = width * 0.3
    table = Table(rows, colWidths=[first] + [(width - first) / len(years)] * len(years), repeatRows=1)
    table.setStyle(GRID)
    story.append(table)

    kpis = kpis_of(edition)
    story += [PageBreak(), _p("KPI", H2)]
    if kpis:
        header = ("KPI", "現状値", "目標値", "実績値（出典・時点）", "進み具合")
        rows = [[_p(h, SMALL) for h in header]]
        for k in kpis:
            rows.append([_p(text, SMALL) for text in kpi_cells(k)])
        table = Table(rows, colWidths=[width * f for f in (0.25, 0.12, 0.18, 0.3, 0.15)], repeatRows=1)
        table.setStyle(GRID)
        story.append(table)
    else:
        story.append(_p("この計画にはKPIが設定されていません。"))
    story.append(Spacer(1, 4 * mm))
    doc.build(story)
    return out.getvalue()
