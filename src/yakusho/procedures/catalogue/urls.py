"""Public pages of the procedure catalogue (namespace ``procedures``)."""

from django.urls import path

from yakusho.procedures.catalogue import views
from yakusho.procedures.submissions.views import ApplyStartView

M = "m/<slug:municipality>/procedures/"

app_name = "procedures"
urlpatterns = [
    path(M, views.CatalogueView.as_view(), name="catalogue"),
    path(M + "life/<slug:event>/", views.LifeEventView.as_view(), name="life_event"),
    path(M + "<slug:procedure>/", views.ProcedureView.as_view(), name="detail"),
    path(M + "<slug:procedure>/apply/", ApplyStartView.as_view(), name="apply"),
]
