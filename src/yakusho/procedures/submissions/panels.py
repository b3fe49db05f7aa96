"""Staff-home panel of the inbox: new and overdue submissions (imported from ``panels.py``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakusho.core.models import Membership, Role
from yakusho.core.ui import panels, public_links
from yakusho.procedures.models.submissions import OPEN_STATUSES, SubmissionStatus
from yakusho.procedures.submissions.services import visible_submissions


@panels.register(
    "procedures.submissions",
    title=_("申請の受付"),
    template="procedures/panels/submissions.html",
    roles={r.value for r in Role},
    order=15,
)
def submissions_panel(membership: Membership) -> dict[str, Any] | None:
    submissions = visible_submissions(membership)
    today = timezone.localdate()
    new = submissions.filter(status=SubmissionStatus.RECEIVED).count()
    overdue = list(
        submissions.filter(status__in=OPEN_STATUSES, deadline__lt=today)
        .select_related("procedure")
        .order_by("deadline", "pk")[:5]
    )
    if (
        not new
        and not overdue
        and not submissions.filter(submitted_at__gte=timezone.now() - timedelta(days=30)).exists()
    ):
        return None
    overdue_count = submissions.filter(status__in=OPEN_STATUSES, deadline__lt=today).count()
    return {"new": new, "overdue": overdue, "overdue_count": overdue_count}


public_links.register(
    "procedures.submission_status",
    label=_("申請の状況を確かめる"),
    url_name="submissions:lookup",
    order=6,
    description=_("オンラインで申請した手続の状況、担当の課からのメッセージを確認して返信できます"),
)
