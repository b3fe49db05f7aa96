"""Rules of submissions: creating one exactly once, its status workflow, messages and notes.

Views call these functions; every rule lives here with a Japanese message. The workflow as one
table (``TRANSITIONS``)::

    受付 ──start──▶ 審査中 ──complete──▶ 完了
     │  ╲            │  ▲
     │   ╲─correct─▶ 補正依頼 ──(resident replies)──┘
     ├── reject ──▶ 却下     (from 受付, 審査中, 補正依頼)
     └── withdraw ─▶ 取下げ  (the resident, or staff on the resident's behalf)

Staff act only on procedures of their own 課 when they are department staff; the DX推進室 and
administrators act on every procedure; counter staff and the DX推進本部 read.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from yakusho.core import shortcodes, uploads
from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Membership, Role, User
from yakusho.core.outbox import queue_mail
from yakusho.core.services import absolute
from yakusho.core.uploads import FileInfo
from yakusho.core.workflow import Transition, TransitionRefused, Workflow
from yakusho.procedures.catalogue.services import processing_deadline
from yakusho.procedures.formengine.schema import EmailField, NameField, ResidentField
from yakusho.procedures.models import FormDefinition, Procedure
from yakusho.procedures.models.submissions import (
    CLOSED_STATUSES,
    AttachmentSource,
    MessageDirection,
    PaymentState,
    Submission,
    SubmissionAttachment,
    SubmissionChannel,
    SubmissionMessage,
    SubmissionNote,
    SubmissionStatus,
)
from yakusho.procedures.submissions import files as submission_files
from yakusho.procedures.submissions.fees import fee_summary

log = logging.getLogger(__name__)

RESIDENT = "resident"  # the applicant, acting through the status page (not a staff role)
HANDLERS = frozenset({Role.DEPARTMENT, Role.SECRETARIAT, Role.ADMIN})
SECRET_LENGTH = 16
MESSAGE_MAX = 4000


class SubmissionError(TransitionRefused):
    """A refused action on a submission, with a message for the person who tried it."""


#: a message to the applicant must come with the transition
MESSAGE_REQUIRED = "message_required"

S = SubmissionStatus
TRANSITIONS = Workflow(
    {
        "start_review": Transition(N_("審査を始める"), {S.RECEIVED, S.CORRECTION}, S.REVIEWING, HANDLERS),
        "request_correction": Transition(
            N_("補正を依頼する"),
            {S.RECEIVED, S.REVIEWING},
            S.CORRECTION,
            HANDLERS,
            flags={MESSAGE_REQUIRED},
        ),
        "resident_reply": Transition(N_("補正に回答する"), {S.CORRECTION}, S.REVIEWING, {RESIDENT}),
        "complete": Transition(N_("完了にする"), {S.REVIEWING}, S.COMPLETED, HANDLERS),
        "reject": Transition(
            N_("却下する"),
            {S.RECEIVED, S.REVIEWING, S.CORRECTION},
            S.REJECTED,
            HANDLERS,
            flags={MESSAGE_REQUIRED},
        ),
        "withdraw": Transition(
            N_("取り下げる"), {S.RECEIVED, S.REVIEWING, S.CORRECTION}, S.WITHDRAWN, HANDLERS | {RESIDENT}
        ),
    },
    model=Submission,
    error=SubmissionError,
    unknown=N_("この操作はありません。"),
    wrong_actor=N_("この操作（%(action)s）はできません：権限がありません。"),
    wrong_state=N_("「%(status)s」の申請は「%(action)s」ことができません。"),
)
#: what the applicant reads about each status on the status page
STATUS_TEXT = {
    S.PAYMENT: N_(
        "手数料のお支払いをお待ちしています。お支払いが済んだ時点で申請を受け付けます（まだ受け付けていません）。"
    ),
    S.RECEIVED: N_("申請を受け付けました。担当の課が内容を確認します。"),
    S.REVIEWING: N_("担当の課が審査しています。"),
    S.CORRECTION: (
        N_(
            "申請内容の補正（修正や追加の書類）をお願いしています。下のメッセージをご確認のうえ、返信してください。"
        )
    ),
    S.COMPLETED: N_("手続が完了しました。"),
    S.REJECTED: N_("申請は却下されました。理由はメッセージをご確認ください。"),
    S.WITHDRAWN: N_("申請は取り下げられました。"),
}


def transition_label(action: str) -> str:
    return TRANSITIONS.label(action)


def status_text(status: str) -> str:
    return _(STATUS_TEXT[SubmissionStatus(status)])


# --- who may do what ----------------------------------------------------------------------------


def own_department(membership: Membership, procedure: Procedure) -> bool:
    return any(d.pk == procedure.department_id for d in membership.departments.all())


def can_handle(membership: Membership, procedure: Procedure) -> bool:
    """Act on submissions of ``procedure``: administrators, the DX推進室, the 課's own staff."""
    if membership.role in (Role.ADMIN, Role.SECRETARIAT):
        return True
    return membership.role == Role.DEPARTMENT and own_department(membership, procedure)


def visible_submissions(membership: Membership) -> QuerySet[Submission]:
    """The submissions a member may read: department staff their 課's, every other role all."""
    submissions = Submission.objects.for_municipality(membership.municipality)
    if membership.role == Role.DEPARTMENT:
        submissions = submissions.filter(procedure__department__in=list(membership.departments.all()))
    return submissions


def allowed_actions(membership: Membership, submission: Submission) -> list[str]:
    if not can_handle(membership, submission.procedure):
        return []
    return TRANSITIONS.available(submission.status, membership.role)


# --- secrets and codes --------------------------------------------------------------------------


def new_secret() -> str:
    return "".join(secrets.choice(shortcodes.ALPHABET) for _ in range(SECRET_LENGTH))


def receipt_secret(token: str) -> str:
    """The 照会キー of an online application, derived from the draft's submission token with the
    server's key. Whichever request of the browser that holds the token reaches the receipt (a
    double click, a retry after a crash between the commit and the session save) can show it
    again; the database keeps only a digest of the token and a hash of the key, so neither can be
    read back from it."""
    number = int.from_bytes(salted_hmac("yakusho.receipt", token, algorithm="sha256").digest(), "big")
    alphabet = shortcodes.ALPHABET
    chars = []
    for _position in range(SECRET_LENGTH):
        number, index = divmod(number, len(alphabet))
        chars.append(alphabet[index])
    return "".join(chars)


def online_idempotency_key(token: str) -> str:
    """What is stored of an online draft's submission token (its digest: the token itself, with
    the server's key, would give the 照会キー)."""
    return hashlib.sha256(f"yakusho.online:{token}".encode()).hexdigest()


def format_secret(secret: str) -> str:
    return "-".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalize_secret(value: str) -> str:
    from yakusho.core.validators import normalize_text

    return normalize_text(value or "").upper().replace("-", "").replace(" ", "").replace("ー", "")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(normalize_secret(secret).encode("ascii", "ignore")).hexdigest()


def secret_matches(submission: Submission, secret: str) -> bool:
    return bool(secret) and hmac.compare_digest(submission.secret_hash, hash_secret(secret))


def find_by_code(municipality: Any, code: str) -> Submission | None:
    """The submission of this receipt code (as residents type it), with what its pages show."""
    normalized = shortcodes.normalize(code or "")
    if normalized is None:
        return None
    return (
        Submission.objects.for_municipality(municipality)
        .select_related("procedure", "procedure__department", "form")
        .filter(code=normalized)
        .first()
    )


def find_for_resident(municipality: Any, code: str, secret: str) -> Submission | None:
    """The submission of this receipt code and secret, or None (same answer for either wrong)."""
    submission = find_by_code(municipality, code)
    if submission is None or not secret_matches(submission, secret):
        return None
    return submission


def status_path(submission: Submission) -> str:
    """The status page's address: it carries no secret (the browser that proved the key has it in
    its session)."""
    return reverse("submissions:status", args=[submission.municipality.slug, submission.code])


def status_link(submission: Submission, secret: str) -> str:
    """The mailed link, which must open the page on any device: it carries the secret, which the
    page takes out of the address at once (a redirect to :func:`status_path`), and the server's
    access log never records (``core.accesslog``)."""
    return f"{status_path(submission)}?k={normalize_secret(secret)}"


# --- applicant details from the cleaned answers --------------------------------------------------


def applicant_details(definition: Any, cleaned: dict[str, Any]) -> tuple[str, str, str]:
    """(name, kana, e-mail) of the applicant: the first name or resident field and e-mail field."""
    name = kana = email = ""
    for key, f in definition.fields.items():
        value = cleaned.get(key)
        if not value:
            continue
        if not name and isinstance(f, NameField | ResidentField) and isinstance(value, dict):
            name = " ".join(v for v in (value.get("family_name"), value.get("given_name")) if v)
            kana = " ".join(v for v in (value.get("family_kana"), value.get("given_kana")) if v)
        if not email and isinstance(f, EmailField) and isinstance(value, str):
            email = value
    return name[:200], kana[:200], email


# --- creating a submission exactly once ------------------------------------------------------------


@dataclass
class Created:
    submission: Submission
    secret: str | None  # None when the submission existed already (a repeated request)
    created: bool


def create_submission(
    *,
    procedure: Procedure,
    form: FormDefinition,
    definition: Any,
    cleaned: dict[str, Any],
    temp_files: dict[str, str],
    idempotency_key: str,
    channel: str = SubmissionChannel.ONLINE,
    fee: int | None = None,
    secret: str | None = None,
    overrides: list[dict[str, str]] | None = None,
    payment_due: bool = False,
    pay_first: bool = False,
) -> Created:
    """Store one submission with its attachments and queue its confirmation mail, in one
    transaction. A second call with the same ``idempotency_key`` (double submit, a retried
    request, two concurrent requests) returns the first submission and stores nothing.
    ``secret`` is the 照会キー to give it (``receipt_secret`` of the online draft); a new random one
    when none is given. ``payment_due``: its fee is paid online (``submissions.payment``);
    ``pay_first``: paid before it counts — stored as 「支払待ち」, without a deadline, until paid."""
    municipality = procedure.municipality
    existing = (
        Submission.objects.for_municipality(municipality).filter(idempotency_key=idempotency_key).first()
    )
    if existing is not None:
        return Created(existing, None, False)
    secret = secret or new_secret()
    now = timezone.now()
    name, kana, email = applicant_details(definition, cleaned)
    deadline = (
        None
        if pay_first
        else processing_deadline(procedure, timezone.localdate(now), BusinessCalendar(municipality))
    )
    stored: list[Path] = []
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                municipality=municipality,
                procedure=procedure,
                form=form,
                form_version=form.version,
                data=cleaned,
                channel=channel,
                code=shortcodes.unique_code(Submission, municipality),
                secret_hash=hash_secret(secret),
                idempotency_key=idempotency_key,
                applicant_name=name,
                applicant_kana=kana,
                applicant_email=email,
                fee_yen=fee,
                status=SubmissionStatus.PAYMENT if pay_first else SubmissionStatus.RECEIVED,
                payment_state=PaymentState.DUE if payment_due or pay_first else PaymentState.NONE,
                overrides=overrides or [],
                deadline=deadline,
                submitted_at=now,
            )
            for input_name, temp_name in temp_files.items():
                info = _file_info(cleaned, input_name)
                if info is None:
                    continue  # the field was hidden by a later answer: its file is not kept
                relative, path = submission_files.store_temp(municipality, temp_name)
                stored.append(path)
                SubmissionAttachment.objects.create(
                    municipality=municipality,
                    submission=submission,
                    source=AttachmentSource.FORM,
                    field_key=input_name,
                    name=str(info.get("name", ""))[:200],
                    size=int(info.get("size", 0)),
                    content_type=str(info.get("content_type", "application/octet-stream")),
                    sha256=str(info.get("sha256", "")),
                    path=relative,
                )
            if email:
                _queue_confirmation(submission, secret, definition)
    except IntegrityError:
        submission_files.remove_paths(stored)
        existing = (
            Submission.objects.for_municipality(municipality).filter(idempotency_key=idempotency_key).first()
        )
        if existing is None:
            raise
        return Created(existing, None, False)
    except Exception:
        submission_files.remove_paths(stored)
        raise
    return Created(submission, secret, True)


def _file_info(cleaned: dict[str, Any], input_name: str) -> dict[str, Any] | None:
    """The cleaned FileInfo of an input name (``key`` or ``group-0-key``)."""
    parts = input_name.split("-")
    value: Any = cleaned.get(parts[0])
    if len(parts) == 3 and isinstance(value, list):
        index = int(parts[1]) if parts[1].isdigit() else -1
        value = value[index].get(parts[2]) if 0 <= index < len(value) else None
    return value if isinstance(value, dict) and value.get("upload") else None


def _mail_context(submission: Submission, **extra: Any) -> dict[str, Any]:
    return {
        "submission": submission,
        "procedure": submission.procedure,
        "municipality": submission.municipality,
        "department": submission.procedure.department,
        "lookup_url": absolute(reverse("submissions:lookup", args=[submission.municipality.slug])),
        **extra,
    }


def _queue_confirmation(submission: Submission, secret: str, definition: Any) -> None:
    context = _mail_context(
        submission,
        secret=format_secret(secret),
        status_url=absolute(status_link(submission, secret)),
        summary=definition.summary(submission.data),
        fee=fee_summary(submission, definition),
        payment_due=submission.payment_state == PaymentState.DUE,
        pay_first=submission.status == SubmissionStatus.PAYMENT,
    )
    queue_mail(
        submission.municipality,
        [submission.applicant_email],
        render_to_string("procedures/mail/submission_received_subject.txt", context).strip(),
        render_to_string("procedures/mail/submission_received_body.txt", context),
    )


# --- status transitions ----------------------------------------------------------------------------


@transaction.atomic
def transition(
    submission: Submission,
    action: str,
    *,
    membership: Membership | None = None,
    message: str = "",
) -> Submission:
    """Move ``submission`` by ``action`` of ``TRANSITIONS``; ``membership`` None means the applicant.

    A message to the applicant given with it is stored and e-mailed (required for 補正依頼 and 却下).
    """
    TRANSITIONS.rule(action)
    locked = (
        Submission.objects.select_for_update()
        .select_related("procedure", "municipality")
        .get(pk=submission.pk)
    )
    if membership is None:
        role = RESIDENT
    else:
        if not can_handle(membership, locked.procedure):
            raise SubmissionError(_("この申請を処理する権限がありません（担当の課の職員が処理します）。"))
        role = membership.role
    t = TRANSITIONS.check(
        action, state=locked.status, actor=role, names={"status": locked.get_status_display()}
    )
    message = (message or "").strip()
    if t.has(MESSAGE_REQUIRED) and not message:
        raise SubmissionError(
            _("「%(action)s」ときは、申請者へのメッセージ（理由や依頼の内容）を書いてください。")
            % {"action": _(t.label)}
        )
    locked.status = t.target
    locked.completed_at = timezone.now() if t.target in CLOSED_STATUSES else None
    locked.save(update_fields=["status", "completed_at", "updated_at"])
    if message and membership is not None:
        send_message(locked, message, author=membership.user, status_changed=True)
    elif membership is not None and locked.applicant_email and t.target in CLOSED_STATUSES:
        _queue_status_mail(locked)
    submission.status = locked.status
    submission.completed_at = locked.completed_at
    return locked


def _queue_status_mail(submission: Submission, message: SubmissionMessage | None = None) -> None:
    context = _mail_context(submission, message=message)
    queue_mail(
        submission.municipality,
        [submission.applicant_email],
        render_to_string("procedures/mail/submission_update_subject.txt", context).strip(),
        render_to_string("procedures/mail/submission_update_body.txt", context),
    )


# --- messages, replies, notes, assignment ----------------------------------------------------------


def _check_text(body: str, what: str) -> str:
    body = (body or "").strip()
    if not body:
        raise SubmissionError(_("%(what)sを入力してください。") % {"what": what})
    if len(body) > MESSAGE_MAX:
        raise SubmissionError(
            _("%(what)sは%(max)s文字以内で入力してください（いま%(n)s文字）。")
            % {"what": what, "max": MESSAGE_MAX, "n": len(body)}
        )
    return body


#: files staff may send to an applicant with a message (a 補正 form, a notice, a scanned letter)
STAFF_FILE_KINDS = ("pdf", "jpeg", "png", "docx", "xlsx")
STAFF_FILE_MAX = 20 * 1024 * 1024


def check_staff_file(upload: Any) -> FileInfo:
    """Check a file staff attach to a message (kind by content, size); :class:`SubmissionError`."""
    try:
        return uploads.check_upload(upload, _("添付ファイル"), STAFF_FILE_KINDS, STAFF_FILE_MAX)
    except uploads.UploadRefused as exc:
        raise SubmissionError(str(exc)) from None


def _attach(message: SubmissionMessage, source: str, upload: tuple[Any, str]) -> SubmissionAttachment:
    """Store a checked file (its info and temporary name) as an attachment of ``message``."""
    info, temp_name = upload
    submission = message.submission
    relative, path = submission_files.store_temp(submission.municipality, temp_name)
    try:
        return SubmissionAttachment.objects.create(
            municipality_id=submission.municipality_id,
            submission=submission,
            message=message,
            source=source,
            name=str(info["name"])[:200],
            size=info["size"],
            content_type=info["content_type"],
            sha256=info["sha256"],
            path=relative,
        )
    except Exception:
        submission_files.remove_paths([path])
        raise


@transaction.atomic
def send_message(
    submission: Submission,
    body: str,
    *,
    author: User,
    status_changed: bool = False,
    upload: tuple[Any, str] | None = None,
) -> SubmissionMessage:
    """A message from staff to the applicant: shown on the status page and e-mailed. ``upload`` is
    a file checked with :func:`check_staff_file` and its temporary name; the applicant downloads it
    from the status page."""
    body = _check_text(body, _("メッセージ"))
    message = SubmissionMessage.objects.create(
        municipality_id=submission.municipality_id,
        submission=submission,
        direction=MessageDirection.TO_APPLICANT,
        body=body,
        author=author,
    )
    if upload is not None:
        _attach(message, AttachmentSource.STAFF, upload)
    if submission.applicant_email:
        _queue_status_mail(submission, message)
    return message


@transaction.atomic
def resident_reply(submission: Submission, body: str, upload: Any = None) -> SubmissionMessage:
    """The applicant's reply from the status page (with an optional checked file). A reply to a
    補正依頼 puts the submission back into 審査中 (``resident_reply`` of the table)."""
    if submission.is_closed:
        raise SubmissionError(_("この申請は処理が終わっているため、返信できません。"))
    body = _check_text(body, _("返信"))
    message = SubmissionMessage.objects.create(
        municipality_id=submission.municipality_id,
        submission=submission,
        direction=MessageDirection.FROM_APPLICANT,
        body=body,
    )
    if upload is not None:
        _attach(message, AttachmentSource.RESIDENT_REPLY, upload)
    if submission.status == SubmissionStatus.CORRECTION:
        transition(submission, "resident_reply")
    return message


def add_note(submission: Submission, body: str, *, author: User) -> SubmissionNote:
    body = _check_text(body, _("メモ"))
    return SubmissionNote.objects.create(
        municipality_id=submission.municipality_id, submission=submission, body=body, author=author
    )


def assign(submission: Submission, user: User | None, *, membership: Membership) -> None:
    if not can_handle(membership, submission.procedure):
        raise SubmissionError(_("この申請を処理する権限がありません（担当の課の職員が処理します）。"))
    if (
        user is not None
        and not Membership.objects.filter(
            municipality_id=submission.municipality_id, user=user, is_active=True
        ).exists()
    ):
        raise SubmissionError(_("担当者はこの団体の職員から選んでください。"))
    submission.assigned_to = user
    submission.save(update_fields=["assigned_to", "updated_at"])


def is_overdue(submission: Submission, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return bool(submission.deadline and not submission.is_closed and submission.deadline < today)
