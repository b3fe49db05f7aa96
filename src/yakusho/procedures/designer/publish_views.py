"""The form designer's previews and publishing (mounted under /staff/, namespace ``designer``):
the draft (or the live version) as residents see it, on a phone and at the counter, and the publish
page with a summary of the changes against the live version. The pages share the editor's
``views.DesignerMixin`` (permissions, the draft, its ``stamp``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from yakusho.procedures import designer, formrender
from yakusho.procedures.designer.operations import DesignerError
from yakusho.procedures.designer.views import DesignerMixin
from yakusho.procedures.formengine import load_definition
from yakusho.procedures.formengine.engine import FormDefinition as EngineForm

# --- preview ---------------------------------------------------------------------------------------


def _raw(post: Mapping[str, Any]) -> dict[str, list[str]]:
    return {
        k: post.getlist(k)  # type: ignore[attr-defined]
        for k in post
        if not k.startswith("_") and k not in ("csrfmiddlewaretoken", "stamp")
    }


def preview_pages(
    form: EngineForm,
    raw: Mapping[str, list[str]],
    errors: Mapping[str, list[str]],
    extra_rows: Mapping[str, int],
) -> list[dict[str, Any]]:
    """Every page with every field, rendered by the residents' renderer (``formrender``); a field or
    page shown only under a condition carries it."""
    pages = []
    for p, page in enumerate(form.pages):
        blocks = []
        for f in page.fields:
            info = form.info[f.key]
            blocks.append(
                formrender.block_for(
                    form,
                    f,
                    p,
                    raw,
                    {},
                    errors,
                    extra_rows.get(f.key, 0),
                    conditional=info.condition is not None,
                )
            )
        pages.append({"number": p + 1, "page": page, "blocks": blocks})
    return pages


class PreviewView(DesignerMixin, View):
    """The draft (or the live version) as residents see it: all pages, the real renderer; posting
    sample answers shows the engine's messages, or the summary and fee when they pass."""

    template_name = "procedures/designer/preview.html"
    mode = "phone"

    def definition(self) -> tuple[EngineForm, str] | None:
        if self.draft is not None:
            return designer.check(self.draft.definition), _("下書き")
        live = designer.live_form(self.procedure)
        if live is None:
            return None
        return load_definition(live.definition), _("公開中の第%(v)s版") % {"v": live.version}

    def show(
        self,
        raw: dict[str, list[str]],
        errors: dict[str, list[str]],
        rows: dict[str, int],
        result: Any = None,
    ) -> HttpResponse:
        found = self.definition()
        if found is None:
            return self.overview()
        form, source = found
        context = self.base_context(
            form=form,
            source=source,
            mode=self.mode,
            pages=preview_pages(form, raw, errors, rows),
            error_links=formrender.error_links(errors),
            result=result,
            summary=form.summary(result.cleaned) if result is not None and result.ok else [],
            rows=rows,
        )
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.show({}, {}, {})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        found = self.definition()
        if found is None:
            return self.overview()
        form, _source = found
        raw = _raw(request.POST)
        rows = {}
        for key in form.fields:
            try:
                rows[key] = max(0, min(int(request.POST.get(f"_rows-{key}", 0)), 100))
            except ValueError:
                rows[key] = 0
        add_row = request.POST.get("_add_row")
        if add_row in form.fields:
            rows[add_row] = rows.get(add_row, 0) + 1
            return self.show(raw, {}, rows)
        result = form.validate(raw, request.FILES)
        return self.show(raw, result.errors, rows, result)


class CounterPreviewView(PreviewView):
    mode = "counter"


# --- publish ---------------------------------------------------------------------------------------


class PublishView(DesignerMixin, View):
    template_name = "procedures/designer/publish.html"

    def page(self, problems: list[str]) -> HttpResponse:
        assert self.draft is not None
        live = designer.live_form(self.procedure)
        context = self.base_context(
            problems=problems,
            changes=designer.changes(live.definition if live else None, self.draft.definition),
            live=live,
            next_version=(live.version if live else 0) + 1,
            will_publish=not self.procedure.published,
            is_online=designer.is_online(self.procedure),
            online_default=designer.online_by_default(self.procedure),
        )
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.draft is None:
            return self.overview()
        return self.page(designer.publish_problems(self.procedure, self.draft))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.stale(request):
            return self.overview()
        assert self.draft is not None
        try:
            # the page offers the choice only while the procedure is not online (「choice」 says so)
            online = "online" in request.POST if "choice" in request.POST else None
            stored = designer.publish(self.procedure, self.draft, request.user, online=online)
        except DesignerError as exc:
            return self.page(exc.messages)
        if designer.is_online(self.procedure):
            done = _("フォームの第%(v)s版を公開しました。住民向けの手続の案内から申請できます。")
        else:
            done = _("フォームの第%(v)s版を公開しました。窓口（書かない窓口）で使えます。")
        messages.success(request, done % {"v": stored.version})
        return self.overview()
