"""Screens paired to a clerk's desk (``counter.screens``): the clerk's list of their screens and
the pairing (staff, ``counter:screens``), and the waiting page a paired tablet keeps open
(public, ``counter_public:screen``, reached only by its unguessable token)."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from yakusho.core.mixins import MunicipalityStaffMixin
from yakusho.core.models import User
from yakusho.core.permissions import Perm
from yakusho.procedures.counter import screens


def qr_svg(url: str, title: str) -> str:
    """An inline SVG QR code of ``url`` (segno), for a phone or tablet to open it."""
    return str(segno.make(url, error="m").svg_inline(scale=5, title=title))


class ScreensView(MunicipalityStaffMixin, TemplateView):
    """「確認用の画面」: this clerk's paired screens; pair a new one (its address shown once, as a
    QR code to scan with the tablet) or take one away."""

    permission = Perm.SERVE_COUNTER
    template_name = "procedures/counter/screens.html"

    def staff(self) -> User:
        user = self.request.user
        assert isinstance(user, User)
        return user

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            municipality=self.municipality,
            screens=list(screens.screens_of(self.municipality, self.staff())),
            name=kwargs.get("name", ""),
            error=kwargs.get("error", ""),
            error_links=[("f-name", kwargs["error"])] if kwargs.get("error") else [],
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (remove := request.POST.get("remove", "")).isdigit():
            screen = screens.screens_of(self.municipality, self.staff()).filter(pk=int(remove)).first()
            if screen is not None:
                screen.delete()
                messages.success(request, _("画面「%(name)s」の接続を解除しました。") % {"name": screen.name})
            return redirect("counter:screens", self.municipality.slug)
        name = request.POST.get("name", "")
        try:
            screen, token = screens.pair(self.municipality, self.staff(), name)
        except screens.ScreenError as exc:
            return self.render_to_response(self.get_context_data(name=name[:200], error=str(exc)), status=400)
        url = request.build_absolute_uri(reverse("counter_public:screen", args=[token]))
        return self.render_to_response(
            self.get_context_data(
                paired=screen,
                paired_url=url,
                paired_qr=qr_svg(url, _("確認用の画面のアドレス")),
            )
        )


class ScreenView(View):
    """The paired tablet's page: waiting, reloading itself; the confirmation when the clerk asks."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        screen = screens.by_token(token)
        if screen is None:
            return render(request, "procedures/counter/screen_gone.html", status=404)
        visit = screens.waiting_visit(screen)
        if visit is not None:
            return redirect(
                reverse("counter_public:confirm", args=[visit.confirm_token]) + f"?screen={token}"
            )
        here = reverse("counter_public:screen", args=[token])
        return render(
            request,
            "procedures/counter/screen.html",
            {
                "screen": screen,
                "municipality": screen.municipality,
                "here": here,
                "reload_seconds": screens.RELOAD_SECONDS,
            },
        )
