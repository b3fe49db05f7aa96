"""Staff sign-in, two-factor authentication, invitations and password reset, and the
administrators' pages of staff accounts."""

from __future__ import annotations

import base64
from typing import Any, cast

import segno
from auditlog.mixins import LogAccessMixin
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import (
    CreateView,
    DetailView,
    FormView,
    ListView,
    UpdateView,
)
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from yakusho.core import services
from yakusho.core.forms import (
    AcceptInvitationForm,
    InvitationForm,
    MembershipForm,
    StaffAuthenticationForm,
    TokenForm,
)
from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import (
    Invitation,
    Membership,
    User,
)
from yakusho.core.permissions import Perm
from yakusho.core.views.public import public_form_ratelimit

# --- sign-in and two-factor -----------------------------------------------------------------


@public_form_ratelimit
class StaffLoginView(auth_views.LoginView):
    template_name = "core/staff/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _check_token(device: TOTPDevice, form: TokenForm) -> bool:
    """Verify a code; after failures django-otp makes the user wait, and we say so."""
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        form.add_error(
            "token", _("確認コードの入力に続けて失敗したため、しばらく待ってから入力してください。")
        )
        return False
    if device.verify_token(form.cleaned_data["token"]):
        return True
    form.add_error(
        "token", _("確認コードが正しくありません。アプリに表示されている最新のコードを入力してください。")
    )
    return False


class TwoFactorSetupView(LoginRequiredMixin, FormView):
    """Show a TOTP secret (QR code and text) and confirm it with a first code."""

    template_name = "core/staff/2fa_setup.html"
    form_class = TokenForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
                return redirect("staff:2fa_verify")
            self.device, _created = TOTPDevice.objects.get_or_create(
                user=request.user, confirmed=False, defaults={"name": "authenticator"}
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["secret"] = base64.b32encode(self.device.bin_key).decode("ascii")
        context["qr_svg"] = segno.make(self.device.config_url, error="m").svg_inline(
            scale=4, title=_("二要素認証の設定用QRコード")
        )
        context["next"] = _safe_next(self.request, reverse("staff:home"))
        return context

    def form_valid(self, form: TokenForm) -> HttpResponse:
        if not _check_token(self.device, form):
            return self.form_invalid(form)
        self.device.confirmed = True
        self.device.save(update_fields=["confirmed"])
        otp_login(self.request, self.device)
        messages.success(self.request, _("二要素認証を設定しました。"))
        return HttpResponseRedirect(_safe_next(self.request, reverse("staff:home")))


@public_form_ratelimit
class TwoFactorVerifyView(LoginRequiredMixin, FormView):
    template_name = "core/staff/2fa_verify.html"
    form_class = TokenForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["next"] = _safe_next(self.request, reverse("staff:home"))
        return context

    def form_valid(self, form: TokenForm) -> HttpResponse:
        device = TOTPDevice.objects.filter(user=self.request.user, confirmed=True).first()
        if device is None:
            return redirect("staff:2fa_setup")
        if not _check_token(device, form):
            return self.form_invalid(form)
        otp_login(self.request, device)
        return HttpResponseRedirect(_safe_next(self.request, reverse("staff:home")))


@public_form_ratelimit
class InvitationAcceptView(View):
    template_name = "core/staff/invitation_accept.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.invitation = get_object_or_404(
            Invitation.objects.select_related("municipality"), token=kwargs["token"]
        )
        if not self.invitation.is_usable:
            return render(request, "core/staff/invitation_unusable.html", status=410)
        self.existing = User.objects.filter(email=self.invitation.email).first()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = (
            None
            if self.existing
            else AcceptInvitationForm(
                email=self.invitation.email, initial={"display_name": self.invitation.display_name}
            )
        )
        return self._render(form)

    def _render(self, form: AcceptInvitationForm | None) -> HttpResponse:
        same_user = self.existing is not None and self.request.user == self.existing
        return render(
            self.request,
            self.template_name,
            {"invitation": self.invitation, "form": form, "existing": self.existing, "same_user": same_user},
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.existing is not None:
            if request.user != self.existing:
                return self._render(None)
            services.accept_invitation(self.invitation, user=self.existing)
            messages.success(
                request, _("%(m)sの職員として登録しました。") % {"m": self.invitation.municipality}
            )
            return redirect("staff:home")
        form = AcceptInvitationForm(request.POST, email=self.invitation.email)
        if not form.is_valid():
            return self._render(form)
        membership = services.accept_invitation(
            self.invitation,
            display_name=form.cleaned_data["display_name"],
            password=form.cleaned_data["password1"],
        )
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("%(m)sの職員として登録しました。") % {"m": self.invitation.municipality})
        return redirect("staff:home")


@public_form_ratelimit
class StaffPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "core/staff/password_reset_confirm.html"
    success_url = reverse_lazy("staff:login")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(
            self.request, _("パスワードを変更しました。新しいパスワードでログインしてください。")
        )
        return super().form_valid(form)


# --- staff accounts -------------------------------------------------------------------------


class StaffListView(MunicipalityStaffMixin, ListView):
    permission = Perm.MANAGE_STAFF
    model = Membership
    template_name = "core/staff/staff_list.html"

    def get_queryset(self) -> QuerySet[Membership]:
        return super().get_queryset().select_related("user").prefetch_related("departments")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["invitations"] = Invitation.objects.for_municipality(self.municipality).filter(
            accepted_at__isnull=True, expires_at__gt=timezone.now()
        )
        return context


class StaffInviteView(MunicipalityStaffMixin, CreateView):
    permission = Perm.MANAGE_STAFF
    model = Invitation
    form_class = InvitationForm
    template_name = "core/staff/form.html"
    extra_context = {"title": _("職員を招待")}

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["municipality"] = self.municipality
        return kwargs

    def form_valid(self, form: ModelForm[Invitation]) -> HttpResponse:
        invitation = services.invite(cast(InvitationForm, form), self.request.user)  # type: ignore[arg-type]
        messages.success(self.request, _("%(email)s に招待メールを送ります。") % {"email": invitation.email})
        return redirect("staff:staff_list", self.municipality.slug)


class InvitationCancelView(MunicipalityStaffMixin, View):
    permission = Perm.MANAGE_STAFF
    model = Invitation
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        invitation = get_object_or_404(self.get_queryset(), pk=kwargs["pk"], accepted_at__isnull=True)
        invitation.expires_at = timezone.now()
        invitation.save(update_fields=["expires_at"])
        messages.success(request, _("招待を取り消しました。"))
        return redirect("staff:staff_list", self.municipality.slug)


class StaffDetailView(MunicipalityStaffMixin, LogAccessMixin, DetailView):
    """A staff member's page. It shows personal data, so each view is logged as a read."""

    permission = Perm.MANAGE_STAFF
    model = Membership
    template_name = "core/staff/staff_detail.html"

    def get_queryset(self) -> QuerySet[Membership]:
        return super().get_queryset().select_related("user").prefetch_related("departments")


class StaffUpdateView(MunicipalityStaffMixin, UpdateView):
    permission = Perm.MANAGE_STAFF
    model = Membership
    form_class = MembershipForm
    template_name = "core/staff/form.html"
    extra_context = {"title": _("役割と所属課の変更")}

    def get_success_url(self) -> str:
        messages.success(self.request, _("職員の役割を保存しました。"))
        return reverse("staff:staff_detail", args=[self.municipality.slug, self.object.pk])


class _StaffActionView(MunicipalityStaffMixin, View):
    permission = Perm.MANAGE_STAFF
    model = Membership
    http_method_names = ["post"]

    def act(self, membership: Membership) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = get_object_or_404(self.get_queryset().select_related("user"), pk=kwargs["pk"])
        messages.success(request, self.act(membership))
        return redirect("staff:staff_detail", self.municipality.slug, membership.pk)


class StaffResetPasswordView(_StaffActionView):
    def act(self, membership: Membership) -> str:
        services.send_password_reset(membership)
        return _("%(email)s にパスワード再設定のメールを送ります。") % {"email": membership.user.email}


class StaffDeactivateView(_StaffActionView):
    def act(self, membership: Membership) -> str:
        if membership.user_id == self.request.user.pk:
            return _("自分自身は無効にできません。")
        services.set_active(membership, False)
        return _("%(name)s を無効にしました。") % {"name": membership.user}


class StaffReactivateView(_StaffActionView):
    def act(self, membership: Membership) -> str:
        services.set_active(membership, True)
        return _("%(name)s を有効にしました。") % {"name": membership.user}
