"""Figures of the counter (書かない窓口) for the metrics registry (imported from ``procedures/metrics.py``).

Visits are counted when they finished in the period (by local date); abandoned and unfinished
visits are not counted. Counter submissions themselves are ``procedures.submissions_counter``
(:mod:`.metrics_submissions`: 美郷町's KPI 「タブレットでの手続き件数」 is bound to it).

``procedures.counter_certificates`` adds up the copies (部数) of the certificates issued through
the counter: counter-channel submissions received in the period for a procedure with
``issues_certificate``, each counting its answer to the field with the fact ``certificate.copies``
(see docs/forms.md, Facts), or 1 when the form has no such field or it was left empty.
Submissions erased under the retention rule count 1 copy each (their tally keeps no answers).
大江町's KPI 「窓口申請システムでの証明書発行部数」 is bound to it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any

from django.db.models import Q, QuerySet, Sum

from yakusho.core.models import Municipality
from yakusho.metrics.registry import Period, registry
from yakusho.procedures.formengine import DefinitionError, load_definition
from yakusho.procedures.formengine import FormDefinition as EngineForm
from yakusho.procedures.models import FormDefinition
from yakusho.procedures.models.counter import CounterVisit, CounterVisitItem, VisitStatus
from yakusho.procedures.models.submissions import Submission, SubmissionChannel, SubmissionTally

COPIES_FACT = "certificate.copies"
TENTH = Decimal("0.1")
#: the models the visit figures read (their stored figures go stale when one changes)
VISITS = ("procedures.CounterVisit", "procedures.CounterVisitItem")


def _finished_visits(municipality: Municipality, period: Period) -> QuerySet[CounterVisit]:
    return CounterVisit.objects.for_municipality(municipality).filter(
        status=VisitStatus.FINISHED,
        finished_at__isnull=False,
        finished_at__date__gte=period.start,
        finished_at__date__lte=period.end,
    )


@registry.provider(
    "procedures.counter_visits",
    label_ja="窓口の来庁件数（書かない窓口）",
    label_en="Counter visits (no-writing counter)",
    unit="件",
    description="期間中に完了した書かない窓口での来庁の件数（中断・破棄した来庁は含みません）",
    depends_on=VISITS,
)
def counter_visits(municipality: Municipality, period: Period) -> int:
    return _finished_visits(municipality, period).count()


@registry.provider(
    "procedures.counter_procedures_per_visit",
    label_ja="来庁1件あたりの手続数",
    label_en="Procedures per counter visit",
    unit="件",
    description="期間中に完了した来庁1件あたりの、受け付けた手続（申請）の数の平均（小数点以下1桁）",
    depends_on=VISITS,
)
def counter_procedures_per_visit(municipality: Municipality, period: Period) -> Decimal | None:
    visits = _finished_visits(municipality, period)
    total_visits = visits.count()
    if not total_visits:
        return None
    # an item of a finished visit became a submission (kept complete when the submission is erased)
    items = (
        CounterVisitItem.objects.for_municipality(municipality)
        .filter(visit__in=visits)
        .filter(Q(submission__isnull=False) | Q(complete=True))
        .count()
    )
    return (Decimal(items) / Decimal(total_visits)).quantize(TENTH, ROUND_HALF_UP)


@registry.provider(
    "procedures.counter_handling_minutes_median",
    label_ja="窓口の対応時間（中央値）",
    label_en="Median handling time at the counter",
    unit="分",
    description="期間中に完了した来庁の、対応開始から完了までの時間（分）の中央値（小数点以下1桁）",
    depends_on=VISITS,
)
def counter_handling_minutes_median(municipality: Municipality, period: Period) -> Decimal | None:
    minutes = [
        Decimal((finished - started).total_seconds()) / 60
        for started, finished in _finished_visits(municipality, period)
        .filter(started_at__isnull=False)
        .values_list("started_at", "finished_at")
        if started is not None and finished is not None and finished >= started
    ]
    if not minutes:
        return None
    return Decimal(median(minutes)).quantize(TENTH, ROUND_HALF_UP)


def _copies(value: Any) -> int:
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return value if value >= 1 else 1
    if isinstance(value, str) and value.isdigit() and int(value) >= 1:
        return int(value)
    return 1


@registry.provider(
    "procedures.counter_certificates",
    label_ja="窓口で交付した証明書の部数",
    label_en="Certificates issued at the counter (copies)",
    unit="部",
    description=(
        "期間中に窓口で受け付けた証明書の交付申請（証明書を交付する手続）の部数の合計。"
        "部数の入力がないものは1部、保存期間を過ぎて消去した申請は1件1部として数えます"
    ),
    depends_on=(
        "procedures.Submission",
        "procedures.SubmissionTally",
        "procedures.FormDefinition",
        "procedures.Procedure",
    ),
)
def counter_certificates(municipality: Municipality, period: Period) -> int:
    rows = list(
        Submission.objects.for_municipality(municipality)
        .filter(
            channel=SubmissionChannel.COUNTER,
            procedure__issues_certificate=True,
            submitted_at__date__gte=period.start,
            submitted_at__date__lte=period.end,
        )
        .values_list("form_id", "data")
    )
    definitions: dict[int, EngineForm | None] = {}
    for pk, data in FormDefinition.objects.filter(pk__in={form_id for form_id, _data in rows}).values_list(
        "pk", "definition"
    ):
        try:
            definitions[pk] = load_definition(data)
        except DefinitionError:
            definitions[pk] = None  # a stored version the engine no longer reads: 1 copy each
    total = 0
    for form_id, data in rows:
        form = definitions.get(form_id)
        value = form.fact_values(data or {}).get(COPIES_FACT) if form is not None else None
        total += _copies(value)
    erased = (
        SubmissionTally.objects.for_municipality(municipality)
        .filter(
            channel=SubmissionChannel.COUNTER,
            procedure__issues_certificate=True,
            month__gte=period.start.replace(day=1),
            month__lte=period.end,
        )
        .aggregate(n=Sum("erased"))["n"]
    )
    return total + (erased or 0)
