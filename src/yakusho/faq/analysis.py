"""What residents ask: the figures of the staff analysis page, its Excel export and the metrics,
read from the query log (``faq.Query``: personal data masked before it is stored).

Each table is one grouped query in the database (a handful of queries for the whole page, however
many rows the log holds); Python only fills in the empty weeks and formats. A question belongs to
the day, in Japan's time, on which it was asked; a range is of whole days, both ends included.
"""

from __future__ import annotations

import time as time_module
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.core.calendar import BusinessCalendar
from yakusho.core.jcal import format_date
from yakusho.core.models import Department, Municipality
from yakusho.faq.models import Channel, Query

#: the default range: this many weeks (from a Monday) up to today
DEFAULT_WEEKS = 12
#: rows of the tables that list questions or entries
UNANSWERED_ROWS = 30
LOW_RATED_ROWS = 30
TOPIC_ROWS = 20


def out_of_hours(
    municipality: Municipality, when: datetime, calendar: BusinessCalendar | None = None
) -> bool:
    """Whether ``when`` falls outside the offices' opening: a closed day of the business calendar
    (weekend, holiday, 年末年始, closure) or outside the office hours — the rule
    :func:`yakusho.core.office.office_status` uses for 「開庁中」. The query log stores it when a
    question is asked; pass one ``calendar`` when deciding it for many moments."""
    local = timezone.localtime(when) if timezone.is_aware(when) else when
    if calendar is not None:
        closed = calendar.closed_reason(local.date()) is not None
    else:
        closed = _closed_today(municipality, local.date())
    if closed:
        return True
    return not (municipality.office_opens <= local.time() < municipality.office_closes)


#: (municipality, day) → (until, closed): whether a day is closed, kept a few minutes per process so
#: that logging a chat turn does not read the calendar each time (a closure added meanwhile shows in
#: the log within CLOSED_DAY_SECONDS)
_closed_days: dict[tuple[int, date], tuple[float, bool]] = {}
CLOSED_DAY_SECONDS = 300


def forget_closed_days() -> None:
    """Drop the kept closed days (tests: the same ids come back after a rollback)."""
    _closed_days.clear()


def _closed_today(municipality: Municipality, day: date) -> bool:
    key = (municipality.pk, day)
    now = time_module.monotonic()
    found = _closed_days.get(key)
    if found is not None and found[0] > now:
        return found[1]
    closed = BusinessCalendar(municipality).closed_reason(day) is not None
    if len(_closed_days) > 1000:
        _closed_days.clear()
    _closed_days[key] = (now + CLOSED_DAY_SECONDS, closed)
    return closed


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def queries_between(municipality: Municipality, start: date, end: date) -> QuerySet[Query]:
    """The municipality's logged questions asked from ``start`` to ``end`` (whole days, Japan)."""
    return Query.objects.for_municipality(municipality).filter(
        asked_at__gte=day_start(start), asked_at__lt=day_start(end + timedelta(days=1))
    )


def default_range(today: date) -> tuple[date, date]:
    """The last :data:`DEFAULT_WEEKS` weeks, each from a Monday, the last one up to ``today``."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=DEFAULT_WEEKS - 1), today


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in per cent to one decimal (None when there is nothing to divide)."""
    if not whole:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Share:
    """A share together with the counts it is of: 「23.4%（1,234件中289件）」."""

    part: int
    whole: int

    @property
    def percent(self) -> Decimal | None:
        return percent(self.part, self.whole)

    @property
    def ratio(self) -> float | None:
        """The share as a fraction (Excel shows it with a per-cent format)."""
        return None if not self.whole else self.part / self.whole

    @property
    def percent_text(self) -> str:
        value = self.percent
        return "—" if value is None else f"{value}%"

    @property
    def counts_text(self) -> str:
        return _("%(whole)s件中%(part)s件") % {"whole": f"{self.whole:,}", "part": f"{self.part:,}"}

    def __str__(self) -> str:
        return f"{self.percent_text}（{self.counts_text}）"


_ANSWERED = Q(answered=True)
_OUT_OF_HOURS = Q(out_of_hours=True)
_HELPFUL = Q(helpful=True)
_NOT_HELPFUL = Q(helpful=False)


def _counts() -> dict[str, Any]:
    """The counts every table row has, for ``aggregate`` or ``annotate``."""
    return {
        "n": Count("pk"),
        "n_answered": Count("pk", filter=_ANSWERED),
        "n_out_of_hours": Count("pk", filter=_OUT_OF_HOURS),
        "n_helpful": Count("pk", filter=_HELPFUL),
        "n_not_helpful": Count("pk", filter=_NOT_HELPFUL),
    }


def _grouped(qs: QuerySet[Query], *fields: str, **extra: Any) -> Any:
    """``values(*fields)`` with the counts of :func:`_counts` and ``extra`` per group (one GROUP BY
    query; typed loosely, as the annotations are built from a dict)."""
    return qs.values(*fields).annotate(**_counts(), **extra)


@dataclass(frozen=True)
class Counts:
    """Questions, how many were answered, asked out of hours, and rated helpful or not."""

    questions: int = 0
    answered: int = 0
    out_of_hours: int = 0
    helpful: int = 0
    not_helpful: int = 0

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Counts:
        return cls(
            row["n"] or 0,
            row["n_answered"] or 0,
            row["n_out_of_hours"] or 0,
            row["n_helpful"] or 0,
            row["n_not_helpful"] or 0,
        )

    @property
    def unanswered(self) -> int:
        return self.questions - self.answered

    @property
    def rated(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def answered_share(self) -> Share:
        return Share(self.answered, self.questions)

    @property
    def unanswered_share(self) -> Share:
        return Share(self.unanswered, self.questions)

    @property
    def out_of_hours_share(self) -> Share:
        return Share(self.out_of_hours, self.questions)

    @property
    def rated_share(self) -> Share:
        return Share(self.rated, self.questions)

    @property
    def helpful_share(self) -> Share:
        """Of the rated questions, those the resident said were solved."""
        return Share(self.helpful, self.rated)

    @property
    def not_helpful_share(self) -> Share:
        return Share(self.not_helpful, self.rated)


@dataclass(frozen=True)
class Week:
    start: date  # a Monday
    end: date  # its Sunday
    counts: Counts
    #: the range starts or ends within this week: only part of it is counted
    partial: bool
    #: the range spans more than one year: the label names the year
    with_year: bool = False

    @property
    def label(self) -> str:
        span = f"{format_date(self.start, style='short')}〜{format_date(self.end, style='short')}"
        return _("%(year)d年%(span)s") % {"year": self.start.year, "span": span} if self.with_year else span


@dataclass(frozen=True)
class Group:
    """A row of the tables per category, department or channel."""

    label: str
    counts: Counts
    share: Share  # of all questions in the range


@dataclass(frozen=True)
class Unanswered:
    text: str
    count: int
    out_of_hours: int
    last_asked: datetime


def parse_ref(ref: str) -> tuple[str, int] | None:
    """``e12`` → ("entry", 12), ``s3`` → ("shared", 3): the entry a logged answer names."""
    kinds = {"e": "entry", "s": "shared"}
    if len(ref) > 1 and ref[0] in kinds and ref[1:].isascii() and ref[1:].isdigit() and len(ref) < 19:
        return kinds[ref[0]], int(ref[1:])
    return None


class _EntryRef:
    entry_ref: str

    @property
    def entry_kind(self) -> str:
        parts = parse_ref(self.entry_ref)
        return parts[0] if parts else ""

    @property
    def entry_pk(self) -> int | None:
        parts = parse_ref(self.entry_ref)
        return parts[1] if parts else None


@dataclass(frozen=True)
class LowRated(_EntryRef):
    text: str
    entry_ref: str
    entry_question: str
    category: str
    count: int
    last_asked: datetime


@dataclass(frozen=True)
class Topic(_EntryRef):
    """An entry given as the answer (問い合わせの多い業務), with its ratings."""

    entry_ref: str
    entry_question: str
    category: str
    subcategory: str
    department: str
    counts: Counts
    share: Share  # of all questions in the range


@dataclass(frozen=True)
class Analysis:
    municipality: Municipality
    start: date
    end: date
    totals: Counts
    #: how many of the questions are demo data (``is_demo``)
    demo: int
    weeks: list[Week] = field(default_factory=list)
    categories: list[Group] = field(default_factory=list)
    departments: list[Group] = field(default_factory=list)
    channels: list[Group] = field(default_factory=list)
    unanswered: list[Unanswered] = field(default_factory=list)
    low_rated: list[LowRated] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)

    @property
    def range_label(self) -> str:
        return f"{format_date(self.start)}〜{format_date(self.end)}"


def _weeks(qs: QuerySet[Query], start: date, end: date) -> list[Week]:
    """Questions per week from Monday, every week of the range, empty ones as 0.

    The week is found in the database by comparing with each week's first moment (a CASE, plain
    comparisons on every database) rather than by truncating the time: SQLite truncates through
    a Python function called once per row, several times slower over a long log."""
    mondays = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        mondays.append(monday)
        monday += timedelta(weeks=1)
    found: dict[int, Counts] = {}
    if len(mondays) > 1:
        bucket = Case(
            *[When(asked_at__lt=day_start(m), then=Value(i)) for i, m in enumerate(mondays[1:])],
            default=Value(len(mondays) - 1),
            output_field=IntegerField(),
        )
        rows = _grouped(qs.annotate(week=bucket), "week").order_by("week")
    else:
        rows = _grouped(qs.annotate(week=Value(0, output_field=IntegerField())), "week")
    for row in rows:
        found[row["week"]] = Counts.of(row)
    return [
        Week(
            m,
            m + timedelta(days=6),
            found.get(i, Counts()),
            m < start or m + timedelta(days=6) > end,
            with_year=mondays[0].year != end.year,
        )
        for i, m in enumerate(mondays)
    ]


def _groups(
    rows: Iterable[Mapping[str, Any]], total: int, label: Callable[[Mapping[str, Any]], str]
) -> list[Group]:
    groups = []
    for row in rows:
        counts = Counts.of(row)
        groups.append(Group(label(row), counts, Share(counts.questions, total)))
    return groups


def analyse(municipality: Municipality, start: date, end: date) -> Analysis:
    """Every table of the analysis page for ``start``–``end`` (nine queries, one per table)."""
    qs = queries_between(municipality, start, end)
    head = qs.aggregate(**_counts(), n_demo=Count("pk", filter=Q(is_demo=True)))
    totals = Counts.of(head)
    if not totals.questions:
        return Analysis(municipality, start, end, totals, 0, weeks=_weeks(qs.none(), start, end))
    total = totals.questions
    by_category = _grouped(qs, "category").order_by("-n", "category")
    by_department = list(_grouped(qs, "department_id").order_by("-n", "department_id"))
    channels = dict(Channel.choices)
    by_channel = _grouped(qs, "channel").order_by("-n", "channel")
    unanswered = (
        qs.filter(answered=False)
        .values("text")
        .annotate(n=Count("pk"), n_out_of_hours=Count("pk", filter=_OUT_OF_HOURS), last=Max("asked_at"))
        .order_by("-n", "-last", "text")[:UNANSWERED_ROWS]
    )
    low_rated = (
        qs.filter(helpful=False)
        .values("text", "entry_ref")
        .annotate(
            n=Count("pk"),
            question=Max("entry_question"),
            category_name=Max("category"),
            last=Max("asked_at"),
        )
        .order_by("-n", "-last", "text")[:LOW_RATED_ROWS]
    )
    topics = _grouped(
        qs.filter(answered=True).exclude(entry_ref=""),
        "entry_ref",
        question=Max("entry_question"),
        category_name=Max("category"),
        subcategory_name=Max("subcategory"),
        department=Max("department_id"),
    ).order_by("-n", "entry_ref")[:TOPIC_ROWS]
    # the 課 names in one small query, rather than a join over every row of the log
    names = dict(
        Department.objects.for_municipality(municipality)
        .filter(pk__in={r["department_id"] for r in by_department} - {None})
        .values_list("pk", "name")
    )
    return Analysis(
        municipality,
        start,
        end,
        totals,
        head["n_demo"] or 0,
        weeks=_weeks(qs, start, end),
        categories=_groups(by_category, total, lambda r: r["category"] or _("分類なし")),
        departments=sorted(
            _groups(by_department, total, lambda r: names.get(r["department_id"]) or _("担当課なし")),
            key=lambda g: (-g.counts.questions, g.label == _("担当課なし"), g.label),
        ),
        channels=_groups(by_channel, total, lambda r: channels.get(r["channel"], r["channel"])),
        unanswered=[Unanswered(r["text"], r["n"], r["n_out_of_hours"], r["last"]) for r in unanswered],
        low_rated=[
            LowRated(
                r["text"], r["entry_ref"], r["question"] or "", r["category_name"] or "", r["n"], r["last"]
            )
            for r in low_rated
        ],
        topics=[
            Topic(
                r["entry_ref"],
                r["question"] or "",
                r["category_name"] or "",
                r["subcategory_name"] or "",
                names.get(r["department"], ""),
                Counts.of(r),
                Share(r["n"], total),
            )
            for r in topics
        ],
    )
