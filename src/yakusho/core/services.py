"""Staff account actions. Each runs in one transaction with the mail it queues."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from yakusho.core.forms import InvitationForm
from yakusho.core.models import ConsortiumMembership, Invitation, Membership, User
from yakusho.core.outbox import queue_mail


def absolute(path: str) -> str:
    return settings.YAKUSHO_BASE_URL.rstrip("/") + path


@transaction.atomic
def invite(form: InvitationForm, invited_by: User) -> Invitation:
    invitation: Invitation = form.save(commit=False)
    invitation.invited_by = invited_by
    invitation.save()
    form.save_m2m()
    context = {
        "invitation": invitation,
        "municipality": invitation.municipality,
        "url": absolute(reverse("staff:invitation_accept", args=[invitation.token])),
    }
    queue_mail(
        invitation.municipality,
        [invitation.email],
        render_to_string("core/mail/invitation_subject.txt", context).strip(),
        render_to_string("core/mail/invitation_body.txt", context),
    )
    return invitation


@transaction.atomic
def accept_invitation(
    invitation: Invitation, *, user: User | None = None, display_name: str = "", password: str = ""
) -> Membership:
    """Join the invited municipality, creating the account unless ``user`` already has one."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ValueError("invitation is no longer usable")
    if user is None:
        user = User.objects.create_user(
            invitation.email, password, display_name=display_name or invitation.display_name
        )
    membership = Membership.objects.create(
        municipality=invitation.municipality, user=user, role=invitation.role
    )
    membership.departments.set(invitation.departments.all())
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def send_password_reset(membership: Membership) -> None:
    user = membership.user
    path = reverse(
        "staff:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"user": user, "municipality": membership.municipality, "url": absolute(path)}
    queue_mail(
        membership.municipality,
        [user.email],
        render_to_string("core/mail/password_reset_subject.txt", context).strip(),
        render_to_string("core/mail/password_reset_body.txt", context),
    )


@transaction.atomic
def set_active(membership: Membership, active: bool) -> None:
    """(De)activate a staff member here; the account itself closes when no membership is left."""
    membership.is_active = active
    membership.save(update_fields=["is_active"])
    user = membership.user
    has_other = (
        Membership.objects.filter(user=user, is_active=True).exclude(pk=membership.pk).exists()
        or ConsortiumMembership.objects.filter(user=user, is_active=True).exists()
    )
    should_be_active = active or has_other
    if user.is_active != should_be_active:
        user.is_active = should_be_active
        user.save(update_fields=["is_active"])
