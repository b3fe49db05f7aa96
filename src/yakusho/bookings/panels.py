"""What the bookings app adds to shared pages: a public link and the staff home's today panel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakusho.bookings.models import HOLDING, Booking, BookingStatus, Resource
from yakusho.bookings.rules import local_start
from yakusho.core.models import Membership, Role
from yakusho.core.ui import panels, public_links

public_links.register(
    "bookings.list",
    label=_("施設・窓口の予約"),
    url_name="bookings:list",
    order=30,
    description=_("公共施設、窓口の来庁予約、相談、健診、教室の空きを確かめて予約できます"),
)


@panels.register(
    "bookings.today",
    title=_("今日の予約"),
    template="bookings/panels/today.html",
    roles={Role.ADMIN, Role.COUNTER, Role.DEPARTMENT},
    order=25,
)
def today_panel(membership: Membership) -> dict[str, Any] | None:
    """Today's bookings at the resources the member handles (``Perm.MANAGE_BOOKINGS``): 課 staff their
    own 課's, 窓口 staff and administrators all. The DX推進室 and 本部 read the booking pages but handle
    no booking, so the panel is not on their home."""
    today = timezone.localdate()
    resources = Resource.objects.for_municipality(membership.municipality)
    department = None
    if membership.role == Role.DEPARTMENT:
        mine = [d.pk for d in membership.departments.all()]  # prefetched by the staff home
        resources = resources.filter(department_id__in=mine)
        department = mine[0] if len(mine) == 1 else None
    start = local_start(today)
    end = local_start(today + timedelta(days=1))
    rows = list(
        resources.annotate(
            held=Count(
                "bookings",
                filter=Q(
                    bookings__status__in=HOLDING,
                    bookings__slot__starts_at__gte=start,
                    bookings__slot__starts_at__lt=end,
                ),
            ),
            waiting=Count(
                "bookings",
                filter=Q(
                    bookings__status=BookingStatus.WAITING,
                    bookings__slot__starts_at__gte=start,
                    bookings__slot__starts_at__lt=end,
                ),
            ),
        )
        .filter(held__gt=0)
        .order_by("order", "name")
        .values("pk", "name", "held", "waiting")
    )
    if not rows and not resources.exists():
        return None
    pending = (
        Booking.objects.for_municipality(membership.municipality)
        .filter(
            resource__in=resources,
            status=BookingStatus.PENDING,
            slot__starts_at__gte=start,
            slot__starts_at__lt=end,
        )
        .count()
    )
    return {"rows": rows, "today": today, "pending": pending, "department": department}
