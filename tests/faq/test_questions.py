"""A question a resident leaves when no entry fits: stored, acknowledged by mail, answered by staff
by mail (the address then erased), and turned into a new entry in one click."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory
from tests.helpers import login_verified
from yakusho.core.models import Department, Municipality, OutboundEmail, Role
from yakusho.faq.models import Entry, Question, QuestionStatus, Visibility


def ask(town: Municipality, client: Client | None = None, **data: Any) -> Any:
    return (client or Client()).post(f"/m/{town.slug}/faq/ask/", data)


def staff_client(
    town: Municipality, role: str = Role.ADMIN, departments: tuple[Department, ...] = ()
) -> Client:
    membership = MembershipFactory(municipality=town, role=role)
    if departments:
        membership.departments.set(departments)
    client = Client()
    login_verified(client, membership.user)
    return client


def test_a_resident_leaves_a_question_and_gets_a_number_and_a_mail(town_faq: Municipality) -> None:
    chomin = Department.objects.get(municipality=town_faq, name="町民課")
    chomin.email = "chomin@faqtown.example.jp"
    chomin.save()
    form = Client().get(f"/m/{town_faq.slug}/faq/ask/", {"q": "プールの営業時間"}).content.decode()
    assert "プールの営業時間" in form  # the question asked in the chat, carried over
    page = ask(town_faq, text="住民票を代理人が取るときの委任状の書き方は？", email="taro@example.jp")
    assert page.status_code == 302
    question = Question.objects.get()
    assert page["Location"] == f"/m/{town_faq.slug}/faq/ask/sent/{question.code}/"
    assert question.department == chomin  # the nearest entry's 課
    assert question.status == QuestionStatus.OPEN and question.email == "taro@example.jp"
    sent = Client().get(page["Location"]).content.decode()
    assert "受け付けました" in sent and "委任状" not in sent  # the number, not the question
    mails = {tuple(m.to): m for m in OutboundEmail.objects.all()}
    assert "受付番号" in mails[("taro@example.jp",)].subject
    assert "委任状の書き方" in mails[("taro@example.jp",)].body
    assert (
        f"/staff/m/{town_faq.slug}/faq/questions/{question.pk}/" in mails[("chomin@faqtown.example.jp",)].body
    )


def test_bad_questions_show_every_error_keep_what_was_typed_and_save_nothing(town_faq: Municipality) -> None:
    other_department = DepartmentFactory(municipality=MunicipalityFactory(slug="elsewhere"))
    page = ask(town_faq, text="？？？", email="not-an-address", department=str(other_department.pk))
    text = page.content.decode()
    assert page.status_code == 200
    assert "ご質問の内容を文字で入力してください" in text
    assert "メールアドレスの形式が正しくありません" in text
    assert "この団体にない課です" in text
    assert "not-an-address" in text
    empty = ask(town_faq, text="", email="").content.decode()
    assert "ご質問を入力してください" in empty and "メールアドレスを入力してください" in empty
    long = ask(town_faq, text="あ" * 1001, email="a@example.jp").content.decode()
    assert "1000" in long or "1,000" in long
    assert not Question.objects.exists() and not OutboundEmail.objects.exists()


def test_staff_answer_by_mail_the_address_is_erased_and_the_pair_becomes_an_entry(
    town_faq: Municipality,
) -> None:
    ask(town_faq, text="私は山田太郎です。粗大ごみのシールはどこで買えますか？", email="taro@example.jp")
    question = Question.objects.get()
    client = staff_client(town_faq)
    url = reverse("faq_staff:question", args=[town_faq.slug, question.pk])
    listing = client.get(reverse("faq_staff:questions", args=[town_faq.slug])).content.decode()
    assert "粗大ごみのシール" in listing
    empty = client.post(url, {"action": "answer", "answer": ""})
    assert empty.status_code == 400 and "回答を入力してください" in empty.content.decode()
    answered = client.post(
        url, {"action": "answer", "answer": "町内のスーパーと役場で買えます。1枚500円です。"}
    )
    assert answered.status_code == 302
    question.refresh_from_db()
    assert question.status == QuestionStatus.ANSWERED and question.email == "" and question.answered_by
    mail = OutboundEmail.objects.filter(to=["taro@example.jp"]).latest("pk")
    assert "1枚500円" in mail.body and "回答" in mail.subject
    # the audit trail never held the address
    assert all("taro@example.jp" not in str(e.changes) for e in LogEntry.objects.get_for_object(question))
    again = client.post(url, {"action": "answer", "answer": "二度目"}, follow=True)
    assert "この質問は「回答済み」になっています。「回答を送る」はできません。" in again.content.decode()
    made = client.post(reverse("faq_staff:question_to_entry", args=[town_faq.slug, question.pk]))
    entry = Entry.objects.get(key=f"q-{question.code.lower()}")
    assert made["Location"] == reverse("faq_staff:entry_edit", args=[town_faq.slug, entry.pk])
    assert entry.visibility == Visibility.STAFF and entry.answer.startswith("町内のスーパー")
    assert "山田" not in entry.question and "粗大ごみのシール" in entry.question
    assert entry.category == "ごみ"
    twice = client.post(
        reverse("faq_staff:question_to_entry", args=[town_faq.slug, question.pk]), follow=True
    )
    assert "すでにFAQを作りました" in twice.content.decode()
    assert Entry.objects.filter(key__startswith="q-").count() == 1


def test_closing_erases_the_address_and_an_open_question_cannot_become_an_entry(
    town_faq: Municipality,
) -> None:
    ask(town_faq, text="テストです。返信は不要です。", email="x@example.jp")
    question = Question.objects.get()
    client = staff_client(town_faq)
    early = client.post(
        reverse("faq_staff:question_to_entry", args=[town_faq.slug, question.pk]), follow=True
    )
    assert "回答を送った質問だけ" in early.content.decode()
    client.post(reverse("faq_staff:question", args=[town_faq.slug, question.pk]), {"action": "close"})
    question.refresh_from_db()
    assert question.status == QuestionStatus.CLOSED and question.email == ""


@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.HQ])
def test_readers_without_the_permission_cannot_answer(town_faq: Municipality, role: str) -> None:
    ask(town_faq, text="住民票の郵送請求の宛先は？", email="a@example.jp")
    question = Question.objects.get()
    client = staff_client(town_faq, role)
    url = reverse("faq_staff:question", args=[town_faq.slug, question.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "answer", "answer": "x"}).status_code == 403
    question.refresh_from_db()
    assert question.status == QuestionStatus.OPEN


def test_department_staff_answer_their_own_and_unassigned_questions_only(town_faq: Municipality) -> None:
    chomin = Department.objects.get(municipality=town_faq, name="町民課")
    kankyo = Department.objects.get(municipality=town_faq, name="環境課")
    mine = Question.objects.create(
        municipality=town_faq,
        code="AAAA3333",
        asked_at="2026-12-01T10:00+09:00",
        text="a",
        email="a@example.jp",
        department=kankyo,
    )
    theirs = Question.objects.create(
        municipality=town_faq,
        code="AAAA4444",
        asked_at="2026-12-01T10:00+09:00",
        text="b",
        email="b@example.jp",
        department=chomin,
    )
    loose = Question.objects.create(
        municipality=town_faq,
        code="AAAA6666",
        asked_at="2026-12-01T10:00+09:00",
        text="c",
        email="c@example.jp",
    )
    client = staff_client(town_faq, Role.DEPARTMENT, (kankyo,))
    for q, status in ((mine, 302), (theirs, 403), (loose, 302)):
        url = reverse("faq_staff:question", args=[town_faq.slug, q.pk])
        assert client.post(url, {"action": "answer", "answer": "回答です"}).status_code == status
    filtered = client.get(
        reverse("faq_staff:questions", args=[town_faq.slug]), {"status": "all", "mine": "1"}
    )
    codes = filtered.content.decode()
    assert "AAAA-3333" in codes or "AAAA3333" in codes
    assert "AAAA4444" not in codes and "AAAA-4444" not in codes


def test_another_towns_staff_and_anonymous_visitors_are_kept_out(town_faq: Municipality) -> None:
    ask(town_faq, text="住民票の郵送請求の宛先は？", email="a@example.jp")
    question = Question.objects.get()
    url = reverse("faq_staff:question", args=[town_faq.slug, question.pk])
    assert Client().get(url).status_code == 302
    other = MunicipalityFactory(slug="othertown")
    outsider = staff_client(other)
    assert outsider.get(url).status_code == 403
    assert outsider.get(reverse("faq_staff:question", args=[other.slug, question.pk])).status_code == 404


def test_the_workflow_refuses_a_role_that_may_not_answer_and_a_closed_question(
    town_faq: Municipality,
) -> None:
    from yakusho.faq import services

    ask(town_faq, text="住民票の郵送請求の宛先は？", email="a@example.jp")
    question = Question.objects.get()
    member = MembershipFactory(municipality=town_faq, role=Role.HQ).user
    with pytest.raises(services.QuestionError, match="あなたの役割ではできません"):
        services.answer(question, "回答", member, Role.HQ)
    services.close(question, Role.COUNTER)
    with pytest.raises(services.QuestionError, match="「対応不要」になっています"):
        services.answer(question, "回答", member, Role.ADMIN)
    question.refresh_from_db()
    assert question.status == QuestionStatus.CLOSED and question.answer == ""
