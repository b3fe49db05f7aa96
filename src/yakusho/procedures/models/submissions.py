"""Submissions (申請) of residents and what staff do with them: attachments, messages, notes.

A ``Submission`` keeps the form definition version it was made with and the engine's cleaned
answers; residents reach it by its short receipt code plus a secret of which only a hash is
stored. Its status moves only through ``yakusho.procedures.submissions.services.TRANSITIONS``.
Attachments live under ``settings.MEDIA_ROOT/private/`` (never served statically) and are read
through permission-checked views. ``SubmissionTally`` keeps the counts statistics need after
``yakusho apply-retention`` erased the submissions themselves.

Imported at the bottom of ``procedures/models.py``; registered with the audit trail here.
"""

from __future__ import annotations

from typing import Any

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yakusho.core import jcal, shortcodes
from yakusho.core.models import Municipality, TenantOwned
from yakusho.procedures.models.catalogue import FormDefinition, Procedure


class SubmissionStatus(models.TextChoices):
    PAYMENT = "payment", _("支払待ち")  # stored, not yet submitted: the fee is paid first
    RECEIVED = "received", _("受付")
    REVIEWING = "reviewing", _("審査中")
    CORRECTION = "correction", _("補正依頼")
    COMPLETED = "completed", _("完了")
    REJECTED = "rejected", _("却下")
    WITHDRAWN = "withdrawn", _("取下げ")


#: statuses in which nothing more happens
CLOSED_STATUSES = frozenset(
    {SubmissionStatus.COMPLETED, SubmissionStatus.REJECTED, SubmissionStatus.WITHDRAWN}
)
#: stored but not yet submitted (a fee paid before submitting is not paid yet): in no list or figure
NOT_SUBMITTED = frozenset({SubmissionStatus.PAYMENT})
OPEN_STATUSES = frozenset(s for s in SubmissionStatus if s not in CLOSED_STATUSES | NOT_SUBMITTED)


class PaymentState(models.TextChoices):
    """The online payment of a submission's fee (none when it is not paid online)."""

    NONE = "", _("なし")
    DUE = "due", _("未払い")
    PAID = "paid", _("支払済み")
    REFUNDED = "refunded", _("返金済み")


class SubmissionChannel(models.TextChoices):
    ONLINE = "online", _("オンライン")
    COUNTER = "counter", _("窓口")


class Submission(TenantOwned):
    """申請: one resident's request for one procedure."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("団体"), on_delete=models.PROTECT, related_name="submissions"
    )
    procedure = models.ForeignKey(
        Procedure, verbose_name=_("手続"), on_delete=models.PROTECT, related_name="submissions"
    )
    form = models.ForeignKey(
        FormDefinition,
        verbose_name=_("フォーム定義（版）"),
        on_delete=models.PROTECT,
        related_name="submissions",
    )
    form_version = models.PositiveIntegerField(_("フォームの版"))
    data = models.JSONField(_("申請内容"), default=dict)
    channel = models.CharField(
        _("受付方法"), max_length=10, choices=SubmissionChannel.choices, default=SubmissionChannel.ONLINE
    )
    code = models.CharField(_("受付番号"), max_length=shortcodes.LENGTH)
    secret_hash = models.CharField(_("照会用の鍵（ハッシュ）"), max_length=64, editable=False)
    idempotency_key = models.CharField(_("二重送信防止キー"), max_length=64, editable=False)
    status = models.CharField(
        _("状況"), max_length=12, choices=SubmissionStatus.choices, default=SubmissionStatus.RECEIVED
    )
    applicant_name = models.CharField(_("申請者名"), max_length=200, blank=True)
    applicant_kana = models.CharField(_("申請者名（フリガナ）"), max_length=200, blank=True)
    applicant_email = models.EmailField(_("申請者のメールアドレス"), blank=True)
    fee_yen = models.PositiveIntegerField(_("手数料（円）"), null=True, blank=True)
    payment_state = models.CharField(
        _("オンライン決済"), max_length=10, choices=PaymentState.choices, default="", blank=True
    )
    payment_code = models.CharField(_("領収番号"), max_length=20, blank=True)
    overrides = models.JSONField(
        _("窓口での例外扱い"),
        default=list,
        blank=True,
        help_text=_("職員の判断で例外にした規則：項目、規則、理由、職員"),
    )
    deadline = models.DateField(_("処理期限"), null=True, blank=True, help_text=_("標準処理期間から計算"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_submissions",
    )
    submitted_at = models.DateTimeField(_("受付日時"))
    completed_at = models.DateTimeField(_("処理完了日時"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("申請")
        verbose_name_plural = _("申請")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="submission_unique_code"),
            models.UniqueConstraint(
                fields=["municipality", "idempotency_key"], name="submission_unique_idempotency_key"
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "status", "deadline"], name="submission_status_idx"),
            models.Index(fields=["municipality", "submitted_at"], name="submission_submitted_idx"),
        ]

    def __str__(self) -> str:
        return shortcodes.format_code(self.code)

    @property
    def display_code(self) -> str:
        return shortcodes.format_code(self.code)

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class AttachmentSource(models.TextChoices):
    FORM = "form", _("申請フォーム")
    RESIDENT_REPLY = "reply", _("申請者からの返信")
    STAFF = "staff", _("職員")


class SubmissionAttachment(TenantOwned):
    """A file of a submission, stored under the private media folder (``path`` is relative)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        "SubmissionMessage", on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    source = models.CharField(_("添付元"), max_length=10, choices=AttachmentSource.choices)
    field_key = models.CharField(_("項目"), max_length=200, blank=True, help_text=_("フォームの入力名"))
    name = models.CharField(_("ファイル名"), max_length=200)
    size = models.PositiveIntegerField(_("大きさ（バイト）"))
    content_type = models.CharField(_("種類"), max_length=120)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    path = models.CharField(_("保存場所"), max_length=300, editable=False)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("申請の添付ファイル")
        verbose_name_plural = _("申請の添付ファイル")
        ordering = ["submission", "pk"]

    def __str__(self) -> str:
        return self.name


class MessageDirection(models.TextChoices):
    TO_APPLICANT = "to_applicant", _("職員から申請者へ")
    FROM_APPLICANT = "from_applicant", _("申請者から")


class SubmissionMessage(TenantOwned):
    """A message between staff and the applicant, shown on the status page and the staff page."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("方向"), max_length=20, choices=MessageDirection.choices)
    body = models.TextField(_("本文"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("職員"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("申請のメッセージ")
        verbose_name_plural = _("申請のメッセージ")
        ordering = ["submission", "created_at", "pk"]

    def __str__(self) -> str:
        when = jcal.format_datetime(self.created_at) if self.created_at else ""
        return f"{self.submission}：{self.get_direction_display()} {when}".strip()


class SubmissionNote(TenantOwned):
    """An internal note of staff (never shown to the applicant)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField(_("メモ"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("職員"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("申請の内部メモ")
        verbose_name_plural = _("申請の内部メモ")
        ordering = ["submission", "created_at", "pk"]

    def __str__(self) -> str:
        when = jcal.format_datetime(self.created_at) if self.created_at else ""
        return str(
            _("%(submission)s の内部メモ %(when)s") % {"submission": self.submission, "when": when}
        ).strip()


class SubmissionTally(TenantOwned):
    """What statistics keep of submissions erased under the retention rule (no personal data).

    One row per procedure, channel and month of receipt; ``days_to_completion`` counts completed
    submissions by the number of days they took (``{"3": 2}``), so medians stay exact.
    """

    procedure = models.ForeignKey(
        Procedure, on_delete=models.SET_NULL, null=True, blank=True, related_name="submission_tallies"
    )
    procedure_key = models.CharField(_("手続のキー"), max_length=80)
    month = models.DateField(_("受付月"), help_text=_("月の初日"))
    channel = models.CharField(_("受付方法"), max_length=10, choices=SubmissionChannel.choices)
    erased = models.PositiveIntegerField(_("消去した申請数"), default=0)
    completed = models.PositiveIntegerField(_("うち完了"), default=0)
    completed_on_time = models.PositiveIntegerField(_("うち標準処理期間内に完了"), default=0)
    with_deadline = models.PositiveIntegerField(_("うち処理期限のある完了"), default=0)
    days_to_completion = models.JSONField(_("完了までの日数の分布"), default=dict)

    class Meta:
        verbose_name = _("申請の集計（保存期間経過後）")
        verbose_name_plural = _("申請の集計（保存期間経過後）")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "procedure_key", "month", "channel"], name="submission_tally_unique"
            )
        ]

    def __str__(self) -> str:
        name = self.procedure.name if self.procedure_id and self.procedure else self.procedure_key
        month = jcal.format_date(self.month, style="month")
        return f"{name} {month} {self.get_channel_display()}"


SUBMISSION_MODELS: list[Any] = [
    Submission,
    SubmissionAttachment,
    SubmissionMessage,
    SubmissionNote,
    SubmissionTally,
]

for _model, _exclude in (
    (Submission, ["secret_hash", "idempotency_key", "updated_at"]),
    (SubmissionAttachment, ["path"]),
    (SubmissionMessage, []),
    (SubmissionNote, []),
    (SubmissionTally, []),
):
    if not auditlog.contains(_model):
        auditlog.register(_model, exclude_fields=_exclude)

__all__ = [
    "CLOSED_STATUSES",
    "NOT_SUBMITTED",
    "OPEN_STATUSES",
    "SUBMISSION_MODELS",
    "AttachmentSource",
    "MessageDirection",
    "PaymentState",
    "Submission",
    "SubmissionAttachment",
    "SubmissionChannel",
    "SubmissionMessage",
    "SubmissionNote",
    "SubmissionStatus",
    "SubmissionTally",
]
