"""What a plan document carries besides its tree: the closing reviews (総括), the printed lists
as CSV and Excel, and the figures' images."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from yakusho.core.csvutil import csv_response
from yakusho.core.spreadsheets import xlsx_response
from yakusho.plans import exports
from yakusho.plans.models import (
    ClosingReview,
    Node,
    PlanFigure,
    PlanList,
)
from yakusho.plans.revision.editions import is_draft
from yakusho.plans.views import EditionMixin, cached_page, not_found


@cached_page
class ClosingReviewView(EditionMixin):
    """総括: the plan's own closing reviews (of the whole and per node), and those of earlier plans
    not held in Yakusho that the plan's document prints."""

    template_name = "plans/closing_review.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        reviews = list(ClosingReview.objects.filter(plan=self.plan).order_by("order", "pk"))
        nodes = {
            n.key: n
            for n in Node.objects.filter(
                edition=self.edition, key__in={r.node_key for r in reviews if r.node_key}
            )
        }
        own = [{"review": r, "node": nodes.get(r.node_key)} for r in reviews if not r.reviewed_plan_title]
        earlier: dict[str, list[ClosingReview]] = {}
        for r in reviews:
            if r.reviewed_plan_title:
                earlier.setdefault(r.reviewed_plan_title, []).append(r)
        predecessor = (
            self.visible().filter(pk=self.plan.predecessor_id).select_related("current_edition").first()
            if self.plan.predecessor_id
            else None
        )
        context.update(
            own=own,
            earlier=list(earlier.items()),
            predecessor=predecessor,
            predecessor_reviews=predecessor is not None
            and ClosingReview.objects.filter(plan=predecessor, reviewed_plan_title="").exists(),
        )
        return context


class ListDownloadView(EditionMixin):
    """One list of the plan (``PlanList``) as CSV or Excel, every cell neutralised."""

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        table = PlanList.objects.filter(edition=self.edition, key=self.kwargs["list_key"]).first()
        if table is None:
            return not_found(self.request, _("この一覧表は計画にありません。"), self.municipality)
        base = f"{self.plan.key}-{self.edition.number}-{table.key}"
        if self.kwargs["format"] == "csv":
            return csv_response(f"{base}.csv", table.columns, table.rows)
        return xlsx_response(f"{base}.xlsx", exports.list_workbook(table, self.edition))


#: how a figure's stored image is served, by its stored extension
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}


class FigureImageView(EditionMixin):
    """A figure's image (checked by content on import), served so that nothing in it can run: an
    SVG opened on its own is sandboxed and may load nothing."""

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        figure = PlanFigure.objects.filter(edition=self.edition, key=self.kwargs["figure"]).first()
        extension = str(figure.image.name or "").rsplit(".", 1)[-1].lower() if figure and figure.image else ""
        if figure is None or extension not in IMAGE_TYPES:
            return not_found(self.request, _("この図の画像は登録されていません。"), self.municipality)
        try:
            with figure.image.open("rb") as handle:
                data = handle.read()  # at most 5 MB (planfile.images.MAX_IMAGE_BYTES)
        except OSError:
            return not_found(self.request, _("この図の画像は登録されていません。"), self.municipality)
        response = HttpResponse(data, content_type=IMAGE_TYPES[extension])
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        public = self.plan.published and not is_draft(self.edition)
        response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
        return response
