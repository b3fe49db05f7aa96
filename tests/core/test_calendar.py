from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import MunicipalityFactory
from yakusho.core.calendar import BusinessCalendar
from yakusho.core.models import Closure

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    return MunicipalityFactory()


def test_weekends_holidays_and_year_end(town) -> None:
    cal = BusinessCalendar(town, range(2025, 2028))
    assert cal.closed_reason(date(2026, 4, 4)) == "土曜日"
    assert cal.closed_reason(date(2026, 4, 5)) == "日曜日"
    assert cal.closed_reason(date(2026, 4, 29)) == "昭和の日"
    assert cal.closed_reason(date(2026, 5, 6)) == "振替休日"  # 憲法記念日 on a Sunday
    assert cal.closed_reason(date(2026, 12, 29)) == "年末年始"
    assert cal.closed_reason(date(2027, 1, 1)) == "元日"
    assert cal.closed_reason(date(2027, 1, 4)) is None
    assert cal.is_business_day(date(2026, 4, 1))


def test_year_end_can_be_kept_open(town) -> None:
    town.closes_year_end = False
    cal = BusinessCalendar(town, range(2026, 2027))
    assert cal.is_business_day(date(2026, 12, 29))


def test_own_closures(town) -> None:
    Closure.objects.create(municipality=town, date=date(2026, 4, 1), reason="庁舎移転")
    other = MunicipalityFactory()
    cal = BusinessCalendar(town, range(2026, 2027))
    assert cal.closed_reason(date(2026, 4, 1)) == "庁舎移転"
    assert BusinessCalendar(other, range(2026, 2027)).is_business_day(date(2026, 4, 1))


def test_add_business_days_over_golden_week(town) -> None:
    cal = BusinessCalendar(town, range(2026, 2027))
    # Thu 30 April 2026 + 1 business day: 1 May (Fri), then 2–6 May closed.
    assert cal.add_business_days(date(2026, 4, 30), 1) == date(2026, 5, 1)
    assert cal.add_business_days(date(2026, 4, 30), 2) == date(2026, 5, 7)
    assert cal.add_business_days(date(2026, 5, 3), 0) == date(2026, 5, 7)
    assert cal.add_business_days(date(2026, 12, 25), 1) == date(2026, 12, 28)
    assert cal.add_business_days(date(2026, 12, 28), 1) == date(2027, 1, 4)
    with pytest.raises(ValueError):
        cal.add_business_days(date(2026, 4, 1), -1)


def test_dates_outside_the_loaded_years_are_still_right(town) -> None:
    cal = BusinessCalendar(town, range(2026, 2027))
    assert cal.closed_reason(date(2030, 1, 1)) == "元日"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # the town is only read
@given(start=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), n=st.integers(0, 40))
def test_add_business_days_lands_on_a_business_day(town, start: date, n: int) -> None:
    cal = BusinessCalendar(town, range(2025, 2029))
    end = cal.add_business_days(start, n)
    assert cal.is_business_day(end)
    if n:
        assert cal.business_days_between(start, end) == n
        assert cal.business_days_between(start, end - timedelta(days=1)) == n - 1


def test_warm_up_loads_the_default_span_once() -> None:
    from yakusho.core import calendar

    calendar._holidays_for.cache_clear()
    calendar.warm_up()
    info = calendar._holidays_for.cache_info()
    calendar.japanese_holidays(calendar.default_years())  # what a calendar of today asks for
    assert info.currsize == 1 and calendar._holidays_for.cache_info().hits == info.hits + 1
