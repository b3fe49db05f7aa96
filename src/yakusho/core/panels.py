"""Staff home panels of the core app.

The staff home answers "what do I have to do now": the office days (everyone's day depends on them),
a member's missing 課, the administrator's invitations and failed e-mail. The audit trail is not a
task; it stays one click away (the municipality's page, 監査ログ)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Invitation, Membership, OutboundEmail, Role
from yakusho.core.ui import panels, public_links

ALL_ROLES = {r.value for r in Role}


@panels.register(
    "core.office_days", title=_("開庁日"), template="core/panels/office_days.html", roles=ALL_ROLES, order=10
)
def office_days(membership: Membership) -> dict[str, Any]:
    calendar = BusinessCalendar(membership.municipality)
    today = timezone.localdate()
    closed = [
        (day, reason)
        for day in (today + timedelta(days=i) for i in range(1, 15))
        if (reason := calendar.closed_reason(day)) and day.weekday() < 5
    ]
    return {"today_closed": calendar.closed_reason(today), "closed_weekdays": closed[:3]}


@panels.register(
    "core.my_departments",
    title=_("所属課"),
    template="core/panels/my_departments.html",
    roles={Role.DEPARTMENT},
    order=20,
)
def my_departments(membership: Membership) -> dict[str, Any] | None:
    """Only for a member without a 課: nothing of a 課 reaches them until an administrator sets one
    (the home's heading already names the 課 of everyone else)."""
    if membership.departments.all():
        return None
    return {}


@panels.register(
    "core.staff", title=_("職員と招待"), template="core/panels/staff.html", roles={Role.ADMIN}, order=50
)
def staff(membership: Membership) -> dict[str, Any]:
    m = membership.municipality
    return {
        "active": Membership.objects.for_municipality(m).filter(is_active=True).count(),
        "pending": Invitation.objects.for_municipality(m)
        .filter(accepted_at__isnull=True, expires_at__gt=timezone.now())
        .count(),
    }


@panels.register(
    "core.outbox", title=_("送信メール"), template="core/panels/outbox.html", roles={Role.ADMIN}, order=60
)
def outbox(membership: Membership) -> dict[str, Any]:
    qs = OutboundEmail.objects.for_municipality(membership.municipality)
    return {
        "queued": qs.filter(status=OutboundEmail.Status.QUEUED).count(),
        "failed": qs.filter(status=OutboundEmail.Status.FAILED).count(),
    }


public_links.register(
    "core.accessibility", label=_("ウェブアクセシビリティ方針"), url_name="public:accessibility", order=900
)
public_links.register("core.privacy", label=_("プライバシーポリシー"), url_name="public:privacy", order=910)
