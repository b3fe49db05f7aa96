"""Japanese search of the procedure catalogue, where kanji, kana and readings meet.

Each procedure stores ``search_text``: its name, kana, summary, description, who it is for and its
department, plus the hiragana readings of those texts (pykakasi, whose dictionary ships in the
package), all normalised the same way: NFKC (全角英数→半角, 半角カナ→全角), lower case, katakana →
hiragana, and no spaces. A query is normalised likewise, and each of its words must occur in
``search_text`` either as typed or as its own reading, so 「じゅうみんひょう」, 「ジュウミンヒョウ」,
「住民票」 and 「住民ひょう」 all find 住民票の写し. Matching is a ``LIKE '%…%'`` in the database
(SQLite and PostgreSQL alike); 500 procedures per municipality are scanned in a few ms.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

if TYPE_CHECKING:
    from yakusho.procedures.models import Procedure

_KATAKANA = re.compile(r"[\u30a1-\u30f6]")
_SPACES = re.compile(r"\s+")
#: Readings are only worth computing for text with kanji (or katakana, which pykakasi reads too).
_NEEDS_READING = re.compile(r"[\u3400-\u9fff\u30a0-\u30ff々〆ヶ]")
MAX_QUERY_WORDS = 5
MAX_QUERY_LENGTH = 100


def katakana_to_hiragana(text: str) -> str:
    return _KATAKANA.sub(lambda m: chr(ord(m.group(0)) - 0x60), text)


def normalize(text: str) -> str:
    """NFKC, lower case, katakana → hiragana, spaces removed."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _SPACES.sub("", katakana_to_hiragana(text))


@lru_cache(maxsize=1)
def _kakasi() -> Any:
    import pykakasi  # loaded on first use: building its dictionary takes ~0.4 s once per process

    return pykakasi.kakasi()


@lru_cache(maxsize=2048)
def reading(text: str) -> str:
    """The hiragana reading of ``text`` (normalised); empty when it has nothing to read."""
    text = unicodedata.normalize("NFKC", text or "")
    if not _NEEDS_READING.search(text):
        return ""
    return normalize("".join(part["hira"] for part in _kakasi().convert(text)))


def procedure_search_text(procedure: Procedure) -> str:
    """What a procedure is found by, one normalised line per source text."""
    department = getattr(procedure, "department", None) if procedure.department_id else None
    texts = [
        procedure.name,
        procedure.kana,
        procedure.summary,
        procedure.audience,
        procedure.description,
        department.name if department else "",
        department.kana if department else "",
    ]
    lines: list[str] = []
    for text in texts:
        if not text:
            continue
        lines.append(normalize(text))
        read = reading(text)
        if read and read not in lines:
            lines.append(read)
    return "\n".join(line for line in lines if line)


def query_words(query: str) -> list[str]:
    """The words of a query (split on spaces, full-width ones included), at most five."""
    text = unicodedata.normalize("NFKC", query or "")[:MAX_QUERY_LENGTH]
    return [w for w in text.split() if w][:MAX_QUERY_WORDS]


def search(queryset: QuerySet[Procedure], query: str) -> QuerySet[Procedure]:
    """Procedures whose search text contains every word of ``query``, as typed or as read."""
    for word in query_words(query):
        typed = normalize(word)
        condition = Q(search_text__contains=typed)
        read = reading(word)
        if read and read != typed:
            condition |= Q(search_text__contains=read)
        queryset = queryset.filter(condition)
    return queryset
