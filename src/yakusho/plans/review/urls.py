"""Staff URLs of the yearly review (mounted under /staff/, namespace ``reviews``)."""

from django.urls import path, re_path

from yakusho.plans.dashboard import views as dashboard_views
from yakusho.plans.report import views as report_views
from yakusho.plans.review import external_views, scale_views
from yakusho.plans.review import views as review_views

M = "m/<slug:municipality>/"

app_name = "reviews"
urlpatterns = [
    path(M + "plans/<slug:plan>/reviews/", review_views.ReviewListView.as_view(), name="list"),
    path(M + "reviews/<int:cycle>/", review_views.CycleView.as_view(), name="cycle"),
    path(M + "reviews/<int:cycle>/nodes/<int:review>/", review_views.NodeReviewView.as_view(), name="node"),
    path(
        M + "reviews/<int:cycle>/nodes/<int:review>/evidence/<int:evidence>/",
        review_views.EvidenceDownloadView.as_view(),
        name="evidence",
    ),
    path(
        M + "reviews/<int:cycle>/dashboard/", dashboard_views.CycleDashboardView.as_view(), name="dashboard"
    ),
    path(
        "c/<slug:consortium>/dashboard/",
        dashboard_views.ConsortiumDashboardView.as_view(),
        name="consortium_dashboard",
    ),
    path(M + "reviews/<int:cycle>/report/", report_views.StaffReportView.as_view(), name="report"),
    re_path(
        r"^m/(?P<municipality>[-\w]+)/reviews/(?P<cycle>[0-9]+)/report\.(?P<format>pdf|xlsx)$",
        report_views.StaffReportDownloadView.as_view(),
        name="report_download",
    ),
    # grading scales of a plan (issue 17)
    path(M + "plans/<slug:plan>/scales/", scale_views.ScaleListView.as_view(), name="scales"),
    path(M + "plans/<slug:plan>/scales/new/", scale_views.ScaleCreateView.as_view(), name="scale_create"),
    path(M + "scales/<int:scale>/", scale_views.ScaleView.as_view(), name="scale"),
    path(M + "scales/<int:scale>/delete/", scale_views.ScaleDeleteView.as_view(), name="scale_delete"),
    path(M + "scales/<int:scale>/retire/", scale_views.ScaleRetireView.as_view(), name="scale_retire"),
    # external evaluation of a cycle (外部評価・有識者会議)
    path(M + "reviews/<int:cycle>/external/", external_views.ExternalListView.as_view(), name="external"),
    path(
        M + "reviews/<int:cycle>/external/<int:evaluation>/",
        external_views.ExternalEditView.as_view(),
        name="external_edit",
    ),
    path(
        M + "reviews/<int:cycle>/external/<int:evaluation>/delete/",
        external_views.ExternalDeleteView.as_view(),
        name="external_delete",
    ),
]
