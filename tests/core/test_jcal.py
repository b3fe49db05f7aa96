from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yakusho.core.jcal import (
    JapaneseDateError,
    fiscal_year_bounds,
    fiscal_year_of,
    format_fiscal_year,
    format_wareki_date,
    parse_fiscal_year,
    parse_japanese_date,
)


def test_fiscal_year_display() -> None:
    assert format_fiscal_year(2026) == "令和8年度（2026年度）"
    assert format_fiscal_year(2026, short=True) == "令和8年度"
    assert format_fiscal_year(2019) == "令和元年度（2019年度）"
    assert format_fiscal_year(2018) == "平成30年度（2018年度）"
    assert format_fiscal_year(1989) == "平成元年度（1989年度）"


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("R8", 2026),
        ("r8", 2026),
        ("令和8年度", 2026),
        ("令和８年度", 2026),
        ("令和元年度", 2019),
        ("R8年度", 2026),
        ("2026年度", 2026),
        ("2026", 2026),
        ("２０２６年度", 2026),
        ("FY2026", 2026),
        ("H31", 2019),
        ("平成30年度", 2018),
        ("S64", 1989),
    ],
)
def test_parse_fiscal_year(text: str, year: int) -> None:
    assert parse_fiscal_year(text) == year


@pytest.mark.parametrize(
    "text", ["", "令和", "R", "平成32年度", "大正16年", "昭和65", "来年度", "R8年4月", "99999"]
)
def test_unparseable_fiscal_years(text: str) -> None:
    with pytest.raises(JapaneseDateError) as info:
        parse_fiscal_year(text)
    assert "「" in str(info.value) or "年" in str(info.value)


def test_era_boundary_heisei_reiwa() -> None:
    assert format_wareki_date(date(2019, 4, 30)) == "平成31年4月30日"
    assert format_wareki_date(date(2019, 5, 1)) == "令和元年5月1日"
    assert format_wareki_date(date(1989, 1, 7)) == "昭和64年1月7日"
    assert format_wareki_date(date(1989, 1, 8)) == "平成元年1月8日"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("令和8年4月1日", date(2026, 4, 1)),
        ("R8.4.1", date(2026, 4, 1)),
        ("R8/4/1", date(2026, 4, 1)),
        ("r8-4-1", date(2026, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("2026年4月1日", date(2026, 4, 1)),
        ("2026-04-01", date(2026, 4, 1)),
        ("２０２６／４／１", date(2026, 4, 1)),
    ],
)
def test_parse_dates(text: str, day: date) -> None:
    assert parse_japanese_date(text) == day


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("平成31年5月1日", "期間外"),
        ("令和元年4月30日", "期間外"),
        ("令和8年2月30日", "存在しない"),
        ("R8.13.1", "存在しない"),
        ("きのう", "読み取れません"),
        ("明治5年1月1日", "1873"),
    ],
)
def test_bad_dates(text: str, fragment: str) -> None:
    with pytest.raises(JapaneseDateError) as info:
        parse_japanese_date(text)
    assert fragment in str(info.value)


dates = st.dates(min_value=date(1873, 1, 1), max_value=date(2199, 12, 31))


@given(dates)
def test_wareki_round_trip(day: date) -> None:
    assert parse_japanese_date(format_wareki_date(day)) == day


@given(st.integers(min_value=1873, max_value=2199))
def test_fiscal_year_round_trip(year: int) -> None:
    assert parse_fiscal_year(format_fiscal_year(year)) == year
    assert parse_fiscal_year(format_fiscal_year(year, short=True)) == year


@given(dates)
def test_every_day_is_in_its_fiscal_year(day: date) -> None:
    start, end = fiscal_year_bounds(fiscal_year_of(day))
    assert start <= day <= end
    assert (end - start) in (timedelta(days=364), timedelta(days=365))


def test_display_form_must_agree() -> None:
    assert parse_fiscal_year("令和8年度（2026年度）") == 2026
    with pytest.raises(JapaneseDateError, match="一致しません"):
        parse_fiscal_year("令和8年度（2025年度）")
