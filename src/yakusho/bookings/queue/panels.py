"""The staff home's panel of today's queues (整理券), and the public links to the kiosk and screen."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from yakusho.bookings.queue.services import today_summary
from yakusho.core.models import Membership, Role
from yakusho.core.ui import panels, public_links


@panels.register(
    "bookings.queues_today",
    title=_("本日の整理券"),
    template="bookings/queue/panel_today.html",
    roles={Role.ADMIN, Role.COUNTER, Role.DEPARTMENT},
    order=25,
)
def queues_today(membership: Membership) -> dict[str, Any] | None:
    """Today's figures of the services the member operates (``services.can_operate``): 課 staff their
    own 課's services, 窓口 staff and administrators every one; hidden when there is none."""
    rows = today_summary(membership.municipality)
    if membership.role == Role.DEPARTMENT:
        mine = {d.pk for d in membership.departments.all()}  # prefetched by the staff home
        rows = [row for row in rows if row["service"].department_id in mine]
    return {"rows": rows} if rows else None


public_links.register(
    "bookings.queue_display",
    label=_("窓口の呼出状況（整理券）"),
    url_name="queue:display",
    order=40,
    description=_("窓口でお呼びしている番号と、お待ちの人数を確認できます"),
)
