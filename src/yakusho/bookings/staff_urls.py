"""Staff booking pages (mounted under /staff/, namespace ``bookings_staff``)."""

from django.urls import path

from yakusho.bookings import staff_views

M = "m/<slug:municipality>/bookings/"

app_name = "bookings_staff"
urlpatterns = [
    path(M, staff_views.ResourceListView.as_view(), name="resources"),
    path(M + "day/<str:day>/", staff_views.DayView.as_view(), name="day"),
    path(M + "week/<str:day>/", staff_views.WeekView.as_view(), name="week"),
    path(M + "export.<str:fmt>", staff_views.ExportView.as_view(), name="export"),
    path(M + "resources/new/", staff_views.ResourceFormView.as_view(), name="resource_create"),
    path(M + "resources/<int:pk>/edit/", staff_views.ResourceFormView.as_view(), name="resource_edit"),
    path(M + "resources/<int:pk>/sessions/new/", staff_views.SessionAddView.as_view(), name="session_add"),
    path(M + "slots/<int:pk>/book/", staff_views.StaffBookView.as_view(), name="book"),
    path(M + "slots/<int:pk>/block/", staff_views.SlotBlockView.as_view(), name="slot_block"),
    path(M + "resources/<int:pk>/close/<str:day>/", staff_views.CloseDayView.as_view(), name="close_day"),
    path(M + "<int:pk>/", staff_views.BookingDetailView.as_view(), name="booking"),
    path(M + "<int:pk>/cancel/", staff_views.BookingCancelView.as_view(), name="booking_cancel"),
    path(M + "<int:pk>/<str:action>/", staff_views.BookingActionView.as_view(), name="booking_action"),
]
