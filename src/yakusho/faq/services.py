"""What the FAQ's public side writes: the masked log of questions asked, the resident's rating, a
question left for staff, its answer by e-mail and, in one click, a new entry made of the pair
(docs/faq.md "Chat", "Questions residents leave", "What is logged")."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from yakusho.core import shortcodes
from yakusho.core.models import Department, Municipality, User
from yakusho.core.outbox import queue_mail
from yakusho.core.permissions import ROLE_PERMISSIONS, Perm
from yakusho.core.services import absolute
from yakusho.core.workflow import Transition, TransitionRefused, Workflow
from yakusho.faq import search as faq_search
from yakusho.faq.analysis import out_of_hours
from yakusho.faq.masking import mask
from yakusho.faq.models import Category, Entry, Query, Question, QuestionStatus, Visibility

#: a rating is taken within this many seconds of the answer (a later one is the page left open)
RATING_SECONDS = 24 * 60 * 60


def record(
    municipality: Municipality,
    text: str,
    result: faq_search.Result | None,
    channel: str,
    *,
    item: faq_search.Item | None = None,
) -> Query:
    """Log one question (masked) with what was answered: ``result`` for a typed question, ``item``
    for an answer chosen from the guided buttons or the alternatives."""
    best = item or (result.best.item if result and result.best else None)
    score = result.best.score if result and result.best and item is None else 0.0
    now = timezone.now()
    return Query.objects.create(
        municipality=municipality,
        asked_at=now,
        text=mask(text)[:200],
        channel=channel,
        answered=best is not None,
        entry_ref=best.ref if best else "",
        entry_question=best.question[:200] if best else "",
        category=best.category if best else "",
        subcategory=best.subcategory if best else "",
        department_id=best.department_id if best else None,
        score=round(score, 4),
        out_of_hours=out_of_hours(municipality, now),
        token=secrets.token_urlsafe(16),
    )


class RatingError(Exception):
    """The rating cannot be taken (a wrong key, rated already, too late); the message says why."""


def rate(query: Query, token: str, helpful: bool) -> None:
    """The resident's 「解決しましたか？」: taken once, with the key given with the answer."""
    if not secrets.compare_digest(query.token, token or ""):
        raise RatingError(_("この回答への評価は受け付けられません。ページを開き直してください。"))
    if (timezone.now() - query.asked_at).total_seconds() > RATING_SECONDS:
        raise RatingError(_("評価の受付時間を過ぎました。"))
    updated = Query.objects.filter(pk=query.pk, helpful__isnull=True).update(
        helpful=helpful, rated_at=timezone.now()
    )
    if not updated:
        raise RatingError(_("この回答はすでに評価していただきました。ありがとうございました。"))


def guess_department(municipality: Municipality, text: str) -> Department | None:
    """The 課 of the entry nearest to the question, when it is near enough to say so."""
    result = faq_search.search(municipality, text)
    if not result.answers or result.answers[0].coverage < faq_search.THRESHOLD / 2:
        return None
    department_id = result.answers[0].item.department_id
    if department_id is None:
        return None
    return Department.objects.for_municipality(municipality).filter(pk=department_id).first()


@transaction.atomic
def ask(municipality: Municipality, text: str, email: str, department: Department | None) -> Question:
    """Store a question a resident left and acknowledge it by mail (the mail goes out on commit)."""
    department = department or guess_department(municipality, text)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                question = Question.objects.create(
                    municipality=municipality,
                    code=shortcodes.generate(),
                    asked_at=timezone.now(),
                    text=text,
                    email=email,
                    department=department,
                )
            break
        except IntegrityError:  # the code was taken: draw another
            continue
    else:  # pragma: no cover - five collisions in a space of 20**7
        raise RuntimeError("no free question code")
    context = {
        "municipality": municipality,
        "question": question,
        "code": shortcodes.format_code(question.code),
    }
    queue_mail(
        municipality,
        [email],
        _("【%(municipality)s】ご質問を受け付けました（受付番号 %(code)s）")
        % {"municipality": municipality.name, "code": context["code"]},
        render_to_string("faq/mail/asked.txt", context),
    )
    if department is not None and department.email:
        queue_mail(
            municipality,
            [department.email],
            _("住民から質問が届きました（受付番号 %(code)s）") % {"code": context["code"]},
            render_to_string(
                "faq/mail/new_question.txt",
                context
                | {"url": absolute(reverse("faq_staff:question", args=[municipality.slug, question.pk]))},
            ),
        )
    return question


class QuestionError(TransitionRefused):
    """A refused action on a question residents left (answered or closed meanwhile by another member
    of staff or in another tab, a role that may not), with a message for the person who tried."""


#: the roles that answer questions (``Perm.ANSWER_QUESTIONS``); 課 staff only their 課's and those
#: of no 課 (OWN_DEPARTMENT: checked by the staff pages, which know the member's 課)
ANSWERERS = frozenset(role for role, perms in ROLE_PERMISSIONS.items() if Perm.ANSWER_QUESTIONS in perms)
OWN_DEPARTMENT = "own_department"
QS = QuestionStatus
TRANSITIONS = Workflow(
    {
        "answer": Transition(N_("回答を送る"), {QS.OPEN}, QS.ANSWERED, ANSWERERS, flags={OWN_DEPARTMENT}),
        "close": Transition(N_("対応不要にする"), {QS.OPEN}, QS.CLOSED, ANSWERERS, flags={OWN_DEPARTMENT}),
    },
    model=Question,
    error=QuestionError,
    wrong_actor=N_("この操作（%(action)s）は、あなたの役割ではできません。"),
    wrong_state=N_("この質問は「%(status)s」になっています。「%(action)s」はできません。"),
)


def _check(action: str, question: Question, role: str) -> Transition:
    return TRANSITIONS.check(
        action, state=question.status, actor=role, names={"status": question.get_status_display()}
    )


@transaction.atomic
def answer(
    question: Question, text: str, staff: User, role: str, department: Department | None = None
) -> Question:
    """Send the answer by e-mail and erase the address: the question keeps the answer, not the person."""
    locked = Question.objects.select_for_update().get(pk=question.pk)
    rule = _check("answer", locked, role)
    municipality = locked.municipality
    context = {
        "municipality": municipality,
        "question": locked,
        "answer": text,
        "code": shortcodes.format_code(locked.code),
        "faq_url": absolute(reverse("faq:home", args=[municipality.slug])),
    }
    if locked.email:
        queue_mail(
            municipality,
            [locked.email],
            _("【%(municipality)s】ご質問への回答（受付番号 %(code)s）")
            % {"municipality": municipality.name, "code": context["code"]},
            render_to_string("faq/mail/answered.txt", context),
        )
    locked.answer = text
    locked.status = rule.target
    locked.answered_at = timezone.now()
    locked.answered_by = staff
    locked.email = ""
    if department is not None:
        locked.department = department
    locked.save()
    return locked


@transaction.atomic
def close(question: Question, role: str) -> Question:
    """No answer is needed (a duplicate, a message that asks nothing): the address is erased."""
    locked = Question.objects.select_for_update().get(pk=question.pk)
    locked.status = _check("close", locked, role).target
    locked.email = ""
    locked.save(update_fields=["status", "email"])
    return locked


def _category_for(municipality: Municipality, text: str) -> tuple[str, str]:
    """The category and sub-category of the entry nearest to ``text``, else the first category."""
    result = faq_search.search(municipality, text, staff=True)
    if result.answers:
        item = result.answers[0].item
        return item.category, item.subcategory
    first = Category.objects.for_municipality(municipality).filter(parent=None).first()
    return (first.name if first else _("その他")), ""


@transaction.atomic
def to_entry(question: Question) -> Entry:
    """A new FAQ entry of the answered question, for staff only until someone reviews and publishes
    it (the question may name a person; the text is masked as the log's)."""
    locked = Question.objects.select_for_update().get(pk=question.pk)
    if locked.status != QuestionStatus.ANSWERED:
        raise QuestionError(_("回答を送った質問だけをFAQにできます。"))
    if locked.entry_id is not None:
        raise QuestionError(_("この質問からはすでにFAQを作りました。"))
    municipality = locked.municipality
    category, subcategory = _category_for(municipality, locked.text)
    key = slugify(f"q-{locked.code.lower()}")
    entry = Entry.objects.create(
        municipality=municipality,
        key=key,
        category=category[:40],
        subcategory=subcategory[:40],
        question=mask(locked.text)[:200],
        answer=locked.answer,
        department=locked.department,
        visibility=Visibility.STAFF,
        reviewed_on=timezone.localdate(),
    )
    Question.objects.filter(pk=locked.pk).update(entry=entry)
    return entry
