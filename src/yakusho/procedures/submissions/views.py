"""The resident's side of applying online: the form, page by page, and the receipt (the status page
afterwards is ``status_views``).

Applying is one thing per page (GOV.UK): the privacy notice, the form's pages with 「2 / 3」,
back and next without losing input, check your answers with change links, submit, receipt.
The draft lives in the session (answers as typed, the engine's metadata of uploaded files) and
the uploaded files in the private temporary area; the form version is fixed when the resident
agrees to the notice. The engine validates every page on the server and again on submit.

Posts are refused when they carry inputs that are not on the page (or not in the form), or a
changed hidden field (form version, submission token). The submission token is the
idempotency key: posting the final form twice, or a retried request, stores one submission.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from yakusho.core.models import Municipality
from yakusho.core.views.public import public_form_ratelimit
from yakusho.payments.models import Method
from yakusho.payments.services import PaymentError
from yakusho.procedures import formrender
from yakusho.procedures.catalogue.services import current_forms, definition_of
from yakusho.procedures.catalogue.views import can_apply_online, not_found
from yakusho.procedures.formengine import FormDefinition
from yakusho.procedures.models import FormDefinition as FormDefinitionRow
from yakusho.procedures.models import Procedure, ProcedureChannel
from yakusho.procedures.models.submissions import Submission, SubmissionStatus
from yakusho.procedures.submissions import files as submission_files
from yakusho.procedures.submissions import payment as submission_payment
from yakusho.procedures.submissions.fees import catalogue_prices, fee_summary
from yakusho.procedures.submissions.payment import online_lines, pay_key, pays_first
from yakusho.procedures.submissions.services import (
    create_submission,
    format_secret,
    online_idempotency_key,
    receipt_secret,
    secret_matches,
    status_path,
)
from yakusho.procedures.submissions.status_views import (
    grant_status_access,
    has_status_access,
    payment_context,
)

SESSION_PREFIX = "apply-"
RECEIPTS = "submission-receipts"


class Refused(Exception):
    """A tampered or stale post: answered with 400 and a message, nothing saved."""


class ApplyBase(View):
    """Resolve municipality, procedure and its current form; load the draft from the session."""

    municipality: Municipality
    procedure: Procedure
    form_row: FormDefinitionRow
    definition: FormDefinition
    draft: dict[str, Any] | None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        municipality = Municipality.objects.filter(slug=kwargs["municipality"]).first()
        if municipality is None:
            return not_found(request, _("この自治体は見つかりません。"))
        self.municipality = municipality
        procedure = (
            Procedure.objects.for_municipality(municipality)
            .filter(published=True, key=kwargs["procedure"])
            .select_related("department")
            .prefetch_related(Prefetch("channels", queryset=ProcedureChannel.objects.order_by("order", "pk")))
            .first()
        )
        if procedure is None:
            return not_found(request, _("この手続は見つかりません。"), municipality)
        procedure.municipality = municipality  # the same row: no second query for it later
        self.procedure = procedure
        form = current_forms([procedure]).get(procedure.pk)
        if form is None or not can_apply_online(procedure, True):
            return render(
                request,
                "procedures/apply_placeholder.html",
                {
                    "municipality": municipality,
                    "procedure": procedure,
                    "channels": list(procedure.channels.all()),
                },
            )
        self.draft = request.session.get(self.session_key)
        if self.draft is not None and self.draft.get("form") != form.pk:
            pinned = FormDefinitionRow.objects.filter(pk=self.draft.get("form"), procedure=procedure).first()
            form = pinned or form  # a draft keeps the version it started with
        self.form_row = form
        self.definition = definition_of(form)
        try:
            return super().dispatch(request, *args, **kwargs)
        except Refused as exc:
            return render(
                request,
                "procedures/apply/refused.html",
                {"municipality": municipality, "procedure": procedure, "message": str(exc)},
                status=400,
            )

    @property
    def session_key(self) -> str:
        return f"{SESSION_PREFIX}{self.procedure.pk}"

    def save_draft(self) -> None:
        self.request.session[self.session_key] = self.draft
        self.request.session.modified = True

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"submissions:{name}", args=[self.municipality.slug, self.procedure.key, *args])

    def start_url(self) -> str:
        return reverse("procedures:apply", args=[self.municipality.slug, self.procedure.key])

    def page_url(self, index: int) -> str:
        return self.url("page", index + 1)

    def visible_pages(self) -> list[int]:
        assert self.draft is not None
        return self.definition.visible_pages(self.draft["cleaned"])

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            "municipality": self.municipality,
            "procedure": self.procedure,
            "form": self.definition,
            "form_row": self.form_row,
            **extra,
        }

    def submitted_with(self, token: str) -> Submission | None:
        """The submission stored from the draft whose token this is, if it was stored."""
        return (
            Submission.objects.for_municipality(self.municipality)
            .filter(procedure=self.procedure, idempotency_key=online_idempotency_key(token))
            .first()
        )

    def remember_receipt(self, submission: Submission, token: str) -> str | None:
        """Keep the receipt of ``submission`` in this browser's session (the holder of the draft's
        token is its applicant) and end the draft; the 照会キー, or None if the token is not this
        submission's."""
        secret = receipt_secret(token)
        if not secret_matches(submission, secret):
            return None
        receipts = self.request.session.get(RECEIPTS, {})
        receipts[submission.code] = secret
        self.request.session[RECEIPTS] = dict(list(receipts.items())[-10:])
        grant_status_access(self.request, submission)
        if self.draft is not None and self.draft.get("token") == token:
            self.request.session.pop(self.session_key, None)
            self.draft = None
        return secret

    def to_receipt(self, submission: Submission, token: str) -> HttpResponse:
        self.remember_receipt(submission, token)
        return redirect(self.url("done", submission.code))

    def stored_draft(self) -> Submission | None:
        """The submission of the draft in the session when it was stored but the session never
        heard (a crash between the commit and the session save)."""
        if self.draft is None or not self.draft.get("token"):
            return None
        return self.submitted_with(self.draft["token"])

    def check_hidden(self, request: HttpRequest) -> None:
        """Hidden fields must be the draft's own: the form version and the submission token."""
        assert self.draft is not None
        if (
            request.POST.get("_version") != str(self.form_row.version)
            or request.POST.get("_token") != self.draft["token"]
        ):
            raise Refused(
                _("送信されたフォームの内容が正しくありません（フォームの版または送信番号が違います）。")
            )


@public_form_ratelimit
class ApplyStartView(ApplyBase):
    """The privacy notice; agreeing starts a draft on the current form version."""

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return render(
            request, "procedures/apply/privacy.html", self.context(has_draft=self.draft is not None)
        )

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if request.POST.get("agree") != "yes":
            return render(
                request,
                "procedures/apply/privacy.html",
                self.context(error=_("「個人情報の取扱いに同意する」にチェックを入れてください。")),
                status=400,
            )
        if self.draft is None or request.POST.get("restart"):
            if self.draft is not None:
                submission_files.remove_temp(self.draft.get("temp", {}).values())
            current = current_forms([self.procedure])[self.procedure.pk]
            self.form_row = current
            self.definition = definition_of(current)
            self.draft = {
                "form": current.pk,
                "token": secrets.token_urlsafe(24),
                "raw": {},
                "files": {},
                "temp": {},
                "cleaned": {},
                "done": [],
                "rows": {},
            }
            self.save_draft()
        return redirect(self.page_url(0))


@public_form_ratelimit
class ApplyPageView(ApplyBase):
    """One page of the form."""

    def setup_page(self, number: int) -> int | None:
        if self.draft is None:
            return None
        index = number - 1
        if not 0 <= index < len(self.definition.pages):
            raise Http404
        return index

    def render_page(
        self, index: int, raw: dict[str, list[str]], errors: dict[str, list[str]], status: int = 200
    ) -> HttpResponse:
        assert self.draft is not None
        visible = self.visible_pages()
        if index not in visible:
            visible = sorted({*visible, index})
        position = visible.index(index) + 1
        earlier = [p for p in visible if p < index]
        back = self.page_url(earlier[-1]) if earlier else self.start_url()
        blocks = formrender.page_blocks(
            self.definition,
            index,
            self.draft["cleaned"],
            raw,
            self.draft["files"],
            errors,
            self.draft["rows"],
        )
        page = self.definition.pages[index]
        return render(
            self.request,
            "procedures/apply/page.html",
            self.context(
                page=page,
                index=index,
                position=position,
                total=len(visible),
                blocks=blocks,
                errors=errors,
                error_links=formrender.error_links(errors),
                back_url=back,
                returning=self.request.GET.get("return") == "check"
                or self.request.POST.get("_return") == "check",
                token=self.draft["token"],
            ),
            status=status,
        )

    def keep_checked_uploads(self, request: HttpRequest, result: Any) -> None:
        """On a page with errors, the files that passed their checks are kept in the draft (as on
        a page without errors), so the resident never has to attach them again."""
        assert self.draft is not None
        from yakusho.procedures.submissions.services import _file_info

        for name, upload in request.FILES.items():
            info = None if name in result.errors else _file_info(result.cleaned, name)
            if info is None:
                continue
            if (old := self.draft["temp"].pop(name, None)) is not None:
                submission_files.remove_temp([old])
            self.draft["temp"][name] = submission_files.save_temp_upload(upload)
            self.draft["files"][name] = info
        self.save_draft()

    def get(self, request: HttpRequest, number: int, **kwargs: Any) -> HttpResponse:
        index = self.setup_page(number)
        if index is None:
            return redirect(self.start_url())
        assert self.draft is not None
        return self.render_page(index, self.draft["raw"], {})

    def post(self, request: HttpRequest, number: int, **kwargs: Any) -> HttpResponse:
        index = self.setup_page(number)
        if index is None:
            messages.error(request, _("入力の途中で時間がたったため、最初からやり直してください。"))
            return redirect(self.start_url())
        assert self.draft is not None
        self.check_hidden(request)
        names, patterns = formrender.page_input_names(self.definition, index)
        posted: dict[str, list[str]] = {}
        for name in request.POST:
            if name.startswith("_") or name == "csrfmiddlewaretoken":
                continue
            if not formrender.belongs_to_page(name, names, patterns):
                raise Refused(_("このページにない項目「%(name)s」が送信されました。") % {"name": name[:60]})
            posted[name] = request.POST.getlist(name)
        for name in request.FILES:
            if not formrender.belongs_to_page(name, names, patterns):
                raise Refused(
                    _("このページにないファイル項目「%(name)s」が送信されました。") % {"name": name[:60]}
                )
        raw = {
            k: v for k, v in self.draft["raw"].items() if not formrender.belongs_to_page(k, names, patterns)
        }
        raw.update(posted)
        kept_files = {
            k: v
            for k, v in self.draft["files"].items()
            if not (formrender.belongs_to_page(k, names, patterns) and k in request.FILES)
            and request.POST.get(f"_remove-{k}") != "1"
        }
        add_row = request.POST.get("_add_row")
        if add_row:
            # Keep what was typed and show one more row; validation waits for 「次へ」.
            if add_row in self.definition.fields:
                self.draft["rows"][add_row] = self.draft["rows"].get(add_row, 0) + 1
            self.draft["raw"] = raw
            self.save_draft()
            return self.render_page(index, raw, {})
        files: dict[str, Any] = {**kept_files, **request.FILES.dict()}
        result = self.definition.validate(raw, files, page=index)
        if not result.ok:
            self.keep_checked_uploads(request, result)
            return self.render_page(index, raw, result.errors, status=200)
        page_files = {k: v for k, v in kept_files.items() if formrender.belongs_to_page(k, names, patterns)}
        removed = [
            self.draft["temp"].pop(k)
            for k in list(self.draft["temp"])
            if formrender.belongs_to_page(k, names, patterns) and k not in page_files
        ]
        submission_files.remove_temp(removed)
        for name, upload in request.FILES.items():
            from yakusho.procedures.submissions.services import _file_info

            info = _file_info(result.cleaned, name)
            if info is None:
                continue
            self.draft["temp"][name] = submission_files.save_temp_upload(upload)
            page_files[name] = info
        other_files = {
            k: v for k, v in self.draft["files"].items() if not formrender.belongs_to_page(k, names, patterns)
        }
        self.draft["files"] = {**other_files, **page_files}
        self.draft["raw"] = raw
        page_keys = {f.key for f in self.definition.pages[index].fields}
        cleaned = {k: v for k, v in self.draft["cleaned"].items() if k not in page_keys}
        cleaned.update(result.cleaned)
        self.draft["cleaned"] = cleaned
        self.draft["done"] = sorted({*self.draft["done"], index})
        self.save_draft()
        if request.POST.get("_return") == "check":
            return redirect(self.url("check"))
        later = [p for p in self.definition.visible_pages(cleaned) if p > index]
        if later:
            return redirect(self.page_url(later[0]))
        return redirect(self.url("check"))


@public_form_ratelimit
class ApplyCheckView(ApplyBase):
    """Check your answers, then submit (exactly once)."""

    def validate_all(self) -> Any:
        assert self.draft is not None
        return self.definition.validate(self.draft["raw"], self.draft["files"], prices=self.prices())

    def prices(self) -> dict[str, int]:
        """The fee catalogue's prices of today for the items the form's fee names (once a request)."""
        found: dict[str, int] | None = getattr(self, "_prices", None)
        if found is None:
            found = self._prices = catalogue_prices(self.municipality, self.definition)
        return found

    def first_page_with_errors(self, errors: dict[str, list[str]]) -> int:
        for name in errors:
            key = name.split("-", 1)[0]
            if key in self.definition.info:
                return self.definition.info[key].page
        return 0

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if self.draft is None:
            return redirect(self.start_url())
        if (stored := self.stored_draft()) is not None:
            return self.to_receipt(stored, self.draft["token"])
        result = self.validate_all()
        missing = [p for p in self.visible_pages() if p not in self.draft["done"]]
        if missing:
            return redirect(self.page_url(missing[0]))
        if not result.ok:
            return redirect(self.page_url(self.first_page_with_errors(result.errors)))
        return render(request, "procedures/apply/check.html", self.check_context(result))

    def check_context(self, result: Any, **extra: Any) -> dict[str, Any]:
        assert self.draft is not None
        sections = [
            (title, rows, self.page_url(p) + "?return=check")
            for p, title, rows in self.definition.summary_by_page(result.cleaned)
        ]
        visible = self.visible_pages()
        lines = online_lines(self.municipality, self.definition, result.cleaned)
        return self.context(
            sections=sections,
            online_lines=lines,
            other_methods=[
                str(Method(m).label)
                for m in Method.values
                if m != Method.ONLINE and all(line.item.accepts(m) for line in lines)
            ],
            pays_first=pays_first(self.procedure, lines),
            fee=result.fee,
            fee_rows=(
                self.definition.fee_breakdown(result.cleaned, prices=self.prices())
                if self.definition.has_fee
                else []
            ),
            token=self.draft["token"],
            back_url=self.page_url(visible[-1]) if visible else self.start_url(),
            **extra,
        )

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        token = request.POST.get("_token", "")
        # the same final form posted again after it was stored (the draft is gone or newer): the
        # token proves this browser sent it, so it is shown the receipt again; a repeat while the
        # draft is still here is caught by create_submission
        stale = self.draft is None or token != self.draft["token"]
        if stale and token and (done := self.submitted_with(token)) is not None:
            return self.to_receipt(done, token)
        if self.draft is None:
            messages.error(request, _("入力の途中で時間がたったため、最初からやり直してください。"))
            return redirect(self.start_url())
        self.check_hidden(request)
        extra = [n for n in request.POST if not n.startswith("_") and n != "csrfmiddlewaretoken"]
        if extra or request.FILES:
            raise Refused(
                _("確認ページに入力項目「%(name)s」が送信されました。")
                % {"name": (extra or list(request.FILES))[0][:60]}
            )
        result = self.validate_all()
        if not result.ok:
            return redirect(self.page_url(self.first_page_with_errors(result.errors)))
        lines = online_lines(self.municipality, self.definition, result.cleaned)
        first = pays_first(self.procedure, lines)
        created = create_submission(
            procedure=self.procedure,
            form=self.form_row,
            definition=self.definition,
            cleaned=result.cleaned,
            temp_files=dict(self.draft["temp"]),
            idempotency_key=online_idempotency_key(token),
            fee=result.fee,
            secret=receipt_secret(token),
            payment_due=bool(lines),
            pay_first=first,
        )
        temp = list(self.draft["temp"].values())
        if created.created:
            transaction.on_commit(lambda: submission_files.remove_temp(temp))
        submission = created.submission
        if submission.status == SubmissionStatus.PAYMENT:
            # to the provider's page at once; the receipt page offers it again should this fail
            self.remember_receipt(submission, token)
            submission.municipality = self.municipality
            try:
                return redirect(submission_payment.start(request, submission, pay_key(token)))
            except PaymentError as exc:
                messages.error(request, exc.message)
        return self.to_receipt(submission, token)


class ApplyDoneView(ApplyBase):
    """The receipt: code, secret and the status page link (the secret only to this session, or
    to the browser whose draft it was, should its session not have heard of the receipt)."""

    def get(self, request: HttpRequest, code: str, **kwargs: Any) -> HttpResponse:
        submission = (
            Submission.objects.for_municipality(self.municipality)
            .filter(code=code, procedure=self.procedure)
            .first()
        )
        secret = request.session.get(RECEIPTS, {}).get(code)
        if submission is not None and secret is None and self.draft is not None:
            stored = self.stored_draft()
            if stored is not None and stored.pk == submission.pk:
                secret = self.remember_receipt(submission, self.draft["token"])
        if submission is not None and secret is None and has_status_access(request, submission):
            return redirect(status_path(submission))  # back from paying, having come by the status page
        if submission is None or secret is None:
            return not_found(
                request, _("この受付番号の控えは、このブラウザでは表示できません。"), self.municipality
            )
        return render(
            request,
            "procedures/apply/done.html",
            self.context(
                submission=submission,
                secret=format_secret(secret),
                status_url=request.build_absolute_uri(status_path(submission)),
                fee=fee_summary(
                    submission, self.definition if submission.form_id == self.form_row.pk else None
                ),
                **payment_context(submission),
            ),
        )
