"""The search box of a municipality's home, and what the catalogue suggests when a search finds
nothing (issue 18): never what the resident already did — no 「ひらがなで」 to someone who typed
hiragana — but another way of writing, fewer words, no filters, the life events, whom to call.
Also the colours and widths the issue names: the open-status symbol's contrast, 探す on one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.procedures.helpers import make_procedure
from yakusho.procedures.catalogue.hints import Script, script_of

STATIC = Path(__file__).resolve().parents[2] / "src" / "yakusho" / "static"


@pytest.fixture
def town(db):
    town = MunicipalityFactory(slug="here", name="試験町")
    counter = DepartmentFactory(
        municipality=town, name="町民課", phone="0237-62-2111", place="本庁舎1階", order=1
    )
    welfare = DepartmentFactory(municipality=town, name="健康福祉課", phone="0237-62-2112", order=2)
    DepartmentFactory(municipality=town, name="議会事務局", phone="0237-62-2113", order=3)  # no procedures
    make_procedure(
        town,
        counter,
        "juuminhyou",
        "住民票の写しの交付",
        kana="じゅうみんひょうのうつしのこうふ",
        events=("moving-in",),
    )
    make_procedure(town, counter, "tennyuu", "転入届", kana="てんにゅうとどけ", events=("moving-in",))
    make_procedure(town, welfare, "jidou", "児童手当の認定請求", events=("birth", "childcare"))
    return town


def catalogue(client: Client, **params: str) -> str:
    response = client.get(reverse("procedures:catalogue", args=["here"]), params)
    assert response.status_code == 200
    return response.content.decode()


def hints_of(html: str) -> str:
    match = re.search(r'<div class="search-hints" id="search-hints">.*?</div>', html, re.S)
    assert match, "no hints on a page that found nothing"
    return match.group(0)


def test_the_municipality_home_has_a_search_box_that_searches_procedures(town, client: Client) -> None:
    html = client.get(reverse("public:municipality", args=["here"])).content.decode()
    form = re.search(
        r'<form method="get" action="([^"]+)" class="home-search" role="search".*?</form>', html, re.S
    )
    assert form and form.group(1) == reverse("procedures:catalogue", args=["here"])
    assert 'name="q"' in form.group(0) and '<label for="home-q">手続を探す</label>' in form.group(0)
    assert ">探す</button>" in form.group(0)
    found = catalogue(client, q="じゅうみんひょう")
    assert "1件の手続が見つかりました" in found and "search-hints" not in found


@pytest.mark.parametrize(
    ("query", "script"),
    [
        ("じゅうみんひょう", Script.HIRAGANA),
        ("ジュウミンヒョウ", Script.KATAKANA),
        ("ｼﾞｭｳﾐﾝﾋｮｳ", Script.KATAKANA),  # half-width kana
        ("こわーきんぐ", Script.HIRAGANA),  # the long-vowel mark does not make it katakana
        ("住民票", Script.KANJI),
        ("住民ひょう", Script.KANJI),
        ("ＪＵＭＩＮ", Script.LATIN),
        ("dx 2026", Script.LATIN),
        ("マイナ card", Script.OTHER),
        ("１２３", Script.OTHER),
    ],
)
def test_what_a_query_is_written_in(query: str, script: Script) -> None:
    assert script_of(query) == script


def test_hiragana_that_finds_nothing_is_not_told_to_try_hiragana(town, client: Client) -> None:
    html = catalogue(client, q="ぱすぽーと")
    hints = hints_of(html)
    assert "「ぱすぽーと」に合う手続は見つかりませんでした。" in hints
    assert "ひらがな" not in hints and "カタカナ" not in hints
    assert "漢字でも探してみてください" in hints
    assert "短い言葉" not in hints and "言葉を減らして" not in hints  # one short word already


def test_katakana_is_not_told_to_try_hiragana_either(town, client: Client) -> None:
    hints = hints_of(catalogue(client, q="パスポート"))
    assert "ひらがな" not in hints and "漢字でも探してみてください" in hints


def test_kanji_that_finds_nothing_is_offered_its_reading_in_hiragana(town, client: Client) -> None:
    hints = hints_of(catalogue(client, q="旅券"))
    assert "読みをひらがなで入れてみてください" in hints
    assert "漢字でも" not in hints


def test_latin_letters_are_told_to_use_japanese(town, client: Client) -> None:
    hints = hints_of(catalogue(client, q="juminhyo"))
    assert "日本語で入れてみてください" in hints


def test_several_words_are_offered_one_by_one_with_what_each_finds(town, client: Client) -> None:
    hints = hints_of(catalogue(client, q="住民票 郵送"))
    assert "言葉を減らしてみてください。" in hints
    assert "「住民票」だけで探す（1件）" in hints and "?q=%E4%BD%8F%E6%B0%91%E7%A5%A8" in hints
    assert "「郵送」だけで" not in hints  # finds nothing on its own either


def test_a_long_word_is_offered_a_shorter_one_and_filters_their_removal(town, client: Client) -> None:
    hints = hints_of(catalogue(client, q="住民票の写しの郵送請求"))
    assert "短い言葉にしてみてください" in hints
    filtered = hints_of(catalogue(client, q="転入届", event="birth"))
    assert "絞り込みをはずして「転入届」で探す（1件）" in filtered
    assert "短い言葉" not in filtered  # 転入届 is short already


def test_nothing_found_offers_the_life_events_and_the_departments_phones(town, client: Client) -> None:
    html = catalogue(client, q="ぱすぽーと")
    events = re.search(
        r'<ul class="life-event-list" aria-labelledby="hint-events-heading">.*?</ul>', html, re.S
    )
    assert events
    labels = re.findall(r">([^<]+)</a>", events.group(0))
    assert labels == ["出生", "転入", "子育て"]  # the events with procedures, in their order
    phones = re.search(r'<ul class="department-phones".*?</ul>', html, re.S)
    assert phones
    assert 'href="tel:0237622111">0237-62-2111</a>' in phones.group(0) and "本庁舎1階" in phones.group(0)
    assert "0237-62-2112" in phones.group(0)
    assert "議会事務局" not in phones.group(0)  # handles no procedure
    assert "受付時間：平日 8:30〜17:15" in html
    assert html.count('id="life-events-heading"') == 0  # the hint's list replaces the page's own


def test_a_page_with_results_has_no_hints_and_keeps_the_life_events_nav(town, client: Client) -> None:
    html = catalogue(client, q="住民票")
    assert "search-hints" not in html and 'id="life-events-heading"' in html


# --- the CSS the issue names -------------------------------------------------------------------


def _tokens() -> dict[str, str]:
    text = (STATIC / "vendor" / "design-tokens" / "tokens.css").read_text("utf-8")
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", text))


def _resolve(value: str, tokens: dict[str, str]) -> str:
    for _ in range(10):
        match = re.fullmatch(r"var\((--[\w-]+)(?:,\s*([^)]+))?\)", value.strip())
        if not match:
            return value.strip()
        value = tokens.get(match[1], match[2] or "")
    raise AssertionError(value)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_open_status_symbol_meets_contrast_on_its_white_panel() -> None:
    css = (STATIC / "yakusho" / "site.css").read_text("utf-8")
    rule = re.search(r"\.status-open \.status-icon \{ color: ([^;]+);", css)
    assert rule
    colour = _resolve(rule[1], _tokens())
    assert contrast(colour, "#ffffff") >= 4.5, colour
    assert contrast(_resolve("var(--color-semantic-success-1)", _tokens()), "#ffffff") < 4.5  # the old one


def test_the_search_button_never_wraps() -> None:
    css = (STATIC / "yakusho" / "site.css").read_text("utf-8")
    # the rule may be shared with other rows (the chat's form): a selector list naming it
    rule = re.search(r"\.search-row \.button(?:, [^{]+)? \{([^}]+)\}", css)
    assert rule and "white-space: nowrap" in rule[1] and "flex: none" in rule[1]
