"""Staff pages of the fee catalogue (part of the ``payments_staff`` namespace, see ``staff_urls``)."""

from django.urls import path

from yakusho.payments import staff_catalogue

M = "m/<slug:municipality>/payments/"

urlpatterns = [
    path(M + "fees/", staff_catalogue.FeeListView.as_view(), name="fees"),
    path(M + "fees/new/", staff_catalogue.FeeFormView.as_view(), name="fee_create"),
    path(M + "fees/<int:pk>/edit/", staff_catalogue.FeeFormView.as_view(), name="fee_edit"),
    path(M + "fees/<int:pk>/rates/new/", staff_catalogue.RateCreateView.as_view(), name="rate_create"),
    path(M + "fees.xlsx", staff_catalogue.FeeExportView.as_view(), name="fees_export"),
    path(M + "fees/import/", staff_catalogue.FeeImportView.as_view(), name="fees_import"),
]
