"""Public payment pages (namespace ``payments``): the municipality's fees and how to pay them."""

from django.urls import path

from yakusho.payments import public_views

app_name = "payments"
urlpatterns = [
    path("m/<slug:municipality>/fees/", public_views.FeesView.as_view(), name="fees"),
]
