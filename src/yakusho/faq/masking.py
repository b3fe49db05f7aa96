"""Personal data masked out of a question before it is logged (docs/faq.md "What is logged").

Residents type what they would say at the counter: 「私は山田です、電話は090-1234-5678」. The log
keeps the question for the analysis, never the person: e-mail addresses, phone numbers, My
Number-like runs of digits (and any run of eight digits or more: account, insurance and card
numbers) and a name after a self-introduction (私は…です, 僕は…といいます, 名前は…) are replaced by a
bracketed word before the row is written. Names are found with the search's own analyser
(SudachiPy tags 人名), so 「私は転入したい」 keeps its words and 「私は佐藤と申します」 loses the name.
"""

from __future__ import annotations

import re
import unicodedata

from yakusho.core.textsearch import analyzer

EMAIL = "〔メール〕"
PHONE = "〔電話番号〕"
NUMBER = "〔番号〕"
NAME = "〔氏名〕"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)
_DASH_CHARS = "‐‑–—−ー―-"  # the hyphen last, so the class has no range
_DASH = f"[{_DASH_CHARS}]"
#: 0X-XXXX-XXXX, (0X)XXXX-XXXX, 090XXXXXXXX, +81 X XXXX XXXX
_PHONE = re.compile(
    rf"(?<![\d+])(?:\+81[\s-]?\d{{1,4}}|\(?0\d{{1,4}}\)?)(?:[\s]?{_DASH}?[\s]?\(?\d{{1,4}}\)?)?[\s]?{_DASH}?[\s]?\d{{3,4}}(?!\d)"
)
#: 12 digits in fours (マイナンバー) or any run of 8 digits or more
_NUMBER = re.compile(rf"\d{{4}}[\s{_DASH_CHARS}]\d{{4}}[\s{_DASH_CHARS}]\d{{4}}|\d{{8,}}")
_SELF = {"私", "わたし", "わたくし", "僕", "ぼく", "俺", "おれ", "あたし", "自分"}
_NAME_WORDS = {"名前", "なまえ", "氏名"}
#: what ends a self-introduction's name: です, だ, と申します, といいます, と言います
_ENDINGS = ("です", "だ", "と申し", "といい", "と言い", "でござい")
_MAX_NAME_TOKENS = 6
_NOUNISH = ("名詞", "接頭辞", "接尾辞")


def mask(text: str) -> str:
    """``text`` with personal data replaced (NFKC first, so full-width digits are caught too)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _EMAIL.sub(EMAIL, text)
    text = _PHONE.sub(lambda m: PHONE if sum(c.isdigit() for c in m.group(0)) >= 9 else m.group(0), text)
    text = _NUMBER.sub(NUMBER, text)
    return _mask_names(text)


def _mask_names(text: str) -> str:
    if "は" not in text:
        return text
    tokens = analyzer().tokens(text)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        surface, _pos = tokens[i]
        out.append(surface)
        introduces = (
            (surface in _SELF or surface in _NAME_WORDS or (surface == "の" and out[-2:-1] == ["私"]))
            and i + 1 < len(tokens)
            and tokens[i + 1][0] == "は"
        )
        if not introduces:
            i += 1
            continue
        out.append("は")
        j = i + 2
        run: list[tuple[str, tuple[str, ...]]] = []
        while (
            j < len(tokens)
            and len(run) < _MAX_NAME_TOKENS
            and tokens[j][1][0] in ("名詞", "接頭辞", "接尾辞")
        ):
            run.append(tokens[j])
            j += 1
        following = "".join(s for s, _p in tokens[j : j + 3])
        proper = any(p[1] == "固有名詞" for _s, p in run)
        if run and (proper or surface in _NAME_WORDS or following.startswith(_ENDINGS)):
            out.append(NAME)
        else:
            out.extend(s for s, _p in run)
        i = j
    return "".join(out)
