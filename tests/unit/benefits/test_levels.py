"""The national levels as data (DOMAIN.md §4b), the one rounding, and NR-40 effective dating."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.benefits import AllowancePayer, CareLevel
from contracts.decision import Rejected
from services.benefits.domain.levels import NATIONAL_2011, References, round_fen, share, split
from tests.unit.benefits import factories as f


def test_nr_35_to_37_one_time_subsidy_months_and_allowance_by_grade() -> None:
    months = {g.grade: g.one_time_subsidy_months for g in NATIONAL_2011.grades}
    assert months == {1: 27, 2: 25, 3: 23, 4: 21, 5: 18, 6: 16, 7: 13, 8: 11, 9: 9, 10: 7}
    allowance = {g.grade: (g.monthly_allowance_percent, g.allowance_paid_by)
                 for g in NATIONAL_2011.grades if g.monthly_allowance_percent}
    fund, employer = AllowancePayer.FUND, AllowancePayer.EMPLOYER
    assert allowance == {1: (90, fund), 2: (85, fund), 3: (80, fund), 4: (75, fund),
                         5: (70, employer), 6: (60, employer)}  # NR-36: 5–6 by the employer
    assert [g.article for g in NATIONAL_2011.grades] == ["NR-35"] * 4 + ["NR-36"] * 2 + [
        "NR-37"] * 4
    assert [g.grade for g in NATIONAL_2011.grades if g.minimum_wage_top_up] == [1, 2, 3, 4]


def test_nr_34_care_fee_percent_by_care_level() -> None:
    assert {c.care_level: c.percent_of_city_average for c in NATIONAL_2011.care_levels} == {
        CareLevel.FULL: 50, CareLevel.MOST: 40, CareLevel.PARTIAL: 30}
    assert {c.article for c in NATIONAL_2011.care_levels} == {"NR-34"}


def test_nr_39_nr_41_nr_64_levels_name_their_articles() -> None:
    d, m, w = NATIONAL_2011.death, NATIONAL_2011.missing, NATIONAL_2011.wage_base
    assert (d.funeral_subsidy_months, d.death_subsidy_income_multiple, d.spouse_percent,
            d.other_dependant_percent, d.alone_extra_percent, d.cap_percent_of_wage,
            d.article) == (6, 20, 40, 30, 10, 100, "NR-39")
    assert (m.wage_months, m.death_subsidy_advance_percent, m.article) == (3, 50, "NR-41")
    assert (w.floor_percent, w.ceiling_percent, w.article) == (60, 300, "NR-64")
    assert NATIONAL_2011.region is None and "工伤保险条例" in NATIONAL_2011.source
    assert NATIONAL_2011.effective_from == date(2011, 1, 1)


def test_rounding_is_half_up_to_the_fen() -> None:
    assert share(100_001, 50) == 50_001  # 50,000.5 -> up
    assert share(100_003, 30) == 30_001  # 30,000.9 -> up
    assert share(100_001, 30) == 30_000  # 30,000.3 -> down
    assert round_fen(5, 2) == 3 and round_fen(7, 3) == 2 and round_fen(8, 3) == 3
    with pytest.raises(ValueError):
        round_fen(1, 0)


@given(n=st.integers(0, 10**13), d=st.integers(1, 10**6))
def test_round_fen_is_within_half_a_fen(n: int, d: int) -> None:
    q = round_fen(n, d)
    assert 2 * abs(q * d - n) <= d
    assert 2 * (q * d - n) != -d  # exactly half goes up, never down


@given(total=st.integers(0, 10**9), weights=st.lists(st.integers(0, 10**7), min_size=1,
                                                     max_size=6))
def test_split_adds_up_exactly_and_never_exceeds_a_proportional_share_by_a_fen(
        total: int, weights: list[int]) -> None:
    parts = split(total, weights)
    if sum(weights) == 0:
        assert parts == [0] * len(weights)
        return
    assert sum(parts) == total
    for part, w in zip(parts, weights, strict=True):
        assert abs(part * sum(weights) - total * w) < sum(weights)


def test_nr_40_a_province_publishes_its_own_levels_and_the_later_wins() -> None:
    shandong = NATIONAL_2011.model_copy(update={
        "region": "370000", "effective_from": date(2025, 1, 1), "source": "鲁人社 test"})
    qingdao = NATIONAL_2011.model_copy(update={
        "region": "370200", "effective_from": date(2026, 1, 1), "source": "青岛 test"})
    late_national = NATIONAL_2011.model_copy(update={"effective_from": date(2025, 1, 1)})
    refs = References(levels=(NATIONAL_2011, qingdao, shandong, late_national))
    assert refs.levels_on("370102", date(2024, 12, 31)) is NATIONAL_2011
    assert refs.levels_on("370102", date(2025, 1, 1)) is shandong  # same day: the local one
    assert refs.levels_on("370102", date(2026, 6, 1)) is shandong  # Qingdao's is not Jinan's
    assert refs.levels_on("370203", date(2026, 1, 1)) is qingdao
    assert refs.levels_on("110105", date(2026, 1, 1)) is late_national  # Beijing: national
    with pytest.raises(Rejected) as none:
        refs.levels_on("370102", date(2010, 12, 31))
    assert none.value.code == "no_benefit_levels"


def test_reference_look_ups_say_what_is_missing() -> None:
    with pytest.raises(Rejected) as err:
        References().city_average_on(f.JINAN, date(2024, 1, 1))
    assert err.value.code == "no_city_average" and "370100" in err.value.reason
    with pytest.raises(Rejected) as err:
        References().urban_income(2023, date(2024, 6, 1))
    assert err.value.code == "no_urban_income"
    assert References().minimum_wage_on(f.JINAN, date(2024, 1, 1)) is None
