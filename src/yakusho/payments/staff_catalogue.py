"""Staff pages of the fee catalogue (docs/payments/catalogue.md): the list with each item's current
and upcoming rate, an item's form, a new rate from a date, and the Excel export and import.

Every member reads the list; changing the catalogue, and its export and import, need
``Perm.MANAGE_FEES`` (administrators). A rate is only ever added: a payment keeps the rate it was
taken at (``PaymentLine.rate``), so past rates are shown read only as the item's history. Every
save runs in a transaction and the audit trail records it (``payments.audit``).

A form carries a hidden ``request_key``; the session remembers the last keys saved and where they
led, so a second submission of the same page (a double click) goes to the first one's result
instead of failing on the key or the day it has just taken.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.permissions import Perm
from yakusho.core.responses import NotFound
from yakusho.payments import tabular
from yakusho.payments.catalogue_forms import MAX_UPLOAD_ROWS, FeeItemForm, ImportForm, RateForm
from yakusho.payments.models import CASHLESS, FeeItem, FeeRate

#: how many saved request keys a session remembers
REMEMBERED_REQUESTS = 20
SESSION_KEY = "payments_fee_requests"


def rate_rows(item: FeeItem, today: date) -> list[dict[str, Any]]:
    """The item's rates, newest first, each marked past, current or upcoming."""
    current = item.rate_on(today)
    rows = []
    for rate in sorted(item.rates.all(), key=lambda r: r.valid_from, reverse=True):
        if current is not None and rate.pk == current.pk:
            state = _("適用中")
        elif rate.valid_from > today:
            state = _("予定")
        else:
            state = _("過去")
        rows.append({"rate": rate, "state": state})
    return rows


class CatalogueMixin(MunicipalityStaffMixin):
    kwargs: dict[str, Any]

    def items(self) -> Any:
        return (
            FeeItem.objects.for_municipality(self.municipality)
            .select_related("department")
            .prefetch_related("rates")
        )

    def target(self) -> FeeItem | None:
        if "pk" not in self.kwargs:
            return None
        item = self.items().filter(pk=self.kwargs["pk"]).first()
        if item is None:
            raise NotFound(_("指定された手数料が見つかりません。"))
        return item

    # a double click counts once ---------------------------------------------------------------------

    def already_done(self, key: str) -> str | None:
        done: dict[str, str] = self.request.session.get(SESSION_KEY, {})
        return done.get(key) if key else None

    def remember(self, key: str, url: str) -> None:
        if not key:
            return
        done: dict[str, str] = dict(self.request.session.get(SESSION_KEY, {}))
        done[key] = url
        self.request.session[SESSION_KEY] = dict(list(done.items())[-REMEMBERED_REQUESTS:])

    def list_url(self) -> str:
        return reverse("payments_staff:fees", args=[self.municipality.slug])


class FeeListView(CatalogueMixin, TemplateView):
    """The catalogue: every item with its current and upcoming rates, methods, legal basis and code."""

    template_name = "payments/staff/fees.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        rows = []
        for item in self.items().order_by("order", "name", "pk"):
            rows.append(
                {
                    "item": item,
                    "current": item.rate_on(today),
                    "upcoming": sorted(
                        (r for r in item.rates.all() if r.valid_from > today), key=lambda r: r.valid_from
                    ),
                    "methods": item.method_labels(),
                    "cashless": any(m in CASHLESS for m in item.methods),
                }
            )
        context.update(
            rows=rows,
            today=today,
            may_manage=self.can(Perm.MANAGE_FEES),
            any_demo=any(r["item"].is_demo for r in rows),
        )
        return context


class FeeFormView(CatalogueMixin, TemplateView):
    """Create an item (``fee_create``) or edit one (``fee_edit``); its rates are shown read only."""

    template_name = "payments/staff/fee_form.html"
    permission = Perm.MANAGE_FEES

    def form(self, item: FeeItem | None, data: Any = None) -> FeeItemForm:
        return FeeItemForm(data, instance=item, municipality=self.municipality)

    def page(self, form: FeeItemForm, item: FeeItem | None, status: int = 200) -> HttpResponse:
        today = timezone.localdate()
        context = self.get_context_data(
            form=form, item=item, rates=rate_rows(item, today) if item else [], today=today
        )
        return self.render_to_response(context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        item = self.target()
        return self.page(self.form(item), item)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        item = self.target()
        request_key = request.POST.get("request_key", "")[:64]
        done = self.already_done(request_key)
        if done:
            return redirect(done)
        form = self.form(item, request.POST)
        if not form.is_valid():
            return self.page(form, item, status=400)
        try:
            with transaction.atomic():
                saved = form.save()
        except IntegrityError:
            # two staff saving the same key at the same moment: the other one won
            form = self.form(self.target(), request.POST)
            form.is_valid()
            form.add_error("key", _("このキーはたった今ほかの手数料に使われました。別のキーにしてください。"))
            return self.page(form, item, status=409)
        if item is None:
            messages.success(
                request,
                _("「%(name)s」を追加しました。続けて料金を登録してください。") % {"name": saved.name},
            )
            url = reverse("payments_staff:rate_create", args=[self.municipality.slug, saved.pk])
        else:
            messages.success(request, _("「%(name)s」を保存しました。") % {"name": saved.name})
            url = self.list_url()
        self.remember(request_key, url)
        return redirect(url)


class RateCreateView(CatalogueMixin, TemplateView):
    """A new rate of an item from a date (today or later once the item has a rate)."""

    template_name = "payments/staff/fee_rate_form.html"
    permission = Perm.MANAGE_FEES

    def page(self, item: FeeItem, form: RateForm, status: int = 200) -> HttpResponse:
        today = timezone.localdate()
        context = self.get_context_data(
            item=item, form=form, rates=rate_rows(item, today), current=item.rate_on(today), today=today
        )
        return self.render_to_response(context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        item = self.target()
        assert item is not None
        return self.page(item, RateForm(item=item, municipality=self.municipality))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        item = self.target()
        assert item is not None
        request_key = request.POST.get("request_key", "")[:64]
        done = self.already_done(request_key)
        if done:
            return redirect(done)
        form = RateForm(request.POST, item=item, municipality=self.municipality)
        if not form.is_valid():
            return self.page(item, form, status=400)
        rate: FeeRate = form.rate()
        try:
            with transaction.atomic():
                rate.save()
        except IntegrityError:
            form = RateForm(request.POST, item=self.target() or item, municipality=self.municipality)
            form.is_valid()
            form.add_error(
                "valid_from",
                _("この適用開始日の料金はたった今ほかの職員が登録しました。一覧で確かめてください。"),
            )
            return self.page(item, form, status=409)
        today = timezone.localdate()
        if rate.valid_from > today:
            message = _("「%(name)s」の料金 %(amount)s円 を登録しました。%(day)sから適用します。")
        else:
            message = _("「%(name)s」の料金 %(amount)s円 を登録しました（%(day)sから適用）。")
        messages.success(
            request,
            message
            % {"name": item.name, "amount": f"{rate.amount_yen:,}", "day": f"{rate.valid_from:%Y年%m月%d日}"},
        )
        url = self.list_url()
        self.remember(request_key, url)
        return redirect(url)


class FeeExportView(CatalogueMixin, TemplateView):
    """The catalogue as Excel, one row per item with its current rate (every member reads it, as
    the list; residents read the same amounts on the public page)."""

    permission = Perm.VIEW

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return tabular.excel_export(self.municipality)


class FeeImportView(CatalogueMixin, TemplateView):
    """Read an Excel file of the catalogue, all or nothing."""

    template_name = "payments/staff/fee_import.html"
    permission = Perm.MANAGE_FEES

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            columns=tabular.COLUMNS,
            max_rows=MAX_UPLOAD_ROWS,
            item_count=FeeItem.objects.for_municipality(self.municipality).count(),
        )
        context.setdefault("form", ImportForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        upload = form.cleaned_data["file"]
        try:
            result = tabular.import_file(self.municipality, upload.read())
        except tabular.TabularInvalid as exc:
            form.add_error(
                "file", _("ファイルに誤りがあります。下の一覧を直してから、もう一度読み込んでください。")
            )
            context = self.get_context_data(form=form, errors=exc.errors, filename=upload.name)
            return self.render_to_response(context, status=400)
        messages.success(
            request,
            _(
                "「%(name)s」を読み込みました。追加 %(created)s件、更新 %(updated)s件、"
                "変更なし %(unchanged)s件、新しい料金 %(rates)s件。ファイルにない手数料はそのままです。"
            )
            % {
                "name": upload.name,
                "created": f"{result.created:,}",
                "updated": f"{result.updated:,}",
                "unchanged": f"{result.unchanged:,}",
                "rates": f"{result.rates_added:,}",
            },
        )
        return redirect(self.list_url())
