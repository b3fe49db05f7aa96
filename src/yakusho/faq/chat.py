"""The residents' chat (docs/faq.md "Chat"): a full page and the panel on every public page of a
municipality, which asks the same views for one turn of the conversation at a time
(``?fragment=1``, static/yakusho/chat.js). Without JavaScript the panel's form opens the full page,
which works alone: the conversation is stateless, each turn one request.

A turn is one of: a typed question (``q``: the best answer, two or three alternatives and the
matching procedures and bookings, or an honest no-answer with whom to call and whether the office is
open now), a category of the guided mode (``c``: its sub-categories' questions as buttons), or an
answer chosen from a button (``e``: ``e<pk>`` or ``s<pk>``). Each answer is logged, masked
(``faq.services.record``), and asks 「解決しましたか？」; a 「いいえ」 offers the phone and the
question form. Questions are rate-limited per address (``RATELIMIT_FAQ_SEARCH``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from yakusho.core import shortcodes
from yakusho.core.contacts import office_hours_text
from yakusho.core.models import Municipality
from yakusho.core.responses import NotFound
from yakusho.core.views.public import public_form_ratelimit
from yakusho.faq import search as faq_search
from yakusho.faq import services
from yakusho.faq.forms import AskForm
from yakusho.faq.models import Category, Channel, Query, Question
from yakusho.faq.views import FLOODED, FaqMixin, flooded


def _fragment(request: HttpRequest) -> bool:
    return request.GET.get("fragment") == "1" or request.POST.get("fragment") == "1"


class ChatView(FaqMixin, TemplateView):
    """One turn of the conversation: the whole page, or (``fragment=1``) the turn alone."""

    def get_template_names(self) -> list[str]:
        return ["faq/_chat_turn.html" if _fragment(self.request) else "faq/chat.html"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_faq()
        query = (request.GET.get("q") or "").strip()[: faq_search.MAX_QUERY]
        if query and flooded(request):
            context = self.base_context() | {
                "flooded": True,
                "asked": query,
                "message": FLOODED,
            }
            return self.render_to_response(context, status=429)
        return self.render_to_response(self.get_context_data(query=query))

    def base_context(self) -> dict[str, Any]:
        return {"municipality": self.municipality, "fragment": _fragment(self.request)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = self.base_context()
        query: str = kwargs.get("query", "")
        if query:
            context.update(self.answer_turn(query))
        elif self.request.GET.get("e"):
            context.update(self.chosen_turn(self.request.GET["e"]))
        elif self.request.GET.get("c"):
            context.update(self.category_turn(self.request.GET["c"]))
        else:
            context["welcome"] = True
            context["categories"] = list(
                Category.objects.for_municipality(self.municipality).filter(parent=None)
            )
        return context

    def answer_turn(self, query: str) -> dict[str, Any]:
        result = faq_search.search(self.municipality, query, index=self.index())
        log = services.record(self.municipality, query, result, Channel.CHAT)
        turn: dict[str, Any] = {"asked": query, "log": log, "answered": bool(result.best)}
        if result.best:
            turn["best"] = self.view_of(result.best.item)
            turn["alternatives"] = [a.item for a in result.answers[1:4]]
        else:
            turn["alternatives"] = [a.item for a in result.answers[:3]]
            turn.update(self.office_context())
        turn.update(self.service_links(result, turn.get("best")))
        return turn

    def chosen_turn(self, ref: str) -> dict[str, Any]:
        items = self.index().items
        item = next((i for i in items if i.ref == ref), None)
        if item is None:
            raise NotFound(_("この質問は見つかりません。公開が終わったか、URLが正しくありません。"))
        log = services.record(self.municipality, item.question, None, Channel.GUIDED, item=item)
        return {"asked": item.question, "log": log, "answered": True, "best": self.view_of(item)}

    def category_turn(self, value: str) -> dict[str, Any]:
        if not value.isdigit() or len(value) > 9:
            raise NotFound(_("この分類は見つかりません。"))
        category = (
            Category.objects.for_municipality(self.municipality)
            .filter(pk=int(value))
            .select_related("parent")
            .first()
        )
        if category is None:
            raise NotFound(_("この分類は見つかりません。"))
        items = self.index().items
        if category.parent_id is None:
            subs = list(category.children.all())
            if subs:  # first the sub-categories, as buttons
                counts = {
                    s.name: sum(1 for i in items if i.category == category.name and i.subcategory == s.name)
                    for s in subs
                }
                return {
                    "asked": category.name,
                    "category": category,
                    "subcategories": [(s, counts[s.name]) for s in subs if counts[s.name]],
                    "loose": [
                        i for i in items if i.category == category.name and i.subcategory not in counts
                    ],
                }
            chosen = [i for i in items if i.category == category.name]
        else:
            assert category.parent is not None
            chosen = [
                i for i in items if i.category == category.parent.name and i.subcategory == category.name
            ]
        return {"asked": str(category), "category": category, "questions": chosen}


class FeedbackView(FaqMixin, View):
    """「解決しましたか？」: はい or いいえ for one logged answer, with the key given with it."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_faq()
        query = Query.objects.for_municipality(self.municipality).filter(pk=kwargs["query"]).first()
        if query is None:
            raise NotFound(_("この回答の記録は見つかりません。"))
        helpful = request.POST.get("helpful")
        context: dict[str, Any] = {"municipality": self.municipality, "fragment": _fragment(request)}
        status = 200
        if helpful not in ("yes", "no"):
            context["error"] = _("「はい」か「いいえ」を選んでください。")
            status = 400
        else:
            try:
                services.rate(query, request.POST.get("token", ""), helpful == "yes")
            except services.RatingError as exc:
                context["error"] = str(exc)
                status = 400
            else:
                context["helpful"] = helpful == "yes"
        if not context.get("helpful"):
            context.update(self.office_context(), ask_text=query.text)
        template = "faq/_chat_feedback.html" if context["fragment"] else "faq/chat_feedback.html"
        return render(request, template, context, status=status)


@public_form_ratelimit
class AskView(FaqMixin, FormView):
    """Leave a question for staff: answered by e-mail, the address erased once answered."""

    template_name = "faq/ask.html"
    form_class = AskForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.setup_faq()
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        return {"text": (self.request.GET.get("q") or "")[:1000]}

    def get_form_kwargs(self) -> dict[str, Any]:
        return super().get_form_kwargs() | {"municipality": self.municipality}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(municipality=self.municipality, **self.office_context())
        return context

    def form_valid(self, form: AskForm) -> HttpResponse:
        question = services.ask(
            self.municipality,
            form.cleaned_data["text"],
            form.cleaned_data["email"],
            form.cleaned_data["department"],
        )
        return HttpResponseRedirect(reverse("faq:ask_sent", args=[self.municipality.slug, question.code]))


class AskSentView(FaqMixin, TemplateView):
    """受け付けました: the question's number and what happens next (nothing of the question shown)."""

    template_name = "faq/ask_sent.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.setup_faq()
        code = kwargs["code"]
        municipality: Municipality = self.municipality
        question = get_object_or_404(Question.objects.for_municipality(municipality), code=code[:12])
        return {
            "municipality": municipality,
            "code": shortcodes.format_code(question.code),
            "question": question,
            "office_hours": office_hours_text(municipality),
        }
