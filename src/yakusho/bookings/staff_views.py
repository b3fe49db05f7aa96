"""Staff pages: day and week views per resource or 課, phone bookings, blocking, attendance, exports.

Every role of the municipality reads; changing bookings needs ``Perm.MANAGE_BOOKINGS`` (窓口 and
課 staff, administrators), and 課 staff act only on their own 課's resources. Every change goes
through ``bookings.services`` and so into the audit trail.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from auditlog.mixins import LogAccessMixin
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, TemplateView

from yakusho.bookings import exports, services
from yakusho.bookings import slots as slot_making
from yakusho.bookings.forms import (
    BlockForm,
    ClosureForm,
    ResourceForm,
    SessionForm,
    StaffBookingForm,
    StaffCancelForm,
)
from yakusho.bookings.models import ACTIVE, Booking, BookingStatus, Resource, Slot
from yakusho.bookings.rules import Rules, local_start
from yakusho.bookings.views import parse_day
from yakusho.core.jcal import JapaneseDateError, format_date, parse_iso_day
from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import Department, Role
from yakusho.core.permissions import Perm
from yakusho.core.responses import NotFound


class BookingStaffMixin(MunicipalityStaffMixin):
    def resources(self) -> QuerySet[Resource]:
        return Resource.objects.for_municipality(self.municipality).select_related("department")

    def may_manage(self, resource: Resource) -> bool:
        if not self.can(Perm.MANAGE_BOOKINGS):
            return False
        if self.membership.role == Role.DEPARTMENT:
            return resource.department_id in {d.pk for d in self.membership.departments.all()}
        return True

    def require_manage(self, resource: Resource) -> None:
        if not self.may_manage(resource):
            raise PermissionDenied

    def selected(self) -> tuple[QuerySet[Resource], Resource | None, Department | None]:
        """Resources chosen by ``?resource=`` or ``?department=`` (all when neither)."""
        resources = self.resources()
        resource = department = None
        if self.request.GET.get("resource", "").isdigit():
            resource = get_object_or_404(resources, pk=self.request.GET["resource"])
            resources = resources.filter(pk=resource.pk)
        elif self.request.GET.get("department", "").isdigit():
            department = get_object_or_404(
                Department.objects.for_municipality(self.municipality), pk=self.request.GET["department"]
            )
            resources = resources.filter(department=department)
        return resources, resource, department


class ResourceListView(BookingStaffMixin, TemplateView):
    template_name = "bookings/staff/resources.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context.update(resources=list(self.resources()), today=today)
        return context


class DayView(BookingStaffMixin, TemplateView):
    """One day: each chosen resource's slots with their bookings and what staff can do."""

    template_name = "bookings/staff/day.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        day = parse_day(self.kwargs["day"])
        resources, resource, department = self.selected()
        slots = (
            Slot.objects.for_municipality(self.municipality)
            .filter(
                resource__in=resources,
                starts_at__gte=local_start(day),
                starts_at__lt=local_start(day + timedelta(1)),
            )
            .select_related("resource", "resource__department")
            .prefetch_related(
                Prefetch(
                    "bookings",
                    queryset=Booking.objects.filter(status__in=ACTIVE).order_by("status", "created_at", "pk"),
                )
            )
            .order_by("resource__order", "resource__name", "starts_at")
        )
        rows = [(slot, self.may_manage(slot.resource)) for slot in slots]
        context.update(
            day=day,
            day_label=format_date(day),
            prev_day=day - timedelta(days=1),
            next_day=day + timedelta(days=1),
            rows=rows,
            resource=resource,
            department=department,
            query=self.request.GET.urlencode(),
            all_resources=self.resources(),
            departments=Department.objects.for_municipality(self.municipality),
            statuses=BookingStatus,
        )
        return context


class WeekView(BookingStaffMixin, TemplateView):
    """Seven days from a Monday: per resource and day, bookings against places."""

    template_name = "bookings/staff/week.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        start = parse_day(self.kwargs["day"])
        start -= timedelta(days=start.weekday())
        days = [start + timedelta(days=i) for i in range(7)]
        chosen, resource, department = self.selected()
        resources = list(chosen)
        cells: dict[tuple[int, date], list[int]] = {}
        rows = (
            Slot.objects.for_municipality(self.municipality)
            .filter(
                resource__in=[r.pk for r in resources],
                starts_at__gte=local_start(start),
                starts_at__lt=local_start(start + timedelta(days=7)),
            )
            .values_list("resource_id", "starts_at", "capacity", "booked", "is_blocked")
        )
        for resource_id, starts_at, capacity, booked, blocked in rows:
            cell = cells.setdefault((resource_id, timezone.localtime(starts_at).date()), [0, 0, 0])
            cell[0] += booked
            cell[1] += 0 if blocked else capacity
            cell[2] += 1
        table = [(r, [(d, cells.get((r.pk, d))) for d in days]) for r in resources]
        context.update(
            days=days,
            table=table,
            prev_week=start - timedelta(days=7),
            next_week=start + timedelta(days=7),
            resource=resource,
            department=department,
            query=self.request.GET.urlencode(),
            start_label=format_date(start),
        )
        return context


class StaffBookView(BookingStaffMixin, View):
    """A booking taken by phone or at the counter: confirmed at once."""

    permission = Perm.MANAGE_BOOKINGS

    def slot(self) -> Slot:
        slot = get_object_or_404(
            Slot.objects.for_municipality(self.municipality).select_related("resource"), pk=self.kwargs["pk"]
        )
        self.require_manage(slot.resource)
        return slot

    def page(self, slot: Slot, form: StaffBookingForm, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            "bookings/staff/book.html",
            {
                **self.get_context_data(),
                "slot": slot,
                "form": form,
                "day_label": format_date(timezone.localtime(slot.starts_at).date()),
            },
            status=status,
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "municipality": self.municipality,
            "membership": self.membership,
            "perms_here": {p.value: self.can(p) for p in Perm},
        }

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        slot = self.slot()
        return self.page(slot, StaffBookingForm(resource=slot.resource))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        slot = self.slot()
        form = StaffBookingForm(request.POST, resource=slot.resource)
        if not form.is_valid():
            return self.page(slot, form, status=400)
        try:
            booking = services.book(
                slot.pk,
                form.contact(),
                channel=form.cleaned_data["channel"],
                staff=request.user,  # type: ignore[arg-type]
                waitlist_if_full=request.POST.get("waitlist") == "1",
            )
        except services.BookingError as exc:
            form.add_error(exc.field, exc.message)
            return self.page(slot, form, status=409 if exc.code == "full" else 400)
        messages.success(
            request, _("予約を登録しました（予約番号 %(code)s）。") % {"code": booking.display_code}
        )
        return redirect(_day_url(self.municipality.slug, slot))


def _day_url(slug: str, slot: Slot) -> str:
    day = timezone.localtime(slot.starts_at).date().isoformat()
    return reverse("bookings_staff:day", args=[slug, day]) + f"?resource={slot.resource_id}"


class SlotBlockView(BookingStaffMixin, View):
    permission = Perm.MANAGE_BOOKINGS

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        slot = get_object_or_404(
            Slot.objects.for_municipality(self.municipality).select_related("resource"), pk=kwargs["pk"]
        )
        self.require_manage(slot.resource)
        form = BlockForm(request.POST)
        form.is_valid()
        block = request.POST.get("action", "block") == "block"
        services.set_blocked(slot, block, form.cleaned_data.get("reason", "") or _("職員による受付停止"))
        messages.success(
            request, _("この枠の受付を停止しました。") if block else _("この枠の受付を再開しました。")
        )
        return redirect(_day_url(self.municipality.slug, slot))


ACTIONS = {
    "attended": BookingStatus.ATTENDED,
    "no_show": BookingStatus.NO_SHOW,
    "confirmed": BookingStatus.CONFIRMED,
}


class BookingActionView(BookingStaffMixin, View):
    """Mark attendance or a no-show, or cancel (the freed place goes to the waitlist)."""

    permission = Perm.MANAGE_BOOKINGS

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        booking = get_object_or_404(
            Booking.objects.for_municipality(self.municipality).select_related("slot", "resource"),
            pk=kwargs["pk"],
        )
        self.require_manage(booking.resource)
        action = kwargs["action"]
        try:
            if action == "cancel":
                services.cancel(booking, reason=request.POST.get("reason", "") or _("職員による取消"))
                messages.success(
                    request, _("予約 %(code)s を取り消しました。") % {"code": booking.display_code}
                )
            elif action in ACTIONS:
                services.mark(booking, ACTIONS[action])
                messages.success(
                    request,
                    _("予約 %(code)s を「%(status)s」にしました。")
                    % {"code": booking.display_code, "status": booking.get_status_display()},
                )
            else:
                raise Http404
        except services.BookingError as exc:
            messages.error(request, exc.message)
        return redirect(_day_url(self.municipality.slug, booking.slot))


#: statuses staff may cancel (attended and no-show are records of a slot that was used)
CANCELLABLE = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.OFFERED, BookingStatus.WAITING)


class BookingDetailView(BookingStaffMixin, LogAccessMixin, DetailView):
    """One booking with its history. It shows personal data, so each view is logged as a read."""

    model = Booking
    template_name = "bookings/staff/booking.html"
    context_object_name = "booking"

    def get_queryset(self) -> QuerySet[Booking]:
        return super().get_queryset().select_related("slot", "resource", "created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        booking = context["booking"]
        context["can_cancel"] = booking.status in CANCELLABLE and self.may_manage(booking.resource)
        return context


class BookingCancelView(BookingStaffMixin, View):
    """Cancelling asks first: the page shows the booking and who will be told (GET); its button
    cancels (POST), and the freed place goes to the waitlist."""

    permission = Perm.MANAGE_BOOKINGS

    def target(self) -> Booking:
        booking = get_object_or_404(
            Booking.objects.for_municipality(self.municipality).select_related("slot", "resource"),
            pk=self.kwargs["pk"],
        )
        self.require_manage(booking.resource)
        return booking

    def page(self, booking: Booking, form: StaffCancelForm, status: int = 200) -> HttpResponse:
        context = {
            "municipality": self.municipality,
            "membership": self.membership,
            "perms_here": {p.value: self.can(p) for p in Perm},
            "booking": booking,
            "form": form,
            "can_cancel": booking.status in CANCELLABLE,
        }
        return render(self.request, "bookings/staff/cancel.html", context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(self.target(), StaffCancelForm())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        booking = self.target()
        form = StaffCancelForm(request.POST)
        if not form.is_valid():
            return self.page(booking, form, status=400)
        if booking.status not in CANCELLABLE:
            messages.error(
                request,
                _("予約 %(code)s は取り消せません（状態：%(status)s）。")
                % {"code": booking.display_code, "status": booking.get_status_display()},
            )
            return redirect(_day_url(self.municipality.slug, booking.slot))
        services.cancel(booking, reason=form.cleaned_data["reason"] or _("職員による取消"))
        messages.success(request, _("予約 %(code)s を取り消しました。") % {"code": booking.display_code})
        return redirect(_day_url(self.municipality.slug, booking.slot))


class CloseDayView(BookingStaffMixin, View):
    """An ad-hoc closure of one resource on one day: bookings cancelled and each person told."""

    permission = Perm.MANAGE_BOOKINGS

    def context(self, resource: Resource, day: date, form: ClosureForm) -> dict[str, Any]:
        affected = (
            Booking.objects.for_municipality(self.municipality)
            .filter(
                resource=resource,
                status__in=ACTIVE,
                slot__starts_at__gte=local_start(day),
                slot__starts_at__lt=local_start(day + timedelta(1)),
            )
            .count()
        )
        return {
            "municipality": self.municipality,
            "membership": self.membership,
            "perms_here": {p.value: self.can(p) for p in Perm},
            "resource": resource,
            "day": day,
            "day_label": format_date(day),
            "form": form,
            "affected": affected,
        }

    def target(self) -> tuple[Resource, date]:
        resource = get_object_or_404(self.resources(), pk=self.kwargs["pk"])
        self.require_manage(resource)
        return resource, parse_day(self.kwargs["day"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        resource, day = self.target()
        return render(request, "bookings/staff/close.html", self.context(resource, day, ClosureForm()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        resource, day = self.target()
        form = ClosureForm(request.POST)
        if not form.is_valid():
            return render(request, "bookings/staff/close.html", self.context(resource, day, form), status=400)
        count = services.close_day(resource, day, form.cleaned_data["reason"])
        messages.success(
            request,
            _("%(day)sを臨時休館にしました。%(n)s件の予約を取り消し、メールでお知らせします。")
            % {"day": format_date(day), "n": count},
        )
        return redirect(
            reverse("bookings_staff:day", args=[self.municipality.slug, day.isoformat()])
            + f"?resource={resource.pk}"
        )


class ExportView(BookingStaffMixin, View):
    """Bookings of a period as CSV (UTF-8 with BOM) or Excel; ``?from=&to=&resource=&department=``."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        today = timezone.localdate()
        try:
            start = parse_iso_day(request.GET["from"]) if request.GET.get("from") else today
            end = parse_iso_day(request.GET["to"]) if request.GET.get("to") else start + timedelta(days=6)
        except JapaneseDateError as exc:
            raise NotFound(str(exc)) from None
        resources, _resource, _department = self.selected()
        bookings = exports.bookings_between(self.municipality, resources, start, end)
        if kwargs["fmt"] == "csv":
            return exports.csv_export(self.municipality, bookings, start, end)
        if kwargs["fmt"] == "xlsx":
            return exports.excel_export(self.municipality, bookings, start, end)
        raise Http404


class ResourceFormView(BookingStaffMixin, View):
    """Create or edit a resource; slots of an opening-hours resource are generated for its window."""

    permission = Perm.MANAGE_BOOKINGS

    def departments(self) -> QuerySet[Department]:
        departments = Department.objects.for_municipality(self.municipality)
        if self.membership.role == Role.DEPARTMENT:
            departments = departments.filter(pk__in=[d.pk for d in self.membership.departments.all()])
        return departments

    def instance(self) -> Resource | None:
        if "pk" not in self.kwargs:
            return None
        resource = get_object_or_404(self.resources(), pk=self.kwargs["pk"])
        self.require_manage(resource)
        return resource

    def page(self, form: ResourceForm, resource: Resource | None, status: int = 200) -> HttpResponse:
        context = {
            "municipality": self.municipality,
            "membership": self.membership,
            "perms_here": {p.value: self.can(p) for p in Perm},
            "form": form,
            "resource": resource,
        }
        return render(self.request, "bookings/staff/resource_form.html", context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        resource = self.instance()
        form = ResourceForm(instance=resource, municipality=self.municipality, departments=self.departments())
        return self.page(form, resource)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        resource = self.instance()
        shape = _shape(resource) if resource else None
        form = ResourceForm(
            request.POST, instance=resource, municipality=self.municipality, departments=self.departments()
        )
        if not form.is_valid():
            return self.page(form, resource, status=400)
        with transaction.atomic():
            saved = form.save()
            removed = 0
            if shape is not None and shape != _shape(saved):
                removed, created = slot_making.reshape_slots(saved)
            else:
                today = timezone.localdate()
                created = slot_making.generate_slots(
                    saved, today, today + timedelta(days=saved.opens_days_ahead)
                )
        if removed:
            messages.success(
                request,
                _(
                    "「%(name)s」を保存しました。予約のない枠 %(removed)s件を新しい枠の長さ・時間に合わせて"
                    "作り直しました（新しい予約枠 %(n)s件）。予約の入っている枠はそのままです。"
                )
                % {"name": saved.name, "removed": removed, "n": created},
            )
            return redirect("bookings_staff:resources", self.municipality.slug)
        messages.success(
            request,
            _("「%(name)s」を保存しました（新しい予約枠 %(n)s件）。") % {"name": saved.name, "n": created},
        )
        return redirect("bookings_staff:resources", self.municipality.slug)


def _shape(resource: Resource) -> tuple[Any, ...]:
    """What the slots of a resource are made from: a change remakes its future empty slots."""
    return (resource.slot_minutes, resource.opening_hours, resource.capacity, resource.schedule)


class SessionAddView(BookingStaffMixin, View):
    """Add a dated session (a class, a health-check day) to a resource."""

    permission = Perm.MANAGE_BOOKINGS

    def page(self, resource: Resource, form: SessionForm, status: int = 200) -> HttpResponse:
        context = {
            "municipality": self.municipality,
            "membership": self.membership,
            "perms_here": {p.value: self.can(p) for p in Perm},
            "form": form,
            "resource": resource,
        }
        return render(self.request, "bookings/staff/session_form.html", context, status=status)

    def resource(self) -> Resource:
        resource = get_object_or_404(self.resources(), pk=self.kwargs["pk"])
        self.require_manage(resource)
        return resource

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(self.resource(), SessionForm())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        resource = self.resource()
        form = SessionForm(request.POST)
        if not form.is_valid():
            return self.page(resource, form, status=400)
        data = form.cleaned_data
        starts = timezone.make_aware(datetime.combine(data["day"], data["starts"]))
        if starts <= timezone.now():
            form.add_error("day", _("過去の日時には回を追加できません。"))
            return self.page(resource, form, status=400)
        reason = Rules(resource).closed_reason(data["day"])
        if reason:
            form.add_error(
                "day",
                _("%(day)sは休館日（%(reason)s）です。")
                % {"day": format_date(data["day"]), "reason": reason},
            )
            return self.page(resource, form, status=400)
        slot = slot_making.add_session(
            resource,
            starts,
            timezone.make_aware(datetime.combine(data["day"], data["ends"])),
            capacity=data["capacity"],
            title=data["title"],
        )
        messages.success(request, _("回を追加しました。"))
        return redirect(_day_url(self.municipality.slug, slot))
