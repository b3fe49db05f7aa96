"""Staff URLs of the yearly review (mounted under /staff/, namespace ``reviews``)."""

from django.urls import path

from yakusho.plans import review_views

M = "m/<slug:municipality>/"

app_name = "reviews"
urlpatterns = [
    path(M + "plans/<slug:plan>/reviews/", review_views.ReviewListView.as_view(), name="list"),
    path(M + "reviews/<int:cycle>/", review_views.CycleView.as_view(), name="cycle"),
    path(M + "reviews/<int:cycle>/nodes/<int:review>/", review_views.NodeReviewView.as_view(), name="node"),
]
