"""Every URL of the procedures app: the public catalogue, applying and the status pages, the counter's
confirmation page and, under /staff/, the catalogue, inbox, card readers, counter and designer (each
included module keeps its own namespace)."""

from django.urls import include, path

from yakusho.procedures.counter import urls as counter_urls

urlpatterns = [
    path("", include("yakusho.procedures.catalogue.urls")),
    path("", include("yakusho.procedures.submissions.urls")),
    path("", include(counter_urls.public_patterns)),
    path("staff/", include("yakusho.procedures.catalogue.staff_urls")),
    path("staff/", include("yakusho.procedures.submissions.inbox_urls")),
    path("staff/", include("yakusho.procedures.counter.readers.urls")),
    path("staff/", include("yakusho.procedures.counter.urls")),
    path("staff/", include("yakusho.procedures.designer.urls")),
]
