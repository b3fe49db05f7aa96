"""The analysis of what residents ask (staff): the figures of the query log for a range of days, as
a page and as an Excel workbook. Every role reads it, 課 staff included, for every 課: the analysis
is the town's, and the log holds no personal data (masked before it is stored)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import TemplateView
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from yakusho.core.jcal import JapaneseDateError, format_date, parse_iso_day
from yakusho.core.permissions import Perm
from yakusho.core.spreadsheets import SafeWorkbook, xlsx_response
from yakusho.faq.analysis import (
    TOPIC_ROWS,
    UNANSWERED_ROWS,
    Analysis,
    Counts,
    Group,
    Share,
    Week,
    analyse,
    default_range,
)
from yakusho.faq.staff_common import FaqStaffMixin

#: the longest range the page shows (its weekly table and chart stay readable)
MAX_DAYS = 3 * 366 + 1


#: the range form's fields as the page names them (the error summary says which one is wrong)
FIELD_LABELS = {"from": _lazy("始まりの日"), "to": _lazy("終わりの日")}


@dataclass(frozen=True)
class RangeChoice:
    """The range asked for in ``?from=&to=``: the days, what was typed, and an error per field."""

    start: date
    end: date
    typed: dict[str, str]
    errors: dict[str, str]

    @property
    def values(self) -> dict[str, str]:
        """What the form's fields show: what was typed, or the range's day where nothing was."""
        days = {"from": self.start, "to": self.end}
        return {name: self.typed[name] or days[name].isoformat() for name in days}


def read_range(params: Mapping[str, str], today: date) -> RangeChoice:
    """Read ``from`` and ``to`` (``2026-04-01``); an empty or missing one takes the default range."""
    default_start, default_end = default_range(today)
    typed = {name: (params.get(name) or "").strip()[:40] for name in ("from", "to")}
    errors: dict[str, str] = {}
    days: dict[str, date] = {"from": default_start, "to": default_end}
    for name in ("from", "to"):
        if typed[name]:
            try:
                days[name] = parse_iso_day(typed[name])
            except JapaneseDateError as exc:
                errors[name] = str(exc)
    start, end = days["from"], days["to"]
    if not errors:
        if start > end:
            errors["to"] = _("終わりの日は、始まりの日と同じか後の日にしてください。")
        elif (end - start).days + 1 > MAX_DAYS:
            errors["to"] = _("期間は3年以内にしてください。")
    return RangeChoice(start, end, typed, errors)


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    y_all: float
    h_all: float
    y_out: float
    h_out: float
    title: str


@dataclass(frozen=True)
class Chart:
    """A bar chart of the questions per week (in office hours and out of hours), drawn as SVG on
    the server; the weekly table beside it holds the same numbers for those who cannot see it."""

    width: int
    height: int
    top: int
    base: int
    left: int
    right: int
    peak: int
    bars: list[Bar]
    labels: list[tuple[float, str]]


def weekly_chart(weeks: list[Week]) -> Chart | None:
    if not weeks or not any(w.counts.questions for w in weeks):
        return None
    width, height, left, right, top, base = 640, 200, 40, 630, 12, 170
    peak = max(w.counts.questions for w in weeks)
    slot = (right - left) / len(weeks)
    bar_width = max(slot * 0.7, 1.0)
    scale = (base - top) / peak
    every = max(1, math.ceil(len(weeks) / 8))
    bars, labels = [], []
    for i, week in enumerate(weeks):
        x = left + i * slot + (slot - bar_width) / 2
        h_all = week.counts.questions * scale
        h_out = week.counts.out_of_hours * scale
        title = _("%(week)s：%(n)s件（うち開庁時間外%(out)s件）") % {
            "week": week.label,
            "n": f"{week.counts.questions:,}",
            "out": f"{week.counts.out_of_hours:,}",
        }
        bars.append(
            Bar(round(x, 1), round(bar_width, 1), round(base - h_all, 1), round(h_all, 1),
                round(base - h_out, 1), round(h_out, 1), title)
        )  # fmt: skip
        if i % every == 0:
            labels.append((round(x + bar_width / 2, 1), format_date(week.start, style="short")))
    return Chart(width, height, top, base, left, right, peak, bars, labels)


class AnalysisView(FaqStaffMixin, TemplateView):
    """問い合わせの分析: questions per week, per category, department and channel, the out-of-hours
    and answered shares, the questions left unanswered or rated unhelpful, and the entries given
    most often (問い合わせの多い業務), for ``?from=&to=`` (default: the last 12 weeks)."""

    template_name = "faq/staff/analysis.html"
    faq_section = "analysis"
    permission = Perm.VIEW

    def choice(self) -> RangeChoice:
        return read_range(self.request.GET, timezone.localdate())

    def page(self, choice: RangeChoice, analysis: Analysis | None) -> HttpResponse:
        context = self.get_context_data(
            choice=choice,
            analysis=analysis,
            chart=weekly_chart(analysis.weeks) if analysis else None,
            error_links=[
                (f"range-{name}", f"{FIELD_LABELS[name]}：{message}")
                for name, message in choice.errors.items()
            ],
            group_tables=self.group_tables(analysis) if analysis else [],
            field_labels=FIELD_LABELS,
            topic_rows=TOPIC_ROWS,
            unanswered_rows=UNANSWERED_ROWS,
        )
        return self.render_to_response(context, status=400 if choice.errors else 200)

    @staticmethod
    def group_tables(analysis: Analysis) -> list[tuple[str, str, str, list[Group]]]:
        """(heading id, heading, first column, rows) of the tables per category, 課 and channel."""
        return [
            ("categories-heading", _("分類ごとの質問数"), _("分類"), analysis.categories),
            ("departments-heading", _("担当課ごとの質問数"), _("担当課"), analysis.departments),
            ("channels-heading", _("経路ごとの質問数"), _("経路"), analysis.channels),
        ]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        choice = self.choice()
        if choice.errors:
            return self.page(choice, None)
        return self.page(choice, analyse(self.municipality, choice.start, choice.end))


class AnalysisExportView(AnalysisView):
    """The analysis as an .xlsx workbook, one sheet per table; a bad range shows the page's error."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        choice = self.choice()
        if choice.errors:
            return self.page(choice, None)
        analysis = analyse(self.municipality, choice.start, choice.end)
        name = f"FAQ分析_{self.municipality.name}_{choice.start.isoformat()}_{choice.end.isoformat()}.xlsx"
        return xlsx_response(name, workbook(analysis))


# --- the workbook --------------------------------------------------------------------------------

PERCENT = "0.0%"
DAY = "yyyy-mm-dd"
MOMENT = "yyyy-mm-dd hh:mm"


def _local(moment: datetime) -> datetime:
    """Excel has no time zones: the moment as Japan's wall-clock time."""
    return timezone.localtime(moment).replace(tzinfo=None)


def _table(
    sheet: Worksheet, header: list[str], rows: list[list[Any]], widths: list[int], formats: dict[int, str]
) -> None:
    """A header in bold, the rows, the column widths; ``formats`` by column index (0-based)."""
    sheet.append(header)
    start = sheet.max_row
    for cell in sheet[start]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column, fmt in formats.items():
        for (cell,) in sheet.iter_rows(min_row=start + 1, min_col=column + 1, max_col=column + 1):
            cell.number_format = fmt
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    sheet.freeze_panes = sheet.cell(row=start + 1, column=1).coordinate


def _counts_cells(counts: Counts) -> list[Any]:
    return [
        counts.questions,
        counts.answered,
        counts.answered_share.ratio,
        counts.out_of_hours,
        counts.out_of_hours_share.ratio,
        counts.helpful,
        counts.not_helpful,
    ]


def _counts_header() -> list[str]:
    return [
        _("質問数"),
        _("回答できた"),
        _("回答できた割合"),
        _("開庁時間外"),
        _("開庁時間外の割合"),
        _("解決した"),
        _("解決しなかった"),
    ]


#: the per-cent columns of :func:`_counts_cells`, counted from its first column
_COUNT_PERCENTS = (2, 4)


def _group_sheet(book: SafeWorkbook, title: str, label: str, groups: list[Group]) -> None:
    sheet = book.create_sheet(title)
    header = [label, *_counts_header(), _("全体に占める割合")]
    rows = [[g.label, *_counts_cells(g.counts), g.share.ratio] for g in groups]
    formats = {1 + i: PERCENT for i in _COUNT_PERCENTS} | {8: PERCENT}
    _table(sheet, header, rows, [28, 10, 10, 14, 12, 16, 10, 12, 16], formats)


def workbook(analysis: Analysis) -> SafeWorkbook:
    """One sheet per table of the page; counts as numbers, shares as fractions shown in per cent,
    dates as dates. Text goes through the workbook's neutralising (masked questions are typed by
    residents)."""
    book = SafeWorkbook()
    summary = book.active
    assert summary is not None
    summary.title = _("概要")
    t = analysis.totals
    summary.append([_("FAQ・チャットの質問記録（個人情報は伏せて保存）")])
    summary["A1"].font = Font(bold=True)
    summary.append([_("団体"), analysis.municipality.name])
    summary.append([_("期間の始まり"), analysis.start])
    summary.append([_("期間の終わり"), analysis.end])
    summary.append([_("デモデータ"), _("デモデータを含みます") if analysis.demo else _("含みません")])
    summary.append([])
    rows: list[tuple[str, int, Share | None]] = [
        (_("質問数"), t.questions, None),
        (_("回答できた"), t.answered, t.answered_share),
        (_("回答できなかった"), t.unanswered, t.unanswered_share),
        (_("開庁時間外"), t.out_of_hours, t.out_of_hours_share),
        (_("評価あり"), t.rated, t.rated_share),
        (_("解決した（評価ありのうち）"), t.helpful, t.helpful_share),
        (_("解決しなかった（評価ありのうち）"), t.not_helpful, t.not_helpful_share),
        (_("デモデータの件数"), analysis.demo, None),
    ]
    _table(
        summary,
        [_("項目"), _("件数"), _("割合"), _("割合の分母（件）")],
        [
            [label, n, share.ratio if share else None, share.whole if share else None]
            for label, n, share in rows
        ],
        [34, 22, 10, 16],
        {2: PERCENT},
    )
    for cell in (summary["B3"], summary["B4"]):
        cell.number_format = DAY

    weeks = book.create_sheet(_("週別"))
    header = [_("週の始まり"), _("週の終わり"), *_counts_header(), _("期間の一部のみ")]
    week_rows = [
        [w.start, w.end, *_counts_cells(w.counts), _("はい") if w.partial else ""] for w in analysis.weeks
    ]
    formats = {0: DAY, 1: DAY} | {2 + i: PERCENT for i in _COUNT_PERCENTS}
    _table(weeks, header, week_rows, [12, 12, 10, 10, 14, 12, 16, 10, 12, 14], formats)

    _group_sheet(book, _("分類別"), _("分類"), analysis.categories)
    _group_sheet(book, _("担当課別"), _("担当課"), analysis.departments)
    _group_sheet(book, _("経路別"), _("経路"), analysis.channels)

    unanswered = book.create_sheet(_("回答できなかった質問"))
    _table(
        unanswered,
        [_("質問（個人情報を伏せたもの）"), _("件数"), _("うち開庁時間外"), _("最後に聞かれた日時")],
        [[u.text, u.count, u.out_of_hours, _local(u.last_asked)] for u in analysis.unanswered],
        [50, 8, 14, 18],
        {3: MOMENT},
    )
    low = book.create_sheet(_("解決しなかった質問"))
    _table(
        low,
        [_("質問（個人情報を伏せたもの）"), _("回答した質問"), _("分類"), _("件数"), _("最後に聞かれた日時")],
        [[r.text, r.entry_question, r.category, r.count, _local(r.last_asked)] for r in analysis.low_rated],
        [40, 40, 20, 8, 18],
        {4: MOMENT},
    )
    topics = book.create_sheet(_("問い合わせの多い業務"))
    _table(
        topics,
        [
            _("順位"),
            _("回答した質問"),
            _("分類"),
            _("小分類"),
            _("担当課"),
            _("件数"),
            _("全体に占める割合"),
            _("開庁時間外"),
            _("解決した"),
            _("解決しなかった"),
        ],
        [
            [
                i,
                r.entry_question,
                r.category,
                r.subcategory,
                r.department,
                r.counts.questions,
                r.share.ratio,
                r.counts.out_of_hours,
                r.counts.helpful,
                r.counts.not_helpful,
            ]
            for i, r in enumerate(analysis.topics, start=1)
        ],
        [6, 40, 20, 16, 16, 8, 16, 12, 10, 12],
        {6: PERCENT},
    )
    return book
