"""The mail outbox: queue in the caller's transaction, deliver later with retries and backoff.

``queue_mail`` only inserts a row, so it commits or rolls back with the record that caused it.
``deliver_due`` (run by ``yakusho send-mail``) claims due rows with a lease through a conditional
UPDATE, which any database runs atomically: two workers on two hosts never send the same row at
once. A worker that dies after the SMTP server accepted a message but before it marked the row
sent leaves the lease to expire and the row is sent again (at-least-once); the stable Message-ID
lets mail clients fold such a duplicate.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import smtplib
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yakusho.core.models import Municipality, OutboundEmail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


def queue_mail(
    municipality: Municipality,
    to: Sequence[str],
    subject: str,
    body: str,
    attachments: Iterable[Attachment] = (),
) -> OutboundEmail:
    """Queue one e-mail from ``municipality``. Call inside the transaction that saves its cause."""
    with transaction.atomic():
        return OutboundEmail.objects.create(
            municipality=municipality,
            from_email=municipality.sender,
            to=list(to),
            subject=subject,
            body=body,
            attachments=[
                {
                    "filename": a.filename,
                    "mimetype": a.mimetype,
                    "content_b64": base64.b64encode(a.content).decode("ascii"),
                }
                for a in attachments
            ],
        )


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failures: doubling, capped."""
    conf = settings.YAKUSHO_OUTBOX
    seconds = min(conf["BACKOFF_BASE_SECONDS"] * 2 ** max(attempts - 1, 0), conf["BACKOFF_MAX_SECONDS"])
    return timedelta(seconds=seconds)


def claim(pk: int, worker: str, now: datetime) -> bool:
    """Take the lease on one due row; False if another worker holds it or it is no longer due."""
    lease = timedelta(seconds=settings.YAKUSHO_OUTBOX["LEASE_SECONDS"])
    updated = (
        OutboundEmail.objects.filter(pk=pk, status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_by=worker, claimed_until=now + lease)
    )
    return updated == 1


def _build(mail: OutboundEmail, connection: object) -> EmailMessage:
    message = EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=mail.from_email,
        to=mail.to,
        headers={"Message-ID": mail.message_id},
        connection=connection,  # type: ignore[arg-type]
    )
    for a in mail.attachments:
        message.attach(a["filename"], base64.b64decode(a["content_b64"]), a["mimetype"])
    return message


_SERVER_DOWN = (ConnectionError, TimeoutError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    given_up: int = 0


def deliver_due(limit: int = 100, now: datetime | None = None, worker: str | None = None) -> DeliveryReport:
    """Send due mail. Never raises for a mail-server failure: the row is rescheduled instead."""
    now = now or timezone.now()
    worker = worker or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
    report = DeliveryReport()
    due = list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    connection = None
    for pk in due:
        if not claim(pk, worker, now):
            continue
        mail = OutboundEmail.objects.get(pk=pk)
        try:
            if connection is None:
                connection = get_connection(fail_silently=False)
            _build(mail, connection).send(fail_silently=False)
        except Exception as exc:
            connection = None
            attempts = mail.attempts + 1
            give_up = attempts >= settings.YAKUSHO_OUTBOX["MAX_ATTEMPTS"]
            OutboundEmail.objects.filter(pk=pk, claimed_by=worker).update(
                attempts=attempts,
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
                next_attempt_at=now + backoff(attempts),
                status=OutboundEmail.Status.FAILED if give_up else OutboundEmail.Status.QUEUED,
                claimed_by="",
                claimed_until=None,
            )
            log.warning("outbox: mail %s failed (attempt %s): %s", pk, attempts, exc)
            if give_up:
                report.given_up += 1
            else:
                report.failed += 1
            if isinstance(exc, _SERVER_DOWN):
                break  # the rest stay due for the next run instead of each waiting for a timeout
            continue
        OutboundEmail.objects.filter(pk=pk, claimed_by=worker).update(
            status=OutboundEmail.Status.SENT,
            sent_at=timezone.now(),
            attempts=mail.attempts + 1,
            last_error="",
            claimed_by="",
            claimed_until=None,
        )
        report.sent += 1
    if connection is not None:
        with contextlib.suppress(Exception):  # closing a broken connection is not an error
            connection.close()
    return report
