"""Staff pages of the procedure catalogue (mounted under /staff/, namespace ``procedures_staff``)."""

from django.urls import path

from yakusho.procedures.catalogue import staff_views

M = "m/<slug:municipality>/procedures/"

app_name = "procedures_staff"
urlpatterns = [
    path(M, staff_views.ProcedureListView.as_view(), name="list"),
    path(M + "<int:pk>/", staff_views.ProcedureDetailView.as_view(), name="detail"),
    path(M + "<int:pk>/forms/upload/", staff_views.FormUploadView.as_view(), name="form_upload"),
]
