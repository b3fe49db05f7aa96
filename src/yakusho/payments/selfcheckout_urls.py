"""The self-checkout's URLs (docs/payments.md "Self-checkout").

``staff_patterns`` join the staff payment pages (namespace ``payments_staff``, under
``/staff/m/<slug>/payments/``): the kiosks, registering and retiring one. ``urlpatterns`` are the
kiosk's own pages (namespace ``selfcheckout``), reached only by the unguessable token of a
registered kiosk: no municipality in the path, the token says which."""

from django.urls import path

from yakusho.payments import selfcheckout_views as views

M = "m/<slug:municipality>/payments/self-checkout/"
K = "self-checkout/<str:token>/"

staff_patterns = [
    path(M, views.KiosksView.as_view(), name="selfcheckout"),
    path(M + "<int:pk>/retire/", views.KioskRetireView.as_view(), name="selfcheckout_retire"),
]

app_name = "selfcheckout"
urlpatterns = [
    path(K, views.StartView.as_view(), name="start"),
    path(K + "visit/<str:code>/", views.VisitView.as_view(), name="visit"),
    path(K + "paid/<str:code>/", views.DoneView.as_view(), name="done"),
    path(K + "paid/<str:code>/receipt.pdf", views.ReceiptView.as_view(), name="receipt"),
]
