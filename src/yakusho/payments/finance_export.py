"""A closed business day for the finance system (財務会計システム): one CSV row per (accounting code,
fee item, method) of the day's payments, and the day's voids and refunds as rows of their own with
negative amounts (docs/payments.md, "The finance system's CSV").

The rows are computed in three queries whatever the number of payments: the payments' lines
grouped by code, item and method; the day's reversals; the lines of the payments they reverse. A
refund of part of a payment of several lines is spread over its lines in proportion to their
amounts (largest remainder, so the rows add up to the yen refunded). A closed day cannot change
(a later void or refund is dated the next open day), so the rows agree with the figures frozen at
the close; :func:`check_against_close` makes sure before anything is handed over.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from yakusho.core.models import Municipality
from yakusho.payments.models import (
    DailyClose,
    Method,
    Payment,
    PaymentLine,
    PaymentStatus,
    Reversal,
    ReversalStatus,
)

INCOME = "収入"
REVERSAL = "取消・返金"
HEADER = (
    "計上日",
    "歳入科目コード",
    "歳入科目",
    "手数料名",
    "支払方法",
    "件数",
    "数量",
    "金額（円）",
    "区分",
)
#: the payments a day's figures count (as ``services.day_summary``)
COUNTED = (PaymentStatus.PAID, PaymentStatus.VOIDED, PaymentStatus.REFUNDED)


class ExportMismatch(Exception):
    """The rows do not add up to the figures frozen at the close (the message says by how much)."""


@dataclass(frozen=True)
class Row:
    day: date
    account_code: str
    account_name: str
    item: str
    method: str
    count: int
    quantity: int
    yen: int
    kind: str

    @property
    def method_label(self) -> str:
        return str(Method(self.method).label) if self.method in Method.values else self.method

    def as_csv(self) -> list[Any]:
        return [
            self.day,
            self.account_code,
            self.account_name,
            self.item,
            self.method_label,
            self.count,
            self.quantity,
            self.yen,
            self.kind,
        ]


def _method_order(method: str) -> int:
    return Method.values.index(method) if method in Method.values else len(Method.values)


def _sort_key(row: Row) -> tuple[Any, ...]:
    return (row.kind != INCOME, row.account_code, row.item, _method_order(row.method))


def income_rows(municipality: Municipality, day: date) -> list[Row]:
    """The lines of the day's payments by (code, item, method): one query."""
    payments = Payment.objects.for_municipality(municipality).filter(business_day=day, status__in=COUNTED)
    grouped = (
        PaymentLine.objects.filter(payment__in=payments)
        .values("account_code", "item__account_name", "name", "payment__method")
        .annotate(n=Count("pk"), q=Sum("quantity"), yen=Sum("amount_yen"))
        .order_by()
    )
    return [
        Row(
            day,
            r["account_code"],
            r["item__account_name"] or "",
            r["name"],
            r["payment__method"],
            int(r["n"]),
            int(r["q"] or 0),
            int(r["yen"] or 0),
            INCOME,
        )
        for r in grouped
    ]


def _spread(amount: int, weights: list[int]) -> list[int]:
    """``amount`` spread over ``weights`` in proportion, by largest remainder (adds up exactly)."""
    total = sum(weights)
    if total <= 0:
        return [amount] + [0] * (len(weights) - 1)
    shares = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def reversal_rows(municipality: Municipality, day: date) -> list[Row]:
    """The voids and refunds done with ``day`` as their business day, as negative rows: two queries.

    A void or a refund of the whole payment takes back each line as it was charged (its quantity
    negative too); a refund of part of a payment is spread over the payment's lines by amount,
    with 数量 0 for a line not taken back in full."""
    reversals = list(
        Reversal.objects.for_municipality(municipality)
        .filter(business_day=day, status=ReversalStatus.DONE)
        .values("pk", "payment_id", "amount_yen", "payment__method")
        .order_by("pk")
    )
    if not reversals:
        return []
    lines_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for found in (
        PaymentLine.objects.filter(payment_id__in={r["payment_id"] for r in reversals})
        .values("payment_id", "account_code", "item__account_name", "name", "quantity", "amount_yen")
        .order_by("payment_id", "order", "pk")
    ):
        lines_of[found["payment_id"]].append(dict(found))
    sums: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for reversal in reversals:
        lines = lines_of.get(reversal["payment_id"]) or []
        if not lines:  # pragma: no cover - a payment always has lines
            continue
        amounts = [int(line["amount_yen"]) for line in lines]
        whole = int(reversal["amount_yen"]) == sum(amounts)  # a void or a refund of everything
        shares = amounts if whole else _spread(int(reversal["amount_yen"]), amounts)
        for line, share in zip(lines, shares, strict=True):
            if not whole and share == 0:
                continue
            method = reversal["payment__method"]
            figures = sums[(line["account_code"], line["item__account_name"] or "", line["name"], method)]
            figures[0] += 1
            figures[1] += int(line["quantity"]) if whole or share == line["amount_yen"] else 0
            figures[2] += share
    return [
        Row(day, code, name, item, method, n, -quantity, -yen, REVERSAL)
        for (code, name, item, method), (n, quantity, yen) in sums.items()
    ]


def export_rows(municipality: Municipality, day: date) -> list[Row]:
    """Every row of the day's export, income first, then reversals, each by code, item, method."""
    return sorted(income_rows(municipality, day) + reversal_rows(municipality, day), key=_sort_key)


def check_against_close(close: DailyClose, rows: list[Row]) -> None:
    """Refuse to hand over rows that do not add up to what the close froze."""
    totals = close.totals or {}
    frozen = int(totals.get("total_yen", 0)) - int(totals.get("reversals_yen", 0))
    income = sum(r.yen for r in rows if r.kind == INCOME)
    net = sum(r.yen for r in rows)
    if income != int(totals.get("total_yen", 0)) or net != frozen:
        raise ExportMismatch(
            _(
                "締めたときの集計（差引%(frozen)s円）と支払の記録（差引%(net)s円）が一致しません。"
                "書き出しを中止しました。システム管理者に連絡してください。"
            )
            % {"frozen": f"{frozen:,}", "net": f"{net:,}"}
        )


def filename(municipality: Municipality, day: date) -> str:
    return f"日計_財務連携_{municipality.slug}_{day:%Y%m%d}.csv"
