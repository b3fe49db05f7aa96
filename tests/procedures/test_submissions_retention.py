"""Retention (``yakusho apply-retention``) and the metric providers of submissions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

from auditlog.models import LogEntry
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.helpers import login_verified
from tests.procedures.submission_helpers import (
    check_url,
    fill_in,
    make_submission,
)
from yakusho.metrics.registry import Period, registry
from yakusho.procedures.models import (
    Submission,
    SubmissionAttachment,
    SubmissionChannel,
    SubmissionMessage,
    SubmissionStatus,
    SubmissionTally,
)
from yakusho.procedures.submissions import files as submission_files
from yakusho.procedures.submissions.retention import apply_retention, erase_from
from yakusho.procedures.submissions.services import send_message

JST = ZoneInfo("Asia/Tokyo")


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=JST)


def closed(submission, submitted: date, completed: date, status=SubmissionStatus.COMPLETED, deadline=None):
    Submission.objects.filter(pk=submission.pk).update(
        status=status, submitted_at=at(submitted), completed_at=at(completed), deadline=deadline
    )
    submission.refresh_from_db()
    return submission


def test_erase_from_counts_from_the_next_fiscal_year() -> None:
    assert erase_from(date(2025, 6, 1), 5) == date(2031, 4, 1)
    assert erase_from(date(2026, 3, 31), 1) == date(2027, 4, 1)


def test_retention_erases_with_history_and_keeps_counts(town, client: Client) -> None:
    t = town["town"]
    token = fill_in(client, t)
    client.post(check_url(t), {"_token": token, "_version": "1"})
    old = Submission.objects.get()
    send_message(old, "確認しました。", author=town["staff"]["department"].user)
    attachment = SubmissionAttachment.objects.get()
    path = submission_files.absolute_path(attachment.path)
    assert path.exists()
    old = closed(old, date(2024, 5, 1), date(2024, 5, 8), deadline=date(2024, 5, 10))
    other = {"owner-family_name": "左沢", "email": "other@example.jp"}
    still_open = make_submission(town["dog"], **other).submission
    Submission.objects.filter(pk=still_open.pk).update(submitted_at=at(date(2020, 4, 1)))
    recent = closed(make_submission(town["dog"], **other).submission, date(2026, 1, 5), date(2026, 1, 6))
    login_verified(client, town["staff"]["admin"].user)
    client.get(reverse("inbox:detail", args=[t.slug, old.pk]))  # a read in the history

    before = registry.measure("procedures.submissions_online", t, Period.fiscal_year(2024)).value
    assert before == 1  # only the old one was received in 令和6年度
    out = StringIO()
    report = apply_retention(today=date(2026, 4, 1))  # retention 1 year: FY2024 closings go now
    assert report.erased == 1 and report.files == 1
    assert not Submission.objects.filter(pk=old.pk).exists()
    assert Submission.objects.filter(pk__in=[still_open.pk, recent.pk]).count() == 2
    assert not path.exists()
    assert not SubmissionMessage.objects.exists() and not SubmissionAttachment.objects.exists()
    entries = LogEntry.objects.get_for_object(old)
    assert entries.count() == 1 and "erased" in entries.get().changes_dict
    assert "大江" not in str(list(LogEntry.objects.values_list("changes", flat=True)))
    tally = SubmissionTally.objects.get()
    assert (tally.erased, tally.completed, tally.completed_on_time) == (1, 1, 1)
    assert tally.days_to_completion == {"7": 1}
    after = registry.measure("procedures.submissions_online", t, Period.fiscal_year(2024)).value
    assert after == before  # erased submissions still count
    call_command("apply_retention", stdout=out)
    assert "erased 0 submission(s)" in out.getvalue()


def test_metric_providers(town) -> None:
    t = town["town"]
    fy = Period.fiscal_year(2025)
    a = closed(
        make_submission(town["dog"]).submission,
        date(2025, 4, 7),
        date(2025, 4, 9),
        deadline=date(2025, 4, 14),
    )
    b = closed(
        make_submission(town["dog"]).submission,
        date(2025, 5, 7),
        date(2025, 5, 27),
        deadline=date(2025, 5, 14),
    )
    c = make_submission(town["dog"]).submission
    Submission.objects.filter(pk=c.pk).update(
        channel=SubmissionChannel.COUNTER, submitted_at=at(date(2025, 6, 2))
    )
    closed(
        make_submission(town["dog"]).submission,
        date(2025, 7, 1),
        date(2025, 7, 2),
        status=SubmissionStatus.REJECTED,
    )
    assert a and b
    assert registry.measure("procedures.submissions_online", t, fy).value == 3
    assert registry.measure("procedures.submissions_counter", t, fy).value == 1
    assert registry.measure("procedures.median_days_to_completion", t, fy).value == Decimal(
        "11.0"
    )  # 2 and 20
    assert registry.measure("procedures.completed_within_standard", t, fy).value == Decimal("50.0")
    assert registry.measure("procedures.median_days_to_completion", t, Period.fiscal_year(2019)).value is None


def test_abandoned_draft_uploads_are_removed(town) -> None:
    import os
    import time

    from tests.procedures.submission_helpers import png

    name = submission_files.save_temp_upload(png())
    path = submission_files.temp_path(name)
    old = time.time() - 2 * 24 * 3600
    os.utime(path, (old, old))
    fresh = submission_files.save_temp_upload(png())
    assert apply_retention(today=date(2026, 4, 1)).temp_files == 1
    assert not path.exists() and submission_files.temp_path(fresh).exists()


def test_deadline_skips_closed_days(town) -> None:
    submission = make_submission(town["dog"]).submission
    assert submission.deadline is not None
    assert submission.deadline > submission.submitted_at.date() + timedelta(days=4)
