"""Japanese text search shared by the FAQ and the procedure catalogue (docs/faq.md, "Search").

Text is analysed by SudachiPy with its core dictionary (loaded once per process, before the server
forks: :func:`analyzer` is registered with ``core.prefork``) into two kinds of terms:

- **words**: the dictionary's normalised form of every content word (particles, auxiliaries,
  symbols and a few question words left out), in hiragana after NFKC, so 「粗大ゴミ」 and 「粗大ごみ」,
  「ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞ」 and 「マイナンバーカード」, 「引っ越し」 and 「引越し」 meet; a compound also gives its
  short parts (「戸籍謄本」 → 戸籍謄本, 戸籍, 謄本); and one ``syn:`` term per synonym group the text
  names (:class:`Synonyms`: マイナ = マイナンバーカード, 印鑑証明 = 印鑑登録証明書 …);
- **readings**: character bigrams of the hiragana reading of each run of content words. An
  all-hiragana query is cut badly by any analyser (じゅうみんひょう → じゅう/見る/ひょう), but its
  reading is itself, and its bigrams meet those of 住民票's reading (じゅうみんひょう).

:class:`FieldIndex` ranks documents by BM25 (the ``bm25s`` library) over one field's terms;
:class:`Index` keeps one BM25 index per field and kind of term (bm25s has no field weights) and adds
their scores with weights. :meth:`Index.search` also says how much of the query the best document
covers, which the caller compares with its threshold to answer "no entry fits" honestly.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_SPACES = re.compile(r"\s+")
_KANJI = re.compile(r"[\u3400-\u9fff々〆ヶ]")
#: parts of speech that carry no meaning of their own in a question
_FUNCTION_POS = {"助詞", "助動詞", "補助記号", "空白", "記号", "接続詞", "感動詞"}
#: words of the question itself, not of its matter (normalised forms, in hiragana)
STOP_WORDS = frozenset(
    normalized
    for normalized in (
        "何",
        "どこ",
        "いつ",
        "どう",
        "どの",
        "どんな",
        "どれ",
        "誰",
        "なぜ",
        "幾ら",
        "いくら",
        "為る",
        "する",
        "有る",
        "ある",
        "居る",
        "いる",
        "成る",
        "なる",
        "出来る",
        "できる",
        "良い",
        "いい",
        "よい",
        "教える",
        "知る",
        "分かる",
        "わかる",
        "下さる",
        "くださる",
        "思う",
        "欲しい",
        "ほしい",
        "方",
        "の",
        "こと",
        "事",
        "もの",
        "物",
        "とき",
        "時",
        "です",
        "ます",
        "ね",
        "よ",
        "か",
        "ない",
        "無い",
        "貰う",
        "もらう",
        "くれる",
    )
)
MAX_QUERY_LENGTH = 200
#: the longest text analysed (an answer is at most 5,000 characters; the rest would be ignored)
MAX_TEXT_LENGTH = 40_000


_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def katakana_to_hiragana(text: str) -> str:
    return text.translate(_TO_HIRAGANA)


def normalize(text: str) -> str:
    """NFKC, lower case, katakana → hiragana, spaces removed."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _SPACES.sub("", katakana_to_hiragana(text))


@lru_cache(maxsize=65536)
def _word(form: str) -> str:
    """A dictionary form normalised (analysed texts repeat their words: kept once per process)."""
    return sys.intern(normalize(form))


class Analyzer:
    """SudachiPy's tokenizer with the core dictionary, one per process (the dictionary is
    memory-mapped: forked workers share its pages). Thread-safe: each thread gets a tokenizer."""

    def __init__(self) -> None:
        from sudachipy import Dictionary

        self._dictionary = Dictionary(dict="core")
        self._local = threading.local()

    def _tokenizer(self) -> Any:
        tokenizer = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            from sudachipy import SplitMode

            # Dictionary.tokenizer() since SudachiPy 0.6.9; create() before (deprecated now)
            make = getattr(self._dictionary, "tokenizer", None) or self._dictionary.create
            tokenizer = self._local.tokenizer = make(mode=SplitMode.C)
        return tokenizer

    def tokens(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """Each morpheme's surface and part of speech (finest split, for the log's masking)."""
        from sudachipy import SplitMode

        return [
            (m.surface(), tuple(m.part_of_speech()))
            for m in self._tokenizer().tokenize(text or "", SplitMode.A)
        ]

    def terms(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The word terms and reading bigrams of ``text`` (see the module)."""
        from sudachipy import SplitMode

        words: list[str] = []
        readings: list[str] = []
        run = ""
        for m in self._tokenizer().tokenize(unicodedata.normalize("NFKC", text or "")):
            pos = m.part_of_speech()[0]
            normalized = _word(m.normalized_form())
            if pos in _FUNCTION_POS or normalized in STOP_WORDS or not normalized:
                readings.extend(bigrams(run))
                run = ""
                continue
            words.append(normalized)
            if pos == "名詞" and len(m.surface()) > 2:  # a compound noun also gives its short parts
                split = m.split(SplitMode.A)
                if len(split) > 1:
                    words.extend(
                        w for w in (_word(p.normalized_form()) for p in split) if w not in STOP_WORDS
                    )
            reading = m.reading_form()
            run += _word(reading) if reading != "キゴウ" else normalized
        readings.extend(bigrams(run))
        return tuple(words), tuple(readings)


_analyzer: Analyzer | None = None
_analyzer_lock = threading.Lock()


def analyzer() -> Analyzer:
    """The process's analyser, loaded on first use (``yakusho serve`` loads it before forking)."""
    global _analyzer
    if _analyzer is None:
        with _analyzer_lock:
            if _analyzer is None:
                _analyzer = Analyzer()
    return _analyzer


class Synonyms:
    """Groups of words that mean the same to a resident; a text naming any member of a group gets
    the group's ``syn:`` term. Members are matched on the normalised text (hiragana, no spaces)."""

    def __init__(self, groups: Iterable[Sequence[str]] = ()) -> None:
        self.groups: list[tuple[str, ...]] = []
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        self._by_name: dict[str, re.Pattern[str]] = {}
        for group in groups:
            self.add(group)

    def add(self, group: Sequence[str]) -> None:
        members = tuple(dict.fromkeys(normalize(w) for w in group if normalize(w)))
        if len(members) < 2:
            return
        name = f"syn:{members[0]}"
        self.groups.append(members)
        pattern = re.compile("|".join(re.escape(m) for m in sorted(members, key=len, reverse=True)))
        self._patterns.append((name, pattern))
        self._by_name[name] = pattern

    def terms(self, normalized_text: str) -> list[str]:
        return [name for name, pattern in self._patterns if pattern.search(normalized_text)]

    def members(self, name: str, words: Iterable[str]) -> set[str]:
        """The ``words`` that group ``name`` stands for (each holds one of its members)."""
        pattern = self._by_name.get(name)
        return {w for w in words if pattern is not None and pattern.search(w)}

    def __len__(self) -> int:
        return len(self.groups)


NO_SYNONYMS = Synonyms()


@dataclass(frozen=True)
class Analysed:
    words: list[str]
    readings: list[str]
    #: the query's concepts for coverage: its words, where a synonym group replaces its members
    concepts: frozenset[str] = frozenset()
    has_kanji: bool = False


def bigrams(run: str) -> list[str]:
    if len(run) < 2:
        return [sys.intern(run)] if run else []
    return [sys.intern(run[i : i + 2]) for i in range(len(run) - 1)]


@lru_cache(maxsize=1024)
def _analyse_cached(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return analyzer().terms(text)


def analyse(text: str, synonyms: Synonyms = NO_SYNONYMS, *, query: bool = False) -> Analysed:
    """The word and reading terms of ``text`` (see the module); for a ``query`` also its concepts
    (its words, a synonym group standing for its members) and whether it is written with kanji."""
    text = (text or "")[:MAX_TEXT_LENGTH]
    words, readings = _analyse_cached(text) if query else analyzer().terms(text)
    groups = list(dict.fromkeys(synonyms.terms(normalize(text)) + synonyms.terms("".join(words))))
    if not query:
        return Analysed(words=[*words, *groups], readings=list(readings))
    concepts = set(words)
    for name in groups:
        concepts -= synonyms.members(name, concepts)
        concepts.add(name)
    return Analysed(
        words=[*words, *groups],
        readings=list(readings),
        concepts=frozenset(concepts),
        has_kanji=bool(_KANJI.search(text)),
    )


class FieldIndex:
    """BM25 over one field of every document (bm25s; its defaults k1=1.5, b=0.75)."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG when imported and logs every index it builds
        logging.getLogger("bm25s").setLevel(logging.WARNING)

        self.size = len(documents)
        self._bm25 = bm25s.BM25()
        # an empty document still needs a place, so the scores line up with the documents
        self._bm25.index([list(d) or [""] for d in documents] or [[""]], show_progress=False)

    def scores(self, terms: Sequence[str]) -> Any:
        import numpy as np

        if not terms or not self.size:
            return np.zeros(self.size, dtype="float32")
        return self._bm25.get_scores(list(terms))[: self.size]


@dataclass
class Hit:
    position: int
    score: float
    coverage: float


class Index:
    """Documents with named fields, each field indexed twice (words, readings), scores added with
    ``weights`` ({(field, "words" | "readings"): weight}). ``keys`` are the callers' ids, in order.

    Besides the BM25 indexes it keeps, per document, the ids of the terms it holds (a small integer
    array) to tell how much of a question the best documents cover; the analysed texts themselves
    are not kept."""

    def __init__(
        self,
        keys: list[Any],
        fields: dict[str, list[Analysed]],
        weights: dict[tuple[str, str], float],
        synonyms: Synonyms = NO_SYNONYMS,
    ) -> None:
        import numpy as np

        self.keys = keys
        self.weights = weights
        self.synonyms = synonyms
        self._indexes: dict[tuple[str, str], FieldIndex] = {}
        for name, docs in fields.items():
            if len(docs) != len(keys):
                raise ValueError(f"field {name} has {len(docs)} documents for {len(keys)} keys")
            for kind in ("words", "readings"):
                if weights.get((name, kind)):
                    self._indexes[(name, kind)] = FieldIndex([getattr(d, kind) for d in docs])
        self._vocabulary: dict[str, int] = {}
        self._held: list[Any] = []
        for position in range(len(keys)):
            ids = {
                self._vocabulary.setdefault(term, len(self._vocabulary))
                for docs in fields.values()
                for term in (*docs[position].words, *docs[position].readings)
            }
            self._held.append(np.fromiter(sorted(ids), dtype=np.int32, count=len(ids)))
        # how telling each term is (BM25's idf): a question's rare words decide whether a document
        # answers it, its common ones (役場, 手続き) hardly; a word no document has counts as rarest
        frequency = (
            np.bincount(np.concatenate(self._held), minlength=len(self._vocabulary))
            if self._held
            else np.zeros(0)
        )
        documents = max(len(keys), 1)
        self._idf = np.log((documents + 1) / (frequency + 0.5)) if len(frequency) else np.zeros(0)
        self._unknown_idf = float(np.log((documents + 1) / 0.5))

    @classmethod
    def build(
        cls,
        keys: list[Any],
        texts: dict[str, list[str]],
        weights: dict[tuple[str, str], float],
        synonyms: Synonyms = NO_SYNONYMS,
    ) -> Index:
        fields = {name: [analyse(t, synonyms) for t in values] for name, values in texts.items()}
        return cls(keys, fields, weights, synonyms)

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """The best ``limit`` documents for ``query`` (score > 0), best first, each with the share
        of the query's terms it holds (its coverage: 1.0 when every word or bigram is found)."""
        import numpy as np

        q = analyse((query or "")[:MAX_QUERY_LENGTH], self.synonyms, query=True)
        if not self.keys or not (q.words or q.readings):
            return []
        total = np.zeros(len(self.keys), dtype="float64")
        for (name, kind), index in self._indexes.items():
            total += self.weights[(name, kind)] * index.scores(getattr(q, kind))
        order = np.argsort(-total, kind="stable")[:limit]
        hits = []
        for position in order:
            score = float(total[position])
            if score <= 0:
                break
            hits.append(Hit(int(position), score, self.coverage(q, int(position))))
        return hits

    def weight(self, term: str) -> float:
        index = self._vocabulary.get(term)
        return float(self._idf[index]) if index is not None else self._unknown_idf

    def coverage(self, query: Analysed, position: int) -> float:
        """How much of ``query`` document ``position`` holds, each term weighted by how telling it
        is (its idf): of the query's concepts (words, a synonym group counting once) when it is
        written with kanji; for a question in kana the better of that and of its reading bigrams (a
        kana question is cut into words badly, its reading is reliable)."""
        ids = set(self._held[position].tolist())

        def share(terms: Iterable[str]) -> float:
            weights = {t: self.weight(t) for t in set(terms)}
            total = sum(weights.values())
            held = sum(w for t, w in weights.items() if self._vocabulary.get(t, -1) in ids)
            return held / total if total > 0 else 0.0

        words = share(query.concepts)
        if query.has_kanji:
            return words
        return max(words, share(query.readings))
