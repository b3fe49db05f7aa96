"""Public catalogue pages: search, filters, life events, a procedure; query counts stay constant."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.procedures.helpers import make_procedure, minimal_form
from yakusho.procedures.demo.synthetic import generate
from yakusho.procedures.models import FormDefinition


@pytest.fixture
def town(db):
    town = MunicipalityFactory(slug="here", name="試験町")
    dept = DepartmentFactory(municipality=town, name="町民課", phone="0237-00-0000")
    make_procedure(
        town,
        dept,
        "tennyuu",
        "転入届",
        kana="てんにゅうとどけ",
        events=("moving-in",),
        documents=["本人確認書類", "転出証明書"],
        processing_days=3,
        fee_yen=0,
    )
    make_procedure(
        town,
        dept,
        "juuminhyou",
        "住民票の写しの交付",
        kana="じゅうみんひょうのうつしのこうふ",
        events=("moving-in",),
        documents=["本人確認書類"],
        fee_text="1通300円",
        channels=(("counter", "available"), ("convenience-store", "available")),
    )
    sodai = make_procedure(
        town,
        dept,
        "sodai",
        "粗大ごみ収集の申込",
        events=("waste",),
        channels=(("yakusho", "available"), ("external", "planned")),
    )
    FormDefinition.objects.create(
        municipality=town, procedure=sodai, version=1, definition=minimal_form("sodai")
    )
    make_procedure(town, dept, "hidden", "非公開の手続", published=False)
    return town


def test_catalogue_lists_published_procedures(town, client: Client) -> None:
    response = client.get(reverse("procedures:catalogue", args=["here"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "転入届" in html and "粗大ごみ収集の申込" in html
    assert "非公開の手続" not in html
    assert "すべての手続（3件）" in html


@pytest.mark.parametrize(
    ("params", "found", "missing"),
    [
        ({"q": "じゅうみんひょう"}, "住民票の写しの交付", "転入届"),
        ({"q": "ジュウミンヒョウ"}, "住民票の写しの交付", "転入届"),
        ({"q": "住民票"}, "住民票の写しの交付", "粗大ごみ"),
        ({"event": "waste"}, "粗大ごみ収集の申込", "転入届"),
        ({"channel": "convenience-store"}, "住民票の写しの交付", "粗大ごみ"),
        ({"channel": "online"}, "粗大ごみ収集の申込", "転入届"),
    ],
)
def test_search_and_filters(town, client: Client, params, found: str, missing: str) -> None:
    html = client.get(reverse("procedures:catalogue", args=["here"]), params).content.decode()
    assert found in html
    assert missing not in html


def test_bad_filter_value_is_reported_in_japanese(town, client: Client) -> None:
    html = client.get(reverse("procedures:catalogue", args=["here"]), {"event": "mars"}).content.decode()
    assert "入力内容を確認してください" in html


def test_life_event_page_groups_and_lists_what_to_bring(town, client: Client) -> None:
    response = client.get(reverse("procedures:life_event", args=["here", "moving-in"]))
    html = response.content.decode()
    assert "転入：引っ越してきたときの手続" in html
    assert '<h2 id="dept-1">町民課</h2>' in html
    assert "持ち物" in html and "転出証明書" in html
    assert client.get(reverse("procedures:life_event", args=["here", "mars"])).status_code == 404


def test_procedure_page_tells_status_in_words_and_the_deadline(town, client: Client) -> None:
    html = client.get(reverse("procedures:detail", args=["here", "tennyuu"])).content.decode()
    assert "✓</span> 利用できます" in html
    assert "3開庁日" in html and "受け付けた場合の目安" in html
    assert "無料" in html
    assert "オンラインで申請する" not in html  # no form
    html = client.get(reverse("procedures:detail", args=["here", "sodai"])).content.decode()
    assert "オンラインで申請する" in html
    assert "準備中（開始時期は未定）" in html
    assert client.get(reverse("procedures:detail", args=["here", "hidden"])).status_code == 404


def test_municipality_home_links_to_the_catalogue(town, client: Client) -> None:
    html = client.get(reverse("public:municipality", args=["here"])).content.decode()
    assert reverse("procedures:catalogue", args=["here"]) in html


def test_unknown_municipality_is_a_404(db, client: Client) -> None:
    assert client.get(reverse("procedures:catalogue", args=["nowhere"])).status_code == 404


@pytest.mark.parametrize("page", ["catalogue", "search", "life_event"])
def test_query_count_does_not_grow_with_procedures(db, client: Client, page: str) -> None:
    counts = []
    for slug, n in (("small", 5), ("large", 60)):
        town = MunicipalityFactory(slug=slug)
        DepartmentFactory(municipality=town)
        generate(town, n, prefix=slug)
        url = (
            reverse("procedures:life_event", args=[slug, "waste"])
            if page == "life_event"
            else (reverse("procedures:catalogue", args=[slug]))
        )
        params = {"q": "てつづき", "channel": "counter"} if page == "search" else {}
        client.get(url, params)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
