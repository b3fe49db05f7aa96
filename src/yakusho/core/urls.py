from django.contrib.auth import views as auth_views
from django.urls import path

from yakusho.core import views

public_patterns = (
    [
        path("", views.PublicHomeView.as_view(), name="home"),
        path("m/<slug:municipality>/", views.MunicipalityPublicView.as_view(), name="municipality"),
        path("m/<slug:municipality>/status/", views.OfficeStatusFragmentView.as_view(), name="office_status"),
        path(
            "m/<slug:municipality>/accessibility/",
            views.PolicyPagePublicView.as_view(kind="accessibility"),
            name="accessibility",
        ),
        path(
            "m/<slug:municipality>/privacy/",
            views.PolicyPagePublicView.as_view(kind="privacy"),
            name="privacy",
        ),
    ],
    "public",
)

M = "m/<slug:municipality>/"

staff_patterns = (
    [
        path("login/", views.StaffLoginView.as_view(), name="login"),
        path("logout/", auth_views.LogoutView.as_view(), name="logout"),
        path("2fa/setup/", views.TwoFactorSetupView.as_view(), name="2fa_setup"),
        path("2fa/verify/", views.TwoFactorVerifyView.as_view(), name="2fa_verify"),
        path("invite/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
        path(
            "reset/<uidb64>/<token>/",
            views.StaffPasswordResetConfirmView.as_view(),
            name="password_reset_confirm",
        ),
        path("", views.StaffHomeView.as_view(), name="home"),
        path(M, views.MunicipalityDashboardView.as_view(), name="municipality"),
        path(M + "settings/", views.MunicipalitySettingsView.as_view(), name="settings"),
        path(M + "departments/", views.DepartmentListView.as_view(), name="department_list"),
        path(M + "departments/new/", views.DepartmentCreateView.as_view(), name="department_create"),
        path(M + "departments/<int:pk>/", views.DepartmentDetailView.as_view(), name="department_detail"),
        path(
            M + "departments/<int:pk>/edit/", views.DepartmentUpdateView.as_view(), name="department_update"
        ),
        path(
            M + "departments/<int:pk>/delete/", views.DepartmentDeleteView.as_view(), name="department_delete"
        ),
        path(M + "staff/", views.StaffListView.as_view(), name="staff_list"),
        path(M + "staff/invite/", views.StaffInviteView.as_view(), name="staff_invite"),
        path(
            M + "staff/invitations/<int:pk>/cancel/",
            views.InvitationCancelView.as_view(),
            name="invitation_cancel",
        ),
        path(M + "staff/<int:pk>/", views.StaffDetailView.as_view(), name="staff_detail"),
        path(M + "staff/<int:pk>/edit/", views.StaffUpdateView.as_view(), name="staff_update"),
        path(
            M + "staff/<int:pk>/reset-password/",
            views.StaffResetPasswordView.as_view(),
            name="staff_reset_password",
        ),
        path(M + "staff/<int:pk>/deactivate/", views.StaffDeactivateView.as_view(), name="staff_deactivate"),
        path(M + "staff/<int:pk>/reactivate/", views.StaffReactivateView.as_view(), name="staff_reactivate"),
        path(M + "calendar/", views.ClosureListView.as_view(), name="closure_list"),
        path(M + "calendar/new/", views.ClosureCreateView.as_view(), name="closure_create"),
        path(M + "calendar/<int:pk>/delete/", views.ClosureDeleteView.as_view(), name="closure_delete"),
        path(M + "audit/", views.AuditLogView.as_view(), name="audit_log"),
        path(M + "outbox/", views.OutboxView.as_view(), name="outbox"),
        path(M + "pages/<str:kind>/", views.PolicyPageEditView.as_view(), name="policy_page_edit"),
        path("c/<slug:consortium>/", views.ConsortiumHomeView.as_view(), name="consortium"),
    ],
    "staff",
)
