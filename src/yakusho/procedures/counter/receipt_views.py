"""The resident's printed 控え of a finished counter visit (PDF), for counter staff to print.

``counter:receipt`` (``/staff/m/<slug>/counter/<code>/receipt.pdf``): what was submitted, with the
receipt numbers, fees and whom to ask (:mod:`.receipt_pdf`). Only a finished visit has one; the
others, and a visit of another municipality, are a 404.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.views.generic import View

from yakusho.procedures.counter.receipt_pdf import receipt_entries, render_receipt
from yakusho.procedures.counter.views import CounterMixin
from yakusho.procedures.models.counter import VisitStatus


class ReceiptPdfView(CounterMixin, View):
    """Opened in the browser's PDF viewer (inline), to print and hand to the resident."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.get_visit()
        if visit.status != VisitStatus.FINISHED:
            raise Http404
        entries = receipt_entries(visit)
        if not entries:
            raise Http404
        visit.municipality = self.municipality
        response = HttpResponse(render_receipt(visit, entries), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{visit.code}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response
