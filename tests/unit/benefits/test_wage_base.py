"""XM-27 the wage base, and NR-64 its floor and ceiling, with worked amounts."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.decision import Rejected
from services.benefits.domain.levels import NATIONAL_2011
from services.benefits.domain.months import Month
from services.benefits.domain.wage_base import (
    average_contribution_wage,
    bounded,
    paid_months,
    wage_base,
)
from tests.unit.benefits import factories as f

INJURY_MONTH = Month(2024, 3)


def test_xm_27_average_of_the_12_months_up_to_and_including_the_injury_month() -> None:
    # Apr 2023 … Mar 2024: 11 × 600,000 and the injury month 720,000 -> 7,320,000 / 12.
    wages = [f.wage(INJURY_MONTH - i) for i in range(1, 12)] + [f.wage(INJURY_MONTH, 720_000)]
    outside = [f.wage(Month(2023, 3), 9_999_999), f.wage(Month(2024, 4), 9_999_999)]
    paid = paid_months([*wages, *outside], f.JINAN)
    assert average_contribution_wage(paid, INJURY_MONTH) == 610_000


def test_xm_27_fewer_than_12_months_paid_averages_the_months_actually_paid() -> None:
    # Nov 2023 … Mar 2024 (5 months): 500,000 + 500,000 + 600,000 + 600,000 + 700,003
    # = 2,900,003 / 5 = 580,000.6 -> 580,001 (half up)
    amounts = [500_000, 500_000, 600_000, 600_000, 700_003]
    wages = [f.wage(Month(2023, 11) + i, fen) for i, fen in enumerate(amounts)]
    assert average_contribution_wage(paid_months(wages, f.JINAN), INJURY_MONTH) == 580_001


def test_xm_27_a_gap_or_a_zero_month_is_not_a_paid_month() -> None:
    # Jan 2024 600,000; Feb 2024 recorded 0 (no contribution); Mar 2024 400,000 -> 500,000
    wages = [f.wage(Month(2024, 1)), f.wage(Month(2024, 2), 0), f.wage(Month(2024, 3), 400_000)]
    assert average_contribution_wage(paid_months(wages, f.JINAN), INJURY_MONTH) == 500_000


def test_xm_27_only_contributions_paid_in_the_insured_city_count() -> None:
    wages = [f.wage(Month(2024, 2), 900_000, region="370200"), f.wage(Month(2024, 3))]
    assert average_contribution_wage(paid_months(wages, "370102"), INJURY_MONTH) == 600_000


def test_xm_27_a_later_record_of_the_same_month_replaces_the_earlier() -> None:
    first = f.wage(Month(2024, 3), 100_000, recorded_on=date(2024, 4, 1))
    corrected = f.wage(Month(2024, 3), 600_000, recorded_on=date(2024, 5, 1))
    assert average_contribution_wage(paid_months([corrected, first], f.JINAN),
                                     INJURY_MONTH) == 600_000


def test_xm_27_no_paid_month_in_the_window_is_refused() -> None:
    with pytest.raises(Rejected) as err:
        average_contribution_wage(paid_months([f.wage(Month(2023, 3))], f.JINAN), INJURY_MONTH)
    assert err.value.code == "no_contribution_wage"


def test_nr_64_floor_60_and_ceiling_300_percent_of_the_city_average() -> None:
    bounds = NATIONAL_2011.wage_base
    # city average 800,000: floor 480,000, ceiling 2,400,000
    assert bounded(300_000, 800_000, bounds) == 480_000
    assert bounded(480_000, 800_000, bounds) == 480_000
    assert bounded(600_000, 800_000, bounds) == 600_000
    assert bounded(3_000_000, 800_000, bounds) == 2_400_000
    # city average 733,335: floor 440,001 (440,001.0), ceiling 2,200,005
    assert bounded(1, 733_335, bounds) == 440_001
    assert bounded(10**9, 733_335, bounds) == 2_200_005


def test_xm_27_nr_64_wage_base_uses_the_city_average_in_force_on_the_injury_day() -> None:
    old = f.city_average(500_000, since=date(2023, 7, 1))
    new = f.city_average(1_000_000, since=date(2024, 3, 16), year=2023)
    refs = f.refs(city_averages=(old, new))
    low = f.wages_up_to(f.INJURED_ON, 200_000)
    # on 2024-03-15 the 500,000 average is in force: floor 300,000
    assert wage_base(low, f.JINAN, f.INJURED_ON, refs) == 300_000
    high = f.wages_up_to(f.INJURED_ON, 2_000_000)
    assert wage_base(high, f.JINAN, f.INJURED_ON, refs) == 1_500_000  # ceiling 300%


@given(amounts=st.lists(st.integers(1, 5_000_000), min_size=1, max_size=12))
def test_xm_27_nr_64_the_base_lies_between_the_bounds_and_the_paid_wages(
        amounts: list[int]) -> None:
    wages = [f.wage(INJURY_MONTH - i, fen) for i, fen in enumerate(amounts)]
    base = wage_base(wages, f.JINAN, f.INJURED_ON, f.refs())
    assert 480_000 <= base <= 2_400_000
    assert min(max(min(amounts), 480_000), 2_400_000) <= base
    assert base <= max(min(max(amounts), 2_400_000), 480_000)
