"""Scheduled commands: every app's schedule names a real command, and each run is recorded."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from io import StringIO

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError

from yakusho.core.models import CommandRun
from yakusho.core.scheduling import ScheduledCommand, command_name, record_run, schedule


def test_every_scheduled_job_is_a_command_that_records_its_runs() -> None:
    commands = get_commands()
    names = {job.command for job in schedule.all()}
    # the commands the operations guide schedules, from four apps
    assert {
        "send-mail",
        "purge-expired",
        "send-reminders",
        "apply-retention",
        "discard-counter-visits",
        "expire-unpaid-submissions",
        "reconcile-payments",
        "generate-booking-slots",
        "expire-booking-holds",
        "send-booking-reminders",
    } <= names
    for job in schedule.all():
        module_name = job.command.replace("-", "_")
        assert module_name in commands, job.command
        assert job.late_after >= timedelta(minutes=5)
        if job.command == "send-mail":
            continue  # records each round of its loop itself

        module = import_module(f"{commands[module_name]}.management.commands.{module_name}")
        assert issubclass(module.Command, ScheduledCommand), job.command


def test_command_name_from_module() -> None:
    assert command_name("yakusho.bookings.management.commands.expire_booking_holds") == "expire-booking-holds"


@pytest.mark.django_db
def test_a_successful_run_is_recorded() -> None:
    call_command("expire_booking_holds", stdout=StringIO())
    run = CommandRun.objects.get(name="expire-booking-holds")
    assert run.runs == 1 and run.consecutive_failures == 0
    assert run.last_succeeded_at is not None and run.last_failed_at is None
    assert run.last_finished_at == run.last_succeeded_at
    assert run.last_duration_ms is not None
    call_command("expire_booking_holds", stdout=StringIO())
    assert CommandRun.objects.get(name="expire-booking-holds").runs == 2


@pytest.mark.django_db
def test_a_failed_run_is_recorded_with_a_short_error_and_still_raises() -> None:
    with pytest.raises(CommandError):
        call_command("discard_counter_visits", hours=0)
    run = CommandRun.objects.get(name="discard-counter-visits")
    assert run.last_succeeded_at is None and run.last_failed_at is not None
    assert run.consecutive_failures == 1
    assert run.last_error == "CommandError: --hours must be at least 1"
    # a later success clears the failure count but keeps when it last failed
    call_command("discard_counter_visits", hours=8, stdout=StringIO())
    run.refresh_from_db()
    assert run.consecutive_failures == 0 and run.last_failed_at is not None
    assert run.last_succeeded_at is not None


@pytest.mark.django_db
def test_the_error_line_keeps_only_the_first_line() -> None:
    with pytest.raises(ValueError), record_run("probe"):
        raise ValueError("first line\nsecret second line with resident@example.jp")
    assert CommandRun.objects.get(name="probe").last_error == "ValueError: first line"


@pytest.mark.django_db
def test_send_mail_records_each_round() -> None:
    call_command("send_mail", stdout=StringIO())
    run = CommandRun.objects.get(name="send-mail")
    assert run.runs == 1 and run.last_succeeded_at is not None
