"""Personal data is masked out of a logged question; the words of the question stay."""

from __future__ import annotations

import pytest

from yakusho.faq.masking import EMAIL, NAME, NUMBER, PHONE, mask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("電話は090-1234-5678です", f"電話は{PHONE}です"),
        ("０９０１２３４５６７８に電話ください", f"{PHONE}に電話ください"),
        ("0237-62-2111", PHONE),
        ("03(1234)5678 まで", f"{PHONE} まで"),
        ("+81 90 1234 5678", PHONE),
        ("マイナンバーは1234 5678 9012", f"マイナンバーは{NUMBER}"),
        ("123456789012 の番号", f"{NUMBER} の番号"),
        ("口座 01234567 に", f"口座 {NUMBER} に"),
        ("yamada.t@example.jp に返事を", f"{EMAIL} に返事を"),
        ("私は山田太郎です。住民票がほしい", f"私は{NAME}です。住民票がほしい"),
        ("わたしはたなかはなこといいます", f"わたしは{NAME}といいます"),
        ("私は佐藤と申します", f"私は{NAME}と申します"),
        ("僕は鈴木一郎だけど、ごみの出し方", f"僕は{NAME}だけど、ごみの出し方"),
        ("私の名前は伊藤です", f"私の名前は{NAME}です"),
    ],
)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "私は転入したい",
        "私は住民票がほしい",
        "住民票 300円 2通",
        "令和8年4月1日",
        "郵便番号990-1101",
        "粗大ごみ 出し方",
    ],
)
def test_the_question_itself_is_kept(text: str) -> None:
    assert mask(text) == text


def test_hostile_text_is_masked_without_error() -> None:
    assert mask("") == ""
    assert mask("\u200b" * 50 + "私は" * 500)  # long and odd: no error, something left
    assert PHONE in mask("<script>090-1234-5678</script>")
