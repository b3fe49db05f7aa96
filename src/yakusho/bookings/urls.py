"""Every URL of the bookings app: public bookings and queue tickets and, under /staff/, their staff
pages (each included module keeps its own namespace)."""

from django.urls import include, path

urlpatterns = [
    path("", include("yakusho.bookings.public_urls")),
    path("", include("yakusho.bookings.queue.urls")),
    path("staff/", include("yakusho.bookings.staff_urls")),
    path("staff/", include("yakusho.bookings.queue.staff_urls")),
]
