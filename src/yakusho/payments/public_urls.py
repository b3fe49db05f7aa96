"""Public payment URLs (namespace ``payments``): the municipality's fees and how to pay them, and
the payment providers' notifications (server to server, docs/payments.md "Online payment"), the
resident's way back from a provider's page and the 領収書 of an online payment."""

from django.urls import path

from yakusho.payments import notify_views, online_views, public_views

P = "m/<slug:municipality>/payments/"

app_name = "payments"
urlpatterns = [
    path("m/<slug:municipality>/fees/", public_views.FeesView.as_view(), name="fees"),
    path("payments/notify/<slug:provider>/", notify_views.NotificationView.as_view(), name="notify"),
    path(P + "return/<str:key>/", online_views.ReturnView.as_view(), name="return"),
    path(P + "receipt/<str:code>/", online_views.ReceiptView.as_view(), name="receipt"),
]
