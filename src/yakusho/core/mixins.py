"""The one mechanism by which staff views find their municipality and scope their queries."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from yakusho.core.models import Consortium, ConsortiumMembership, Membership, Municipality
from yakusho.core.permissions import Perm, role_allows


class MunicipalityStaffMixin:
    """Resolve ``<municipality>`` from the URL, require a membership allowing ``permission``.

    ``get_queryset`` returns the view's model scoped to that municipality, so a record of another
    municipality is a 404 even when its id is guessed.
    """

    permission: Perm = Perm.VIEW
    model: Any
    request: HttpRequest
    municipality: Municipality
    membership: Membership

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.municipality = get_object_or_404(Municipality, slug=kwargs["municipality"])
        membership = (
            Membership.objects.filter(user=request.user, municipality=self.municipality, is_active=True)
            .prefetch_related("departments")
            .first()
        )
        if membership is None or not role_allows(membership.role, self.permission):
            raise PermissionDenied
        self.membership = membership
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def get_queryset(self) -> QuerySet[Any]:
        return self.model.objects.for_municipality(self.municipality)

    def can(self, perm: Perm) -> bool:
        return role_allows(self.membership.role, perm)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        context.update(
            municipality=self.municipality,
            membership=self.membership,
            perms_here={p.value: self.can(p) for p in Perm},
        )
        return context


class ConsortiumStaffMixin:
    """Resolve ``<consortium>`` from the URL and require an active consortium membership."""

    request: HttpRequest
    consortium: Consortium

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.consortium = get_object_or_404(Consortium, slug=kwargs["consortium"])
        if not ConsortiumMembership.objects.filter(
            user=request.user, consortium=self.consortium, is_active=True
        ).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["consortium"] = self.consortium
        return context


class RefuseProtectedDeleteMixin:
    """For a ``DeleteView``: when other records still use the object (a protected foreign key), the
    confirmation page says which ones instead of failing; nothing is deleted."""

    object: Any

    def form_valid(self, form: Any) -> Any:
        try:
            return super().form_valid(form)  # type: ignore[misc]
        except (ProtectedError, RestrictedError) as exc:
            blocking = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            users = sorted({str(o) for o in blocking})
            shown = "、".join(users[:5]) + ("ほか" if len(users) > 5 else "")
            form.add_error(
                None,
                _(
                    "「%(object)s」は次のものが使っているため削除できません：%(users)s。先にそちらを変更してください。"
                )
                % {"object": self.object, "users": shown},
            )
            return self.form_invalid(form)  # type: ignore[attr-defined]
