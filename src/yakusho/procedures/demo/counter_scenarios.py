"""The scenarios of the demo counter visits (``counter_visits`` writes them): the invented residents
and households, the answers each procedure gets, and the visits drawn for one business day of a
town. Nothing here touches the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from yakusho.procedures.models import LifeEvent

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
