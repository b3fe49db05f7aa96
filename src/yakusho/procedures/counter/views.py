"""The counter's pages (書かない窓口): staff under /staff/ (namespace ``counter``), the resident's
confirmation under /counter/confirm/<token>/ (namespace ``counter_public``, no sign-in).

Staff pages need ``Perm.SERVE_COUNTER`` (counter staff, administrators); the one-stop
configuration needs ``Perm.MANAGE_SETTINGS``. Every rule is in ``yakusho.procedures.counter.services``
(what is filled in for staff in ``prefill``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import User
from yakusho.core.permissions import Perm
from yakusho.core.views.public import public_form_ratelimit
from yakusho.procedures import formrender
from yakusho.procedures.catalogue.life_events import life_event_label, life_event_title
from yakusho.procedures.counter import ages, screens
from yakusho.procedures.counter import services as counter
from yakusho.procedures.counter.forms import OneStopForm, ProcedureChoiceForm, StartVisitForm
from yakusho.procedures.counter.pdf import PaperEntry, render_paper_forms
from yakusho.procedures.counter.prefill import SOURCE_LABELS
from yakusho.procedures.counter.readers.base import ReaderError
from yakusho.procedures.counter.readers.forms import ManualEntryForm, PayloadForm
from yakusho.procedures.counter.readers.service import ReaderState, reader_states
from yakusho.procedures.counter.readers.views import add_reader_errors
from yakusho.procedures.counter.screen_views import qr_svg
from yakusho.procedures.counter.services import CounterError
from yakusho.procedures.models import LifeEvent, Procedure, ProcedureLifeEvent
from yakusho.procedures.models.counter import CounterVisit, CounterVisitItem, OneStopRule, VisitStatus

POLL_SECONDS = 3


class CounterMixin(MunicipalityStaffMixin):
    permission = Perm.SERVE_COUNTER
    kwargs: dict[str, Any]

    def get_visit(self) -> CounterVisit:
        visit = (
            CounterVisit.objects.for_municipality(self.municipality)
            .select_related("staff")
            .filter(code=self.kwargs["code"])
            .first()
        )
        if visit is None:
            raise Http404
        return visit

    def visit_url(self, visit: CounterVisit, name: str = "visit", *args: Any) -> str:
        return reverse(f"counter:{name}", args=[self.municipality.slug, visit.code, *args])


class CounterHomeView(CounterMixin, TemplateView):
    """Today's visits (open ones can be resumed) and a new visit."""

    template_name = "procedures/counter/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        visits = list(counter.visits_of_day(self.municipality))
        context.update(
            form=kwargs.get("form") or self.start_form(),
            active=[v for v in visits if v.is_active],
            closed=[v for v in visits if not v.is_active],
            can_configure=self.can(Perm.MANAGE_SETTINGS),
        )
        return context

    def start_form(self) -> StartVisitForm:
        """Empty, or prefilled from the queue board's link: the ticket's issue time is the arrival."""
        arrived = self.request.GET.get("arrived", "")
        ticket = self.request.GET.get("ticket", "")
        initial = {"arrived": arrived[:5]} if arrived else {}
        form = StartVisitForm(initial=initial)
        form.ticket = ticket[:20]
        return form

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = StartVisitForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        user = request.user if isinstance(request.user, User) else None
        visit = counter.start_visit(self.municipality, user, arrived_at=form.cleaned_data["arrived"])
        return redirect(self.visit_url(visit, "identify"))


class VisitView(CounterMixin, TemplateView):
    """A visit: who, which procedures and how far, the confirmation and the finish."""

    template_name = "procedures/counter/visit.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.get_visit()
        if visit.status == VisitStatus.FINISHED:
            return redirect(self.visit_url(visit, "done"))
        if visit.is_active and request.GET.get("resume"):
            counter.resume(visit, request.user if isinstance(request.user, User) else None)
        return self.render_to_response(self.get_context_data(visit=visit))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        visit: CounterVisit = kwargs["visit"]
        items = counter.items_of(visit)
        confirm_url = confirm_qr = ""
        if visit.status == VisitStatus.CONFIRMING:
            confirm_url = self.request.build_absolute_uri(
                reverse("counter_public:confirm", args=[visit.confirm_token])
            )
            confirm_qr = qr_svg(confirm_url, _("確認画面のQRコード"))
        context.update(
            confirm_qr=confirm_qr,
            screens=list(screens.screens_of(self.municipality, visit.staff)) if visit.staff else [],
            visit=visit,
            items=items,
            missing=counter.missing_for_confirmation(visit) if visit.status == VisitStatus.OPEN else [],
            confirm_url=confirm_url,
            status_url=self.visit_url(visit, "status"),
            poll_seconds=POLL_SECONDS,
        )
        return context


class VisitStatusView(CounterMixin, View):
    """The small JSON the visit page polls while the resident confirms."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        visit = self.get_visit()
        return JsonResponse(
            {
                "status": visit.status,
                "status_label": visit.get_status_display(),
                "confirmed": visit.confirmed_at is not None,
            }
        )


class IdentifyView(CounterMixin, TemplateView):
    """Read the card (simulated reader: paste or scan the payload) or type the four basic items."""

    template_name = "procedures/counter/identify.html"

    def readers(self) -> list[ReaderState]:
        return [s for s in reader_states(self.municipality) if s.enabled]

    def chosen(self, key: str | None) -> ReaderState | None:
        states = self.readers()
        return next((s for s in states if s.key == key), states[0] if states else None)

    @staticmethod
    def form_class(state: ReaderState) -> type[PayloadForm] | type[ManualEntryForm]:
        return ManualEntryForm if state.reader.input_kind == "form" else PayloadForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        visit: CounterVisit = kwargs["visit"]
        state: ReaderState | None = kwargs["state"]
        context.update(
            visit=visit,
            state=state,
            readers=self.readers(),
            form=kwargs.get("form")
            or (self.form_class(state)(municipality=self.municipality) if state else None),
            reader_errors=kwargs.get("reader_errors", []),
        )
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.get_visit()
        if not visit.is_active:
            return redirect(self.visit_url(visit))
        return self.render_to_response(
            self.get_context_data(visit=visit, state=self.chosen(request.GET.get("reader")))
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.get_visit()
        state = self.chosen(request.POST.get("reader"))
        if state is None:
            raise Http404
        form = self.form_class(state)(request.POST, request.FILES, municipality=self.municipality)
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(visit=visit, state=state, form=form), status=400
            )
        try:
            identity = counter.identify(visit, state.key, form.cleaned_data)
        except CounterError as exc:
            messages.error(request, str(exc))
            return redirect(self.visit_url(visit))
        except ReaderError as exc:
            general = add_reader_errors(form, exc)
            context = self.get_context_data(visit=visit, state=state, form=form, reader_errors=general)
            return self.render_to_response(context, status=400)
        messages.success(request, _("%(name)sさんの本人確認情報を読み取りました。") % {"name": identity.name})
        if visit.address_flagged:
            messages.warning(
                request,
                _("住所が%(town)sではありません（転入の手続などでは問題ありません）。")
                % {"town": self.municipality.name},
            )
        if not visit.items.exists():
            return redirect(self.visit_url(visit, "procedures"))
        return redirect(self.visit_url(visit))


class ProceduresView(CounterMixin, TemplateView):
    """Choose a life event (its proposals are checked) or find procedures by search."""

    template_name = "procedures/counter/procedures.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        visit: CounterVisit = kwargs["visit"]
        event = self.request.GET.get("event", visit.life_event or "")
        if event not in LifeEvent.values:
            event = ""
        query = self.request.GET.get("q", "")[:100]
        items = counter.items_of(visit)
        chosen = {i.procedure_id for i in items}
        age = ages.visitor_age(visit)
        proposals = counter.proposals(self.municipality, event, age=age) if event else []
        found = counter.search_procedures(self.municipality, query) if query else []
        rows: list[dict[str, Any]] = []
        seen: set[int] = set()
        for source, procedures in (
            ("item", [i.procedure for i in items]),
            ("proposal", proposals),
            ("search", found),
        ):
            for p in procedures:
                if p.pk in seen:
                    continue
                seen.add(p.pk)
                has_form = source == "item" or bool(getattr(p, "has_form", False))
                # without the visitor's age, a procedure for some ages only is not checked for them
                by_age = getattr(p, "age_range", "") if source == "proposal" else ""
                proposed = source == "proposal" and has_form and not chosen and not (by_age and age is None)
                checked = p.pk in chosen or proposed
                rows.append(
                    {
                        "procedure": p,
                        "source": source,
                        "has_form": has_form,
                        "checked": checked,
                        "age_range": by_age,
                    }
                )
        context.update(
            visit=visit,
            event=event,
            events=[
                (
                    e.value,
                    life_event_label(e.value, self.municipality),
                    life_event_title(e.value, self.municipality),
                )
                for e in LifeEvent
            ],
            age=age,
            by_age=any(row["age_range"] for row in rows),
            query=query,
            searched=bool(query),
            rows=rows,
            errors=kwargs.get("errors", []),
        )
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.get_visit()
        if visit.status != VisitStatus.OPEN:
            return redirect(self.visit_url(visit))
        return self.render_to_response(self.get_context_data(visit=visit))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.get_visit()
        form = ProcedureChoiceForm(request.POST, choices=list(counter.counter_procedures(self.municipality)))
        errors: list[str] = []
        if form.is_valid():
            try:
                items = counter.set_procedures(
                    visit, form.cleaned_data["procedures"], life_event=form.cleaned_data["life_event"]
                )
            except CounterError as exc:
                errors.append(str(exc))
            else:
                first = next((i for i in items if not i.complete), items[0])
                return redirect(self.visit_url(visit, "item", first.pk))
        else:
            errors = [str(e) for messages_ in form.errors.values() for e in messages_]
        return self.render_to_response(self.get_context_data(visit=visit, errors=errors), status=400)


def _mark_sources(blocks: list[Any], sources: dict[str, str]) -> None:
    """Attach 「カードから」/「他の手続から」 to the inputs a known fact filled."""
    for block in blocks:
        for control in block.inputs:
            source = sources.get(control.name, "")
            control.source = source  # read by the counter's input template
            control.source_label = str(SOURCE_LABELS[source]) if source else ""
        for row in block.rows:
            _mark_sources(row.inputs, sources)


class ItemView(CounterMixin, TemplateView):
    """One item's form, every page shown on one screen, filled with what is known."""

    template_name = "procedures/counter/item.html"

    def get_item(self, visit: CounterVisit) -> CounterVisitItem:
        item = (
            CounterVisitItem.objects.for_municipality(self.municipality)
            .select_related("procedure", "form")
            .filter(visit=visit, pk=self.kwargs["item"])
            .first()
        )
        if item is None or item.form is None:
            raise Http404
        return item

    def render_item(
        self,
        visit: CounterVisit,
        item: CounterVisitItem,
        raw: dict[str, list[str]] | None = None,
        errors: dict[str, list[str]] | None = None,
        status: int = 200,
        waivable: dict[str, str] | None = None,
        waivers: dict[str, str] | None = None,
    ) -> HttpResponse:
        assert item.form is not None
        definition = counter.definition_of(item.form)
        shown = counter.item_input(visit, item)
        if raw is not None:
            shown.raw = raw
            shown.cleaned = dict(definition.validate(raw, {}).cleaned)
        errors = errors or {}
        sections = []
        for page in definition.visible_pages(shown.cleaned):
            blocks = formrender.page_blocks(definition, page, shown.cleaned, shown.raw, {}, errors)
            _mark_sources(blocks, shown.sources)
            sections.append((definition.pages[page], blocks))
        items = counter.items_of(visit)
        index = next(n for n, i in enumerate(items) if i.pk == item.pk)
        context = self.get_context_data(
            visit=visit,
            item=item,
            items=items,
            position=index + 1,
            form=definition,
            sections=sections,
            errors=errors,
            error_links=formrender.error_links(errors),
            filled=len(shown.sources),
            editable=visit.status == VisitStatus.OPEN,
            waivers=self.waiver_rows(item, waivable, waivers),
        )
        return self.render_to_response(context, status=status)

    @staticmethod
    def waiver_rows(
        item: CounterVisitItem, waivable: dict[str, str] | None, waivers: dict[str, str] | None
    ) -> list[dict[str, Any]]:
        """The rules meant for online applicants that staff may waive here, each with whether it is
        waived and why: what the last save refused, or what the item waives already."""
        kept = item.overrides or {}
        if waivable is None:
            waivable = {name: str(o.get("rule", "")) for name, o in kept.items()}
            waivers = {name: str(o.get("reason", "")) for name, o in kept.items()}
        waivers = waivers or {}
        return [
            {"name": name, "rule": rule, "checked": name in waivers, "reason": waivers.get(name, "")}
            for name, rule in waivable.items()
        ]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.get_visit()
        item = self.get_item(visit)
        return self.render_item(visit, item)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.get_visit()
        item = self.get_item(visit)
        raw = {
            name: request.POST.getlist(name)
            for name in request.POST
            if not name.startswith("_") and name != "csrfmiddlewaretoken"
        }
        waived = [name.removeprefix("_waive-") for name in request.POST if name.startswith("_waive-")]
        waivers = {name: request.POST.get(f"_waive_reason-{name}", "") for name in waived}
        if request.POST.get("_add_row"):
            return self.render_item(visit, item, raw=raw)  # one more row; nothing saved yet
        user = request.user
        by = (user.get_full_name() or user.email) if isinstance(user, User) else ""
        try:
            checked = counter.save_item(visit, item, raw, waivers=waivers, by=by)
        except CounterError as exc:
            messages.error(request, str(exc))
            return redirect(self.visit_url(visit))
        if not checked.ok:
            return self.render_item(
                visit,
                item,
                raw=raw,
                errors=checked.errors,
                status=400,
                waivable=checked.waivable,
                waivers=waivers,
            )
        messages.success(request, _("「%(procedure)s」を保存しました。") % {"procedure": item.procedure.name})
        following = [i for i in counter.items_of(visit) if not i.complete and i.pk != item.pk]
        if following:
            return redirect(self.visit_url(visit, "item", following[0].pk))
        return redirect(self.visit_url(visit))


class VisitActionView(CounterMixin, View):
    """POST-only steps of a visit: ask the resident to confirm, take it back, finish, abandon."""

    http_method_names = ["post"]
    action = ""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.get_visit()
        try:
            if self.action == "confirm":
                counter.request_confirmation(visit)
                messages.success(request, _("確認画面を住民の方に見ていただいてください。"))
            elif self.action == "reopen":
                counter.reopen(visit)
                messages.success(
                    request, _("確認を取り消しました。修正してから、もう一度確認をお願いしてください。")
                )
            elif self.action == "finish":
                counter.finish(visit)
                return redirect(self.visit_url(visit, "done"))
            elif self.action == "abandon":
                counter.abandon(visit)
                messages.success(
                    request,
                    _(
                        "来庁%(code)sを中断しました。何も申請されていません。入力内容は一定時間後に消去されます。"
                    )
                    % {"code": visit.display_code},
                )
                return redirect("counter:home", self.municipality.slug)
        except CounterError as exc:
            messages.error(request, str(exc))
        return redirect(self.visit_url(visit))


class DoneView(CounterMixin, TemplateView):
    """After the finish: the submissions made (links to the inbox) and the paper forms, if any."""

    template_name = "procedures/counter/done.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.get_visit()
        if visit.status != VisitStatus.FINISHED:
            return redirect(self.visit_url(visit))
        items = counter.items_of(visit)
        return self.render_to_response(
            self.get_context_data(
                visit=visit,
                items=items,
                paper=[i for i in items if i.procedure.paper_at_counter],
                handling=(visit.finished_at - visit.started_at)
                if visit.finished_at and visit.started_at
                else None,
            )
        )


def paper_entries(visit: CounterVisit) -> list[PaperEntry]:
    """The paper forms of a finished visit: its submissions whose procedure still wants paper."""
    entries = []
    for item in counter.items_of(visit):
        submission = item.submission
        if not item.procedure.paper_at_counter or submission is None:
            continue
        entries.append(
            PaperEntry(
                procedure=item.procedure,
                definition=counter.definition_of(submission.form),
                cleaned=submission.data,
                code=submission.display_code,
                submitted_at=submission.submitted_at,
            )
        )
    return entries


class PaperPdfView(CounterMixin, View):
    """The filled paper forms of the visit's procedures that still need paper (PDF)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.get_visit()
        if visit.status != VisitStatus.FINISHED:
            raise Http404
        entries = paper_entries(visit)
        if not entries:
            raise Http404
        pdf = render_paper_forms(self.municipality, entries)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="counter-{visit.code}.pdf"'
        return response


# --- one-stop configuration -----------------------------------------------------------------------


class OneStopListView(MunicipalityStaffMixin, TemplateView):
    """Each life event's one-stop procedures (administrators change them)."""

    permission = Perm.MANAGE_SETTINGS
    template_name = "procedures/counter/one_stop_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rules = (
            OneStopRule.objects.for_municipality(self.municipality)
            .select_related("procedure")
            .order_by("life_event", "order", "pk")
        )
        by_event: dict[str, list[OneStopRule]] = {}
        for rule in rules:
            rule.age_range = ages.range_text(rule.min_age, rule.max_age)
            by_event.setdefault(rule.life_event, []).append(rule)
        context["events"] = [
            (e.value, life_event_label(e.value, self.municipality), by_event.get(e.value, []))
            for e in LifeEvent
        ]
        return context


class OneStopEditView(MunicipalityStaffMixin, TemplateView):
    permission = Perm.MANAGE_SETTINGS
    template_name = "procedures/counter/one_stop_edit.html"

    def event(self) -> str:
        event = self.kwargs["event"]
        if event not in LifeEvent.values:
            raise Http404
        return str(event)

    def form(self, data: Any = None) -> OneStopForm:
        """The procedures with a form, and those of the life event or its rules without one (the
        counter names them; they are done elsewhere), so saving never drops a rule unseen."""
        event = self.event()
        procedures = list(counter.counter_procedures(self.municipality))
        rules = {
            r.procedure_id: r
            for r in OneStopRule.objects.for_municipality(self.municipality).filter(life_event=event)
        }
        linked = ProcedureLifeEvent.objects.filter(event=event, procedure=OuterRef("pk"))
        shown = {p.pk for p in procedures}
        procedures += (
            counter.with_form(Procedure.objects.for_municipality(self.municipality))
            .filter(Q(pk__in=list(rules)) | Exists(linked))
            .exclude(pk__in=shown)
            .select_related("department")
            .order_by("order", "kana", "name")
        )
        initial: dict[str, Any] = {}
        for p in procedures:
            rule = rules.get(p.pk)
            initial[f"use_{p.pk}"] = rule is not None
            initial[f"order_{p.pk}"] = rule.order if rule is not None else None
            initial[f"min_age_{p.pk}"] = rule.min_age if rule is not None else None
            initial[f"max_age_{p.pk}"] = rule.max_age if rule is not None else None
        procedures.sort(key=lambda p: (p.pk not in rules, rules[p.pk].order if p.pk in rules else 0))
        return OneStopForm(data, initial=initial, procedures=procedures)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        event = self.event()
        context.update(
            event=event,
            event_label=life_event_label(event, self.municipality),
            form=kwargs.get("form") or self.form(),
            death=event == LifeEvent.DEATH,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            count = counter.save_one_stop(self.municipality, self.event(), form.chosen())
        except CounterError as exc:
            form.add_error(None, str(exc))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(
            request,
            _("「%(event)s」のワンストップの手続を保存しました（%(n)s件）。")
            % {"event": life_event_label(self.event(), self.municipality), "n": count},
        )
        return redirect("counter:one_stop", self.municipality.slug)


# --- the resident's confirmation (public) ---------------------------------------------------------


@public_form_ratelimit
class ResidentConfirmView(View):
    """What will be submitted, in large type, for the resident: on their phone (from the QR code
    on the clerk's screen) or on a screen paired to the clerk's desk (``?screen=<token>``: then
    in the bare screen layout, and back to waiting once answered)."""

    template_name = "procedures/counter/confirm.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        visit = counter.visit_for_token(kwargs["token"])
        if visit is None:
            return render(request, "procedures/counter/confirm_gone.html", status=404)
        self.visit = visit
        token = request.GET.get("screen") or request.POST.get("screen") or ""
        screen = screens.by_token(str(token)[:100]) if token else None
        self.screen_token = str(token) if screen is not None and screens.shows(screen, visit) else ""
        return super().dispatch(request, *args, **kwargs)

    def screen_url(self) -> str:
        return reverse("counter_public:screen", args=[self.screen_token]) if self.screen_token else ""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.visit
        return render(
            request,
            self.template_name,
            {
                "visit": visit,
                "municipality": visit.municipality,
                "identity": visit.identity,
                "summaries": counter.summaries(visit),
                "screen_base": "kiosk_base.html" if self.screen_token else "base.html",
                "screen_url": self.screen_url(),
                "screen_token": self.screen_token,
            },
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visit = self.visit
        try:
            if request.POST.get("answer") == "confirm":
                counter.resident_confirms(visit)
            elif request.POST.get("answer") == "correct":
                counter.ask_correction(visit)
                return render(
                    request,
                    "procedures/counter/confirm_gone.html",
                    {"corrected": True, "municipality": visit.municipality, "screen_url": self.screen_url()},
                )
            else:
                return HttpResponse(status=400)
        except CounterError as exc:
            return render(
                request,
                "procedures/counter/confirm_gone.html",
                {"message": str(exc), "municipality": visit.municipality, "screen_url": self.screen_url()},
                status=409,
            )
        here = reverse("counter_public:confirm", args=[kwargs["token"]])
        return redirect(f"{here}?screen={self.screen_token}" if self.screen_token else here)
