"""The 日計表: a closed business day on one A4 page (or more), from the figures frozen at the close.

Made with reportlab and its built-in Japanese CID font (HeiseiKakuGo-W5, as the counter's 控え):
no font file on the server, and the text stays selectable and searchable. The document says it is
Japanese (``lang="ja"``) and carries a title, author and subject. Only a closed day has one: the
figures come from ``DailyClose.totals``, never recomputed, so the printout matches what was
closed whatever happens afterwards. Nothing is stored: the caller serves the bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.utils import timezone, translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from yakusho.core.jcal import format_date, format_datetime
from yakusho.core.pdf import BODY, SMALL, TITLE, para
from yakusho.payments.models import DailyClose, Method

NUMBER = ParagraphStyle("close-number", parent=BODY, alignment=2)
HEAD = ParagraphStyle("close-head", parent=BODY, fontSize=9)
HEADING = ParagraphStyle("close-heading", parent=BODY, fontSize=12, leading=17)
TITLE_TEXT = "日計表"
#: the width inside A4's 18 mm margins
FULL = 174 * mm
LABELS = [55 * mm, 119 * mm]


def yen(value: Any) -> str:
    return f"{int(value or 0):,}円"


def count(value: Any) -> str:
    return f"{int(value or 0):,}"


def method_label(method: str) -> str:
    return str(Method(method).label) if method in Method.values else method


def _grid(label_column: bool = False) -> TableStyle:
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if label_column:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")))
    else:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f2f2")))
    return TableStyle(style)


def _table(header: Sequence[str], rows: list[list[Any]], widths: Sequence[float], numeric_from: int) -> Table:
    """A table with a header row; columns from ``numeric_from`` on are right-aligned numbers."""
    body = [[para(h, HEAD) for h in header]]
    for row in rows:
        body.append([para(v, NUMBER if i >= numeric_from else BODY) for i, v in enumerate(row)])
    return Table(body, colWidths=list(widths), style=_grid(), repeatRows=1)


def _section(title: str, content: Flowable | str) -> list[Flowable]:
    block = content if isinstance(content, Flowable) else para(content)
    return [Spacer(1, 6 * mm), KeepTogether([para(title, HEADING), Spacer(1, 2 * mm), block])]


def _methods(totals: dict[str, Any]) -> Flowable:
    by_method = totals.get("by_method") or {}
    rows = [
        [
            method_label(m),
            count(f.get("count")),
            yen(f.get("in_yen")),
            yen(f.get("out_yen")),
            yen(int(f.get("in_yen") or 0) - int(f.get("out_yen") or 0)),
        ]
        for m, f in by_method.items()
    ]
    in_yen = int(totals.get("total_yen") or 0)
    out_yen = int(totals.get("reversals_yen") or 0)
    rows.append(["合計", count(totals.get("count")), yen(in_yen), yen(out_yen), yen(in_yen - out_yen)])
    table = _table(
        ["支払方法", "件数", "収入", "取消・返金", "差引"],
        rows,
        [46 * mm, 20 * mm, 36 * mm, 36 * mm, 36 * mm],
        numeric_from=1,
    )
    table.setStyle(TableStyle([("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f2f2"))]))
    return table


def _accounts(totals: dict[str, Any]) -> Flowable | str:
    rows = [
        [
            r.get("account_code") or "（未設定）",
            method_label(r.get("method", "")),
            count(r.get("count")),
            yen(r.get("yen")),
        ]
        for r in totals.get("by_account") or []
    ]
    if not rows:
        return "収入はありません。"
    return _table(
        ["歳入科目コード", "支払方法", "件数", "金額"], rows, [50 * mm, 52 * mm, 30 * mm, 42 * mm], 2
    )


def _items(totals: dict[str, Any]) -> Flowable | str:
    rows = [
        [
            r.get("item", ""),
            r.get("account_code") or "—",
            count(r.get("count")),
            count(r.get("quantity")),
            yen(r.get("yen")),
        ]
        for r in totals.get("by_item") or []
    ]
    if not rows:
        return "収入はありません。"
    return _table(
        ["手数料名", "歳入科目コード", "件数", "数量", "金額"],
        rows,
        [66 * mm, 34 * mm, 20 * mm, 20 * mm, 34 * mm],
        2,
    )


def _cash(close: DailyClose) -> Flowable:
    difference = close.difference_yen
    verdict = "過不足なし" if difference == 0 else f"{'過剰' if difference > 0 else '不足'} {difference:+,}円"
    rows = [
        [para("現金の予定額"), para(yen(close.expected_cash_yen))],
        [para("現金の実査額"), para(yen(close.counted_cash_yen))],
        [para("過不足"), para(verdict)],
        [para("過不足の理由"), para(close.difference_reason or "—")],
    ]
    return Table(rows, colWidths=LABELS, style=_grid(label_column=True))


@translation.override("ja")  # a Japanese document whoever prints it
def render_close(close: DailyClose) -> bytes:
    """The 日計表 of a closed day."""
    municipality = close.municipality
    totals: dict[str, Any] = close.totals or {}
    day = format_date(close.business_day)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{TITLE_TEXT} {close.business_day:%Y-%m-%d}",
        author=municipality.name,
        subject=f"{municipality.name} {TITLE_TEXT}（計上日 {day}）",
        creator="Yakusho",
        lang="ja",
    )
    cashless = count(totals.get("cashless_count"))
    head = [
        [para("団体"), para(municipality.name)],
        [para("計上日"), para(day)],
        [
            para("件数"),
            para(f"{count(totals.get('count'))}件（うちキャッシュレス {cashless}件）"),
        ],
        [
            para("取消・返金"),
            para(f"{count(totals.get('reversals_count'))}件 {yen(totals.get('reversals_yen'))}"),
        ],
        [para("締めた職員"), para(str(close.closed_by))],
        [para("締めた日時"), para(format_datetime(close.closed_at))],
    ]
    story: list[Flowable] = [
        para(municipality.name),
        Spacer(1, 3 * mm),
        para(TITLE_TEXT, TITLE),
        Spacer(1, 4 * mm),
        Table(head, colWidths=LABELS, style=_grid(label_column=True)),
        *_section("支払方法別", _methods(totals)),
        *_section("歳入科目別", _accounts(totals)),
        *_section("手数料別", _items(totals)),
        *_section("現金", _cash(close)),
        Spacer(1, 6 * mm),
        para(
            "取消・返金は、この計上日に行ったもの（締めた日の支払の返金は翌営業日の計上）です。"
            "数字は締めた時点のもので、後から変わりません。",
            SMALL,
        ),
        para(f"{format_date(timezone.localdate())} 出力（Yakusho・日計）", SMALL),
    ]
    doc.build(story)
    return out.getvalue()
