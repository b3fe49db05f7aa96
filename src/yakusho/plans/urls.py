"""Every URL of the plans app: the public plan pages and, under /staff/, reviews, revisions and joint
goals (each included module keeps its own namespace)."""

from django.urls import include, path

urlpatterns = [
    path("", include("yakusho.plans.public_urls")),
    path("staff/", include("yakusho.plans.review.urls")),
    path("staff/", include("yakusho.plans.revision.urls")),
    path("staff/", include("yakusho.plans.joint_goals.urls")),
]
