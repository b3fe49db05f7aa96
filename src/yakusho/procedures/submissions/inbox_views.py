"""The staff inbox of submissions (受付一覧): list, filters, one submission, actions, exports.

Every role of the municipality reads the inbox: department staff see the submissions of their
課's procedures, the others all (``submissions.visible_submissions``). Acting — status changes
through the one table, messages, notes, assignment — is for administrators, the DX推進室 and the
課's own staff (``submissions.can_handle``). A page that shows a submission's personal data, a
download of its file and an export are logged as reads in the audit trail.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from auditlog.mixins import LogAccessMixin
from auditlog.signals import accessed
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from yakusho.core import audit, shortcodes
from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import Membership, User
from yakusho.core.permissions import Perm
from yakusho.payments.models import PaymentStatus, ReversalKind, ReversalStatus
from yakusho.payments.services import PaymentError, parse_yen, refunded_yen, request_reversal
from yakusho.procedures.catalogue.services import definition_of
from yakusho.procedures.models import Procedure
from yakusho.procedures.models.submissions import (
    NOT_SUBMITTED,
    OPEN_STATUSES,
    MessageDirection,
    Submission,
    SubmissionAttachment,
    SubmissionStatus,
)
from yakusho.procedures.submissions import files as submission_files
from yakusho.procedures.submissions import inbox_exports
from yakusho.procedures.submissions import payment as submission_payment
from yakusho.procedures.submissions.services import (
    MESSAGE_REQUIRED,
    TRANSITIONS,
    SubmissionError,
    add_note,
    allowed_actions,
    assign,
    can_handle,
    check_staff_file,
    is_overdue,
    send_message,
    status_text,
    transition,
    transition_label,
    visible_submissions,
)
from yakusho.procedures.submissions.status_views import file_response

PAGE_SIZE = 50


class InboxMixin(MunicipalityStaffMixin):
    permission = Perm.VIEW
    model: Any = Submission

    def get_queryset(self) -> QuerySet[Submission]:
        return visible_submissions(self.membership).select_related(
            "procedure", "procedure__department", "assigned_to"
        )


def filtered(
    queryset: QuerySet[Submission], params: Any, municipality: Any
) -> tuple[QuerySet[Submission], dict[str, str]]:
    """Apply the list's filters (status, procedure, overdue, search) from GET parameters."""
    chosen = {k: str(params.get(k, "")).strip() for k in ("status", "procedure", "overdue", "q")}
    if chosen["status"] == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif chosen["status"] in SubmissionStatus.values:
        queryset = queryset.filter(status=chosen["status"])
    else:  # not yet submitted (a fee paid first, not paid yet): only when asked for
        queryset = queryset.exclude(status__in=NOT_SUBMITTED)
    if chosen["procedure"].isdigit():
        queryset = queryset.filter(procedure_id=int(chosen["procedure"]))
    if chosen["overdue"] == "1":
        queryset = queryset.filter(status__in=OPEN_STATUSES, deadline__lt=timezone.localdate())
    query = chosen["q"]
    if query:
        code = shortcodes.normalize(query)
        condition = Q(applicant_name__icontains=query) | Q(applicant_kana__icontains=query)
        compact = query.replace(" ", "").replace("　", "")
        condition |= Q(applicant_name__icontains=compact)
        if code:
            condition |= Q(code=code)
        queryset = queryset.filter(condition)
    return queryset, chosen


class InboxListView(InboxMixin, ListView):
    template_name = "procedures/inbox/list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[Submission]:
        queryset, self.chosen = filtered(super().get_queryset(), self.request.GET, self.municipality)
        return queryset.order_by("-submitted_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        procedures = Procedure.objects.for_municipality(self.municipality).filter(
            pk__in=visible_submissions(self.membership).values("procedure_id")
        )
        # the filters, URL-encoded, for the export links and every page link of the pagination
        query = urlencode({k: v for k, v in self.chosen.items() if v})
        context.update(
            chosen=self.chosen,
            statuses=SubmissionStatus.choices,
            procedures=list(procedures.order_by("name")),
            rows=[(s, is_overdue(s, today)) for s in context["object_list"]],
            overdue_count=visible_submissions(self.membership)
            .filter(status__in=OPEN_STATUSES, deadline__lt=today)
            .count(),
            query_string=query,
        )
        return context


class InboxExportView(InboxMixin, View):
    """The list as filtered, as CSV (UTF-8 with BOM) or Excel; each row's read is logged."""

    def get(self, request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
        queryset, _chosen = filtered(self.get_queryset(), request.GET, self.municipality)
        submissions = list(queryset.select_related("form").order_by("submitted_at", "pk"))
        audit.log_reads(submissions)
        if fmt == "csv":
            return inbox_exports.csv_export(self.municipality, submissions)
        if fmt == "xlsx":
            return inbox_exports.excel_export(self.municipality, submissions)
        raise Http404


class InboxDetailView(InboxMixin, LogAccessMixin, DetailView):
    template_name = "procedures/inbox/detail.html"
    context_object_name = "submission"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        submission: Submission = self.object
        definition = definition_of(submission.form)
        handle = can_handle(self.membership, submission.procedure)
        staff = (
            Membership.objects.for_municipality(self.municipality)
            .filter(is_active=True)
            .select_related("user")
            .order_by("user__display_name", "user__email")
            if handle
            else []
        )
        context.update(
            summary=definition.summary(submission.data),
            status_text=status_text(submission.status),
            overdue=is_overdue(submission),
            thread=list(submission.messages.select_related("author").prefetch_related("attachments")),
            notes=list(submission.notes.select_related("author")),
            attachments=list(submission.attachments.filter(message__isnull=True)),
            actions=[
                (a, transition_label(a), TRANSITIONS[a].has(MESSAGE_REQUIRED))
                for a in allowed_actions(self.membership, submission)
            ],
            can_handle=handle,
            staff=staff,
            directions=MessageDirection,
            **_payment_context(submission, handle),
        )
        return context


def _payment_context(submission: Submission, handle: bool) -> dict[str, Any]:
    payment = submission_payment.latest_payment(submission) if submission.payment_state else None
    if payment is None:
        return {"payment": None}
    left = payment.total_yen - refunded_yen(payment)
    pending = payment.reversals.filter(status=ReversalStatus.PENDING).first()
    return {
        "payment": payment,
        "payment_left": left,
        "payment_reversals": list(payment.reversals.order_by("requested_at", "pk")),
        "can_refund": handle and payment.status == PaymentStatus.PAID and left > 0 and pending is None,
        "refund_key": secrets.token_hex(16),
    }


class InboxActionView(InboxMixin, View):
    """POST-only actions on one submission; refusals come back as a Japanese message."""

    def post(self, request: HttpRequest, pk: int, action: str, **kwargs: Any) -> HttpResponse:
        submission = get_object_or_404(self.get_queryset(), pk=pk)
        user = request.user
        assert isinstance(user, User)
        try:
            if action == "transition":
                name = request.POST.get("action", "")
                transition(
                    submission, name, membership=self.membership, message=request.POST.get("message", "")
                )
                messages.success(
                    request,
                    _("状況を「%(status)s」にしました。") % {"status": submission.get_status_display()},
                )
            elif action == "message":
                if not can_handle(self.membership, submission.procedure):
                    raise PermissionDenied
                self.send_message(request, submission, user)
                messages.success(request, _("申請者にメッセージを送りました。"))
            elif action == "note":
                if not can_handle(self.membership, submission.procedure):
                    raise PermissionDenied
                add_note(submission, request.POST.get("body", ""), author=user)
                messages.success(request, _("内部メモを追加しました。"))
            elif action == "refund":
                if not can_handle(self.membership, submission.procedure):
                    raise PermissionDenied
                self.refund(request, submission, user)
            elif action == "assign":
                raw = request.POST.get("user", "")
                assignee = None
                if raw.isdigit():
                    assignee = User.objects.filter(pk=int(raw)).first()
                    if assignee is None:
                        raise SubmissionError(_("担当者はこの団体の職員から選んでください。"))
                assign(submission, assignee, membership=self.membership)
                messages.success(request, _("担当者を変更しました。"))
            else:
                raise Http404
        except SubmissionError as exc:
            messages.error(request, str(exc))
        return redirect("inbox:detail", self.municipality.slug, submission.pk)

    @staticmethod
    def refund(request: HttpRequest, submission: Submission, user: User) -> None:
        """Refund the fee paid online, with a reason (through the provider; above the approval
        limit it waits for an administrator, docs/payments.md "Voids and refunds")."""
        payment = submission_payment.latest_payment(submission)
        if payment is None or payment.status != PaymentStatus.PAID:
            messages.error(request, _("この申請には返金できる支払がありません。"))
            return
        try:
            amount = parse_yen(request.POST.get("amount", ""), _("返金額"), "amount")
            reversal = request_reversal(
                payment,
                kind=ReversalKind.REFUND,
                amount=amount,
                reason=request.POST.get("reason", ""),
                staff=user,
                request_key=request.POST.get("_key", "")[:64] or secrets.token_hex(16),
            )
        except PaymentError as exc:
            messages.error(request, exc.message)
            return
        if reversal.status == ReversalStatus.DONE:
            messages.success(request, _("%(yen)s円を返金しました。") % {"yen": f"{amount:,}"})
        else:
            messages.success(
                request,
                _("%(yen)s円の返金を申請しました。管理者の承認のあと、返金されます。")
                % {"yen": f"{amount:,}"},
            )

    @staticmethod
    def send_message(request: HttpRequest, submission: Submission, user: User) -> None:
        """The message with its optional file: the file is checked before anything is stored."""
        upload = request.FILES.get("file")
        info = check_staff_file(upload) if upload is not None else None
        temp_name = submission_files.save_temp_upload(upload) if upload is not None else None
        try:
            send_message(
                submission,
                request.POST.get("body", ""),
                author=user,
                upload=(info, temp_name) if info is not None and temp_name else None,
            )
        finally:
            if temp_name:
                submission_files.remove_temp([temp_name])


class InboxPdfView(InboxMixin, View):
    """The submission as a printable application form (PDF); logged as a read."""

    def get(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        from urllib.parse import quote

        from yakusho.procedures.submissions.pdf import submission_pdf

        submission = get_object_or_404(self.get_queryset().select_related("form"), pk=pk)
        accessed.send(Submission, instance=submission)
        response = HttpResponse(submission_pdf(submission), content_type="application/pdf")
        filename = f"{submission.procedure.name}_{submission.code}.pdf"
        response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
        response["Cache-Control"] = "private, no-store"
        return response


class InboxFileView(InboxMixin, View):
    """A file of a submission, for staff who may read it; logged as a read of the submission."""

    def get(self, request: HttpRequest, pk: int, file: int, **kwargs: Any) -> HttpResponseBase:
        submission = get_object_or_404(self.get_queryset(), pk=pk)
        attachment = get_object_or_404(SubmissionAttachment, submission=submission, pk=file)
        accessed.send(Submission, instance=submission)
        return file_response(attachment)
