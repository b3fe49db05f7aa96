"""The resident's status page: looking a submission up by its receipt code and secret, the page
itself (status in words, deadline, messages, a reply form, withdrawing) and its files for the
applicant (``file_response`` also serves the staff inbox's downloads).

The secret (照会キー) never stays in an address: the look-up form posts it, the browser that
proved it keeps the right to the page in its session (``grant_status_access``), and the mailed
link's ``?k=`` is checked and taken out of the address by a redirect at once (the access log
leaves it out too: ``core.accesslog``). Pages, replies and files need only the session.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django_ratelimit.decorators import ratelimit

from yakusho.core import uploads
from yakusho.core.models import Municipality
from yakusho.core.responses import NotFound
from yakusho.core.views.public import public_form_ratelimit
from yakusho.payments import online
from yakusho.payments.models import RECEIPT_STATUSES, PaymentStatus
from yakusho.payments.services import PaymentError
from yakusho.procedures import formrender
from yakusho.procedures.catalogue.services import definition_of
from yakusho.procedures.catalogue.views import not_found
from yakusho.procedures.formengine import FORM_ERRORS, load_definition
from yakusho.procedures.models.submissions import (
    MessageDirection,
    PaymentState,
    Submission,
    SubmissionAttachment,
    SubmissionStatus,
)
from yakusho.procedures.submissions import files as submission_files
from yakusho.procedures.submissions import payment as submission_payment
from yakusho.procedures.submissions.fees import fee_summary
from yakusho.procedures.submissions.services import (
    SubmissionError,
    find_by_code,
    find_for_resident,
    resident_reply,
    status_path,
    status_text,
    transition,
)

#: session key: the submissions this browser may see, as "<municipality id>:<submission id>"
STATUS_ACCESS = "submission-access"


def grant_status_access(request: HttpRequest, submission: Submission) -> None:
    """This browser proved the secret of ``submission`` (the latest 20 are kept)."""
    entry = f"{submission.municipality_id}:{submission.pk}"
    kept = [e for e in request.session.get(STATUS_ACCESS, []) if e != entry]
    request.session[STATUS_ACCESS] = [*kept, entry][-20:]


def has_status_access(request: HttpRequest, submission: Submission) -> bool:
    return f"{submission.municipality_id}:{submission.pk}" in request.session.get(STATUS_ACCESS, [])


def _status_rate(group: str, request: HttpRequest) -> str:
    return str(settings.RATELIMIT_PUBLIC_FORM)


#: the status page answers a code and a secret: every request counts, not only posts
status_ratelimit = method_decorator(
    ratelimit(key="ip", rate=_status_rate, method=ratelimit.ALL, block=True), name="dispatch"
)


REPLY_FORM = load_definition(
    {
        "key": "reply",
        "version": 1,
        "title": "返信",
        "privacy_notice": "-",
        "pages": [
            {
                "key": "reply",
                "title": "返信",
                "fields": [
                    {
                        "key": "body",
                        "type": "textarea",
                        "label": "返信",
                        "required": True,
                        "max_length": 4000,
                    },
                    {
                        "key": "file",
                        "type": "file",
                        "label": "添付ファイル",
                        "accept": ["pdf", "jpeg", "png", "heic"],
                        "max_size": 10 * 1024 * 1024,
                    },
                ],
            }
        ],
    }
)


def payment_context(submission: Submission) -> dict[str, Any]:
    """What the receipt and status pages show of a submission's online payment: its state, the
    latest payment (with the 領収書's address once paid), and a key for the 「支払う」 button."""
    if not submission.payment_state:
        return {"payment_state": ""}
    payment = submission_payment.latest_payment(submission)
    if payment is not None:
        payment.municipality = submission.municipality
    paid = payment is not None and payment.status in RECEIPT_STATUSES
    return {
        "payment_state": submission.payment_state,
        "payment": payment,
        "payment_pending": payment is not None and payment.status == PaymentStatus.PENDING,
        "payment_failed": payment is not None and payment.status == PaymentStatus.FAILED,
        "receipt_url": online.receipt_path(payment) if payment is not None and paid else "",
        "can_pay": submission.payment_state == PaymentState.DUE and not submission.is_closed,
        "pay_key": online.new_request_key(),
        "pay_url": reverse("submissions:pay", args=[submission.municipality.slug, submission.code]),
        "pay_until": submission.submitted_at + timedelta(hours=settings.SUBMISSION_PAYMENT_HOURS),
    }


class StatusBase(View):
    municipality: Municipality

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        municipality = Municipality.objects.filter(slug=kwargs["municipality"]).first()
        if municipality is None:
            return not_found(request, _("この自治体は見つかりません。"))
        self.municipality = municipality
        return super().dispatch(request, *args, **kwargs)


@public_form_ratelimit
class LookupView(StatusBase):
    """Enter the receipt code and the secret to open the status page."""

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return render(request, "procedures/submissions/lookup.html", {"municipality": self.municipality})

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        code = request.POST.get("code", "")
        secret = request.POST.get("secret", "")
        submission = find_for_resident(self.municipality, code, secret)
        if submission is None:
            return render(
                request,
                "procedures/submissions/lookup.html",
                {
                    "municipality": self.municipality,
                    "code": code[:20],
                    "error": _("受付番号または照会キーが正しくありません。控えをご確認ください。"),
                },
                status=404,
            )
        submission.municipality = self.municipality
        grant_status_access(request, submission)
        return redirect(status_path(submission))


@status_ratelimit
class StatusView(StatusBase):
    """The applicant's status page: status in words, deadline, messages, a reply form."""

    def find(self, request: HttpRequest, code: str) -> Submission | None:
        """The submission if this browser has proved its secret (see the module's docstring)."""
        submission = find_by_code(self.municipality, code)
        if submission is None or not has_status_access(request, submission):
            return None
        submission.municipality = self.municipality
        return submission

    def refused(self, request: HttpRequest, code: str = "", error: str = "") -> HttpResponse:
        """The look-up form (the code filled in): the same whether or not the code exists."""
        return render(
            request,
            "procedures/submissions/lookup.html",
            {
                "municipality": self.municipality,
                "code": code[:20],
                "error": error,
                "ask_secret": not error,
            },
            status=404 if error else 200,
        )

    def page(
        self,
        request: HttpRequest,
        submission: Submission,
        errors: dict[str, list[str]] | None = None,
        body: str = "",
    ) -> HttpResponse:
        definition = definition_of(submission.form)
        thread = list(submission.messages.prefetch_related("attachments").order_by("created_at", "pk"))
        status = 400 if errors else 200
        return render(
            request,
            "procedures/submissions/status.html",
            {
                "municipality": self.municipality,
                "submission": submission,
                "procedure": submission.procedure,
                "status_text": status_text(submission.status),
                "thread": thread,
                "directions": MessageDirection,
                "summary": definition.summary(submission.data),
                "fee": fee_summary(submission, definition),
                "attachments": list(submission.attachments.filter(message__isnull=True)),
                "errors": errors or {},
                "error_links": formrender.error_links(errors or {}),
                "body": body,
                "can_reply": not submission.is_closed and submission.status != SubmissionStatus.PAYMENT,
                **payment_context(submission),
            },
            status=status,
        )

    def get(self, request: HttpRequest, code: str, **kwargs: Any) -> HttpResponse:
        if "k" in request.GET:  # the mailed link: check the key, then take it out of the address
            submission = find_for_resident(self.municipality, code, request.GET["k"])
            if submission is None:
                return self.refused(
                    request, code, _("受付番号または照会キーが正しくありません。控えをご確認ください。")
                )
            submission.municipality = self.municipality
            grant_status_access(request, submission)
            return redirect(status_path(submission))
        submission = self.find(request, code)
        if submission is None:
            return self.refused(request, code)
        return self.page(request, submission)

    def post(self, request: HttpRequest, code: str, **kwargs: Any) -> HttpResponse:
        submission = self.find(request, code)
        if submission is None:
            return self.refused(request, code)
        if request.POST.get("_action") == "withdraw":
            if request.POST.get("confirm") != "yes":
                return self.page(
                    request,
                    submission,
                    {"confirm": [_("取り下げるときは、確認のチェックを入れてください。")]},
                )
            try:
                transition(submission, "withdraw")
            except SubmissionError as exc:
                return self.page(request, submission, {FORM_ERRORS: [str(exc)]})
            messages.success(request, _("申請を取り下げました。"))
            return redirect(status_path(submission))
        raw = {k: request.POST.getlist(k) for k in request.POST if k != "_action"}
        reply_files: dict[str, Any] = dict(request.FILES.items())
        result = REPLY_FORM.validate(raw, reply_files)
        body = request.POST.get("body", "")
        if not result.ok:
            return self.page(request, submission, result.errors, body)
        upload = None
        temp_name = None
        if result.cleaned.get("file"):
            temp_name = submission_files.save_temp_upload(request.FILES["file"])
            upload = (result.cleaned["file"], temp_name)
        try:
            resident_reply(submission, result.cleaned["body"], upload)
        except SubmissionError as exc:
            return self.page(request, submission, {FORM_ERRORS: [str(exc)]}, body)
        finally:
            if temp_name:
                submission_files.remove_temp([temp_name])
        messages.success(request, _("返信を送りました。担当の課からの連絡をお待ちください。"))
        return redirect(status_path(submission))


@status_ratelimit
class PayView(StatusView):
    """「支払う」: open the online payment of the fee and go to the provider's page (the form's
    one-time key makes a second press open no second payment)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, code: str, **kwargs: Any) -> HttpResponse:
        submission = self.find(request, code)
        if submission is None:
            return self.refused(
                request, code, _("お支払いには、受付番号と照会キーを入力して状況ページを開いてください。")
            )
        try:
            return redirect(submission_payment.start(request, submission, request.POST.get("_key", "")))
        except PaymentError as exc:
            messages.error(request, exc.message)
        return redirect(status_path(submission))


@status_ratelimit
class StatusFileView(StatusView):
    """A file of the submission, for its applicant (code and secret checked like the page)."""

    def get(self, request: HttpRequest, code: str, pk: int = 0, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        submission = self.find(request, code)
        if submission is None:
            return self.refused(
                request,
                code,
                _("ファイルを開くには、受付番号と照会キーを入力して状況ページを開いてください。"),
            )
        attachment = SubmissionAttachment.objects.filter(submission=submission, pk=pk).first()
        if attachment is None:
            raise Http404
        return file_response(attachment)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponse(status=405)


def file_response(attachment: SubmissionAttachment) -> FileResponse:
    try:
        path = submission_files.absolute_path(attachment.path)
        handle = path.open("rb")
    except (OSError, ValueError):
        raise NotFound(_("ファイルが見つかりません。")) from None
    kind = uploads.kind_of_extension(attachment.name)
    inline = kind in ("pdf", "jpeg", "png", "gif", "webp")
    response = FileResponse(handle, as_attachment=not inline, filename=attachment.name)
    response["Content-Type"] = attachment.content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
