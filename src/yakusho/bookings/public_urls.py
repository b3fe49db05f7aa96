"""Public booking pages (namespace ``bookings``)."""

from django.urls import path

from yakusho.bookings import views

M = "m/<slug:municipality>/bookings/"

app_name = "bookings"
urlpatterns = [
    path(M, views.ResourceListView.as_view(), name="list"),
    path(M + "sent/", views.SentView.as_view(), name="sent"),
    path(M + "b/", views.LookupView.as_view(), name="lookup"),
    path(M + "b/<str:token>/", views.ManageView.as_view(), name="manage"),
    path(M + "b/<str:token>/cancel/", views.CancelView.as_view(), name="cancel"),
    path(M + "b/<str:token>/change/", views.ChangeView.as_view(), name="change"),
    path(M + "b/<str:token>/booking.ics", views.IcsView.as_view(), name="ics"),
    path(M + "<slug:resource>/", views.ResourceView.as_view(), name="resource"),
    path(M + "<slug:resource>/<str:day>/", views.DayView.as_view(), name="day"),
    path(M + "<slug:resource>/<str:day>/<str:at>/", views.BookView.as_view(), name="book"),
]
