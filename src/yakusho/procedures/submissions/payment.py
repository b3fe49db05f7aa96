"""Paying a submission's fee online (docs/payments.md "Paying online"; the payable
``procedures.submission``).

A form whose fee items all name items of the fee catalogue that take online payment (オンライン決済)
is paid online. The procedure says when (``Procedure.payment_timing``): *before* — the submission is
stored as 「支払待ち」 (``SubmissionStatus.PAYMENT``: in no list, no figure, no deadline) and counts as
submitted (受付) only once the payment is taken; *later* — it is received at once and the fee is
paid from its status page. Either way the payment is the payments app's: this module only says what
a submission owes, and hears when it is paid or refunded.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.core import shortcodes
from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Municipality
from yakusho.core.outbox import queue_mail
from yakusho.core.services import absolute
from yakusho.payments import online
from yakusho.payments.models import Payment, PaymentStatus
from yakusho.payments.payables import Owed, Payable, payables
from yakusho.payments.services import Line, PaymentError, price_owed
from yakusho.procedures.catalogue.services import definition_of, processing_deadline
from yakusho.procedures.models import PaymentTiming, Procedure
from yakusho.procedures.models.submissions import PaymentState, Submission, SubmissionStatus
from yakusho.procedures.submissions.retention import erase_submission

KEY = "procedures.submission"


def owed_for(definition: object, cleaned: dict[str, object]) -> list[Owed]:
    """What these answers owe, as catalogue items and quantities (the form's fee items that name one)."""
    lines = definition.catalogue_lines(cleaned)  # type: ignore[attr-defined]
    return [Owed(key, quantity, label) for label, key, quantity in lines]


def online_lines(municipality: Municipality, definition: object, cleaned: dict[str, object]) -> list[Line]:
    """The lines these answers pay online, or [] when they are not paid online: no fee, a fee item
    the catalogue lacks or has no rate for, or an item that does not take online payment. Every fee
    item of the form must name a catalogue item (else part of the fee would go unpaid)."""
    rules = getattr(definition, "fee_rules", [])
    if not rules or any(rule.fee_item is None for rule in rules):
        return []
    try:
        lines = price_owed(municipality, owed_for(definition, cleaned))
    except PaymentError:
        return []
    return lines if online.payable_online(lines) else []


def pays_first(procedure: Procedure, lines: list[Line]) -> bool:
    return bool(lines) and procedure.payment_timing == PaymentTiming.BEFORE


def pay_key(token: str) -> str:
    """The request key of the payment opened by submitting the draft of ``token`` (a second press
    of 「申請して支払う」 opens no second payment)."""
    return hashlib.sha256(f"yakusho.submission-payment:{token}".encode()).hexdigest()[:40]


def latest_payment(submission: Submission) -> Payment | None:
    return (
        Payment.objects.for_municipality(submission.municipality)
        .filter(payable=KEY, payable_ref=submission.code)
        .order_by("-pk")
        .first()
    )


def start(request: HttpRequest, submission: Submission, request_key: str) -> str:
    """Open the online payment of ``submission``'s fee; the address of the provider's page.
    :class:`PaymentError` when there is nothing to pay or the provider cannot be reached."""
    if submission.payment_state != PaymentState.DUE or submission.is_closed:
        raise PaymentError(_("この申請には、お支払いいただくものはありません。"))
    return online.start_payable(
        submission.municipality,
        KEY,
        submission.code,
        request_key=request_key,
        site=request.build_absolute_uri("/"),
        description=_("%(procedure)s（受付番号 %(code)s）")
        % {"procedure": submission.procedure.name, "code": submission.display_code},
    )


def _submission(municipality: Municipality, ref: str) -> Submission | None:
    code = shortcodes.normalize(ref or "")
    if code is None:
        return None
    return (
        Submission.objects.for_municipality(municipality)
        .filter(code=code)
        .select_related("procedure", "procedure__department", "form")
        .first()
    )


class SubmissionPayable(Payable):
    label = "申請の手数料"

    def owed(self, municipality: Municipality, ref: str) -> list[Owed] | None:
        submission = _submission(municipality, ref)
        if submission is None or submission.payment_state != PaymentState.DUE:
            return None
        return owed_for(definition_of(submission.form), submission.data)

    def paid(self, municipality: Municipality, ref: str, payment_code: str) -> None:
        submission = _submission(municipality, ref)
        if submission is None:
            return
        submission.municipality = municipality
        fields = ["payment_state", "payment_code"]
        submission.payment_state = PaymentState.PAID
        submission.payment_code = payment_code
        if submission.status == SubmissionStatus.PAYMENT:
            # it counts as submitted now: received today, its deadline from today
            now = timezone.now()
            submission.status = SubmissionStatus.RECEIVED
            submission.submitted_at = now
            submission.deadline = processing_deadline(
                submission.procedure, timezone.localdate(now), BusinessCalendar(municipality)
            )
            fields += ["status", "submitted_at", "deadline"]
        submission.save(update_fields=[*fields, "updated_at"])
        if submission.applicant_email:
            payment = Payment.objects.for_municipality(municipality).get(code=payment_code)
            payment.municipality = municipality
            _queue_paid_mail(submission, payment)  # in the payment's transaction: both or neither

    def refunded(self, municipality: Municipality, ref: str, payment_code: str) -> None:
        Submission.objects.for_municipality(municipality).filter(
            code=shortcodes.normalize(ref or "") or "", payment_code=payment_code
        ).update(payment_state=PaymentState.REFUNDED, updated_at=timezone.now())

    def return_path(self, municipality: Municipality, ref: str) -> str:
        submission = _submission(municipality, ref)
        if submission is None:
            return ""
        return reverse(
            "submissions:done", args=[municipality.slug, submission.procedure.key, submission.code]
        )


def _queue_paid_mail(submission: Submission, payment: Payment) -> None:
    context = {
        "submission": submission,
        "procedure": submission.procedure,
        "municipality": submission.municipality,
        "department": submission.procedure.department,
        "payment": payment,
        "receipt_url": absolute(online.receipt_path(payment)),
        "lookup_url": absolute(reverse("submissions:lookup", args=[submission.municipality.slug])),
    }
    queue_mail(
        submission.municipality,
        [submission.applicant_email],
        render_to_string("procedures/mail/submission_paid_subject.txt", context).strip(),
        render_to_string("procedures/mail/submission_paid_body.txt", context),
    )


#: why an unpaid submission was erased (the audit trail's reason)
UNPAID_REASON = "支払のなかった申請（支払待ちの期限切れ）"


def expire_unpaid(now: datetime | None = None) -> int:
    """Erase submissions still 「支払待ち」 ``SUBMISSION_PAYMENT_HOURS`` after they were stored and
    whose payment is not still at the provider (``yakusho expire-unpaid-submissions``, scheduled).
    They never counted as submitted, so they leave no tally; the resident may apply again."""
    moment = now or timezone.now()
    cutoff = moment - timedelta(hours=settings.SUBMISSION_PAYMENT_HOURS)
    stale = Submission.objects.filter(status=SubmissionStatus.PAYMENT, submitted_at__lt=cutoff)
    still_paying = Payment.objects.filter(
        payable=KEY, status=PaymentStatus.PENDING, paid_at__gte=moment - timedelta(hours=1)
    ).values_list("payable_ref", flat=True)
    count = 0
    for submission in stale.exclude(code__in=list(still_paying)).order_by("pk")[:1000]:
        erase_submission(submission, UNPAID_REASON, tally=False)
        count += 1
    return count


def register() -> None:
    if KEY not in payables:
        payables.add(KEY, SubmissionPayable())
