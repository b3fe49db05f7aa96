"""Staff-home panel of the inbox: new and overdue submissions (imported from ``panels.py``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakusho.core.models import Membership, Role
from yakusho.core.ui import panels, public_links
from yakusho.procedures.models.submissions import OPEN_STATUSES, SubmissionStatus
from yakusho.procedures.submissions.services import HANDLERS, visible_submissions

#: how many overdue submissions the panel lists (the rest: the inbox filtered on them)
OVERDUE_ROWS = 5


@panels.register(
    "procedures.submissions",
    title=_("申請の受付"),
    template="procedures/panels/submissions.html",
    roles=HANDLERS,
    order=15,
)
def submissions_panel(membership: Membership) -> dict[str, Any] | None:
    """What the member has to do in the inbox now. A 課's staff: its new (受付のまま) and overdue
    submissions. The DX推進室 and administrators, who may handle every 課's submissions but leave new
    ones to the 課: the overdue ones of every 課, to chase or take over. 窓口 staff and the 本部
    handle none, so the panel is not on their home. Hidden when nothing was submitted for 30 days;
    three queries at most."""
    submissions = visible_submissions(membership)
    today = timezone.localdate()
    late = Q(status__in=OPEN_STATUSES, deadline__lt=today)
    counts = submissions.aggregate(
        new=Count("pk", filter=Q(status=SubmissionStatus.RECEIVED)),
        overdue=Count("pk", filter=late),
        recent=Count("pk", filter=Q(submitted_at__gte=timezone.now() - timedelta(days=30))),
    )
    own = membership.role == Role.DEPARTMENT
    new = counts["new"] if own else 0
    if not new and not counts["overdue"] and not counts["recent"]:
        return None
    overdue = (
        list(submissions.filter(late).select_related("procedure").order_by("deadline", "pk")[:OVERDUE_ROWS])
        if counts["overdue"]
        else []
    )
    return {"own": own, "new": new, "overdue": overdue, "overdue_count": counts["overdue"]}


public_links.register(
    "procedures.submission_status",
    label=_("申請の状況を確かめる"),
    url_name="submissions:lookup",
    order=6,
    description=_("オンラインで申請した手続の状況、担当の課からのメッセージを確認して返信できます"),
)
