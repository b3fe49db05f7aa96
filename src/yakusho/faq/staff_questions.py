"""Questions residents left (住民からの質問): staff read them, answer by e-mail (the address is then
erased), close the ones that need no answer, and turn an answered one into a new FAQ entry in one
click. Every member reads; answering needs ``Perm.ANSWER_QUESTIONS`` (課 staff: their 課's questions
and those no 課 has been given yet); making an entry needs ``Perm.EDIT_FAQ`` as well."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from yakusho.core import shortcodes
from yakusho.core.models import User
from yakusho.core.permissions import Perm
from yakusho.faq import services
from yakusho.faq.forms import AnswerForm
from yakusho.faq.models import Question, QuestionStatus
from yakusho.faq.staff_common import FaqStaffMixin

PAGE_SIZE = 50


class QuestionMixin(FaqStaffMixin):
    faq_section = "questions"

    def questions(self) -> Any:
        return Question.objects.for_municipality(self.municipality).select_related(
            "department", "answered_by", "entry"
        )

    def may_answer(self, question: Question) -> bool:
        """課 staff answer their 課's questions and those no 課 has been given yet."""
        if question.department_id is None:
            return self.can(Perm.ANSWER_QUESTIONS)
        return self.may_act_for(Perm.ANSWER_QUESTIONS, question.department_id)

    def may_make_entry(self, question: Question) -> bool:
        """課 staff make entries of their 課's questions; one of no 課 needs someone for every 課."""
        if question.department_id is None:
            return self.can(Perm.EDIT_FAQ) and self.own_departments() is None
        return self.may_act_for(Perm.EDIT_FAQ, question.department_id)

    def question(self, pk: int) -> Question:
        return get_object_or_404(self.questions(), pk=pk)


class QuestionListView(QuestionMixin, TemplateView):
    template_name = "faq/staff/questions.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", QuestionStatus.OPEN)
        if status not in (*QuestionStatus.values, "all"):
            status = QuestionStatus.OPEN
        questions = self.questions()
        mine = self.request.GET.get("mine") == "1" and self.own_departments() is not None
        if mine:
            questions = questions.filter(self.department_filter() | Q(department__isnull=True))
        counts = dict(
            Question.objects.for_municipality(self.municipality)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        if status != "all":
            questions = questions.filter(status=status)
        page = Paginator(questions.order_by("-asked_at", "-pk"), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        context.update(
            status=status,
            mine=mine,
            can_filter_mine=self.own_departments() is not None,
            statuses=[(value, label, counts.get(value, 0)) for value, label in QuestionStatus.choices],
            page_obj=page,
            is_paginated=page.has_other_pages(),
            rows=[(q, shortcodes.format_code(q.code)) for q in page.object_list],
        )
        return context


class QuestionView(QuestionMixin, TemplateView):
    """One question: its answer form (or the answer sent), and what became of it."""

    template_name = "faq/staff/question.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        question = kwargs.get("question") or self.question(self.kwargs["pk"])
        form = kwargs.get("form") or AnswerForm(
            municipality=self.municipality, initial={"department": question.department_id}
        )
        context.update(
            question=question,
            code=shortcodes.format_code(question.code),
            form=form,
            may_answer=self.may_answer(question) and question.status == QuestionStatus.OPEN,
            may_make_entry=question.status == QuestionStatus.ANSWERED
            and question.entry_id is None
            and self.may_make_entry(question),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        question = self.question(kwargs["pk"])
        if not self.may_answer(question):
            raise PermissionDenied
        here = reverse("faq_staff:question", args=[self.municipality.slug, question.pk])
        action = request.POST.get("action", "answer")
        try:
            if action == "close":
                services.close(question, self.membership.role)
                messages.success(request, _("対応不要にしました。メールアドレスは消去しました。"))
                return HttpResponseRedirect(here)
            if action != "answer":
                messages.error(request, _("この操作はできません。"))
                return HttpResponseRedirect(here)
            form = AnswerForm(request.POST, municipality=self.municipality)
            if not form.is_valid():
                context = self.get_context_data(question=question, form=form)
                return self.render_to_response(context, status=400)
            staff = request.user
            assert isinstance(staff, User)  # the mixin let only a signed-in member through
            services.answer(
                question,
                form.cleaned_data["answer"],
                staff,
                self.membership.role,
                form.cleaned_data["department"],
            )
        except services.QuestionError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(here)
        messages.success(request, _("回答をメールで送りました。メールアドレスは消去しました。"))
        return HttpResponseRedirect(here)


class QuestionToEntryView(QuestionMixin, View):
    """One click: the answered question and its answer become a new entry, for staff only until
    reviewed; the editor opens on it."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        question = self.question(kwargs["pk"])
        allowed = self.may_make_entry(question)
        if not allowed:
            raise PermissionDenied
        try:
            entry = services.to_entry(question)
        except services.QuestionError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(
                reverse("faq_staff:question", args=[self.municipality.slug, question.pk])
            )
        messages.success(
            request,
            _(
                "FAQに追加しました。いまは職員のみに公開しています。内容を確かめ、公開範囲を「公開」にしてください。"
            ),
        )
        return HttpResponseRedirect(reverse("faq_staff:entry_edit", args=[self.municipality.slug, entry.pk]))
