"""The catalogue searches with the FAQ's component (issue 23): kanji, kana, half-width kana and
readings meet, synonyms (shipped and the municipality's own) apply, a name match ranks first, the
filters still apply, hostile queries are harmless, and another municipality's procedures never show."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.procedures.helpers import make_procedure
from yakusho.core.models import Municipality, SynonymGroup
from yakusho.core.searchversion import index_version
from yakusho.procedures.catalogue import search as catalogue_search
from yakusho.procedures.catalogue.search import index_for, matches, search
from yakusho.procedures.models import Procedure


@pytest.fixture(autouse=True)
def _fresh_indexes() -> None:
    catalogue_search.clear()


@pytest.fixture
def town(db) -> Municipality:
    town = MunicipalityFactory(slug="here", name="試験町")
    counter = DepartmentFactory(municipality=town, name="町民課", kana="ちょうみんか")
    welfare = DepartmentFactory(municipality=town, name="健康福祉課", kana="けんこうふくしか")
    make_procedure(
        town,
        counter,
        "juuminhyou",
        "住民票の写しの交付",
        kana="じゅうみんひょうのうつしのこうふ",
        summary="住民票の写しを交付します。",
        events=("moving-in",),
        channels=(("counter", "available"), ("convenience-store", "available")),
        order=1,
    )
    make_procedure(
        town,
        counter,
        "tennyuu",
        "転入届",
        kana="てんにゅうとどけ",
        summary="引っ越してきた日から14日以内に届け出てください。",
        description="届出のあと、住民票の写しが必要な方は窓口でお申し出ください。",
        events=("moving-in",),
        order=2,
    )
    make_procedure(
        town,
        counter,
        "koseki",
        "戸籍証明書の交付申請",
        kana="こせきしょうめいしょのこうふしんせい",
        summary="戸籍謄本・抄本（全部事項・個人事項証明書）を交付します。",
        order=3,
    )
    make_procedure(
        town,
        counter,
        "mynumber",
        "マイナンバーカードの交付申請",
        kana="まいなんばーかーどのこうふしんせい",
        order=4,
    )
    make_procedure(
        town, counter, "inkan", "印鑑登録証明書の交付申請", kana="いんかんとうろくしょうめいしょ", order=5
    )
    make_procedure(town, welfare, "inu", "犬の登録申請", description="飼い犬の登録です。", order=6)
    make_procedure(town, counter, "hidden", "住民票の非公開の手続", published=False, order=7)
    return town


@pytest.fixture
def other(db) -> Municipality:
    """Another town with procedures that would match every query of these tests."""
    other = MunicipalityFactory(slug="there", name="隣町")
    dept = DepartmentFactory(municipality=other, name="町民課", kana="ちょうみんか")
    make_procedure(other, dept, "juuminhyou", "隣町の住民票の写しの交付", kana="じゅうみんひょう")
    make_procedure(other, dept, "koseki", "隣町の戸籍謄本の交付", kana="こせきとうほん")
    make_procedure(other, dept, "mynumber", "隣町のマイナンバーカード")
    return other


def titles(html: str) -> list[str]:
    return re.findall(r'<h3 class="procedure-title"><a href="[^"]*">([^<]*)</a></h3>', html)


def catalogue(client: Client, slug: str = "here", **params: str) -> list[str]:
    response = client.get(reverse("procedures:catalogue", args=[slug]), params)
    assert response.status_code == 200
    return titles(response.content.decode())


def keys(town: Municipality, query: str) -> list[str]:
    by_pk = dict(Procedure.objects.for_municipality(town).values_list("pk", "key"))
    return [by_pk[m.pk] for m in matches(town, query)]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("こせき", "戸籍証明書の交付申請"),  # found nothing with the old reading-based search
        ("戸籍", "戸籍証明書の交付申請"),
        ("こせきとうほん", "戸籍証明書の交付申請"),  # 謄本 is in the summary, こせき in the name
        ("住民票", "住民票の写しの交付"),
        ("じゅうみんひょう", "住民票の写しの交付"),
        ("ジュウミンヒョウ", "住民票の写しの交付"),
        ("ｼﾞｭｳﾐﾝﾋｮｳ", "住民票の写しの交付"),  # half-width kana
        ("住民ひょう", "住民票の写しの交付"),
        ("マイナ", "マイナンバーカードの交付申請"),  # shipped synonym (data/search/synonyms.yaml)
        ("ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞ", "マイナンバーカードの交付申請"),
        ("印鑑証明", "印鑑登録証明書の交付申請"),  # shipped synonym
        ("ひっこし", "転入届"),  # 引越し = 転入 (shipped synonym)
        ("かいいぬ", "犬の登録申請"),  # the description's reading
    ],
)
def test_kanji_kana_and_synonyms_find_the_procedure_first(town, other, client: Client, query, first) -> None:
    found = catalogue(client, q=query)
    assert found and found[0] == first, found
    assert not any(t.startswith("隣町") for t in found)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("こせき", ["koseki"]),  # no stray reading bigram (せき) brings in another
        ("戸籍", ["koseki"]),
        ("マイナ", ["mynumber"]),
        ("ｼﾞｭｳﾐﾝﾋｮｳ", ["juuminhyou", "tennyuu"]),  # 転入届 names 住民票 in its description
        ("婚姻届", []),
    ],
)
def test_a_query_finds_only_what_it_means(town, query: str, expected: list[str]) -> None:
    assert keys(town, query) == expected


def test_a_kana_query_is_read_whole(db) -> None:
    """The analyser cuts kana badly (いんかん → い/ん/かん, こくほ → こく/ほ): a kana query is matched
    by its reading as a whole and by the synonym groups it names, not by a stray piece of it."""
    town = MunicipalityFactory(slug="kana")
    dept = DepartmentFactory(municipality=town, name="町民課")
    make_procedure(town, dept, "kokuho", "国民健康保険の加入届")
    make_procedure(town, dept, "library", "図書館の図書貸出予約")
    make_procedure(town, dept, "inkan", "印鑑登録証明書の交付申請", kana="いんかんとうろくしょうめいしょ")
    make_procedure(town, dept, "coworking", "コワーキングスペース利用申請")
    assert keys(town, "こくほ") == ["kokuho"]  # shipped synonym of 国民健康保険
    assert keys(town, "いんかん") == ["inkan"]  # not 図書館 for its かん
    assert keys(town, "としょかん") == ["library"]
    assert keys(town, "こわーきんぐ") == ["coworking"]


def test_the_name_match_ranks_before_a_mention_in_the_description(town, client: Client) -> None:
    assert catalogue(client, q="住民票") == ["住民票の写しの交付", "転入届"]
    assert catalogue(client, q="じゅうみんひょう") == ["住民票の写しの交付", "転入届"]


def test_the_department_finds_its_procedures(town) -> None:
    assert set(keys(town, "けんこうふくしか")) == {"inu"}
    assert len(keys(town, "町民課")) == 5  # the published ones of 町民課


def test_nothing_found_is_an_empty_list_with_the_hints(town, client: Client) -> None:
    response = client.get(reverse("procedures:catalogue", args=["here"]), {"q": "婚姻届"})
    html = response.content.decode()
    assert titles(html) == [] and "「婚姻届」に合う手続は見つかりませんでした。" in html


def test_filters_apply_together_with_the_query(town, client: Client) -> None:
    assert catalogue(client, q="住民票", event="moving-in") == ["住民票の写しの交付", "転入届"]
    assert catalogue(client, q="住民票", channel="convenience-store") == ["住民票の写しの交付"]
    assert catalogue(client, q="戸籍", event="moving-in") == []
    assert catalogue(client, q="マイナ", channel="convenience-store") == []
    assert catalogue(client, event="moving-in") == ["住民票の写しの交付", "転入届"]  # no query: own order


def test_unpublished_procedures_are_found_by_staff_querysets_only(town, client: Client) -> None:
    assert "住民票の非公開の手続" not in catalogue(client, q="住民票")
    assert "hidden" not in keys(town, "住民票")
    everything = Procedure.objects.for_municipality(town)
    assert "hidden" in set(search(everything, "住民票").values_list("key", flat=True))


def test_search_keeps_the_querysets_filters_and_orders_by_rank(town) -> None:
    """``search(queryset, query)`` as the staff list and the counter call it."""
    moving_in = Procedure.objects.for_municipality(town).filter(life_event_links__event="moving-in")
    found = search(moving_in, "じゅうみんひょう")
    assert list(found.values_list("key", flat=True)) == ["juuminhyou", "tennyuu"]
    ranks = [p.search_rank for p in found]  # type: ignore[attr-defined]
    assert ranks[0] == 0 and ranks == sorted(ranks)  # ranks among the town's matches
    assert list(search(moving_in, "").values_list("key", flat=True)) == ["juuminhyou", "tennyuu"]
    assert not search(moving_in, "戸籍").exists()


@pytest.mark.parametrize(
    "query",
    [
        "住" * 10_000,
        "😀🎉🙏" * 50,
        "<script>alert('住民票')</script>",
        '"><img src=x onerror=alert(1)>',
        "\u200b\u200c\u200d\ufeff",  # zero-width characters only
        "住\u200b民\u200b票",
        "%' OR 1=1 --",
        "　　",
    ],
)
def test_hostile_queries_are_harmless(town, client: Client, query: str) -> None:
    response = client.get(reverse("procedures:catalogue", args=["here"]), {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(" not in html and "<img src=x" not in html
    matches(town, query)  # the search itself, past the form's length limit
    search(Procedure.objects.for_municipality(town), query).count()


def test_a_nul_character_is_refused_with_a_message_and_harmless_to_the_search(town, client: Client) -> None:
    response = client.get(reverse("procedures:catalogue", args=["here"]), {"q": "住民票\x00"})
    assert response.status_code == 400
    assert "使えない文字" in response.content.decode()
    assert keys(town, "住民票\x00") == ["juuminhyou", "tennyuu"]


def test_another_municipalitys_procedures_never_appear(town, other, client: Client) -> None:
    for query in ("住民票", "こせきとうほん", "マイナ", "隣町", "ちょうみんか"):
        assert not any(t.startswith("隣町") for t in catalogue(client, q=query)), query
        found = search(Procedure.objects.for_municipality(town), query)
        assert not found.filter(municipality=other).exists()
    assert catalogue(client, "there", q="じゅうみんひょう") == ["隣町の住民票の写しの交付"]
    assert keys(town, "隣町") == []


def test_a_municipalitys_own_synonym_applies_once_committed(town, django_capture_on_commit_callbacks) -> None:
    assert keys(town, "判子") == []
    with django_capture_on_commit_callbacks(execute=True):
        SynonymGroup.objects.create(municipality=town, words="判子、印鑑")
    assert keys(town, "判子") == ["inkan"]
    other = MunicipalityFactory(slug="elsewhere")
    dept = DepartmentFactory(municipality=other)
    make_procedure(other, dept, "inkan", "印鑑登録証明書の交付申請")
    assert keys(other, "判子") == []  # the group is the town's alone


def test_a_saved_procedure_is_searched_at_once_and_the_version_moves_on_commit(
    town, django_capture_on_commit_callbacks
) -> None:
    before = index_version(town.pk)
    assert keys(town, "ねこ") == []
    first = index_for(town)
    assert index_for(town) is first  # kept while nothing changes
    procedure = Procedure.objects.get(municipality=town, key="inu")
    with django_capture_on_commit_callbacks(execute=True):
        procedure.name = "猫の相談"
        procedure.save()
    assert index_version(town.pk) != before
    assert index_for(town) is not first
    assert keys(town, "ねこ") == ["inu"]


def test_procedures_written_in_bulk_are_searched(town) -> None:
    assert keys(town, "そだいごみ") == []
    dept = DepartmentFactory(municipality=town, name="環境課")
    Procedure.objects.bulk_create(
        [Procedure(municipality=town, department=dept, key="sodai", name="粗大ごみ収集の申込")]
    )  # no signal is sent: the procedures' count still tells
    assert keys(town, "そだいごみ") == ["sodai"]


def test_every_match_is_paged_in_rank_order(db, client: Client) -> None:
    town = MunicipalityFactory(slug="big")
    dept = DepartmentFactory(municipality=town, name="総務課")
    for n in range(25):  # mentioned in the summary only
        make_procedure(town, dept, f"p{n:02d}", f"証明書{n:02d}の交付", summary="住民票と一緒に")
    make_procedure(town, dept, "juuminhyou", "住民票の写しの交付", order=99)
    url = reverse("procedures:catalogue", args=["big"])
    first = client.get(url, {"q": "住民票"}).content.decode()
    assert "26件の手続が見つかりました" in first
    assert titles(first)[0] == "住民票の写しの交付" and len(titles(first)) == 20
    second = titles(client.get(url, {"q": "住民票", "page": "2"}).content.decode())
    assert len(second) == 6 and not set(second) & set(titles(first))
