"""Staff URLs of plan revision (mounted under /staff/, namespace ``revisions``)."""

from django.urls import path

from yakusho.plans.revision import views as revision_views

E = "m/<slug:municipality>/plans/<slug:plan>/editions/"
D = E + "<str:number>/"

app_name = "revisions"
urlpatterns = [
    path(E, revision_views.EditionListView.as_view(), name="list"),
    path(D, revision_views.DraftView.as_view(), name="draft"),
    path(D + "nodes/<str:node>/", revision_views.NodeEditView.as_view(), name="node"),
    path(D + "new-kpi/", revision_views.KpiEditView.as_view(), name="kpi_new"),
    path(D + "kpis/<str:kpi>/", revision_views.KpiEditView.as_view(), name="kpi"),
    path(D + "adopt/", revision_views.AdoptView.as_view(), name="adopt"),
]
