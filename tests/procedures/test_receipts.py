"""A resident never loses the receipt: a double click, concurrent final posts, a crash between the
commit and the session save; and every receipt, mail and status page says what the procedure
itself says about its fee and how to pay it."""

from __future__ import annotations

import threading
import time
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.procedures.submission_helpers import apply_url, check_url, fill_in, town  # noqa: F401
from yakusho.core.models import OutboundEmail
from yakusho.procedures.catalogue.services import current_forms, definition_of
from yakusho.procedures.catalogue.views import can_apply_online
from yakusho.procedures.models import Procedure
from yakusho.procedures.models.submissions import Submission
from yakusho.procedures.submissions import services
from yakusho.procedures.submissions.services import (
    format_secret,
    online_idempotency_key,
    receipt_secret,
    secret_matches,
)
from yakusho.procedures.submissions.status_views import STATUS_ACCESS
from yakusho.procedures.submissions.views import RECEIPTS


def _secret_on(response: Any) -> str:
    html = response.content.decode()
    marker = 'id="receipt-secret">'
    assert marker in html, html[:2000]
    return html.split(marker, 1)[1].split("<", 1)[0]


def test_the_key_comes_from_the_token_and_the_database_keeps_neither(town, client: Client) -> None:  # noqa: F811
    t = town["town"]
    token = fill_in(client, t)
    response = client.post(check_url(t), {"_token": token, "_version": "1"})
    submission = Submission.objects.get()
    assert submission.idempotency_key == online_idempotency_key(token) != token
    assert token not in submission.idempotency_key
    done = client.get(response["Location"])
    shown = _secret_on(done)
    assert shown == format_secret(receipt_secret(token))
    assert secret_matches(submission, shown)
    assert receipt_secret(token) != receipt_secret(token + "x")
    # the printed receipt: a print button and the date and time it was received
    html = done.content.decode()
    assert "data-print" in html and "この控えを印刷する" in html and "code-large" in html


def test_posting_the_final_form_again_shows_the_receipt_again(town, client: Client) -> None:  # noqa: F811
    t = town["town"]
    token = fill_in(client, t)
    client.post(check_url(t), {"_token": token, "_version": "1"})
    session = client.session
    session[RECEIPTS] = {}  # the session lost the receipt (another tab, an overwritten save)
    session.save()
    again = client.post(check_url(t), {"_token": token, "_version": "1"})
    assert again.status_code == 302
    assert _secret_on(client.get(again["Location"])) == format_secret(receipt_secret(token))
    assert Submission.objects.count() == 1 and OutboundEmail.objects.count() == 1


def test_another_browser_is_never_shown_the_key(town, client: Client) -> None:  # noqa: F811
    t = town["town"]
    token = fill_in(client, t)
    done = client.post(check_url(t), {"_token": token, "_version": "1"})["Location"]
    stranger = Client()
    page = stranger.get(done)
    assert page.status_code == 404
    assert format_secret(receipt_secret(token)) not in page.content.decode()
    # a forged token for the same form gets nothing either
    assert stranger.post(check_url(t), {"_token": "forged", "_version": "1"}).status_code in {302, 400}
    assert format_secret(receipt_secret(token)) not in stranger.get(done).content.decode()


def test_a_crash_between_the_commit_and_the_session_save(town, client: Client, monkeypatch) -> None:  # noqa: F811
    t = town["town"]
    token = fill_in(client, t)
    original = SessionStore.save

    def crash(self: SessionStore, must_create: bool = False) -> None:
        raise RuntimeError("the server stopped before the session was saved")

    monkeypatch.setattr(SessionStore, "save", crash)
    with pytest.raises(RuntimeError):
        client.post(check_url(t), {"_token": token, "_version": "1"})
    monkeypatch.setattr(SessionStore, "save", original)
    submission = Submission.objects.get()  # the submission was committed
    assert RECEIPTS not in client.session  # … and the session never heard of it
    done = reverse("submissions:done", args=[t.slug, "inu-toroku", submission.code])
    # opening the receipt's address (or the check page, or posting again) shows it
    assert _secret_on(client.get(done)) == format_secret(receipt_secret(token))
    assert f"apply-{town['dog'].pk}" not in client.session  # the draft is over
    assert client.get(check_url(t))["Location"] == apply_url(t)
    assert Submission.objects.count() == 1


def test_the_check_page_after_a_crash_leads_to_the_receipt(town, client: Client, monkeypatch) -> None:  # noqa: F811
    t = town["town"]
    token = fill_in(client, t)
    original = SessionStore.save

    def crash(self: SessionStore, must_create: bool = False) -> None:
        raise OSError("the disk went away")

    monkeypatch.setattr(SessionStore, "save", crash)
    with pytest.raises(OSError):
        client.post(check_url(t), {"_token": token, "_version": "1"})
    monkeypatch.setattr(SessionStore, "save", original)
    response = client.get(check_url(t))
    assert response.status_code == 302 and "/done/" in response["Location"]
    assert _secret_on(client.get(response["Location"])) == format_secret(receipt_secret(token))


def _double_tap(t: Any, cookie: str, token: str) -> list[tuple[float, str, SimpleCookie]]:
    """Two final posts from one browser (its cookie) released together; (time answered, where
    the answer leads, the cookies the answer left) for each that answered."""
    barrier = threading.Barrier(2)
    answers: list[tuple[float, str, SimpleCookie]] = []
    lock = threading.Lock()

    def tap() -> None:
        try:
            tab = Client()
            tab.cookies = SimpleCookie(cookie)
            barrier.wait()
            response = tab.post(check_url(t), {"_token": token, "_version": "1"})
            if response.status_code == 302:
                with lock:
                    answers.append((time.monotonic(), response["Location"], tab.cookies))
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_final_posts_from_one_browser_show_the_receipt(town) -> None:  # noqa: F811
    """Two final posts at once from one browser (a double tap), five times: one submission, one
    mail, and the page the browser follows — whichever answer came last — shows the receipt."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them (run in the PostgreSQL run)")
    t = town["town"]
    for trial in range(5):
        browser = Client()
        token = fill_in(browser, t)
        answers = _double_tap(t, browser.cookies.output(header="", sep=";").strip(), token)
        assert len(answers) == 2, f"trial {trial}: a request failed"
        assert answers[0][1] == answers[1][1]
        assert Submission.objects.filter(idempotency_key=online_idempotency_key(token)).count() == 1
        # the browser keeps the cookie it got last and follows the redirect it got last
        follower = Client()
        follower.cookies = max(answers, key=lambda a: a[0])[2]
        page = follower.get(answers[0][1])
        assert page.status_code == 200, f"trial {trial}: {page.content.decode()[:500]}"
        assert _secret_on(page) == format_secret(receipt_secret(token))
    assert Submission.objects.count() == 5
    assert OutboundEmail.objects.count() == 5


# --- instructions come from the procedure ---------------------------------------------------------


def _fee_procedures() -> list[Procedure]:
    found = []
    for procedure in Procedure.objects.select_related("municipality", "department").order_by("pk"):
        form = current_forms([procedure]).get(procedure.pk)
        if form is not None and definition_of(form).has_fee:
            found.append(procedure)
    return found


def test_every_demo_receipt_says_what_its_procedure_says_about_paying(demo_with_plans, client) -> None:
    procedures = _fee_procedures()
    assert len(procedures) >= 6  # certificates, dog registration, 粗大ごみ, classes, coworking …
    online = 0
    for procedure in procedures:
        form = current_forms([procedure])[procedure.pk]
        definition = definition_of(form)
        created = services.create_submission(
            procedure=procedure,
            form=form,
            definition=definition,
            cleaned={},
            temp_files={},
            idempotency_key=f"receipt-test-{procedure.pk}",
            fee=1200,
        )
        submission = created.submission
        expected = definition.fee_note or procedure.department.name
        session = client.session
        session[RECEIPTS] = {submission.code: created.secret}
        session[STATUS_ACCESS] = [f"{submission.municipality_id}:{submission.pk}"]
        session.save()
        slug, key = procedure.municipality.slug, procedure.key
        pages = {"status": client.get(reverse("submissions:status", args=[slug, submission.code]))}
        if can_apply_online(procedure, True):  # counter-only procedures have no online receipt page
            pages["receipt"] = client.get(reverse("submissions:done", args=[slug, key, submission.code]))
            online += 1
        submission.applicant_email = "resident@example.jp"
        services._queue_confirmation(submission, created.secret or "", definition)
        mail = OutboundEmail.objects.latest("pk").body
        for where, text in [*((w, r.content.decode()) for w, r in pages.items()), ("mail", mail)]:
            assert expected in text, f"{procedure.name}: the {where} lacks 「{expected}」"
            assert "1,200円" in text, f"{procedure.name}: the {where} lacks the amount"
            if "窓口" not in expected:
                assert "窓口でお支払い" not in text, f"{procedure.name}: the {where} says 窓口"
        page = client.get(reverse("procedures:detail", args=[slug, key])).content.decode()
        if definition.fee_note:
            assert definition.fee_note in page, procedure.name
    assert online >= 3


def test_the_sodai_gomi_receipt_says_how_its_fee_is_paid(demo_with_plans, client) -> None:
    procedure = Procedure.objects.get(municipality__slug="oe", key="sodai-gomi")
    form = current_forms([procedure])[procedure.pk]
    definition = definition_of(form)
    raw = {"items-0-item": "bed", "items-0-size": "large"}
    breakdown = definition.fee_breakdown({"items": [{"item": "bed", "size": "large"}]})
    assert sum(yen for _l, yen in breakdown) == 1000, (raw, breakdown)
    created = services.create_submission(
        procedure=procedure,
        form=form,
        definition=definition,
        cleaned={"items": [{"item": "bed", "size": "large"}]},
        temp_files={},
        idempotency_key="sodai",
        fee=1000,
    )
    session = client.session
    session[RECEIPTS] = {created.submission.code: created.secret}
    session.save()
    html = client.get(reverse("submissions:done", args=["oe", "sodai-gomi", created.submission.code])).content
    text = html.decode()
    assert "オンライン決済" in text and "処理券" in text and "窓口でお支払い" not in text
    assert "粗大ごみ処理手数料（大）" in text and "1,000円" in text
