"""Public payment URLs (namespace ``payments``): the municipality's fees and how to pay them, and
the payment providers' notifications (server to server, docs/payments.md "Online payment")."""

from django.urls import path

from yakusho.payments import notify_views, public_views

app_name = "payments"
urlpatterns = [
    path("m/<slug:municipality>/fees/", public_views.FeesView.as_view(), name="fees"),
    path("payments/notify/<slug:provider>/", notify_views.NotificationView.as_view(), name="notify"),
]
