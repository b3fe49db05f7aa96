"""The form designer's pages (mounted under /staff/, namespace ``designer``)."""

from django.urls import path

from yakusho.procedures.designer import publish_views, views

M = "m/<slug:municipality>/procedures/"
D = M + "<int:pk>/designer/"

app_name = "designer"
urlpatterns = [
    path(M + "new/", views.ProcedureCreateView.as_view(), name="procedure_create"),
    path(D, views.OverviewView.as_view(), name="overview"),
    path(D + "start/", views.StartView.as_view(), name="start"),
    path(D + "discard/", views.DiscardView.as_view(), name="discard"),
    path(D + "settings/", views.SettingsView.as_view(), name="settings"),
    path(D + "pages/add/", views.PageAddView.as_view(), name="page_add"),
    path(D + "pages/<int:page>/", views.PageEditView.as_view(), name="page"),
    path(D + "pages/<int:page>/move/", views.PageMoveView.as_view(), name="page_move"),
    path(D + "pages/<int:page>/delete/", views.PageDeleteView.as_view(), name="page_delete"),
    path(D + "fields/add/", views.FieldAddView.as_view(), name="field_add"),
    path(D + "fields/<str:ref>/", views.FieldEditView.as_view(), name="field"),
    path(D + "fields/<str:ref>/type/", views.FieldTypeView.as_view(), name="field_type"),
    path(D + "fields/<str:ref>/move/", views.FieldMoveView.as_view(), name="field_move"),
    path(D + "fields/<str:ref>/delete/", views.FieldDeleteView.as_view(), name="field_delete"),
    path(D + "preview/", publish_views.PreviewView.as_view(), name="preview"),
    path(D + "preview/counter/", publish_views.CounterPreviewView.as_view(), name="preview_counter"),
    path(D + "publish/", publish_views.PublishView.as_view(), name="publish"),
]
