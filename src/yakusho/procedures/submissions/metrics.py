"""Figures of submissions for the metrics registry (imported from ``procedures/metrics.py``).

Each counts the submissions received in the period (by local date), stored ones and those erased
under the retention rule (``SubmissionTally``), so a past year's figure does not drop when its
submissions are deleted. A tally row is counted when its month lies in the period.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from yakusho.core.models import Municipality
from yakusho.metrics.registry import Period, registry
from yakusho.procedures.models.submissions import (
    NOT_SUBMITTED,
    Submission,
    SubmissionChannel,
    SubmissionStatus,
    SubmissionTally,
)

#: the models these figures read (their stored figures go stale when one changes)
DEPENDS_ON = ("procedures.Submission", "procedures.SubmissionTally")


def _submissions(municipality: Municipality, period: Period) -> QuerySet[Submission]:
    return (
        Submission.objects.for_municipality(municipality)
        .filter(submitted_at__date__gte=period.start, submitted_at__date__lte=period.end)
        .exclude(status__in=NOT_SUBMITTED)  # a fee paid first and not yet paid: not submitted
    )


def _tallies(municipality: Municipality, period: Period) -> QuerySet[SubmissionTally]:
    return SubmissionTally.objects.for_municipality(municipality).filter(
        month__gte=period.start.replace(day=1), month__lte=period.end
    )


def _by_channel(municipality: Municipality, period: Period, channel: str) -> int:
    stored = _submissions(municipality, period).filter(channel=channel).count()
    erased = _tallies(municipality, period).filter(channel=channel).aggregate(n=Sum("erased"))["n"] or 0
    return stored + erased


def online_by_procedure(municipality: Municipality, period: Period) -> dict[str, int | Decimal | None]:
    """The online submissions of the period per procedure (its key), erased ones included."""
    counts: Counter[str] = Counter()
    online = SubmissionChannel.ONLINE
    for key, n in (
        _submissions(municipality, period)
        .filter(channel=online)
        .values_list("procedure__key")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[key] += n
    for key, n in (
        _tallies(municipality, period)
        .filter(channel=online)
        .values_list("procedure_key")
        .annotate(n=Sum("erased"))
        .order_by()
    ):
        counts[key] += n or 0
    return dict(counts)


@registry.provider(
    "procedures.submissions_online",
    breakdown=online_by_procedure,
    label_ja="オンライン申請件数",
    label_en="Online submissions",
    unit="件",
    description="期間中に受け付けたオンライン申請の件数（保存期間を過ぎて消去したものを含む）",
    depends_on=DEPENDS_ON,
)
def submissions_online(municipality: Municipality, period: Period) -> int:
    return _by_channel(municipality, period, SubmissionChannel.ONLINE)


@registry.provider(
    "procedures.submissions_counter",
    label_ja="窓口での申請件数",
    label_en="Submissions at the counter",
    unit="件",
    description="期間中に窓口で受け付けた申請の件数（保存期間を過ぎて消去したものを含む）",
    depends_on=DEPENDS_ON,
)
def submissions_counter(municipality: Municipality, period: Period) -> int:
    return _by_channel(municipality, period, SubmissionChannel.COUNTER)


def _completion_days(municipality: Municipality, period: Period) -> list[int]:
    days = []
    for submitted, completed in (
        _submissions(municipality, period)
        .filter(status=SubmissionStatus.COMPLETED, completed_at__isnull=False)
        .values_list("submitted_at", "completed_at")
    ):
        days.append((timezone.localdate(completed) - timezone.localdate(submitted)).days)
    for histogram in _tallies(municipality, period).values_list("days_to_completion", flat=True):
        for day, count in (histogram or {}).items():
            days.extend([int(day)] * int(count))
    return days


@registry.provider(
    "procedures.median_days_to_completion",
    label_ja="申請から処理完了までの日数（中央値）",
    label_en="Median days from submission to completion",
    unit="日",
    description="期間中に受け付けて完了した申請の、受付日から完了日までの日数（暦日）の中央値",
    depends_on=DEPENDS_ON,
)
def median_days_to_completion(municipality: Municipality, period: Period) -> Decimal | None:
    days = _completion_days(municipality, period)
    if not days:
        return None
    return Decimal(str(median(days))).quantize(Decimal("0.1"), ROUND_HALF_UP)


@registry.provider(
    "procedures.completed_within_standard",
    label_ja="標準処理期間内に完了した申請の割合",
    label_en="Share completed within the standard processing period",
    unit="%",
    description="期間中に受け付けて完了した申請（処理期限のあるもの）のうち、処理期限までに完了した割合",
    depends_on=DEPENDS_ON,
)
def completed_within_standard(municipality: Municipality, period: Period) -> Decimal | None:
    on_time = total = 0
    for completed, deadline in (
        _submissions(municipality, period)
        .filter(status=SubmissionStatus.COMPLETED, completed_at__isnull=False, deadline__isnull=False)
        .values_list("completed_at", "deadline")
    ):
        total += 1
        on_time += deadline is not None and timezone.localdate(completed) <= deadline
    tallies = _tallies(municipality, period).aggregate(
        on_time=Sum("completed_on_time"), total=Sum("with_deadline")
    )
    on_time += tallies["on_time"] or 0
    total += tallies["total"] or 0
    if not total:
        return None
    return (Decimal(on_time) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)
