"""The staff inbox of submissions (mounted under /staff/, namespace ``inbox``)."""

from django.urls import path

from yakusho.procedures.submissions import inbox_views as views

M = "m/<slug:municipality>/submissions/"

app_name = "inbox"
urlpatterns = [
    path(M, views.InboxListView.as_view(), name="list"),
    path(M + "export.<str:fmt>", views.InboxExportView.as_view(), name="export"),
    path(M + "<int:pk>/", views.InboxDetailView.as_view(), name="detail"),
    path(M + "<int:pk>/files/<int:file>/", views.InboxFileView.as_view(), name="file"),
    path(M + "<int:pk>/pdf/", views.InboxPdfView.as_view(), name="pdf"),
    path(M + "<int:pk>/<str:action>/", views.InboxActionView.as_view(), name="action"),
]
