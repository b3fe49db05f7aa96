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
e-mail address, so no mail is queued.

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
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from yakusho.core import shortcodes
from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Membership, Municipality, Role, User
from yakusho.procedures.catalogue.services import current_forms, definition_of, processing_deadline
from yakusho.procedures.formengine import FormDefinition as EngineForm
from yakusho.procedures.models import FormDefinition, LifeEvent, Procedure
from yakusho.procedures.models.counter import CounterVisit, CounterVisitItem, VisitStatus
from yakusho.procedures.models.submissions import Submission, SubmissionChannel, SubmissionStatus
from yakusho.procedures.submissions.services import applicant_details, hash_secret, new_secret

#: how many business days before today get visits
DAYS = 120
#: the demo's counter staff (``yakusho demo``), set as the visits' staff when a member
DEMO_STAFF = "counter@example.jp"
FAMILY = ("デモ", "デモ")
MALE = (
    ("太郎", "タロウ"),
    ("一郎", "イチロウ"),
    ("健太", "ケンタ"),
    ("翔太", "ショウタ"),
    ("大輔", "ダイスケ"),
    ("誠", "マコト"),
    ("浩", "ヒロシ"),
    ("隆", "タカシ"),
    ("悠斗", "ユウト"),
    ("修", "オサム"),
)
FEMALE = (
    ("花子", "ハナコ"),
    ("春子", "ハルコ"),
    ("美咲", "ミサキ"),
    ("陽子", "ヨウコ"),
    ("由美", "ユミ"),
    ("恵", "メグミ"),
    ("結衣", "ユイ"),
    ("和子", "カズコ"),
    ("直美", "ナオミ"),
    ("幸子", "サチコ"),
)
CHILDREN = (
    (("蓮", "レン"), "male"),
    (("陽菜", "ヒナ"), "female"),
    (("湊", "ミナト"), "male"),
    (("葵", "アオイ"), "female"),
    (("大和", "ヤマト"), "male"),
    (("結菜", "ユイナ"), "female"),
    (("樹", "イツキ"), "male"),
    (("芽依", "メイ"), "female"),
)
#: where the people moving in came from (postal code, address without 番地)
PREVIOUS = (
    ("990-0039", "山形県山形市香澄町"),
    ("980-0021", "宮城県仙台市青葉区中央"),
    ("010-0001", "秋田県秋田市中通"),
    ("160-0023", "東京都新宿区西新宿"),
    ("231-0023", "神奈川県横浜市中区山下町"),
)
CERTIFICATES = ("juminhyo-koufu", "inkan-shoumei-koufu", "shotoku-shoumei-koufu")
PURPOSES = ("work", "license", "pension", "housing", "bank", "school")


@dataclass(frozen=True)
class Town:
    slug: str
    #: (postal code, address without 番地) of the town's residents
    addresses: tuple[tuple[str, str], ...]
    #: certificate visits a day, drawn evenly between the two (0, 0: none)
    certificates: tuple[int, int] = (0, 0)
    #: each is the chance of one 転入 one-stop visit on a day
    moving_in: tuple[float, ...] = ()
    #: the chance that a day has one visit abandoned half-way
    abandoned: float = 0.0


TOWNS = (
    Town(
        "oe",
        addresses=(("990-1101", "山形県西村山郡大江町大字左沢"),),
        certificates=(1, 5),
        moving_in=(0.25,),
        abandoned=0.08,
    ),
    Town(
        "misato",
        addresses=(("019-1541", "秋田県仙北郡美郷町土崎"), ("019-1404", "秋田県仙北郡美郷町六郷")),
        moving_in=(0.45, 0.15),
        abandoned=0.05,
    ),
)


@dataclass
class Person:
    given: tuple[str, str]
    sex: str
    birth: date
    relationship: str = "head"

    def name(self, kana: bool = True) -> dict[str, str]:
        out = {"family_name": FAMILY[0], "given_name": self.given[0]}
        if kana:
            out |= {"family_kana": FAMILY[1], "given_kana": self.given[1]}
        return out

    @property
    def display(self) -> str:
        return f"{FAMILY[0]} {self.given[0]}"

    @property
    def kana(self) -> str:
        return f"{FAMILY[1]} {self.given[1]}"


@dataclass
class Household:
    """One visitor and, for a move, the people moving with them."""

    day: date
    head: Person
    address: dict[str, str]
    phone: str
    members: list[Person] = field(default_factory=list)
    previous: dict[str, str] = field(default_factory=dict)
    moved_on: date | None = None
    pension: str = "employee"

    @property
    def people(self) -> list[Person]:
        return [self.head, *self.members]

    @property
    def children(self) -> list[Person]:
        return [p for p in self.members if p.relationship == "child"]


# --- invented people --------------------------------------------------------------------------------


def _birth(rng: random.Random, day: date, low: int, high: int) -> date:
    return day - timedelta(days=rng.randint(low * 365 + 30, high * 365 + 300))


def _adult(rng: random.Random, day: date, low: int, high: int, sex: str | None = None) -> Person:
    sex = sex or rng.choice(("male", "female"))
    return Person(rng.choice(MALE if sex == "male" else FEMALE), sex, _birth(rng, day, low, high))


def _address(rng: random.Random, town: Town) -> dict[str, str]:
    postal, street = rng.choice(town.addresses)
    building = f"デモハイツ{rng.randint(1, 3)}0{rng.randint(1, 6)}号" if rng.random() < 0.2 else ""
    return {
        "postal_code": postal,
        "address": f"{street}{rng.randint(1, 2999)}-{rng.randint(1, 9)}",
        "building": building,
    }


def _phone(rng: random.Random) -> str:
    return f"090-0000-{rng.randint(0, 9999):04d}"


def _resident(
    person: Person, parts: tuple[str, ...], address: dict[str, str] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in parts:
        out |= person.name()
    if "address" in parts and address is not None:
        out |= {k: v for k, v in address.items() if v}
    if "birth_date" in parts:
        out["birth_date"] = person.birth.isoformat()
    if "sex" in parts:
        out["sex"] = person.sex
    return out


def _moving_household(rng: random.Random, town: Town, day: date, profile: str) -> Household:
    if profile == "family":
        head = _adult(rng, day, 27, 45, "male" if rng.random() < 0.8 else "female")
    elif profile == "elderly":
        head = _adult(rng, day, 66, 74)
    else:
        head = _adult(rng, day, 21, 39)
    members: list[Person] = []
    if profile == "family" or rng.random() < 0.5:
        spouse_sex = "female" if head.sex == "male" else "male"
        age = (day - head.birth).days // 365
        spouse = _adult(rng, day, max(20, age - 5), age + 3, spouse_sex)
        spouse.relationship = "spouse"
        members.append(spouse)
    if profile == "family":
        for given, sex in rng.sample(CHILDREN, rng.choice((1, 1, 2, 2, 3))):
            members.append(Person(given, sex, _birth(rng, day, 0, 13), "child"))
    previous_postal, previous_street = rng.choice(PREVIOUS)
    pension = "national" if profile == "elderly" or rng.random() < 0.3 else "employee"
    return Household(
        day=day,
        head=head,
        address=_address(rng, town),
        phone=_phone(rng),
        members=members,
        previous={
            "postal_code": previous_postal,
            "address": f"{previous_street}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}",
            "building": "",
        },
        moved_on=day - timedelta(days=rng.randint(0, 13)),
        pension=pension,
    )


# --- answers per procedure (cleaned-like values; the engine turns them into inputs) ----------------


def _certificate(key: str, rng: random.Random, h: Household, copies: int) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "requester": _resident(h.head, ("name", "address", "birth_date", "sex"), h.address),
        "copies": copies,
        "purpose": rng.choice(PURPOSES),
    }
    if rng.random() < 0.5:
        answers["phone"] = h.phone
    if key == "juminhyo-koufu":
        answers["relation"] = "self" if rng.random() < 0.85 else "household"
        answers["kind"] = "copy" if rng.random() < 0.9 else "items"
        if answers["kind"] == "copy":
            answers["scope"] = "all" if rng.random() < 0.6 else "some"
            if answers["scope"] == "some":
                answers["names"] = h.head.display
            answers["include"] = rng.choice(([], ["head"], ["head", "domicile"]))
    elif key == "inkan-shoumei-koufu":
        answers["presenter"] = "self" if rng.random() < 0.9 else "proxy"
        answers["card_shown"] = True
    else:  # shotoku-shoumei-koufu
        answers["relation"] = "self"
        answers["year"] = "r7" if rng.random() < 0.8 else "r6"
        answers["kind"] = rng.choice(("income", "tax"))
    return answers


def _rows_of(h: Household) -> list[dict[str, Any]]:
    return [
        {"name": p.name(), "birth_date": p.birth.isoformat(), "sex": p.sex, "relationship": p.relationship}
        for p in h.people
    ]


def _tennyu(rng: random.Random, h: Household) -> dict[str, Any]:
    assert h.moved_on is not None
    return {
        "moved_on": h.moved_on.isoformat(),
        "address": h.address,
        "previous_address": h.previous,
        "proof": "myna" if rng.random() < 0.4 else "certificate",
        "applicant": _resident(h.head, ("name", "birth_date", "sex")),
        "applicant_role": "self",
        "phone": h.phone,
        "household_kind": "new",
        "head_name": h.head.name(),
        "relationship": "head",
        "people": [{**row, "card": "continue" if rng.random() < 0.8 else "none"} for row in _rows_of(h)],
        "confirm": True,
    }


def _kokuho(rng: random.Random, h: Household) -> dict[str, Any]:
    assert h.moved_on is not None
    return {
        "reason": "moving_in",
        "moved_on": h.moved_on.isoformat(),
        "previous_address": h.previous,
        "head_name": h.head.name(),
        "address": h.address,
        "applicant": _resident(h.head, ("name", "birth_date", "sex")),
        "relationship": "head",
        "phone": h.phone,
        "insured": [{**row, "previous_insurance": "kokuho"} for row in _rows_of(h)],
        "delivery": "counter" if rng.random() < 0.7 else "mail",
        "confirm": True,
    }


def _jidou(rng: random.Random, h: Household) -> dict[str, Any]:
    assert h.moved_on is not None
    spouse = next((p for p in h.members if p.relationship == "spouse"), None)
    answers: dict[str, Any] = {
        "claimant": _resident(h.head, ("name", "birth_date", "sex")),
        "address": h.address,
        "phone": h.phone,
        "reason": "moving_in",
        "moved_on": h.moved_on.isoformat(),
        "previous_address": h.previous,
        "pension": h.pension,
        "children": [
            {
                "name": c.name(),
                "birth_date": c.birth.isoformat(),
                "relationship": "child",
                "living": "together",
            }
            for c in h.children
        ],
        "bank_name": "デモ銀行",
        "branch_name": rng.choice(("本店", "駅前支店", "役場前支店")),
        "account_type": "ordinary",
        "account_number": f"{rng.randint(0, 9999999):07d}",
        "account_holder": h.head.kana,
        "confirm": True,
    }
    if h.pension == "employee":
        answers["employer"] = rng.choice(("デモ工業株式会社", "株式会社デモ商事", "デモ建設株式会社"))
    if spouse is not None:
        answers["spouse"] = spouse.name(kana=False)
    return answers


def _youkaigo(rng: random.Random, h: Household) -> dict[str, Any]:
    assert h.moved_on is not None
    return {
        "insured": _resident(h.head, ("name", "birth_date", "sex")),
        "address": h.address,
        "phone": h.phone,
        "moved_on": h.moved_on.isoformat(),
        "previous_address": h.previous,
        "care_level": rng.choice(("support1", "support2", "care1", "care2")),
        "valid_until": (h.day + timedelta(days=rng.randint(60, 330))).isoformat(),
        "eligibility_certificate": "brought",
        "applicant_role": "self",
        "confirm": True,
    }


def _suido(rng: random.Random, h: Household) -> dict[str, Any]:
    return {
        "user_name": h.head.name(),
        "phone": h.phone,
        "place": h.address,
        "start_on": (h.day + timedelta(days=rng.randint(3, 10))).isoformat(),
        "use": "home",
        "household": len(h.people),
        "payer": "same",
        "payment": "transfer" if rng.random() < 0.6 else "slip",
        "confirm": True,
    }


MOVING_IN = {
    "tennyu-todoke": _tennyu,
    "kokuho-kanyu": _kokuho,
    "jidou-teate-nintei": _jidou,
    "youkaigo-tennyuu": _youkaigo,
    "suido-kaishi": _suido,
}


def _moving_in_keys(rng: random.Random, h: Household, profile: str) -> list[str]:
    """The procedures a household moving in needs, in the one-stop order."""
    keys = ["tennyu-todoke"]
    if h.pension == "national":
        keys.append("kokuho-kanyu")
    if h.children:
        keys.append("jidou-teate-nintei")
    if profile == "elderly" and rng.random() < 0.5:
        keys.append("youkaigo-tennyuu")
    if rng.random() < 0.8:
        keys.append("suido-kaishi")
    return keys


# --- one day's visits -------------------------------------------------------------------------------


@dataclass
class PlannedItem:
    key: str
    answers: dict[str, Any]


@dataclass
class PlannedVisit:
    arrived: datetime
    started: datetime
    ended: datetime
    items: list[PlannedItem]
    life_event: str = ""
    abandoned: bool = False


def _minutes(rng: random.Random, mean: float, low: float, high: float) -> timedelta:
    return timedelta(minutes=min(high, max(low, rng.gammavariate(6, mean / 6))))


def _timed(
    rng: random.Random, opens: datetime, closes: datetime, handling: timedelta
) -> tuple[datetime, datetime, datetime]:
    """Arrival, start and end of a visit inside opening hours."""
    wait = timedelta(minutes=rng.gammavariate(2, 2.5))
    latest = closes - handling - wait - timedelta(minutes=1)
    arrived = opens + timedelta(seconds=rng.random() * max(0.0, (latest - opens).total_seconds()))
    arrived = arrived.replace(microsecond=0)
    started = arrived + wait
    return arrived, started, started + handling


def plan_day(town: Town, day: date, opens: time, closes: time, available: set[str]) -> list[PlannedVisit]:
    """The visits of one business day, drawn from a seed of the town and the date (the draws do
    not depend on which procedures exist, only what is kept does)."""
    rng = random.Random(f"counter-demo/{town.slug}/{day.isoformat()}")  # noqa: S311 - demo figures
    tz = timezone.get_current_timezone()
    start, end = datetime.combine(day, opens, tz), datetime.combine(day, closes, tz)
    visits: list[PlannedVisit] = []
    for _n in range(rng.randint(*town.certificates)):
        h = Household(day, _adult(rng, day, 18, 85), _address(rng, town), _phone(rng))
        keys = [rng.choices(CERTIFICATES, weights=(6, 3, 2))[0]]
        if rng.random() < 0.2:
            keys.append(rng.choice([k for k in CERTIFICATES if k != keys[0]]))
        items = [
            PlannedItem(k, _certificate(k, rng, h, rng.choices((1, 2, 3), weights=(6, 3, 1))[0]))
            for k in keys
        ]
        items = [i for i in items if i.key in available]
        handling = _minutes(rng, 7 + 4 * len(items), 5, 25)
        arrived, started, ended = _timed(rng, start, end, handling)
        if items:
            visits.append(PlannedVisit(arrived, started, ended, items))
    for chance in town.moving_in:
        if rng.random() >= chance:
            continue
        profile = rng.choices(("family", "single", "elderly"), weights=(45, 35, 20))[0]
        h = _moving_household(rng, town, day, profile)
        keys = [k for k in _moving_in_keys(rng, h, profile) if k in available]
        items = [PlannedItem(k, MOVING_IN[k](rng, h)) for k in keys]
        handling = _minutes(rng, 12 + 9 * len(items), 20, 70)
        arrived, started, ended = _timed(rng, start, end, handling)
        if items:
            visits.append(PlannedVisit(arrived, started, ended, items, life_event=LifeEvent.MOVING_IN))
    if rng.random() < town.abandoned:
        # stopped half-way (a document missing, someone else had to come): nothing is submitted
        moving = not town.certificates[1] or rng.random() < 0.3
        keys = ["tennyu-todoke"] if moving else [rng.choice(CERTIFICATES)]
        handling = timedelta(minutes=rng.randint(3, 15))
        arrived, started, ended = _timed(rng, start, end, handling)
        items = [PlannedItem(k, {}) for k in keys if k in available]
        if items:
            visits.append(
                PlannedVisit(
                    arrived,
                    started,
                    ended,
                    items,
                    life_event=LifeEvent.MOVING_IN if moving else "",
                    abandoned=True,
                )
            )
    return sorted(visits, key=lambda v: v.arrived)


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
    result = form.definition.validate(raw, {}, today=day)
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
            code = _code(visit_codes)
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
        rng = random.Random(f"counter-demo/{visit.code}/{item.order}")  # noqa: S311 - demo figures
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
                    code=_code(submission_codes),
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


def _code(used: set[str]) -> str:
    code = shortcodes.generate()
    while code in used:
        code = shortcodes.generate()
    used.add(code)
    return code


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
