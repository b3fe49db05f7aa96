"""Staff URLs of joint goals (mounted under /staff/, namespace ``joint_goals``)."""

from django.urls import path

from yakusho.plans.joint_goals import views

C = "c/<slug:consortium>/goals/"

app_name = "joint_goals"
urlpatterns = [
    path(C, views.GoalListView.as_view(), name="list"),
    path(C + "new/", views.GoalFormView.as_view(), name="create"),
    path(C + "<slug:goal>/", views.GoalDetailView.as_view(), name="detail"),
    path(C + "<slug:goal>/edit/", views.GoalFormView.as_view(), name="update"),
    path(C + "<slug:goal>/delete/", views.GoalDeleteView.as_view(), name="delete"),
    path(C + "<slug:goal>/export.<str:fmt>", views.GoalExportView.as_view(), name="export"),
    path("m/<slug:municipality>/joint-goals/", views.MemberGoalsView.as_view(), name="member"),
]
