"""The residents' chat: a typed question, the guided buttons, an answer chosen, the feedback, the
honest no-answer with the question form, the log (masked), the panel on public pages, the rate
limit, and hostile input."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from yakusho.core.models import Municipality
from yakusho.faq.models import Category, Channel, Query


def chat(town: Municipality, client: Client | None = None, **params: Any) -> Any:
    return (client or Client()).get(f"/m/{town.slug}/faq/chat/", params)


def test_a_typed_question_gets_the_answer_its_links_alternatives_and_the_feedback_question(
    town_faq: Municipality,
) -> None:
    page = chat(town_faq, q="じゅうみんひょう ほしい")
    text = page.content.decode()
    assert page.status_code == 200
    assert "住民票の写しはどこで取れますか？" in text
    # linked once: the answer's own link, not again among the procedures the search found
    assert text.count(f'href="/m/{town_faq.slug}/procedures/juminhyo-koufu/"') == 1
    assert "0187-00-1001" in text  # the 課's phone
    assert "解決しましたか？" in text
    log = Query.objects.get(municipality=town_faq)
    assert log.channel == Channel.CHAT and log.answered and log.category == "住民票・印鑑・戸籍"
    assert log.entry_question == "住民票の写しはどこで取れますか？" and log.department is not None
    assert f'action="/m/{town_faq.slug}/faq/chat/feedback/{log.pk}/"' in text
    assert log.token in text


def test_the_fragment_is_one_turn_for_the_panel(town_faq: Municipality) -> None:
    text = chat(town_faq, q="粗大ごみ", fragment="1").content.decode()
    assert text.lstrip().startswith('<section class="chat-turn"')
    assert "<html" not in text and "粗大ごみはどうやって出しますか？" in text


def test_no_answer_says_so_and_offers_the_phone_and_the_question_form(town_faq: Municipality) -> None:
    text = chat(town_faq, q="町営プールの営業時間").content.decode()
    assert "お答えできる質問が見つかりませんでした" in text
    assert "0187-00-0000" in text and ("開庁中" in text or "閉庁中" in text)
    assert f"/m/{town_faq.slug}/faq/ask/?q=" in text
    assert "解決しましたか？" not in text
    log = Query.objects.get(municipality=town_faq)
    assert not log.answered and log.entry_ref == ""


def test_guided_mode_from_category_to_subcategory_to_answer(town_faq: Municipality) -> None:
    client = Client()
    welcome = chat(town_faq, client).content.decode()
    gomi = Category.objects.get(municipality=town_faq, parent=None, name="ごみ")
    assert f"?c={gomi.pk}" in welcome
    subs = chat(town_faq, client, c=gomi.pk).content.decode()
    sodai = gomi.children.get(name="粗大ごみ")
    assert f"?c={sodai.pk}" in subs and "分け方" in subs
    questions = chat(town_faq, client, c=sodai.pk).content.decode()
    assert "粗大ごみはどうやって出しますか？" in questions
    assert "収集業者への連絡方法" not in questions  # staff only
    ref = questions.split("?e=")[1].split('"')[0]
    answer = chat(town_faq, client, e=ref).content.decode()
    assert "収集日の1週間前までに申し込んでください。" in answer and "解決しましたか？" in answer
    log = Query.objects.get(municipality=town_faq)
    assert log.channel == Channel.GUIDED and log.answered and log.subcategory == "粗大ごみ"


@pytest.mark.parametrize(
    "params", [{"c": "999999"}, {"c": "abc"}, {"c": "9" * 30}, {"e": "e999999"}, {"e": "x<>"}]
)
def test_unknown_choices_are_a_404_with_a_message(town_faq: Municipality, params: dict[str, str]) -> None:
    page = Client().get(f"/m/{town_faq.slug}/faq/chat/", params)
    assert page.status_code == 404
    assert "見つかりません" in page.content.decode()


def test_feedback_is_taken_once_with_the_key(town_faq: Municipality) -> None:
    client = Client(enforce_csrf_checks=False)
    chat(town_faq, client, q="粗大ごみ 出し方")
    log = Query.objects.get(municipality=town_faq)
    url = f"/m/{town_faq.slug}/faq/chat/feedback/{log.pk}/"
    wrong = client.post(url, {"token": "wrong", "helpful": "yes", "fragment": "1"})
    assert wrong.status_code == 400 and "受け付けられません" in wrong.content.decode()
    missing = client.post(url, {"token": log.token, "fragment": "1"})
    assert missing.status_code == 400 and "「はい」か「いいえ」" in missing.content.decode()
    no = client.post(url, {"token": log.token, "helpful": "no", "fragment": "1"})
    text = no.content.decode()
    assert no.status_code == 200 and "質問を送る" in text and "0187-00-0000" in text
    log.refresh_from_db()
    assert log.helpful is False and log.rated_at is not None
    again = client.post(url, {"token": log.token, "helpful": "yes"})
    assert again.status_code == 400 and "すでに評価" in again.content.decode()
    log.refresh_from_db()
    assert log.helpful is False


def test_feedback_for_another_towns_log_is_a_404(town_faq: Municipality) -> None:
    from tests.factories import MunicipalityFactory

    chat(town_faq, q="粗大ごみ")
    log = Query.objects.get(municipality=town_faq)
    other = MunicipalityFactory(slug="othertown")
    page = Client().post(
        f"/m/{other.slug}/faq/chat/feedback/{log.pk}/", {"token": log.token, "helpful": "yes"}
    )
    assert page.status_code == 404


def test_the_log_keeps_no_personal_data(town_faq: Municipality) -> None:
    chat(town_faq, q="私は山田太郎です。090-1234-5678 住民票がほしい")
    log = Query.objects.get(municipality=town_faq)
    assert "山田" not in log.text and "090" not in log.text
    assert "住民票がほしい" in log.text


@pytest.mark.parametrize(
    "query",
    [
        "x" * 10_000,
        "😀😀😀",
        "<script>alert(1)</script>",
        "\u200b\u200b",
        "'; DROP TABLE faq_query; --",
        "%00",
    ],
)
def test_hostile_questions_get_a_page_and_are_escaped(town_faq: Municipality, query: str) -> None:
    for path in ("chat/", ""):
        page = Client().get(f"/m/{town_faq.slug}/faq/{path}", {"q": query})
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.content.decode()
    for log in Query.objects.all():
        assert len(log.text) <= 200


# an hour's window: a minute's could turn over between the requests and let the fourth through
@override_settings(RATELIMIT_FAQ_SEARCH="3/h")
def test_a_flood_of_questions_from_one_address_is_refused_with_a_message(town_faq: Municipality) -> None:
    client = Client()
    for _ in range(3):
        assert chat(town_faq, client, q="粗大ごみ").status_code == 200
    page = chat(town_faq, client, q="粗大ごみ", fragment="1")
    assert page.status_code == 429 and "1分ほど待って" in page.content.decode()
    assert client.get(f"/m/{town_faq.slug}/faq/", {"q": "住民票"}).status_code == 429
    api = client.get(f"/api/v1/faq/{town_faq.slug}/search", {"q": "住民票"})
    assert api.status_code == 429 and "wait a minute" in api.json()["detail"]
    assert chat(town_faq, client).status_code == 200  # the welcome asks nothing
    assert Query.objects.count() == 3


def test_the_panel_is_on_the_towns_public_pages_and_not_on_staff_pages(town_faq: Municipality) -> None:
    home = Client().get(f"/m/{town_faq.slug}/").content.decode()
    assert 'class="chat-panel"' in home and f'data-chat-url="/m/{town_faq.slug}/faq/chat/"' in home
    faq = Client().get(f"/m/{town_faq.slug}/faq/").content.decode()
    assert 'class="chat-panel"' in faq
    assert 'class="chat-panel"' not in Client().get("/").content.decode()  # no municipality
    assert 'class="chat-panel"' not in chat(town_faq).content.decode()  # the chat page itself


def test_the_api_logs_unless_told_not_to(town_faq: Municipality) -> None:
    client = Client()
    client.get(f"/api/v1/faq/{town_faq.slug}/search", {"q": "住民票"})
    client.get(f"/api/v1/faq/{town_faq.slug}/search", {"q": "住民票", "log": "false"})
    assert list(Query.objects.values_list("channel", flat=True)) == [Channel.API]
