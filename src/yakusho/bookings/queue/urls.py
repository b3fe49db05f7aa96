"""Public pages of the queue tickets (namespace ``queue``): the hall's kiosk (its start screen and
the ticket it has just issued, both under ``kiosk/``) and screen, the resident's ticket page, its
JSON and the print-ready ticket. Staff pages: ``queue_staff_urls``."""

from django.urls import path

from yakusho.bookings.queue import views

P = "m/<slug:municipality>/queue/"
T = P + "t/<str:code>/"

app_name = "queue"
urlpatterns = [
    path(P + "kiosk/", views.KioskView.as_view(), name="kiosk"),
    path(P + "kiosk/<slug:key>/", views.KioskIssueView.as_view(), name="kiosk_issue"),
    path(P + "kiosk/t/<str:code>/", views.KioskTicketView.as_view(), name="kiosk_ticket"),
    path(P + "display/", views.DisplayView.as_view(), name="display"),
    path(P + "display.json", views.DisplayDataView.as_view(), name="display_data"),
    path(T, views.TicketView.as_view(), name="ticket"),
    path(T + "status.json", views.TicketStatusView.as_view(), name="ticket_status"),
    path(T + "print/", views.TicketPrintView.as_view(), name="ticket_print"),
    path(T + "cancel/", views.TicketCancelView.as_view(), name="ticket_cancel"),
]
