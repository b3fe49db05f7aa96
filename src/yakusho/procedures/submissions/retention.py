"""Retention of submissions: erase those past their procedure's retention period.

A submission is kept while it is open. Once closed (完了・却下・取下げ), it is kept for the
procedure's ``retention_years`` counted, as 公文書 are, from the 1 April after the fiscal year in
which it was closed: closed in 令和7年度 with 5 years, it is erased from 1 April 令和13年
(2031). Erasing removes the submission, its attachments (and their files), messages and notes
together with their audit history (``core.audit.erase_with_history``, which leaves one entry per
record saying it was erased and why), and adds the submission to ``SubmissionTally`` so the
figures statistics need stay.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from yakusho.core.audit import erase_with_history
from yakusho.core.jcal import fiscal_year_of
from yakusho.procedures.models.submissions import (
    CLOSED_STATUSES,
    Submission,
    SubmissionStatus,
    SubmissionTally,
)
from yakusho.procedures.submissions import files as submission_files

log = logging.getLogger(__name__)
REASON = "保存期間の経過（手続の保存期間、完了した年度の翌年度から起算）"


def erase_from(closed: date, years: int) -> date:
    """The first day a submission closed on ``closed`` may be erased."""
    return date(fiscal_year_of(closed) + years + 1, 4, 1)


@dataclass
class RetentionReport:
    erased: int = 0
    files: int = 0
    by_procedure: Counter[str] = field(default_factory=Counter)
    temp_files: int = 0


def _tally(submission: Submission) -> None:
    month = timezone.localdate(submission.submitted_at).replace(day=1)
    tally, _created = SubmissionTally.objects.select_for_update().get_or_create(
        municipality_id=submission.municipality_id,
        procedure_key=submission.procedure.key,
        month=month,
        channel=submission.channel,
        defaults={"procedure": submission.procedure},
    )
    tally.erased += 1
    if submission.status == SubmissionStatus.COMPLETED and submission.completed_at:
        tally.completed += 1
        days = (
            timezone.localdate(submission.completed_at) - timezone.localdate(submission.submitted_at)
        ).days
        histogram = dict(tally.days_to_completion or {})
        histogram[str(days)] = int(histogram.get(str(days), 0)) + 1
        tally.days_to_completion = histogram
        if submission.deadline:
            tally.with_deadline += 1
            if timezone.localdate(submission.completed_at) <= submission.deadline:
                tally.completed_on_time += 1
    tally.save()


def erase_submission(submission: Submission, reason: str = REASON, *, tally: bool = True) -> int:
    """Erase one submission with its records and history; returns the number of files removed.
    ``tally=False`` for one that never counted as submitted (its fee was never paid)."""
    paths = []
    with transaction.atomic():
        if tally:
            _tally(submission)
        for attachment in list(submission.attachments.all()):
            paths.append(attachment.path)
            erase_with_history(attachment, reason)
        for message in list(submission.messages.all()):
            erase_with_history(message, reason)
        for note in list(submission.notes.all()):
            erase_with_history(note, reason)
        erase_with_history(submission, reason)
    submission_files.remove_relative(paths)
    return len(paths)


def apply_retention(today: date | None = None) -> RetentionReport:
    today = today or timezone.localdate()
    report = RetentionReport()
    candidates = (
        Submission.objects.filter(status__in=CLOSED_STATUSES, completed_at__isnull=False)
        .select_related("procedure")
        .order_by("pk")
    )
    for submission in candidates.iterator(chunk_size=200):
        assert submission.completed_at is not None
        if today < erase_from(
            timezone.localdate(submission.completed_at), submission.procedure.retention_years
        ):
            continue
        label = f"{submission.municipality_id}:{submission.procedure.key}"
        report.files += erase_submission(submission)
        report.erased += 1
        report.by_procedure[label] += 1
        log.info("retention: erased submission %s of %s", submission.pk, label)
    report.temp_files = submission_files.purge_old_temp()
    return report
