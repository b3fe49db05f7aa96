"""The FAQ search: kana, kanji and width variants meet, synonyms, the no-answer decision, shared
entries with the local answer, and an index that follows changes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from yakusho.core.models import Consortium, Municipality
from yakusho.core.textsearch import Index, Synonyms, analyse, normalize
from yakusho.faq import search as faq_search
from yakusho.faq.files import import_text
from yakusho.faq.models import Entry


@pytest.mark.parametrize(
    "query",
    ["住民票", "じゅうみんひょう", "ジュウミンヒョウ", "ｼﾞｭｳﾐﾝﾋｮｳ", "住民票の写しがほしい", "住民ひょう"],
)
def test_kanji_kana_and_widths_find_the_same_entry(town_faq: Municipality, query: str) -> None:
    result = faq_search.search(town_faq, query)
    assert result.answered, result
    assert result.best is not None and result.best.item.key == "juminhyo"


@pytest.mark.parametrize(
    "query, key",
    [
        ("印鑑証明", "inkan"),
        ("はんこの証明", "inkan"),
        ("こせき", "koseki"),
        ("粗大ゴミ 出し方", "sodai"),
        ("大型ごみ", "sodai"),
    ],
)
def test_synonyms_and_readings_find_the_entry(town_faq: Municipality, query: str, key: str) -> None:
    result = faq_search.search(town_faq, query)
    assert result.best is not None and result.best.item.key == key


@pytest.mark.parametrize("query", ["町営プールの営業時間", "熊が出た", "UFO"])
def test_an_unrelated_question_is_honestly_not_answered(town_faq: Municipality, query: str) -> None:
    result = faq_search.search(town_faq, query)
    assert not result.answered
    assert result.best is None


@pytest.mark.parametrize("query", ["", "   ", "😀😀😀", "？？？", "の"])
def test_empty_and_meaningless_questions_get_no_answer(town_faq: Municipality, query: str) -> None:
    assert not faq_search.search(town_faq, query).answered


def test_a_very_long_question_is_read_up_to_its_limit(town_faq: Municipality) -> None:
    result = faq_search.search(town_faq, "住民票" + "あ" * 10_000)
    assert result.best is not None and result.best.item.key == "juminhyo"


def test_staff_only_and_expired_entries_are_not_given_to_residents(town_faq: Municipality) -> None:
    keys = {i.key for i in faq_search.items_for(town_faq)}
    assert "staff-note" not in keys and "old-campaign" not in keys
    assert "staff-note" in {i.key for i in faq_search.items_for(town_faq, staff=True)}
    assert "old-campaign" in {i.key for i in faq_search.items_for(town_faq, date(2020, 3, 1))}


def test_the_same_search_finds_the_procedure(town_faq: Municipality) -> None:
    result = faq_search.search(town_faq, "じゅうみんひょう")
    assert [s.name for s, _ in result.services] == ["住民票の写しの交付申請"]


def test_a_shared_entry_is_found_with_the_members_own_answer(
    consortium: Consortium, town_faq: Municipality, django_capture_on_commit_callbacks: Any
) -> None:
    result = faq_search.search(town_faq, "マイナ 更新")
    assert result.best is not None and result.best.item.kind == "shared"
    assert result.best.item.answer.startswith("カードの有効期限")
    local = (
        f"municipality: {town_faq.slug}\noverrides:\n  - entry: mynumber-koushin\n"
        "    answer: 問答町では町民課で更新できます。\n    department: 町民課\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_text(local, "local.yaml")
    again = faq_search.search(town_faq, "マイナ 更新")
    assert again.best is not None and again.best.item.answer == "問答町では町民課で更新できます。"
    assert again.best.item.department_id is not None


def test_an_edit_is_searched_at_once(town_faq: Municipality, django_capture_on_commit_callbacks: Any) -> None:
    assert not faq_search.search(town_faq, "犬の散歩").answered
    entry = Entry.objects.get(municipality=town_faq, key="bunbetsu")
    with django_capture_on_commit_callbacks(execute=True):
        entry.question = "犬の散歩ができる公園はどこですか？"
        entry.save()
    result = faq_search.search(town_faq, "犬の散歩")
    assert result.best is not None and result.best.item.key == "bunbetsu"


def test_another_municipality_never_sees_the_entries(town_faq: Municipality) -> None:
    from tests.factories import MunicipalityFactory

    other = MunicipalityFactory(slug="faqother")
    assert faq_search.search(other, "住民票").answers == []


# --- the shared Japanese search component ------------------------------------------------------


def test_normalize_meets_widths_and_kana() -> None:
    assert normalize("ｼﾞｭｳﾐﾝﾋｮｳ") == normalize("じゅうみんひょう") == "じゅうみんひょう"
    assert normalize("ＡＢＣ １２３") == "abc123"


def test_a_hiragana_query_is_matched_on_its_reading() -> None:
    assert set(analyse("じゅうみんひょう").readings) <= set(analyse("住民票").readings)


def test_a_synonym_group_is_one_term_for_both_spellings() -> None:
    synonyms = Synonyms([["マイナンバーカード", "マイナ"]])
    assert "syn:まいなんばーかーど" in analyse("マイナ", synonyms).words
    assert "syn:まいなんばーかーど" in analyse("ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞ", synonyms).words


def test_fields_are_weighted() -> None:
    index = Index.build(
        ["in-title", "in-body"],
        {"title": ["犬の登録", "ごみの出し方"], "body": ["登録の方法", "犬の登録はこちら"]},
        {("title", "words"): 1.0, ("body", "words"): 0.2},
    )
    hits = index.search("犬の登録")
    assert [index.keys[h.position] for h in hits] == ["in-title", "in-body"]
    assert hits[0].coverage == 1.0


def test_the_server_builds_the_indexes_before_it_forks(town_faq: Municipality) -> None:
    from yakusho.core.prefork import preparing

    faq_search.clear()
    results = dict(preparing.send(sender=None))
    assert results[faq_search.warm_indexes] == 1
    index = faq_search.index_for(town_faq)
    assert faq_search._indexes[(town_faq.pk, False)][1] is index  # the one built before the fork
    assert any(i.key == "juminhyo" for i in index.items)
