"""Figures the FAQ publishes to the metrics registry, per municipality and period, from the query
log (``faq.Query``): how many questions residents asked through the FAQ and the chat, the share
answered, the share asked while the offices were closed, and the share rated helpful.

A question belongs to the period of the day (in Japan) on which it was asked. A share of nothing
(no question, no rating) is None, not 0.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q

from yakusho.core.models import Municipality
from yakusho.faq.analysis import percent, queries_between
from yakusho.metrics.registry import Period, registry

#: None declared: a question is a new row of the log, one every few seconds in a busy town, and
#: marking the stored figures stale on each would add a write to every chat turn. Without it the
#: registry measures a running period's figures again on every round of ``refresh-figures`` (every
#: 10 minutes); closed periods do not change (metrics registry, "depends_on").
DEPENDS_ON: tuple[str, ...] = ()


def _counts(municipality: Municipality, period: Period) -> dict[str, int]:
    counts = queries_between(municipality, period.start, period.end).aggregate(
        n=Count("pk"),
        n_answered=Count("pk", filter=Q(answered=True)),
        n_out_of_hours=Count("pk", filter=Q(out_of_hours=True)),
        n_helpful=Count("pk", filter=Q(helpful=True)),
        n_rated=Count("pk", filter=Q(helpful__isnull=False)),
    )
    return {key: value or 0 for key, value in counts.items()}


@registry.provider(
    "faq.questions",
    label_ja="FAQ・チャットへの質問数",
    label_en="Questions asked in the FAQ and chat",
    unit="件",
    description="住民がFAQページ・チャットで聞いた質問の件数（質問記録より）",
    depends_on=DEPENDS_ON,
)
def questions(municipality: Municipality, period: Period) -> int:
    return _counts(municipality, period)["n"]


@registry.provider(
    "faq.answered_share",
    label_ja="FAQ・チャットで回答できた割合",
    label_en="Share of questions answered by the FAQ",
    unit="%",
    description="質問のうち、合うFAQを回答として示せた割合",
    depends_on=DEPENDS_ON,
)
def answered_share(municipality: Municipality, period: Period) -> Decimal | None:
    counts = _counts(municipality, period)
    return percent(counts["n_answered"], counts["n"])


@registry.provider(
    "faq.out_of_hours_share",
    label_ja="開庁時間外の質問の割合",
    label_en="Share of questions asked out of office hours",
    unit="%",
    description="質問のうち、閉庁日または開庁時間の外に聞かれた割合",
    depends_on=DEPENDS_ON,
)
def out_of_hours_share(municipality: Municipality, period: Period) -> Decimal | None:
    counts = _counts(municipality, period)
    return percent(counts["n_out_of_hours"], counts["n"])


@registry.provider(
    "faq.helpful_share",
    label_ja="FAQ・チャットで解決した割合",
    label_en="Share of rated answers that helped",
    unit="%",
    description="「解決しましたか？」に答えた質問のうち「解決した」の割合",
    depends_on=DEPENDS_ON,
)
def helpful_share(municipality: Municipality, period: Period) -> Decimal | None:
    counts = _counts(municipality, period)
    return percent(counts["n_helpful"], counts["n_rated"])
