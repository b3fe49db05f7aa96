"""Public FAQ pages (namespace ``faq``)."""

from django.urls import path

from yakusho.faq import views

M = "m/<slug:municipality>/faq/"

app_name = "faq"
urlpatterns = [
    path(M, views.FaqHomeView.as_view(), name="home"),
    path(M + "c/<int:category>/", views.CategoryView.as_view(), name="category"),
    path(M + "<str:kind>/<slug:key>/", views.EntryView.as_view(), name="entry"),
]
