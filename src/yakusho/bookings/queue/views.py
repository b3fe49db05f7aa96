"""Pages of the queue tickets: the hall's kiosk and screen, the resident's phone page and the
staff's board. Rules are in ``bookings.queue``; these views only translate requests."""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView, View

from yakusho.bookings.queue import services as queue
from yakusho.bookings.queue.models import QueueService, QueueTicket, TicketChannel, TicketStatus
from yakusho.core import shortcodes
from yakusho.core.forms import NormalizingMixin
from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import Department, Municipality
from yakusho.core.permissions import Perm
from yakusho.core.services import absolute
from yakusho.core.validators import normalize_text
from yakusho.core.views.public import public_form_ratelimit

# --- public pages ------------------------------------------------------------------------------------


class PublicQueueMixin:
    kwargs: dict[str, Any]
    municipality: Municipality

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.municipality = get_object_or_404(Municipality, slug=kwargs["municipality"])
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def active_services(self) -> list[QueueService]:
        return list(
            QueueService.objects.for_municipality(self.municipality)
            .filter(is_active=True)
            .order_by("order", "name")
        )

    def ticket(self) -> QueueTicket:
        code = shortcodes.normalize(self.kwargs["code"])
        if code is None:
            raise Http404
        return get_object_or_404(
            QueueTicket.objects.for_municipality(self.municipality).select_related("service"), code=code
        )


@method_decorator(never_cache, name="dispatch")
class KioskView(PublicQueueMixin, TemplateView):
    """The tablet in the hall: one large button per service issuing now; out of hours, when the
    next reception opens. A bare screen (``kiosk_base.html``): no link leads out of the kiosk."""

    template_name = "bookings/queue/kiosk.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        services = [s for s in self.active_services() if s.kiosk_enabled]
        context.update(
            municipality=self.municipality,
            services=services,
            state=queue.kiosk_state(self.municipality, services),
        )
        return context


@public_form_ratelimit
class KioskIssueView(PublicQueueMixin, View):
    def post(self, request: HttpRequest, key: str, **kwargs: Any) -> HttpResponse:
        service = get_object_or_404(QueueService.objects.for_municipality(self.municipality), key=key)
        try:
            ticket = queue.issue_ticket(service, channel=TicketChannel.KIOSK)
        except queue.QueueError as exc:
            messages.error(request, str(exc))
            return redirect("queue:kiosk", self.municipality.slug)
        return redirect("queue:kiosk_ticket", self.municipality.slug, ticket.code)


def ticket_qr_svg(ticket: QueueTicket) -> str:
    url = absolute(reverse("queue:ticket", args=[ticket.municipality.slug, ticket.code]))
    return str(segno.make(url, error="m").svg_inline(scale=4, title=_("順番を確認するページのQRコード")))


@method_decorator(never_cache, name="dispatch")
class TicketPrintView(PublicQueueMixin, TemplateView):
    """The print-ready ticket: number, service, time, the estimated wait and a QR code."""

    template_name = "bookings/queue/print.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        ticket = self.ticket()
        ticket.municipality = self.municipality
        context.update(
            municipality=self.municipality,
            ticket=ticket,
            state=queue.ticket_state(ticket),
            show_qr=self.show_qr(ticket),
            qr_svg=ticket_qr_svg(ticket),
            ticket_url=absolute(reverse("queue:ticket", args=[self.municipality.slug, ticket.code])),
            display_code=shortcodes.format_code(ticket.code),
        )
        return context

    def show_qr(self, ticket: QueueTicket) -> bool:
        return True


class KioskTicketView(TicketPrintView):
    """The kiosk's screen after issuing: the ticket to print, then back to the start by itself.

    The QR code (and the code and address under it) lead to the resident's page, where the ticket
    can be cancelled: the next person at the kiosk must not see them. The page shows them only for
    ``KIOSK_QR_SECONDS`` after issuing (a reload or the browser's Back shows the number alone), and
    screen.js removes them once printed or after that time."""

    template_name = "bookings/queue/kiosk_ticket.html"

    def show_qr(self, ticket: QueueTicket) -> bool:
        return (timezone.now() - ticket.issued_at).total_seconds() < queue.KIOSK_QR_SECONDS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        issued = (timezone.now() - context["ticket"].issued_at).total_seconds()
        context.update(
            kiosk_url=reverse("queue:kiosk", args=[self.municipality.slug]),
            return_seconds=queue.KIOSK_RETURN_SECONDS,
            return_after_print_seconds=queue.KIOSK_RETURN_AFTER_PRINT_SECONDS,
            qr_seconds=max(1, int(queue.KIOSK_QR_SECONDS - issued)),
        )
        return context


@method_decorator(never_cache, name="dispatch")
class TicketView(PublicQueueMixin, TemplateView):
    """The resident's phone page: position and estimated wait, refreshed by queue.js."""

    template_name = "bookings/queue/ticket.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        ticket = self.ticket()
        context.update(
            municipality=self.municipality,
            ticket=ticket,
            state=queue.ticket_state(ticket),
            display_code=shortcodes.format_code(ticket.code),
            can_cancel=ticket.status == TicketStatus.WAITING,
        )
        return context


@method_decorator(never_cache, name="dispatch")
class TicketStatusView(PublicQueueMixin, View):
    """The small JSON the resident's page polls every ~10 s (a fixed number of queries)."""

    def get(self, request: HttpRequest, **kwargs: Any) -> JsonResponse:
        state = queue.ticket_state(self.ticket())
        state.pop("ticket")
        return JsonResponse(state, json_dumps_params={"ensure_ascii": False})


@public_form_ratelimit
class TicketCancelView(PublicQueueMixin, View):
    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        ticket = self.ticket()
        try:
            queue.transition(ticket, "cancel", resident=True)
            messages.success(request, _("整理券を取り消しました。"))
        except queue.QueueError as exc:
            messages.error(request, str(exc))
        return redirect("queue:ticket", self.municipality.slug, ticket.code)


class DisplayMixin(PublicQueueMixin):
    request: HttpRequest

    def display_services(self) -> list[QueueService]:
        services = self.active_services()
        chosen = set(self.request.GET.getlist("service"))
        return [s for s in services if s.key in chosen] if chosen else services


@method_decorator(never_cache, name="dispatch")
class DisplayView(DisplayMixin, TemplateView):
    """The hall's screen: numbers being called and at which window; queue.js refreshes it."""

    template_name = "bookings/queue/display.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        services = self.display_services()
        query = self.request.GET.urlencode()
        data_url = reverse("queue:display_data", args=[self.municipality.slug]) + (
            f"?{query}" if query else ""
        )
        context.update(
            municipality=self.municipality,
            state=queue.display_state(self.municipality, services),
            data_url=data_url,
        )
        return context


@method_decorator(never_cache, name="dispatch")
class DisplayDataView(DisplayMixin, View):
    def get(self, request: HttpRequest, **kwargs: Any) -> JsonResponse:
        return JsonResponse(
            queue.display_state(self.municipality, self.display_services()),
            json_dumps_params={"ensure_ascii": False},
        )


# --- staff pages --------------------------------------------------------------------------------------


class QueueStaffMixin(MunicipalityStaffMixin):
    permission = Perm.VIEW
    kwargs: dict[str, Any]

    def service(self) -> QueueService:
        return get_object_or_404(
            QueueService.objects.for_municipality(self.municipality).select_related("department"),
            key=self.kwargs["key"],
        )

    def operable(self, service: QueueService) -> QueueService:
        if not queue.can_operate(self.membership, service):
            raise PermissionDenied
        return service


class QueueListView(QueueStaffMixin, TemplateView):
    template_name = "bookings/queue/staff_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["summary"] = queue.today_summary(self.municipality)
        context["inactive"] = list(
            QueueService.objects.for_municipality(self.municipality)
            .filter(is_active=False)
            .order_by("order", "name")
        )
        return context


class QueueBoardView(QueueStaffMixin, TemplateView):
    """One service today: call next per window, the called tickets with their actions, the line."""

    template_name = "bookings/queue/staff_board.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        service = self.service()
        day = timezone.localdate()
        tickets = list(
            QueueTicket.objects.for_municipality(self.municipality)
            .filter(service=service, day=day)
            .select_related("service")
            .order_by("-priority", "number")
        )
        can = queue.can_operate(self.membership, service)
        median = queue.median_service_seconds(service)
        waiting = [t for t in tickets if t.status == TicketStatus.WAITING]
        context.update(
            service=service,
            can_operate=can,
            active=[
                (t, [(a, queue.transition_label(a)) for a in queue.allowed_actions(self.membership, t)])
                for t in sorted(tickets, key=lambda t: t.last_called_at or t.issued_at, reverse=True)
                if t.status in (TicketStatus.CALLED, TicketStatus.SERVING)
            ],
            waiting=waiting,
            skipped=[t for t in tickets if t.status == TicketStatus.SKIPPED],
            done=[
                t
                for t in tickets
                if t.status in (TicketStatus.SERVED, TicketStatus.TRANSFERRED, TicketStatus.CANCELLED)
            ],
            median_minutes=round(median / 60, 1),
            estimate_last=queue.estimate_minutes(service, len(waiting), median),
            targets=[
                s
                for s in QueueService.objects.for_municipality(self.municipality).filter(is_active=True)
                if s.pk != service.pk
            ],
            labels={a: queue.transition_label(a) for a in queue.TRANSITIONS},
        )
        return context


class QueueIssueView(QueueStaffMixin, View):
    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        service = self.operable(self.service())
        try:
            ticket = queue.issue_ticket(service, channel=TicketChannel.STAFF, membership=self.membership)
        except queue.QueueError as exc:
            messages.error(request, str(exc))
            return redirect("queue_staff:board", self.municipality.slug, service.key)
        return redirect("queue:ticket_print", self.municipality.slug, ticket.code)


class QueueCallNextView(QueueStaffMixin, View):
    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        service = self.operable(self.service())
        try:
            ticket = queue.call_next(service, request.POST.get("window", ""), self.membership)
        except queue.QueueError as exc:
            messages.error(request, str(exc))
        else:
            if ticket is None:
                messages.info(request, _("お待ちの方はいません。"))
            else:
                messages.success(
                    request,
                    _("%(number)s番の方を%(window)sへ呼び出しました。")
                    % {"number": ticket.display_number, "window": ticket.window},
                )
        return redirect("queue_staff:board", self.municipality.slug, service.key)


class QueueActionView(QueueStaffMixin, View):
    def post(self, request: HttpRequest, pk: int, action: str, **kwargs: Any) -> HttpResponse:
        service = self.operable(self.service())
        ticket = get_object_or_404(
            QueueTicket.objects.for_municipality(self.municipality), service=service, pk=pk
        )
        if action not in queue.TRANSITIONS:
            raise Http404
        target = None
        raw_target = request.POST.get("target", "")
        if action == "transfer" and raw_target:
            target = QueueService.objects.for_municipality(self.municipality).filter(key=raw_target).first()
        try:
            result = queue.transition(
                ticket,
                action,
                membership=self.membership,
                window=request.POST.get("window", ""),
                target=target,
            )
        except queue.QueueError as exc:
            messages.error(request, str(exc))
        else:
            if action == "transfer":
                messages.success(
                    request,
                    _("%(number)s番の方を「%(service)s」へ案内しました（新しい番号 %(new)s）。")
                    % {
                        "number": ticket.display_number,
                        "service": result.service.name,
                        "new": result.display_number,
                    },
                )
            else:
                messages.success(
                    request,
                    _("%(number)s番：%(action)s（%(status)s）")
                    % {
                        "number": result.display_number,
                        "action": queue.transition_label(action),
                        "status": result.get_status_display(),
                    },
                )
        return redirect("queue_staff:board", self.municipality.slug, service.key)


class QueueServiceForm(NormalizingMixin, forms.ModelForm):
    windows_text = forms.CharField(
        label=gettext_lazy("窓口の名前"),
        help_text=gettext_lazy("「、」か改行で区切ります（例：窓口1、窓口2）"),
        max_length=300,
    )

    class Meta:
        model = QueueService
        fields = [
            "name",
            "key",
            "kind",
            "department",
            "location",
            "prefix",
            "opens_at",
            "closes_at",
            "default_service_minutes",
            "kiosk_enabled",
            "is_active",
            "order",
        ]

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.instance.municipality = municipality
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = Department.objects.for_municipality(municipality)
        if self.instance.pk:
            self.initial["windows_text"] = "、".join(self.instance.window_labels)
        else:
            self.initial.setdefault("windows_text", "窓口1")

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        clash = QueueService.objects.for_municipality(self.municipality).filter(key=key)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if key == "new":
            raise forms.ValidationError(_("識別子に「new」は使えません。"))
        if clash.exists():
            raise forms.ValidationError(_("識別子「%(key)s」の窓口はすでにあります。"), params={"key": key})
        return key

    def clean_prefix(self) -> str:
        return str(self.cleaned_data["prefix"]).upper()

    def clean_windows_text(self) -> list[str]:
        raw = normalize_text(self.cleaned_data["windows_text"])
        labels = [w.strip() for w in raw.replace("\n", "、").replace(",", "、").split("、") if w.strip()]
        if not labels:
            raise forms.ValidationError(_("窓口の名前を1つ以上入力してください。"))
        if len(set(labels)) != len(labels):
            raise forms.ValidationError(_("窓口の名前が重複しています。"))
        if any(len(w) > 30 for w in labels):
            raise forms.ValidationError(_("窓口の名前は30字以内にしてください。"))
        return labels

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and opens >= closes:
            self.add_error("closes_at", _("受付終了は受付開始より後の時刻にしてください。"))
        return cleaned

    def save(self, commit: bool = True) -> QueueService:
        self.instance.windows = self.cleaned_data["windows_text"]
        return super().save(commit)


class QueueServiceFormView(QueueStaffMixin, FormView):
    """Create or edit a service (administrators)."""

    permission = Perm.MANAGE_SETTINGS
    template_name = "core/staff/form.html"
    form_class = QueueServiceForm
    instance: QueueService | None = None

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["municipality"] = self.municipality
        if "key" in self.kwargs:
            self.instance = self.service()
            kwargs["instance"] = self.instance
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = _("整理券の窓口を編集") if "key" in self.kwargs else _("整理券の窓口を追加")
        return context

    @transaction.atomic
    def form_valid(self, form: QueueServiceForm) -> HttpResponse:
        service = form.save()
        messages.success(self.request, _("「%(name)s」を保存しました。") % {"name": service.name})
        return redirect("queue_staff:board", self.municipality.slug, service.key)
