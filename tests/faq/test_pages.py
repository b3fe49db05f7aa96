"""The public FAQ pages and the JSON search endpoint."""

from __future__ import annotations

import pytest
from django.test import Client

from yakusho.core.models import Municipality


def test_the_faq_answers_a_hiragana_question_with_the_procedure_and_whom_to_ask(
    town_faq: Municipality,
) -> None:
    page = Client().get(f"/m/{town_faq.slug}/faq/", {"q": "じゅうみんひょう"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "住民票の写しはどこで取れますか？" in text
    assert "<strong>" not in text or "本人確認書類" in text
    assert f'href="/m/{town_faq.slug}/procedures/juminhyo-koufu/"' in text
    assert "町民課" in text and "0187-00-1001" in text
    assert "デモデータ" in text


def test_no_answer_says_so_and_gives_the_contacts(town_faq: Municipality) -> None:
    text = Client().get(f"/m/{town_faq.slug}/faq/", {"q": "町営プールの営業時間"}).content.decode()
    assert "お答えできる質問が見つかりませんでした" in text
    assert "0187-00-0000" in text
    assert "開庁" in text or "閉庁" in text


def test_guided_mode_goes_from_categories_to_the_answer(town_faq: Municipality) -> None:
    client = Client()
    home = client.get(f"/m/{town_faq.slug}/faq/").content.decode()
    assert "分野から選ぶ" in home and "ごみ" in home
    from yakusho.faq.models import Category

    gomi = Category.objects.get(municipality=town_faq, parent=None, name="ごみ")
    page = client.get(f"/m/{town_faq.slug}/faq/c/{gomi.pk}/").content.decode()
    assert "粗大ごみ" in page and "粗大ごみはどうやって出しますか？" in page
    assert "収集業者への連絡方法" not in page  # staff only
    entry = client.get(f"/m/{town_faq.slug}/faq/e/sodai/")
    assert entry.status_code == 200 and "収集日の1週間前までに" in entry.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "faq/e/staff-note/",
        "faq/e/no-such-entry/",
        "faq/x/sodai/",
        "faq/c/99999999/",
        "faq/c/99999999999999999999/",
    ],
)
def test_missing_hidden_and_hostile_paths_are_404(town_faq: Municipality, path: str) -> None:
    assert Client().get(f"/m/{town_faq.slug}/{path}").status_code == 404


def test_another_municipalitys_category_is_404(town_faq: Municipality) -> None:
    from tests.factories import MunicipalityFactory
    from yakusho.faq.models import Category

    other = MunicipalityFactory(slug="faqother2")
    gomi = Category.objects.get(municipality=town_faq, parent=None, name="ごみ")
    assert Client().get(f"/m/{other.slug}/faq/c/{gomi.pk}/").status_code == 404


@pytest.mark.parametrize(
    "query", ["<script>alert(1)</script>", "😀" * 50, "あ" * 10_000, "\u200b", "' OR 1=1 --"]
)
def test_hostile_questions_are_escaped_and_answered_calmly(town_faq: Municipality, query: str) -> None:
    page = Client().get(f"/m/{town_faq.slug}/faq/", {"q": query})
    assert page.status_code == 200
    assert b"<script>alert(1)</script>" not in page.content


def test_the_api_returns_the_ranking_and_the_decision(town_faq: Municipality) -> None:
    answered = Client().get(f"/api/v1/faq/{town_faq.slug}/search", {"q": "こせき"}).json()
    assert answered["answered"] is True
    assert answered["entries"][0]["key"] == "koseki"
    assert answered["entries"][0]["coverage"] >= answered["threshold"]
    assert answered["entries"][0]["score"] > 0
    assert answered["entries"][0]["score"] > 0
    unanswered = Client().get(f"/api/v1/faq/{town_faq.slug}/search", {"q": "熊が出た"}).json()
    assert unanswered["answered"] is False
    assert Client().get("/api/v1/faq/nowhere/search", {"q": "x"}).status_code == 404
    assert Client().get("/api/v1/faq/%00/search", {"q": "x"}).status_code == 404


def test_the_municipality_home_links_the_faq(town_faq: Municipality) -> None:
    text = Client().get(f"/m/{town_faq.slug}/").content.decode()
    assert f'href="/m/{town_faq.slug}/faq/"' in text
