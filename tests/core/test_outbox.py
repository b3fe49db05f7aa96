from __future__ import annotations

import threading
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.smtp import SmtpServer
from yakusho.core.models import OutboundEmail
from yakusho.core.outbox import Attachment, backoff, claim, deliver_due, queue_mail

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


@pytest.mark.django_db
def test_queued_mail_is_delivered_to_a_real_smtp_server(smtp: SmtpServer) -> None:
    town = MunicipalityFactory(name="大江町", email_from="dx@town.oe.example.jp")
    queue_mail(
        town,
        ["resident@example.jp"],
        "予約の確認",
        "ご予約を受け付けました。",
        attachments=[Attachment("yoyaku.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")],
    )
    report = deliver_due()
    assert report.sent == 1
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert subject_of(message) == "予約の確認"
    assert "dx@town.oe.example.jp" in message["From"]
    assert message["To"] == "resident@example.jp"
    parts = [p.get_filename() for p in message.walk() if p.get_filename()]
    assert parts == ["yoyaku.ics"]
    mail = OutboundEmail.objects.get()
    assert mail.status == OutboundEmail.Status.SENT and mail.sent_at is not None
    assert message["Message-ID"] == mail.message_id
    # Running again sends nothing more.
    assert deliver_due().sent == 0
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_mail_is_queued_with_its_cause_or_not_at_all() -> None:
    town = MunicipalityFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        DepartmentFactory(municipality=town)
        queue_mail(town, ["a@example.jp"], "件名", "本文")
        raise RuntimeError("the save failed after the mail was queued")
    assert OutboundEmail.objects.count() == 0
    assert town.departments.count() == 0


@pytest.mark.django_db
def test_mail_queued_while_the_server_is_down_is_delivered_once_it_is_up(smtp_port: int) -> None:
    town = MunicipalityFactory()
    with override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=smtp_port, EMAIL_TIMEOUT=2):
        queue_mail(town, ["a@example.jp"], "一通目", "本文")
        queue_mail(town, ["b@example.jp"], "二通目", "本文")
        now = timezone.now()
        report = deliver_due(now=now)  # nothing listens on the port
        assert report.sent == 0 and report.failed == 1  # stops at the first connection failure
        first = OutboundEmail.objects.get(subject="一通目")
        assert first.status == OutboundEmail.Status.QUEUED
        assert first.attempts == 1 and "Connection" in first.last_error
        assert first.next_attempt_at == now + backoff(1)
        # Before the backoff has passed the first mail is not retried; the second is still due.
        server = SmtpServer(smtp_port).start()
        try:
            report = deliver_due(now=now + timedelta(seconds=1))
            assert [subject_of(m) for m in server.messages] == ["二通目"]
            report = deliver_due(now=now + backoff(1) + timedelta(seconds=1))
            assert report.sent == 1
            assert sorted(subject_of(m) for m in server.messages) == ["一通目", "二通目"]
            assert deliver_due(now=now + timedelta(hours=1)).sent == 0
            assert len(server.messages) == 2
        finally:
            server.stop()
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {OutboundEmail.Status.SENT}


def test_backoff_doubles_and_is_capped() -> None:
    assert backoff(1) == timedelta(minutes=1)
    assert backoff(2) == timedelta(minutes=2)
    assert backoff(5) == timedelta(minutes=16)
    assert backoff(30) == timedelta(hours=6)


@pytest.mark.django_db
def test_gives_up_after_max_attempts(smtp_port: int) -> None:
    town = MunicipalityFactory()
    queue_mail(town, ["a@example.jp"], "件名", "本文")
    now = timezone.now()
    with override_settings(
        EMAIL_BACKEND=SMTP,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=smtp_port,
        EMAIL_TIMEOUT=2,
        YAKUSHO_OUTBOX={
            "MAX_ATTEMPTS": 3,
            "BACKOFF_BASE_SECONDS": 60,
            "BACKOFF_MAX_SECONDS": 600,
            "LEASE_SECONDS": 60,
        },
    ):
        for _ in range(3):
            now += timedelta(hours=1)
            deliver_due(now=now)
    mail = OutboundEmail.objects.get()
    assert mail.status == OutboundEmail.Status.FAILED
    assert mail.attempts == 3


@pytest.mark.django_db
def test_a_claimed_mail_is_not_claimed_twice() -> None:
    town = MunicipalityFactory()
    mail = queue_mail(town, ["a@example.jp"], "件名", "本文")
    now = timezone.now()
    assert claim(mail.pk, "host-a", now)
    assert not claim(mail.pk, "host-b", now)
    # The lease expires if host-a died: host-b may then take it.
    assert claim(mail.pk, "host-b", now + timedelta(hours=1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_mail_once(smtp: SmtpServer) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them (run in the PostgreSQL run)")
    town = MunicipalityFactory()
    for i in range(30):
        queue_mail(town, [f"r{i}@example.jp"], f"通知{i}", "本文")
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        barrier.wait()
        try:
            deliver_due(worker=name)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in ("host-a", "host-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    subjects = sorted(subject_of(m) for m in smtp.messages)
    assert subjects == sorted(f"通知{i}" for i in range(30))
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == 30
