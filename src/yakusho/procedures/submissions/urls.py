"""Public pages of applying online and of the status page (namespace ``submissions``).

The first page of applying (the privacy notice) is ``procedures:apply``.
"""

from django.urls import path

from yakusho.procedures.submissions import status_views, views

A = "m/<slug:municipality>/procedures/<slug:procedure>/apply/"
S = "m/<slug:municipality>/submissions/"

app_name = "submissions"
urlpatterns = [
    path(A + "page/<int:number>/", views.ApplyPageView.as_view(), name="page"),
    path(A + "check/", views.ApplyCheckView.as_view(), name="check"),
    path(A + "done/<str:code>/", views.ApplyDoneView.as_view(), name="done"),
    path(S, status_views.LookupView.as_view(), name="lookup"),
    path(S + "<str:code>/", status_views.StatusView.as_view(), name="status"),
    path(S + "<str:code>/pay/", status_views.PayView.as_view(), name="pay"),
    path(S + "<str:code>/files/<int:pk>/", status_views.StatusFileView.as_view(), name="status_file"),
]
