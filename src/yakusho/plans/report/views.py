"""The progress report (進捗状況報告書) of a yearly review: a staff page while the review runs, and a
public page with downloads once it is finalised.

Every format renders ``report.build(cycle)``, so the page, the PDF and the workbook agree.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import Municipality
from yakusho.plans.models import Plan, ReviewCycle
from yakusho.plans.report import build as report
from yakusho.plans.report.exports import report_pdf, report_workbook
from yakusho.plans.views import cached_page, not_found, visible_plans, year_span

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(built: report.Report, fmt: str, plan_key: str) -> HttpResponse:
    period = f"-p{built.cycle.period}" if built.cycle.period else ""
    name = f"{plan_key}-{built.fiscal_year}{period}-report{'-draft' if not built.finalised else ''}.{fmt}"
    if fmt == "pdf":
        response = HttpResponse(report_pdf(built), content_type="application/pdf")
    else:
        response = HttpResponse(report_workbook(built), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _cycles(municipality: Municipality) -> Any:
    return ReviewCycle.objects.for_municipality(municipality).select_related("edition__plan", "municipality")


# --- staff ----------------------------------------------------------------------------------


class StaffReportMixin(MunicipalityStaffMixin):
    kwargs: dict[str, Any]

    def cycle(self) -> ReviewCycle:
        return get_object_or_404(_cycles(self.municipality), pk=self.kwargs["cycle"])


class StaffReportView(StaffReportMixin, TemplateView):
    """The report as it stands: every role of the municipality reads it, marked 未確定 while open."""

    template_name = "plans/report/staff.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        cycle = self.cycle()
        built = report.build(cycle)
        plan = cycle.edition.plan
        slug = self.municipality.slug
        context.update(report.context(built))
        context.update(
            cycle=cycle,
            pdf_url=reverse("reviews:report_download", args=[slug, cycle.pk, "pdf"]),
            xlsx_url=reverse("reviews:report_download", args=[slug, cycle.pk, "xlsx"]),
            public_url=(
                public_urls(slug, plan.key, cycle)["page"] if built.finalised and plan.published else None
            ),
        )
        return context


class StaffReportDownloadView(StaffReportMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        cycle = self.cycle()
        return download(report.build(cycle), kwargs["format"], cycle.edition.plan.key)


# --- public ---------------------------------------------------------------------------------


def public_urls(slug: str, plan_key: str, cycle: ReviewCycle) -> dict[str, str]:
    """The public addresses of a published review's report: its page, PDF and Excel."""
    here: list[object] = [slug, plan_key, cycle.fiscal_year]
    if cycle.period:
        here.append(cycle.period)
        page, download = "plans:report_period", "plans:report_period_download"
    else:
        page, download = "plans:report", "plans:report_download"
    return {
        "page": reverse(page, args=here),
        "pdf": reverse(download, args=[*here, "pdf"]),
        "xlsx": reverse(download, args=[*here, "xlsx"]),
    }


class PublicReportMixin(TemplateView):
    """Resolves municipality and plan (published, or any for its own staff), or a helpful 404."""

    municipality: Municipality
    plan: Plan

    def resolve(self, request: HttpRequest, kwargs: dict[str, Any]) -> HttpResponse | None:
        municipality = Municipality.objects.filter(slug=kwargs["municipality"]).first()
        if municipality is None:
            return not_found(request, _("この自治体は見つかりません。"))
        plan = visible_plans(request, municipality).filter(key=kwargs["plan"]).first()
        if plan is None or plan.current_edition is None:
            return not_found(request, _("この計画は見つかりません。"), municipality)
        self.municipality, self.plan = municipality, plan
        return None

    def published_cycle(self, request: HttpRequest, year: int, period: int = 0) -> ReviewCycle | HttpResponse:
        """The finalised cycle of ``year`` (and ``period``); a review still open is not published, so
        it is a 404. A plan reviewed per period has no cycle for the whole year: its year's address
        leads to the latest published period of the year."""
        cycles = _cycles(self.municipality).filter(edition__plan=self.plan, fiscal_year=year)
        cycle = cycles.filter(period=period).first()
        if cycle is None and period == 0:
            latest = cycles.filter(state=ReviewCycle.State.FINALISED).order_by("-period").first()
            if latest is not None:
                return redirect(public_urls(self.municipality.slug, self.plan.key, latest)["page"])
        if cycle is None:
            return not_found(
                request,
                _("この年度の進捗状況報告書はありません（進捗評価が行われていません）。"),
                self.municipality,
            )
        if cycle.state != ReviewCycle.State.FINALISED:
            return not_found(
                request,
                _(
                    "この年度の進捗状況報告書はまだ公表されていません。進捗評価が確定すると、ここに掲載されます。"
                ),
                self.municipality,
            )
        return cycle

    def plan_context(self, edition: Any) -> dict[str, Any]:
        """What ``plans/base.html`` needs (no edition switch: a report belongs to its edition)."""
        return {
            "municipality": self.municipality,
            "plan": self.plan,
            "edition": edition,
            "editions": [],
            "period": year_span(edition.first_year, edition.last_year),
        }


@cached_page
class PublicReportListView(PublicReportMixin):
    """The plan's published reports, newest year first."""

    template_name = "plans/report/list.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = self.resolve(request, kwargs)
        if refused is not None:
            return refused
        cycles = list(
            _cycles(self.municipality)
            .filter(edition__plan=self.plan, state=ReviewCycle.State.FINALISED)
            .select_related("edition")
            .order_by("-fiscal_year", "-period")
        )
        assert self.plan.current_edition is not None  # checked by resolve()
        rows = [(c, public_urls(self.municipality.slug, self.plan.key, c)) for c in cycles]
        return self.render_to_response({**self.plan_context(self.plan.current_edition), "rows": rows})


@cached_page
class PublicReportView(PublicReportMixin):
    template_name = "plans/report/public.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = self.resolve(request, kwargs)
        if refused is not None:
            return refused
        cycle = self.published_cycle(request, kwargs["fiscal_year"], kwargs.get("period", 0))
        if isinstance(cycle, HttpResponse):
            return cycle
        built = report.build(cycle)
        urls = public_urls(self.municipality.slug, self.plan.key, cycle)
        return self.render_to_response(
            {
                **self.plan_context(cycle.edition),
                **report.context(built),
                "cycle": cycle,
                "pdf_url": urls["pdf"],
                "xlsx_url": urls["xlsx"],
            }
        )


class PublicReportDownloadView(PublicReportMixin):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = self.resolve(request, kwargs)
        if refused is not None:
            return refused
        cycle = self.published_cycle(request, int(kwargs["fiscal_year"]), int(kwargs.get("period") or 0))
        if isinstance(cycle, HttpResponse):
            return cycle
        return download(report.build(cycle), kwargs["format"], self.plan.key)
