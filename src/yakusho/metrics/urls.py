"""URLs of the metrics app: the staff 指標 page (namespace ``metrics``)."""

from django.urls import path

from yakusho.metrics import views

app_name = "metrics"
urlpatterns = [
    path("staff/m/<slug:municipality>/metrics/", views.MetricsView.as_view(), name="staff"),
]
