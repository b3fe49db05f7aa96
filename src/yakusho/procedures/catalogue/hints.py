"""What the catalogue suggests when a search finds nothing: something the resident has not tried.

The search already folds katakana into hiragana, matches kanji by their readings and knows the
synonyms of municipal words (ひっこし finds 転入), so telling a resident who typed 「じゅうみんひょう」
to "try hiragana" repeats what they did; the examples are words it does not fold together. The hint looks at
what was typed (:func:`script_of`) and at how (several words, filters) and suggests the other ways:
kanji for kana, a reading for kanji, Japanese for latin letters, one word at a time (with how many
each word finds), the search without its filters; then the life events and whom to call.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _

from yakusho.procedures.catalogue.search import query_words


class Script(StrEnum):
    HIRAGANA = "hiragana"
    KATAKANA = "katakana"
    KANJI = "kanji"  # kanji, with or without kana (住民票, 住民ひょう)
    LATIN = "latin"
    OTHER = "other"  # digits, symbols, kana mixed with latin letters


def _kind(char: str) -> str | None:
    code = ord(char)
    if char in "ー〜・" or char.isspace() or char.isdigit():
        return None  # neutral: found with any script
    if 0x3041 <= code <= 0x309F:
        return "hiragana"
    if 0x30A0 <= code <= 0x30FF:
        return "katakana"
    if 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or char in "々〆ヶ":
        return "kanji"
    if char.isascii() and char.isalpha():
        return "latin"
    return "other"


def script_of(query: str) -> Script:
    """What a query is written in, after NFKC (半角カナ count as katakana, 全角英字 as latin)."""
    kinds = {k for k in map(_kind, unicodedata.normalize("NFKC", query)) if k}
    if "kanji" in kinds and kinds <= {"kanji", "hiragana", "katakana"}:
        return Script.KANJI
    if kinds == {"hiragana"}:
        return Script.HIRAGANA
    if kinds == {"katakana"} or kinds == {"hiragana", "katakana"}:
        return Script.KATAKANA
    if kinds == {"latin"}:
        return Script.LATIN
    return Script.OTHER


@dataclass
class Hint:
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)


def script_hint(query: str) -> Hint | None:
    """The way of writing the resident has not tried, with an example."""
    script = script_of(query)
    if script in (Script.HIRAGANA, Script.KATAKANA):
        return Hint(
            _(
                "漢字でも探してみてください（例：「じゅうみんひょう」なら「住民票」）。"
                "別の言い方でも見つかることがあります（例：「はんこ」なら「印鑑」）。"
            )
        )
    if script == Script.KANJI:
        return Hint(
            _(
                "読みをひらがなで入れてみてください（例：「住民票」なら「じゅうみんひょう」）。"
                "漢字の違う言葉や、別の言い方でも見つかることがあります（例：「判子」なら「印鑑」）。"
            )
        )
    if script == Script.LATIN:
        return Hint(
            _(
                "英字（ローマ字）では探せません。日本語で入れてみてください（例：「juminhyo」なら「住民票」）。"
            )
        )
    return None


def shorter_hint(query: str) -> Hint | None:
    """For one long word (more than 5 characters with kanji, 8 in kana): a shorter one. Several
    words are handled word by word, in the view."""
    words = query_words(query)
    limit = 5 if script_of(query) == Script.KANJI else 8
    if len(words) == 1 and len(words[0]) > limit:
        return Hint(_("短い言葉にしてみてください（例：「住民票の写しの交付」なら「住民票」）。"))
    return None
