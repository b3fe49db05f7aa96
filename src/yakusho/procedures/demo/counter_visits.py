"""Demo counter visits of past days (書かない窓口), loaded by ``yakusho demo`` after the one-stop
rules (``demo_loaded`` receiver), so the counter metrics, the KPIs bound to them (大江町's
「窓口申請システムでの証明書発行部数」, 美郷町's 「タブレットでの手続き件数」) and the inbox show figures.

For 大江町 (``oe``) and 美郷町 (``misato``), every one of the :data:`DAYS` business days before
today (the municipality's calendar: weekends, holidays, 年末年始 and its closures are skipped) gets
visits drawn with a seed made of the municipality and the date, so a date always gets the same
visits whenever it is loaded: certificate requests (大江町: 住民票の写し, 印鑑登録証明書, 所得証明書,
1–3 copies) and 転入 one-stop visits whose procedures follow the household (転入届, 国民健康保険,
児童手当 when there are children, 要介護認定 for some older residents, 水道), plus now and then a
visit abandoned half-way. The residents are invented and say so: every one is 「デモ」 (family
name デモ, addresses with invented 番地 in the town, phone numbers 090-0000-xxxx) and none has an
e-mail address, so no mail is queued. Those people, their answers and each day's visits are drawn
in ``counter_scenarios``; this module writes them.

Each answer set is validated by the form engine as on that day (``validate(today=…)``), exactly as
the counter does before finishing. The rows are then written in bulk, because going through
``counter.finish`` for hundreds of visits would take seconds: they are what the counter would
leave once ``yakusho discard-counter-visits`` has run over them — a finished visit with its
times, its confirmation time and each item complete and linked to its submission, identity,
facts and answers erased; an abandoned visit with no submission, erased as well — and each
submission is what ``submissions.create_submission`` makes for the item (same fields, the
idempotency key ``counter:<visit code>:<item id>``, the deadline from the 標準処理期間, received at
the finish), plus how staff handled it since: certificates completed on the spot, other
procedures completed some business days later, the most recent ones still open. Bulk writes leave
no audit-trail entries (as the other demo histories). ``tests/procedures/test_counter_demo.py``
checks a demo submission against one the real counter makes from the same answers.

Loading twice changes nothing: a day that already has counter visits gets no more (as the demo
queues' days with tickets).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from yakusho.core import shortcodes
from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Membership, Municipality, Role, User
from yakusho.procedures.catalogue.services import current_forms, definition_of, processing_deadline
from yakusho.procedures.demo.counter_scenarios import (
    CERTIFICATES,
    MOVING_IN,
    TOWNS,
    PlannedItem,
    PlannedVisit,
    Town,
    plan_day,
)
from yakusho.procedures.formengine import FormDefinition as EngineForm
from yakusho.procedures.models import FormDefinition, Procedure
from yakusho.procedures.models.counter import CounterVisit, CounterVisitItem, VisitStatus
from yakusho.procedures.models.submissions import Submission, SubmissionChannel, SubmissionStatus
from yakusho.procedures.submissions.fees import catalogue_prices
from yakusho.procedures.submissions.services import applicant_details, hash_secret, new_secret

#: how many business days before today get visits
DAYS = 120
#: the demo's counter staff (``yakusho demo``), set as the visits' staff when a member
DEMO_STAFF = "counter@example.jp"


def business_days(calendar: BusinessCalendar, today: date, count: int = DAYS) -> list[date]:
    """The ``count`` business days before ``today``, oldest first."""
    days: list[date] = []
    day = today - timedelta(days=1)
    while len(days) < count:
        if calendar.is_business_day(day):
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


# --- writing ------------------------------------------------------------------------------------------


@dataclass
class Result:
    visits: int = 0
    submissions: int = 0


class DemoAnswersError(ValueError):
    """Demo answers the form engine refuses: the generator and a form disagree."""


@dataclass
class _Form:
    procedure: Procedure
    row: FormDefinition
    definition: EngineForm


def _checked(form: _Form, answers: dict[str, Any], day: date) -> tuple[dict[str, Any], int | None]:
    """The engine's cleaned answers and fee, validated as on ``day`` (as the counter does)."""
    raw, _files = form.definition.to_input(answers)
    prices = catalogue_prices(form.procedure.municipality, form.definition, day)
    result = form.definition.validate(raw, {}, today=day, prices=prices)
    if not result.ok:
        raise DemoAnswersError(f"{form.procedure.municipality.slug}:{form.procedure.key}: {result.errors}")
    return dict(result.cleaned), (result.fee if form.definition.has_fee else None)


def _at(rng: random.Random, day: date, opens: time, closes: time) -> datetime:
    tz = timezone.get_current_timezone()
    start, end = datetime.combine(day, opens, tz), datetime.combine(day, closes, tz)
    return (start + timedelta(seconds=rng.random() * (end - start).total_seconds())).replace(microsecond=0)


def _handled(
    rng: random.Random,
    procedure: Procedure,
    received: datetime,
    today: date,
    calendar: BusinessCalendar,
    municipality: Municipality,
) -> tuple[str, datetime | None]:
    """How staff have handled a counter submission since: (status, completed_at)."""
    if procedure.issues_certificate:  # issued on the spot
        return SubmissionStatus.COMPLETED, received + timedelta(minutes=rng.randint(1, 5))
    day = timezone.localdate(received)
    done_on = calendar.add_business_days(day, rng.choice((0, 1, 1, 2, 3, 5)))
    if done_on < today:
        completed = _at(rng, done_on, municipality.office_opens, municipality.office_closes)
        return SubmissionStatus.COMPLETED, max(completed, received + timedelta(minutes=10))
    recent = calendar.add_business_days(day, 1) >= today
    return (SubmissionStatus.RECEIVED if recent else SubmissionStatus.REVIEWING), None


def load_town(municipality: Municipality, town: Town, today: date) -> Result:
    """Make the demo visits of one municipality's past business days that have none yet."""
    result = Result()
    procedures = list(
        Procedure.objects.for_municipality(municipality).filter(key__in=[*CERTIFICATES, *MOVING_IN])
    )
    rows = current_forms(procedures)
    forms = {p.key: _Form(p, rows[p.pk], definition_of(rows[p.pk])) for p in procedures if p.pk in rows}
    if not forms:
        return result
    calendar = BusinessCalendar(municipality, range(today.year - 2, today.year + 2))
    days = business_days(calendar, today)
    tz = timezone.get_current_timezone()
    first = datetime.combine(days[0], time.min, tz)
    visits_qs = CounterVisit.objects.for_municipality(municipality)
    done = {
        timezone.localdate(at)
        for at in visits_qs.filter(arrived_at__gte=first).values_list("arrived_at", flat=True)
    }
    visit_codes = set(visits_qs.values_list("code", flat=True))
    submission_codes = set(Submission.objects.for_municipality(municipality).values_list("code", flat=True))
    staff = _demo_staff(municipality)
    opens, closes = municipality.office_opens, municipality.office_closes

    planned: list[tuple[CounterVisit, PlannedVisit]] = []
    for day in days:
        if day in done:
            continue
        for plan in plan_day(town, day, opens, closes, set(forms)):
            code = shortcodes.fresh(visit_codes)
            finished = not plan.abandoned
            visit = CounterVisit(
                municipality=municipality,
                code=code,
                status=VisitStatus.FINISHED if finished else VisitStatus.ABANDONED,
                staff=staff,
                arrived_at=plan.arrived,
                started_at=plan.started,
                finished_at=plan.ended if finished else None,
                abandoned_at=None if finished else plan.ended,
                life_event=plan.life_event,
                confirmed_at=plan.ended - timedelta(minutes=2) if finished else None,
            )
            planned.append((visit, plan))
    if not planned:
        return result
    CounterVisit.objects.bulk_create([v for v, _p in planned], batch_size=500)

    items: list[tuple[CounterVisitItem, PlannedItem, CounterVisit, bool]] = []
    for visit, plan in planned:
        for order, planned_item in enumerate(plan.items):
            form = forms[planned_item.key]
            item = CounterVisitItem(
                municipality=municipality,
                visit=visit,
                procedure=form.procedure,
                form=form.row,
                complete=not plan.abandoned or order < len(plan.items) - 1,
                order=order,
            )
            items.append((item, planned_item, visit, plan.abandoned))
    CounterVisitItem.objects.bulk_create([i for i, *_rest in items], batch_size=500)

    submissions: list[tuple[CounterVisitItem, Submission]] = []
    for item, planned_item, visit, abandoned in items:
        if abandoned:
            continue
        form = forms[planned_item.key]
        assert visit.finished_at is not None
        day = timezone.localdate(visit.finished_at)
        cleaned, fee = _checked(form, planned_item.answers, day)
        name, kana, email = applicant_details(form.definition, cleaned)
        # Seeded by what the plan fixed (town, arrival, order), not by the visit's random code: the
        # same load gives the same handling, so the latest day's waits are always there.
        seed = f"counter-demo/{municipality.slug}/{visit.arrived_at.isoformat()}/{item.order}"
        rng = random.Random(seed)  # noqa: S311 - demo figures
        status, completed = _handled(rng, form.procedure, visit.finished_at, today, calendar, municipality)
        submissions.append(
            (
                item,
                Submission(
                    municipality=municipality,
                    procedure=form.procedure,
                    form=form.row,
                    form_version=form.row.version,
                    data=cleaned,
                    channel=SubmissionChannel.COUNTER,
                    code=shortcodes.fresh(submission_codes),
                    secret_hash=hash_secret(new_secret()),
                    idempotency_key=f"counter:{visit.code}:{item.pk}",
                    applicant_name=name,
                    applicant_kana=kana,
                    applicant_email=email,
                    fee_yen=fee,
                    deadline=processing_deadline(form.procedure, day, calendar),
                    submitted_at=visit.finished_at,
                    status=status,
                    completed_at=completed,
                ),
            )
        )
    Submission.objects.bulk_create([s for _i, s in submissions], batch_size=500)
    for item, submission in submissions:
        item.submission = submission
    CounterVisitItem.objects.bulk_update([i for i, _s in submissions], ["submission"], batch_size=500)
    result.visits = len(planned)
    result.submissions = len(submissions)
    return result


def _demo_staff(municipality: Municipality) -> User | None:
    membership = (
        Membership.objects.filter(
            municipality=municipality, user__email=DEMO_STAFF, role=Role.COUNTER, is_active=True
        )
        .select_related("user")
        .first()
    )
    return membership.user if membership is not None else None


@transaction.atomic
def load_demo_visits(today: date | None = None) -> Result:
    today = today or timezone.localdate()
    total = Result()
    for town in TOWNS:
        municipality = Municipality.objects.filter(slug=town.slug).first()
        if municipality is None:
            continue
        result = load_town(municipality, town, today)
        total.visits += result.visits
        total.submissions += result.submissions
    return total


def demo_loaded_receiver(sender: Any = None, **kwargs: Any) -> str:
    try:
        result = load_demo_visits()
    except DemoAnswersError as exc:  # a demo form changed under the generator: say which
        raise CommandError(f"counter demo visits: {exc}") from None
    return f"Counter: {result.visits} demo visits of past days ({result.submissions} submissions)."
