"""Staff pages of the card-reader adapters (mounted under /staff/, namespace ``readers_staff``)."""

from django.urls import path

from yakusho.procedures.counter.readers import views as reader_views

M = "m/<slug:municipality>/readers/"

app_name = "readers_staff"
urlpatterns = [
    path(M, reader_views.ReaderListView.as_view(), name="list"),
    path(M + "<slug:key>/", reader_views.ReaderSettingView.as_view(), name="setting"),
    path(M + "<slug:key>/switch/", reader_views.ReaderSwitchView.as_view(), name="switch"),
    path(M + "<slug:key>/try/", reader_views.ReaderTryView.as_view(), name="try"),
]
