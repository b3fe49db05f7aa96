"""Every URL of the FAQ: the public pages and the chat and, under /staff/, the staff pages (each
included module keeps its own namespace)."""

from django.urls import include, path

urlpatterns = [
    path("", include("yakusho.faq.public_urls")),
    path("staff/", include("yakusho.faq.staff_urls")),
]
