"""Japanese search of the catalogue: kanji, hiragana, katakana and readings meet."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.procedures.helpers import make_procedure
from yakusho.procedures.catalogue.search import query_words, search
from yakusho.procedures.models import Procedure

# Normalisation and readings are the shared component's (core.textsearch, tests/faq/test_search.py);
# the catalogue's own cases are in test_catalogue_search.py.


@given(st.text(max_size=200))
def test_query_words_are_bounded(text: str) -> None:
    words = query_words(text)
    assert len(words) <= 5
    assert all(w and not any(c.isspace() for c in w) for w in words)


@pytest.fixture
def procedures(db):
    town = MunicipalityFactory()
    dept = DepartmentFactory(municipality=town, name="町民課", kana="ちょうみんか")
    make_procedure(town, dept, "juuminhyou", "住民票の写しの交付", kana="じゅうみんひょうのうつしのこうふ")
    make_procedure(town, dept, "sodai", "粗大ごみ収集の申込")  # no kana: found by the analyser's reading
    make_procedure(town, dept, "coworking", "コワーキングスペース利用申請")
    make_procedure(town, dept, "inu", "犬の登録申請", description="飼い犬の登録です。")
    return town


def keys(town, query: str) -> set[str]:
    return set(search(Procedure.objects.for_municipality(town), query).values_list("key", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("じゅうみんひょう", {"juuminhyou"}),
        ("ジュウミンヒョウ", {"juuminhyou"}),
        ("住民票", {"juuminhyou"}),
        ("住民ひょう", {"juuminhyou"}),  # mixed: matched through the query's own reading
        ("ｼﾞｭｳﾐﾝﾋｮｳ", {"juuminhyou"}),
        ("そだいごみ", {"sodai"}),  # the name's generated reading
        ("こわーきんぐ", {"coworking"}),  # katakana name, hiragana query
        ("登録　申請", {"inu"}),  # two words (full-width space): one alone is not enough
        ("かいいぬ", {"inu"}),  # from the description's reading
        ("ちょうみんか", {"juuminhyou", "sodai", "coworking", "inu"}),  # the department
        ("しんせい", {"coworking", "inu"}),
        ("婚姻届", set()),
    ],
)
def test_search_meets_kanji_and_kana(procedures, query: str, expected: set[str]) -> None:
    assert keys(procedures, query) == expected


def test_the_index_is_refreshed_on_save(procedures) -> None:
    procedure = Procedure.objects.get(key="inu")
    procedure.name = "猫の相談"
    procedure.save(update_fields=["name"])
    assert keys(procedures, "ねこ") == {"inu"}
