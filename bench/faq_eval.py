"""The FAQ search measured: quality on the evaluation set, and speed and memory at 10,000 entries.

Quality: every question of ``bench/faq_questions.yaml`` (written before any tuning, resident-style,
a quarter with no entry) is asked of its municipality's FAQ through ``yakusho.faq.search`` — the
same ranking and no-answer decision as the page, the chat and the API — and, in the same run, of a
plain substring-matching baseline (an entry scores the number of the question's space-separated
words found in its question, phrasings or answer after NFKC; no words found = no answer). Printed:
Recall@1, Recall@5, MRR@10 over the questions that have an entry, no-answer precision and recall
over the decision, and the questions each gets wrong (``--show``).

Speed: 10,000 entries (the demo's, repeated with numbered variations) in one municipality: the time
to build its index, the search time per question (median, p95) in process, and the memory the
index holds (tracemalloc). Targets printed PASS/FAIL: Recall@5 ≥ 0.90, MRR@10 ≥ 0.80, no-answer
precision ≥ 0.80, build < 30 s, search p95 < 30 ms.

Runs on its own SQLite database in var/bench-faq/ with the demo loaded (``--reuse`` keeps it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "bench" / "faq_questions.yaml"
TARGETS = {"recall@5": 0.90, "mrr@10": 0.80, "no_answer_precision": 0.80}
BIG = 10_000


def setup(reuse: bool) -> None:
    var = ROOT / "var" / "bench-faq"
    var.mkdir(parents=True, exist_ok=True)
    os.environ["YAKUSHO_VAR_DIR"] = str(var)
    os.environ.setdefault("YAKUSHO_SECRET_KEY", "bench-faq-secret-key-0123456789abcdef0123456789")
    os.environ["DJANGO_SETTINGS_MODULE"] = "yakusho.settings_test"
    os.environ.pop("DATABASE_URL", None)
    database = var / "yakusho.sqlite3"
    fresh = not (reuse and database.exists())
    if fresh:
        database.unlink(missing_ok=True)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DATABASES["default"]["NAME"] = str(database)
    if fresh:
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("demo", quiet_logins=True, verbosity=0)


@dataclass
class Tally:
    name: str
    ranks: list[int | None] = field(default_factory=list)  # rank of the first right entry (1-based)
    decisions: list[tuple[bool, bool]] = field(default_factory=list)  # (said no answer, none exists)
    wrong: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        found = self.ranks
        n = len(found) or 1
        said_none = [none for said, none in self.decisions if said]
        truly_none = [said for said, none in self.decisions if none]
        return {
            "recall@1": sum(1 for r in found if r is not None and r <= 1) / n,
            "recall@5": sum(1 for r in found if r is not None and r <= 5) / n,
            "mrr@10": sum(1 / r for r in found if r is not None and r <= 10) / n,
            "no_answer_precision": sum(said_none) / len(said_none) if said_none else 0.0,
            "no_answer_recall": sum(truly_none) / len(truly_none) if truly_none else 0.0,
        }


def expected(item: dict[str, Any]) -> set[str] | None:
    value = item.get("expect")
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    return {str(v).replace("shared:", "s:") if str(v).startswith("shared:") else f"e:{v}" for v in values}


def ident(item: Any) -> str:
    return f"{'s' if item.kind == 'shared' else 'e'}:{item.key}"


def substring_baseline(items: list[Any], query: str) -> list[Any]:
    words = [w for w in unicodedata.normalize("NFKC", query).lower().split() if w]
    scored = []
    for position, item in enumerate(items):
        text = unicodedata.normalize("NFKC", "\n".join((item.question, *item.phrasings, item.answer))).lower()
        score = sum(1 for w in words if w in text)
        if score:
            scored.append((-score, position, item))
    return [item for _, _, item in sorted(scored)]


def evaluate(show: bool) -> tuple[Tally, Tally]:
    from yakusho.core.datafiles import DataFile
    from yakusho.core.models import Municipality
    from yakusho.faq import search as faq_search

    data = DataFile.read(QUESTIONS.read_bytes(), QUESTIONS.name).data
    ours, baseline = Tally("Yakusho"), Tally("substring baseline")
    towns = {
        m.slug: m
        for m in Municipality.objects.filter(slug__in={q["municipality"] for q in data["questions"]})
    }
    for question in data["questions"]:
        town = towns[question["municipality"]]
        want = expected(question)
        result = faq_search.search(town, question["q"], limit=10)
        ranked = [ident(a.item) for a in result.answers]
        plain = [ident(i) for i in substring_baseline(faq_search.index_for(town).items, question["q"])][:10]
        for tally, ranking, said_none in ((ours, ranked, not result.answered), (baseline, plain, not plain)):
            tally.decisions.append((said_none, want is None))
            if want is not None:
                rank = next((n for n, key in enumerate(ranking, 1) if key in want), None)
                tally.ranks.append(rank)
                if rank != 1 or said_none:
                    refused = ", said no answer" if said_none else ""
                    where = f"  {question['municipality']}: {question['q']!r}"
                    tally.wrong.append(f"{where} → {ranking[:3]} (want {sorted(want)}{refused})")
            elif not said_none:
                tally.wrong.append(
                    f"  {question['municipality']}: {question['q']!r} → answered {ranking[:1]} (want none)"
                )
    if show:
        print(f"{ours.name}: {len(ours.wrong)} questions not right first")
        print("\n".join(ours.wrong))
    return ours, baseline


def big_index() -> dict[str, float]:
    """Build an index of 10,000 entries and search it."""
    from yakusho.core.datafiles import DataFile
    from yakusho.core.models import Municipality
    from yakusho.faq import search as faq_search

    oe = Municipality.objects.get(slug="oe")
    base = faq_search.items_for(oe)
    items = [
        faq_search.Item(
            "entry",
            n,
            f"{b.key}-{n}",
            f"{b.question}（その{n}）",
            b.phrasings,
            f"{b.answer}\n整理番号{n}",
            b.category,
            b.subcategory,
            b.department_id,
            True,
        )
        for n, b in ((n, base[n % len(base)]) for n in range(BIG))
    ]
    synonyms = faq_search.synonyms_for(oe)
    tracemalloc.start()
    started = time.perf_counter()
    index = faq_search.FaqIndex.from_items(items, synonyms)
    build = time.perf_counter() - started
    held, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    data = DataFile.read(QUESTIONS.read_bytes(), QUESTIONS.name).data
    questions = [q["q"] for q in data["questions"]]
    times = []
    for q in questions:
        started = time.perf_counter()
        index.entries.search(q, limit=10)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "entries": float(len(items)),
        "build_s": build,
        "search_p50_ms": statistics.median(times),
        "search_p95_ms": times[int(len(times) * 0.95) - 1],
        "index_mb": held / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="keep the database of the last run")
    parser.add_argument("--show", action="store_true", help="print the questions Yakusho gets wrong")
    parser.add_argument("--no-big", action="store_true", help="skip the 10,000-entry measurement")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    setup(args.reuse)
    ours, baseline = evaluate(args.show)
    a, b = ours.figures(), baseline.figures()
    with_entry = len(ours.ranks)
    total = len(ours.decisions)
    print(
        f"FAQ search quality — {QUESTIONS.relative_to(ROOT)}: {total} questions, "
        f"{with_entry} with an entry, {total - with_entry} without"
    )
    print(f"{'figure':<22}{'Yakusho':>10}{'baseline':>10}   target")
    for key in ("recall@1", "recall@5", "mrr@10", "no_answer_precision", "no_answer_recall"):
        target = TARGETS.get(key)
        verdict = "" if target is None else f"≥ {target:.2f} {'PASS' if a[key] >= target else 'FAIL'}"
        print(f"{key:<22}{a[key]:>10.3f}{b[key]:>10.3f}   {verdict}")
    if not args.no_big:
        big = big_index()
        built = "PASS" if big["build_s"] < 30 else "FAIL"
        searched = "PASS" if big["search_p95_ms"] < 30 else "FAIL"
        print(
            f"10,000 entries: index built in {big['build_s']:.1f} s ({built} < 30 s), "
            f"search p50 {big['search_p50_ms']:.1f} ms, p95 {big['search_p95_ms']:.1f} ms "
            f"({searched} < 30 ms), "
            f"index memory {big['index_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
