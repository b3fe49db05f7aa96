"""The daily close (日計) under ``/staff/m/<slug>/payments/`` (namespace ``payments_staff``):
the recent business days, a day's figures and close, its 日計表 PDF and its finance CSV."""

from django.urls import path

from yakusho.payments import staff_close

M = "m/<slug:municipality>/payments/"

urlpatterns = [
    path(M + "days/", staff_close.DayListView.as_view(), name="days"),
    path(M + "days/<str:day>/", staff_close.DayView.as_view(), name="day"),
    path(M + "days/<str:day>/report.pdf", staff_close.DayPdfView.as_view(), name="day_pdf"),
    path(M + "days/<str:day>/finance.csv", staff_close.DayExportView.as_view(), name="day_export"),
]
