"""A demo query log for 大江町 and 美郷町, so that the analysis page and the FAQ's metrics have
something to show: about 35–60 questions a week per town over the last 26 weeks, most on business
days, about 30 % of them out of office hours, about one in five rated.

The questions are the resident-style questions of the evaluation set (``bench/faq_questions.yaml``),
the more often asked ones chosen more often; what was answered comes from running the real search
once per distinct question, and the text is masked as the live log masks it. Everything is drawn
from a random generator seeded by the town and the day, so the same ``today`` gives the same log,
and a day that already has questions (demo or real) is left alone: loading again adds nothing.
"""

from __future__ import annotations

import logging
import random
import re
import unicodedata
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction
from django.db.models.functions import TruncDate
from django.utils import timezone

from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Municipality
from yakusho.faq import search as faq_search
from yakusho.faq.analysis import out_of_hours, queries_between
from yakusho.faq.masking import mask
from yakusho.faq.models import Channel, Query

logger = logging.getLogger(__name__)

DEMO_TOWNS = ("oe", "misato")
WEEKS = 26
#: questions on a business day, and on a closed day (weekend, holiday, 年末年始)
BUSINESS_DAY = (5, 12)
CLOSED_DAY = (1, 4)
#: on a business day, the share asked before opening or after closing
OUTSIDE_ON_BUSINESS_DAYS = 0.2
#: of the answered questions, the share rated, and of those the share rated helpful
RATED = 0.25
HELPFUL = 0.7
#: what the evaluation set holds that the masking would hide (a digit run, an address, 「私は」):
#: such a question is left out, as a masked log would not show it as written
PERSONAL = re.compile(r"\d{4,}|\d+-\d+|@|私は")


def question_file() -> Path:
    return Path(settings.BASE_DIR) / "bench" / "faq_questions.yaml"


def demo_texts(slug: str, path: Path | None = None) -> list[str]:
    """The evaluation set's questions of the municipality ``slug``, in file order, without any
    that look like personal data."""
    path = path or question_file()
    if not path.exists():
        logger.warning("FAQ demo query log: %s not found, no demo questions loaded", path)
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    texts: list[str] = []
    for item in data.get("questions") or []:
        text = str(item.get("q") or "").strip()[:200]
        if item.get("municipality") != slug or not text or text in texts:
            continue
        if PERSONAL.search(unicodedata.normalize("NFKC", text)):
            continue
        texts.append(text)
    return texts


def _moment(day: date, minutes: int, rng: random.Random) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(minutes // 60, minutes % 60, rng.randrange(60))))


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _times(municipality: Municipality, day: date, closed: bool, rng: random.Random) -> list[datetime]:
    """When the day's questions were asked: on a closed day from morning to night; on a business
    day mostly within the office hours, some in the evening or early morning."""
    low, high = BUSINESS_DAY if not closed else CLOSED_DAY
    opens, closes = _minutes(municipality.office_opens), _minutes(municipality.office_closes)
    moments = []
    for _i in range(rng.randint(low, high)):
        if closed:
            minutes = rng.randrange(7 * 60, 23 * 60)
        elif rng.random() < OUTSIDE_ON_BUSINESS_DAYS:
            if rng.random() < 0.75 and closes < 23 * 60:
                minutes = rng.randrange(closes, 23 * 60)
            else:
                minutes = rng.randrange(min(6 * 60, opens - 1), opens) if opens > 0 else 0
        else:
            minutes = rng.randrange(opens, max(closes, opens + 1))
        moments.append(_moment(day, minutes, rng))
    return sorted(moments)


def _days_with_questions(municipality: Municipality, start: date, end: date) -> set[date]:
    rows = (
        queries_between(municipality, start, end)
        .annotate(day=TruncDate("asked_at"))
        .values_list("day", flat=True)
        .distinct()
    )
    return set(rows)


def _load_town(municipality: Municipality, today: date, path: Path | None) -> int:
    texts = demo_texts(municipality.slug, path)
    if not texts:
        return 0
    start, end = today - timedelta(weeks=WEEKS), today - timedelta(days=1)
    taken = _days_with_questions(municipality, start, end)
    # the more often asked questions first: a fixed order per town, weighted like a long tail
    order = random.Random(f"faq-demo:{municipality.slug}").sample(texts, len(texts))  # noqa: S311 - demo
    weights = list(accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(order))))
    calendar = BusinessCalendar(municipality, years=range(start.year, end.year + 1))
    # per distinct question: what the search answers, and the text as the log stores it (masked)
    results: dict[str, tuple[faq_search.Result, str]] = {}
    rows: list[Query] = []
    day = start
    while day <= end:
        if day in taken:
            day += timedelta(days=1)
            continue
        rng = random.Random(f"faq-demo:{municipality.slug}:{day.isoformat()}")  # noqa: S311 - demo
        closed = calendar.closed_reason(day) is not None
        for asked_at in _times(municipality, day, closed, rng):
            text = rng.choices(order, cum_weights=weights)[0]
            if text not in results:
                results[text] = (faq_search.search(municipality, text), mask(text)[:200])
            result, logged = results[text]
            best = result.best
            helpful: bool | None = None
            if best is not None and rng.random() < RATED:
                helpful = rng.random() < HELPFUL
            rows.append(
                Query(
                    municipality=municipality,
                    asked_at=asked_at,
                    text=logged,
                    channel=Channel.CHAT if rng.random() < 0.55 else Channel.PAGE,
                    answered=best is not None,
                    entry_ref=best.item.ref if best else "",
                    entry_question=best.item.question[:200] if best else "",
                    category=best.item.category if best else "",
                    subcategory=best.item.subcategory if best else "",
                    department_id=best.item.department_id if best else None,
                    score=round(best.score, 4) if best else 0.0,
                    out_of_hours=out_of_hours(municipality, asked_at, calendar),
                    helpful=helpful,
                    rated_at=asked_at + timedelta(minutes=rng.randint(1, 5)) if helpful is not None else None,
                    token=f"{rng.getrandbits(128):032x}",
                    is_demo=True,
                )
            )
        day += timedelta(days=1)
    Query.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def load_demo_queries(today: date | None = None, path: Path | None = None) -> int:
    """Add the demo query log of 大江町 and 美郷町 for the days before ``today`` that have none;
    returns how many questions were added (0 on a second load)."""
    today = today or timezone.localdate()
    added = 0
    with transaction.atomic():
        for municipality in Municipality.objects.filter(slug__in=DEMO_TOWNS).order_by("slug"):
            added += _load_town(municipality, today, path)
    return added


def load_demo_query_log(sender: object, **kwargs: object) -> str:
    """A ``demo_loaded`` receiver (connect it after the FAQ's own, which the search needs)."""
    return f"FAQ query log: {load_demo_queries()} demo questions added."
