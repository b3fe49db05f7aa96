"""URLs of the counter (書かない窓口): staff pages (mounted under /staff/, namespace ``counter``)
and the resident's confirmation page (``public_patterns``, namespace ``counter_public``)."""

from django.urls import path

from yakusho.procedures.counter import receipt_views, screen_views, views

M = "m/<slug:municipality>/counter/"
V = M + "<str:code>/"

app_name = "counter"
urlpatterns = [
    path(M, views.CounterHomeView.as_view(), name="home"),
    path(M + "screens/", screen_views.ScreensView.as_view(), name="screens"),
    path(M + "one-stop/", views.OneStopListView.as_view(), name="one_stop"),
    path(M + "one-stop/<slug:event>/", views.OneStopEditView.as_view(), name="one_stop_edit"),
    path(V, views.VisitView.as_view(), name="visit"),
    path(V + "status/", views.VisitStatusView.as_view(), name="status"),
    path(V + "identify/", views.IdentifyView.as_view(), name="identify"),
    path(V + "procedures/", views.ProceduresView.as_view(), name="procedures"),
    path(V + "items/<int:item>/", views.ItemView.as_view(), name="item"),
    path(V + "confirm/", views.VisitActionView.as_view(action="confirm"), name="request_confirmation"),
    path(V + "reopen/", views.VisitActionView.as_view(action="reopen"), name="reopen"),
    path(V + "finish/", views.VisitActionView.as_view(action="finish"), name="finish"),
    path(V + "abandon/", views.VisitActionView.as_view(action="abandon"), name="abandon"),
    path(V + "done/", views.DoneView.as_view(), name="done"),
    path(V + "paper.pdf", views.PaperPdfView.as_view(), name="paper"),
    path(V + "receipt.pdf", receipt_views.ReceiptPdfView.as_view(), name="receipt"),
]

#: The resident's confirmation: no sign-in, reached only by its unguessable token.
public_patterns = (
    [
        path("counter/confirm/<str:token>/", views.ResidentConfirmView.as_view(), name="confirm"),
        path("counter/screen/<str:token>/", screen_views.ScreenView.as_view(), name="screen"),
    ],
    "counter_public",
)
