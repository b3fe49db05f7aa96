"""Ages at the counter: the visitor's age from the card, and the age range of a one-stop rule.

A one-stop rule may apply from an age, up to an age, or both (``OneStopRule.min_age`` /
``max_age``, inclusive): at 転入, 国民健康保険 up to 74 and 後期高齢者医療 from 75 (高齢者の医療の確保
に関する法律 第50条: from the 75th birthday). The age is the one on the visit's day; a birthday
counts from the day itself, and someone born on 29 February is a year older on 1 March of a
common year (as the 後期高齢者医療 rule reads it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

#: the highest age a rule may name (the form and ``save_one_stop`` refuse more)
MAX_AGE = 130


def age_on(birth: date, day: date) -> int:
    """Completed years of someone born on ``birth``, on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def visitor_age(visit: Any, day: date | None = None) -> int | None:
    """The visitor's age from the birth date the card gave (``visit.identity``), on ``day``
    (default: the day the visitor arrived); None without a readable birth date."""
    text = str((getattr(visit, "identity", None) or {}).get("birth_date") or "")
    try:
        birth = date.fromisoformat(text)
    except ValueError:
        return None
    if day is None:
        arrived = getattr(visit, "arrived_at", None)
        day = timezone.localdate(arrived) if arrived is not None else timezone.localdate()
    age = age_on(birth, day)
    return age if 0 <= age <= MAX_AGE else None


def in_range(age: int, min_age: int | None, max_age: int | None) -> bool:
    return (min_age is None or age >= min_age) and (max_age is None or age <= max_age)


def range_text(min_age: int | None, max_age: int | None) -> str:
    """「75歳以上」「74歳以下」「40〜64歳」; "" without a range."""
    if min_age is not None and max_age is not None:
        if min_age == max_age:
            return _("%(age)s歳") % {"age": min_age}
        return _("%(low)s〜%(high)s歳") % {"low": min_age, "high": max_age}
    if min_age is not None:
        return _("%(age)s歳以上") % {"age": min_age}
    if max_age is not None:
        return _("%(age)s歳以下") % {"age": max_age}
    return ""


def range_problem(name: str, min_age: Any, max_age: Any) -> str:
    """Why an age range is refused, naming the procedure ("": it is fine)."""
    for value in (min_age, max_age):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AGE:
            return _("「%(name)s」の対象の年齢は0〜%(max)s歳の整数で入力してください。") % {
                "name": name,
                "max": MAX_AGE,
            }
    if min_age is not None and max_age is not None and min_age > max_age:
        return _(
            "「%(name)s」の対象の年齢は「以上」（%(low)s歳）が「以下」（%(high)s歳）より大きくなっています。"
        ) % {"name": name, "low": min_age, "high": max_age}
    return ""
