"""Staff URLs of the metrics app (mounted under /staff/, namespace ``metrics``)."""

from django.urls import path

from yakusho.metrics import views

app_name = "metrics"
urlpatterns = [
    path("m/<slug:municipality>/metrics/", views.MetricsView.as_view(), name="staff"),
]
