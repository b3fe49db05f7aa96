"""Back-office pages of the card-reader adapters (mounted under /staff/, namespace ``readers_staff``).

Administrators switch adapters on and off, edit their configuration and run their
``check_config()``; counter staff and administrators try a reading (``Perm.READ_CARDS``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.permissions import Perm
from yakusho.procedures.counter.readers.base import ReaderError, ResidentIdentity
from yakusho.procedures.counter.readers.forms import ManualEntryForm, PayloadForm, ReaderConfigForm
from yakusho.procedures.counter.readers.registry import NotRegistered
from yakusho.procedures.counter.readers.service import (
    ReaderState,
    read_identity,
    reader_state,
    reader_states,
    save_config,
    set_enabled,
)


def add_reader_errors(form: Any, exc: ReaderError) -> list[str]:
    """Put a reading's problems on the form's fields they name; returns the others (shown above
    the form)."""
    general = []
    for problem in exc.problems:
        if problem.field and problem.field in form.fields:
            form.add_error(problem.field, problem.message)
        else:
            general.append(problem.message)
    return general


class ReaderStateMixin(MunicipalityStaffMixin):
    kwargs: dict[str, Any]

    def get_state(self) -> ReaderState:
        try:
            return reader_state(self.municipality, self.kwargs["key"])
        except NotRegistered:
            raise Http404 from None


class ReaderListView(MunicipalityStaffMixin, TemplateView):
    permission = Perm.READ_CARDS
    template_name = "procedures/staff/readers/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(states=reader_states(self.municipality), can_manage=self.can(Perm.MANAGE_SETTINGS))
        return context


class ReaderSwitchView(ReaderStateMixin, View):
    """POST ``enabled=1`` or ``enabled=0``."""

    permission = Perm.MANAGE_SETTINGS
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        state = self.get_state()
        enabled = request.POST.get("enabled") == "1"
        set_enabled(self.municipality, state.key, enabled)
        if enabled:
            messages.success(request, _("「%(label)s」を有効にしました。") % {"label": state.reader.label})
        else:
            messages.success(request, _("「%(label)s」を無効にしました。") % {"label": state.reader.label})
        return redirect("readers_staff:list", self.municipality.slug)


class ReaderSettingView(ReaderStateMixin, TemplateView):
    """An adapter's configuration and the result of its ``check_config()``, run on every view."""

    permission = Perm.MANAGE_SETTINGS
    template_name = "procedures/staff/readers/setting.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        import json

        context = super().get_context_data(**kwargs)
        state = self.get_state()
        form = kwargs.get("form") or ReaderConfigForm(
            initial={"config": json.dumps(state.config, ensure_ascii=False, indent=2) if state.config else ""}
        )
        problems = state.instance().check_config(self.municipality)
        context.update(
            state=state,
            form=form,
            problems=problems,
            errors=[p for p in problems if p.is_error],
            warnings=[p for p in problems if not p.is_error],
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        state = self.get_state()
        form = ReaderConfigForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        save_config(self.municipality, state.key, form.cleaned_data["config"])
        messages.success(request, _("「%(label)s」の設定を保存しました。") % {"label": state.reader.label})
        return redirect("readers_staff:setting", self.municipality.slug, state.key)


class ReaderTryView(ReaderStateMixin, TemplateView):
    """Try a reading: shows the identity read (nothing is stored)."""

    permission = Perm.READ_CARDS
    template_name = "procedures/staff/readers/try.html"

    def form_class(self, state: ReaderState) -> type[PayloadForm] | type[ManualEntryForm]:
        return ManualEntryForm if state.reader.input_kind == "form" else PayloadForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        state = kwargs.get("state") or self.get_state()
        identity: ResidentIdentity | None = kwargs.get("identity")
        context.update(
            state=state,
            form=kwargs.get("form") or self.form_class(state)(municipality=self.municipality),
            identity=identity,
            outside=identity is not None and not identity.lives_in(self.municipality),
            reader_errors=kwargs.get("reader_errors", []),
            can_manage=self.can(Perm.MANAGE_SETTINGS),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        state = self.get_state()
        form = self.form_class(state)(request.POST, request.FILES, municipality=self.municipality)
        if not state.enabled:
            form.is_valid()
            message = _("「%(label)s」はこの団体では無効になっています。管理者に有効化を依頼してください。")
            context = self.get_context_data(
                state=state, form=form, reader_errors=[message % {"label": state.reader.label}]
            )
            return self.render_to_response(context, status=409)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(state=state, form=form), status=400)
        try:
            identity = read_identity(self.municipality, state.key, form.cleaned_data)
        except ReaderError as exc:
            general = add_reader_errors(form, exc)
            context = self.get_context_data(state=state, form=form, reader_errors=general)
            return self.render_to_response(context, status=400)
        return self.render_to_response(self.get_context_data(state=state, form=form, identity=identity))
