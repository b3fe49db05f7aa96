from django.urls import path, re_path

from yakusho.plans import compare_views, document_views, table_views, views
from yakusho.plans.report import views as report_views
from yakusho.plans.revision import views as revision_views

P = "m/<slug:municipality>/plans/<slug:plan>/"

app_name = "plans"
urlpatterns = [
    path("compare/", compare_views.CompareView.as_view(), name="compare"),
    path(
        "staff/c/<slug:consortium>/compare/",
        compare_views.ConsortiumCompareView.as_view(),
        name="consortium_compare",
    ),
    path("m/<slug:municipality>/plans/", views.PlanListView.as_view(), name="list"),
    path("m/<slug:municipality>/glossary/", views.GlossaryView.as_view(), name="glossary"),
    path(P, views.OverviewView.as_view(), name="overview"),
    path(P + "roadmap/", table_views.RoadmapView.as_view(), name="roadmap"),
    path(P + "kpis/", table_views.KpiListView.as_view(), name="kpis"),
    path(P + "alignment/", table_views.AlignmentView.as_view(), name="alignment"),
    path(P + "nodes/<str:node>/", views.NodeView.as_view(), name="node"),
    re_path(
        r"^m/(?P<municipality>[-\w]+)/plans/(?P<plan>[-\w]+)/export\.(?P<format>xlsx|pdf|csv|yaml|json)$",
        views.ExportView.as_view(),
        name="export",
    ),
    path(P + "departments/<int:department>/", views.DepartmentView.as_view(), name="department"),
    path(P + "closing-review/", document_views.ClosingReviewView.as_view(), name="closing_review"),
    path(P + "figures/<str:figure>/image/", document_views.FigureImageView.as_view(), name="figure_image"),
    re_path(
        r"^m/(?P<municipality>[-\w]+)/plans/(?P<plan>[-\w]+)/lists/(?P<list_key>[^/]+)\.(?P<format>csv|xlsx)$",
        document_views.ListDownloadView.as_view(),
        name="list_download",
    ),
    path(P + "editions/", revision_views.PublicEditionsView.as_view(), name="editions"),
    path(P + "editions/diff/", revision_views.PublicDiffView.as_view(), name="edition_diff"),
    path(P + "reports/", report_views.PublicReportListView.as_view(), name="reports"),
    path(P + "reports/<int:fiscal_year>/", report_views.PublicReportView.as_view(), name="report"),
    # a period of a plan reviewed half-yearly (1–2) or quarterly (1–4)
    path(
        P + "reports/<int:fiscal_year>/<int:period>/",
        report_views.PublicReportView.as_view(),
        name="report_period",
    ),
    re_path(
        r"^m/(?P<municipality>[-\w]+)/plans/(?P<plan>[-\w]+)/reports/(?P<fiscal_year>[0-9]{4})/report\.(?P<format>pdf|xlsx)$",
        report_views.PublicReportDownloadView.as_view(),
        name="report_download",
    ),
    re_path(
        r"^m/(?P<municipality>[-\w]+)/plans/(?P<plan>[-\w]+)/reports/(?P<fiscal_year>[0-9]{4})/(?P<period>[1-4])/report\.(?P<format>pdf|xlsx)$",
        report_views.PublicReportDownloadView.as_view(),
        name="report_period_download",
    ),
]
