"""The root URLs: one module per app (each includes its own areas), the API, health and languages."""

from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from yakusho.api import api
from yakusho.core.views import opsmetrics
from yakusho.core.views.public import healthz, switch_language
from yakusho.core.views.readiness import readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # readiness: the database, the outbox and the scheduled commands (docs/operations.md "Readiness")
    path("readyz", readyz, name="readyz"),
    # operator metrics for Prometheus: 404 unless YAKUSHO_METRICS_TOKEN is set (docs/monitoring.md)
    path("-/metrics", opsmetrics.metrics, name="ops_metrics"),
    path("api/v1/", api.urls),
    path("", include("yakusho.core.urls")),
    path("", include("yakusho.plans.urls")),
    path("", include("yakusho.procedures.urls")),
    path("", include("yakusho.bookings.urls")),
    path("", include("yakusho.faq.urls")),
    path("", include("yakusho.payments.urls")),
    path("", include("yakusho.metrics.urls")),
    path("i18n/language/", switch_language, name="set_language"),
    path("i18n/catalog.js", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]

handler400 = "yakusho.core.responses.bad_request"
handler403 = "yakusho.core.responses.permission_denied"
handler404 = "yakusho.core.responses.page_not_found"
