from django.contrib.auth import views as auth_views
from django.urls import include, path

from yakusho.core.views import accounts, audit, calendar, consortium, departments, home, operator, public

public_patterns = (
    [
        path("", public.PublicHomeView.as_view(), name="home"),
        path("m/<slug:municipality>/", public.MunicipalityPublicView.as_view(), name="municipality"),
        path(
            "m/<slug:municipality>/status/", public.OfficeStatusFragmentView.as_view(), name="office_status"
        ),
        path(
            "m/<slug:municipality>/accessibility/",
            public.PolicyPagePublicView.as_view(kind="accessibility"),
            name="accessibility",
        ),
        path(
            "m/<slug:municipality>/privacy/",
            public.PolicyPagePublicView.as_view(kind="privacy"),
            name="privacy",
        ),
    ],
    "public",
)

M = "m/<slug:municipality>/"
OP = "operator/"
#: a municipality on the operator's pages, named ``tenant``: they are not its own staff pages
OP_M = OP + "m/<slug:tenant>/"

staff_patterns = (
    [
        path("login/", accounts.StaffLoginView.as_view(), name="login"),
        path("logout/", auth_views.LogoutView.as_view(), name="logout"),
        path("2fa/setup/", accounts.TwoFactorSetupView.as_view(), name="2fa_setup"),
        path("2fa/verify/", accounts.TwoFactorVerifyView.as_view(), name="2fa_verify"),
        path("invite/<str:token>/", accounts.InvitationAcceptView.as_view(), name="invitation_accept"),
        path(
            "reset/<uidb64>/<token>/",
            accounts.StaffPasswordResetConfirmView.as_view(),
            name="password_reset_confirm",
        ),
        path("", home.StaffHomeView.as_view(), name="home"),
        path(M, home.MunicipalityDashboardView.as_view(), name="municipality"),
        path(M + "settings/", home.MunicipalitySettingsView.as_view(), name="settings"),
        path(M + "departments/", departments.DepartmentListView.as_view(), name="department_list"),
        path(M + "departments/new/", departments.DepartmentCreateView.as_view(), name="department_create"),
        path(
            M + "departments/<int:pk>/", departments.DepartmentDetailView.as_view(), name="department_detail"
        ),
        path(
            M + "departments/<int:pk>/edit/",
            departments.DepartmentUpdateView.as_view(),
            name="department_update",
        ),
        path(
            M + "departments/<int:pk>/delete/",
            departments.DepartmentDeleteView.as_view(),
            name="department_delete",
        ),
        path(M + "staff/", accounts.StaffListView.as_view(), name="staff_list"),
        path(M + "staff/invite/", accounts.StaffInviteView.as_view(), name="staff_invite"),
        path(
            M + "staff/invitations/<int:pk>/cancel/",
            accounts.InvitationCancelView.as_view(),
            name="invitation_cancel",
        ),
        path(M + "staff/<int:pk>/", accounts.StaffDetailView.as_view(), name="staff_detail"),
        path(M + "staff/<int:pk>/edit/", accounts.StaffUpdateView.as_view(), name="staff_update"),
        path(
            M + "staff/<int:pk>/reset-password/",
            accounts.StaffResetPasswordView.as_view(),
            name="staff_reset_password",
        ),
        path(
            M + "staff/<int:pk>/deactivate/", accounts.StaffDeactivateView.as_view(), name="staff_deactivate"
        ),
        path(
            M + "staff/<int:pk>/reactivate/", accounts.StaffReactivateView.as_view(), name="staff_reactivate"
        ),
        path(M + "calendar/", calendar.ClosureListView.as_view(), name="closure_list"),
        path(M + "calendar/new/", calendar.ClosureCreateView.as_view(), name="closure_create"),
        path(M + "calendar/<int:pk>/delete/", calendar.ClosureDeleteView.as_view(), name="closure_delete"),
        path(M + "audit/", audit.AuditLogView.as_view(), name="audit_log"),
        path(M + "outbox/", audit.OutboxView.as_view(), name="outbox"),
        path(M + "pages/<str:kind>/", home.PolicyPageEditView.as_view(), name="policy_page_edit"),
        path("c/<slug:consortium>/", consortium.ConsortiumHomeView.as_view(), name="consortium"),
        # the system operator's pages (運用管理): every municipality and consortium
        path(OP, operator.MunicipalityListView.as_view(), name="operator_municipalities"),
        path(OP + "new/", operator.MunicipalityAddView.as_view(), name="operator_municipality_add"),
        path(OP + "consortia/", operator.ConsortiumListView.as_view(), name="operator_consortia"),
        path(OP + "consortia/new/", operator.ConsortiumAddView.as_view(), name="operator_consortium_add"),
        path(OP_M, operator.MunicipalityDetailView.as_view(), name="operator_municipality"),
        path(OP_M + "suspend/", operator.SuspendView.as_view(), name="operator_suspend"),
        path(OP_M + "resume/", operator.ResumeView.as_view(), name="operator_resume"),
    ],
    "staff",
)


urlpatterns = [
    path("", include(public_patterns)),
    path("staff/", include(staff_patterns)),
]
