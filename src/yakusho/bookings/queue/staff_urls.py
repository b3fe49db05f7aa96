"""Staff pages of the queue tickets (mounted under /staff/, namespace ``queue_staff``)."""

from django.urls import path

from yakusho.bookings.queue import views

S = "m/<slug:municipality>/queue/"

app_name = "queue_staff"
urlpatterns = [
    path(S, views.QueueListView.as_view(), name="list"),
    path(S + "new/", views.QueueServiceFormView.as_view(), name="service_create"),
    path(S + "<slug:key>/", views.QueueBoardView.as_view(), name="board"),
    path(S + "<slug:key>/edit/", views.QueueServiceFormView.as_view(), name="service_edit"),
    path(S + "<slug:key>/issue/", views.QueueIssueView.as_view(), name="issue"),
    path(S + "<slug:key>/call/", views.QueueCallNextView.as_view(), name="call_next"),
    path(S + "<slug:key>/tickets/<int:pk>/<str:action>/", views.QueueActionView.as_view(), name="action"),
]
