"""External evaluation (外部評価・有識者会議): what an outside body said about a review, entered by
the DX推進室 — about the whole cycle or about one item of the plan — with the body's name and the
date. The report shows it apart from the secretariat's own comments (docs/progress-reports.md).

Rules: the body and the text are required; the date is a day from the first day of the cycle's
fiscal year up to today (a comment is entered after the meeting that made it); the item, when
there is one, belongs to the cycle's edition. Every change is a ``save()`` or ``delete()`` of an
audited model, so the audit trail keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.core.jcal import format_wareki_date
from yakusho.plans import periods
from yakusho.plans.models import ExternalEvaluation, Node, ReviewCycle

BODY_MAX = ExternalEvaluation._meta.get_field("body").max_length or 200
TEXT_MAX = 20000


class ExternalRefused(Exception):
    """Refused input, every problem at once: ``problems`` maps a field name to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems


def date_bounds(cycle: ReviewCycle, today: date | None = None) -> tuple[date, date]:
    """The first and the last day an external evaluation of ``cycle`` may carry."""
    first, _last = periods.bounds(cycle.fiscal_year, cycle.edition.review_period, 0)
    return first, today or timezone.localdate()


def date_problem(cycle: ReviewCycle, on: date) -> str | None:
    first, last = date_bounds(cycle)
    if first <= on <= last:
        return None
    return _(
        "日付は、対象年度の初日（%(first)s）から今日（%(last)s）までの日にしてください（入力：%(on)s）。"
    ) % {"first": format_wareki_date(first), "last": format_wareki_date(last), "on": format_wareki_date(on)}


def problems(
    cycle: ReviewCycle, *, node: Node | None, body: str, on: date | None, text: str
) -> dict[str, str]:
    found: dict[str, str] = {}
    if node is not None and (
        node.edition_id != cycle.edition_id or node.municipality_id != cycle.municipality_id
    ):
        found["node"] = _("この進捗評価の計画にない項目です。項目を選び直してください。")
    if not body.strip():
        found["body"] = _("評価した会議・委員会の名称を入力してください（例：DX推進外部評価委員会）。")
    elif len(body.strip()) > BODY_MAX:
        found["body"] = _("会議・委員会の名称は%(n)d文字までにしてください。") % {"n": BODY_MAX}
    if on is None:
        found["date"] = _("意見を受けた日（会議の日）を入力してください（例：令和7年8月20日）。")
    elif (problem := date_problem(cycle, on)) is not None:
        found["date"] = problem
    if not text.strip():
        found["text"] = _("意見の内容を入力してください。")
    elif len(text) > TEXT_MAX:
        found["text"] = _("意見は%(n)d文字までにしてください。") % {"n": TEXT_MAX}
    return found


@transaction.atomic
def add(
    cycle: ReviewCycle, *, node: Node | None, body: str, on: date | None, text: str, by: Any = None
) -> ExternalEvaluation:
    found = problems(cycle, node=node, body=body, on=on, text=text)
    if found or on is None:
        raise ExternalRefused(found)
    return ExternalEvaluation.objects.create(
        municipality_id=cycle.municipality_id,
        cycle=cycle,
        node=node,
        body=body.strip(),
        date=on,
        text=text.strip(),
        entered_by=by if getattr(by, "is_authenticated", False) else None,
    )


@transaction.atomic
def update(
    evaluation: ExternalEvaluation, *, node: Node | None, body: str, on: date | None, text: str
) -> ExternalEvaluation:
    evaluation = (
        ExternalEvaluation.objects.select_for_update().select_related("cycle__edition").get(pk=evaluation.pk)
    )
    found = problems(evaluation.cycle, node=node, body=body, on=on, text=text)
    if found or on is None:
        raise ExternalRefused(found)
    evaluation.node, evaluation.body, evaluation.date, evaluation.text = node, body.strip(), on, text.strip()
    evaluation.save()
    return evaluation


@transaction.atomic
def delete(evaluation: ExternalEvaluation) -> None:
    evaluation.delete()


def for_cycle(cycle: ReviewCycle) -> list[ExternalEvaluation]:
    """The cycle's external evaluations: those about the whole cycle first, then by item, by date."""
    rows = list(
        ExternalEvaluation.objects.filter(cycle=cycle, municipality_id=cycle.municipality_id).select_related(
            "node"
        )
    )
    return sorted(rows, key=lambda e: (e.node is not None, e.node.order if e.node else 0, e.date, e.pk))


@dataclass(frozen=True)
class ExternalEntry:
    """An external evaluation as the report prints it."""

    body: str
    date: date
    date_text: str  # 令和7年8月20日
    text: str
    node_code: str = ""
    node_title: str = ""

    @property
    def heading(self) -> str:
        """「DX推進外部評価委員会（令和7年8月20日）」"""
        return f"{self.body}（{self.date_text}）"


def entry(evaluation: ExternalEvaluation, node: Node | None = None) -> ExternalEntry:
    return ExternalEntry(
        body=evaluation.body,
        date=evaluation.date,
        date_text=format_wareki_date(evaluation.date),
        text=evaluation.text,
        node_code=node.code if node else "",
        node_title=node.title if node else "",
    )


def history(cycle: ReviewCycle) -> list[Any]:
    """The audit trail of the cycle's external evaluations, deleted ones included (their entries
    name the cycle they belonged to), newest first."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from yakusho.plans.review.scales import history_rows

    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ExternalEvaluation),
        additional_data__municipality=cycle.municipality_id,
    ).select_related("actor", "content_type")
    current = {str(pk) for pk in ExternalEvaluation.objects.filter(cycle=cycle).values_list("pk", flat=True)}
    mine = {e.object_pk for e in entries if str(cycle.pk) in (e.changes_dict.get("cycle") or [])} | current
    return history_rows([e for e in entries if e.object_pk in mine])
