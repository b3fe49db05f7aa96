"""The procedures app's gauges in the operator metrics (see :mod:`yakusho.core.opsmetrics`)."""

from __future__ import annotations

from django.utils import timezone

from yakusho.core.opsmetrics import last_hour, ops_gauges


def submissions_last_hour() -> float:
    """Submissions received (online and at the counter) in the last hour, every municipality."""
    from yakusho.procedures.models import Submission

    return Submission.objects.filter(submitted_at__gt=timezone.now() - last_hour()).count()


ops_gauges.register(
    "submissions_last_hour",
    "Submissions received in the last hour (all municipalities)",
    submissions_last_hour,
)
