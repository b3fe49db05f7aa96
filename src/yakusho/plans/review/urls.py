"""Staff URLs of the yearly review (mounted under /staff/, namespace ``reviews``)."""

from django.urls import path, re_path

from yakusho.plans.dashboard import views as dashboard_views
from yakusho.plans.report import views as report_views
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
]
