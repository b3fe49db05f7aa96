"""Every URL of payments: the public fee list and, under /staff/, the till, the daily close and the
fee catalogue; the self-checkout's kiosk pages (each included module keeps its own namespace)."""

from django.urls import include, path

urlpatterns = [
    path("", include("yakusho.payments.public_urls")),
    path("staff/", include("yakusho.payments.staff_urls")),
    path("", include("yakusho.payments.selfcheckout_urls")),
]
