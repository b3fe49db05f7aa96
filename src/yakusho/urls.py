from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from yakusho.api import api
from yakusho.core.urls import public_patterns, staff_patterns
from yakusho.core.views import healthz, switch_language
from yakusho.procedures import counter_urls

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("", include(public_patterns)),
    path("", include("yakusho.plans.urls")),
    path("", include("yakusho.procedures.urls")),
    path("", include("yakusho.procedures.submission_urls")),
    path("", include(counter_urls.public_patterns)),
    path("", include("yakusho.bookings.urls")),
    path("", include("yakusho.bookings.queue_urls")),
    path("staff/", include(staff_patterns)),
    path("staff/", include("yakusho.plans.review_urls")),
    path("staff/", include("yakusho.plans.revision_urls")),
    path("staff/", include("yakusho.procedures.staff_urls")),
    path("staff/", include("yakusho.procedures.inbox_urls")),
    path("staff/", include("yakusho.procedures.reader_urls")),
    path("staff/", include("yakusho.procedures.counter_urls")),
    path("staff/", include("yakusho.procedures.designer_urls")),
    path("staff/", include("yakusho.plans.joint_goal_urls")),
    path("staff/", include("yakusho.bookings.staff_urls")),
    path("staff/", include("yakusho.bookings.queue_staff_urls")),
    path("staff/", include("yakusho.metrics.urls")),
    path("i18n/language/", switch_language, name="set_language"),
    path("i18n/catalog.js", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]
