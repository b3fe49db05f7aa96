from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakusho.core.models.tenancy import Municipality, TenantOwned


class OutboundEmail(TenantOwned):
    """One e-mail in the outbox. Queued in the sender's transaction, delivered by `send-mail`."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("送信待ち")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("送信失敗（再送を中止）")

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="outbox"
    )
    message_id = models.CharField(max_length=200, unique=True, editable=False)
    from_email = models.CharField(_("差出人"), max_length=200)
    to = models.JSONField(_("宛先"))
    subject = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"))
    attachments = models.JSONField(
        _("添付"), default=list, blank=True, help_text="[{filename, mimetype, content_b64}]"
    )
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("送信試行回数"), default=0)
    next_attempt_at = models.DateTimeField(_("次回送信予定"), default=timezone.now)
    claimed_by = models.CharField(max_length=64, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("最後のエラー"), blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("送信メール")
        verbose_name_plural = _("送信メール")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.message_id:
            self.message_id = f"<{uuid.uuid4()}@yakusho>"
        super().save(*args, **kwargs)  # type: ignore[arg-type]
