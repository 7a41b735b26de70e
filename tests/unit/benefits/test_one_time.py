"""One-time benefits with worked amounts (NR-35…37, NR-39, NR-41, XM-14, XM-25)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.benefits import Relation, UrbanIncomePublished
from contracts.decision import Rejected
from services.benefits.domain.levels import NATIONAL_2011
from services.benefits.domain.one_time import (
    OneTimeBenefit,
    death_benefits,
    death_subsidy_advance_fen,
    death_subsidy_fen,
    disability_subsidy,
    disability_subsidy_fen,
    funeral_subsidy_fen,
    missing_advance,
    rest_after_advance_fen,
)
from tests.unit.benefits import factories as f

# National urban per-capita disposable income: 2023 51,821 yuan, 2024 54,188 yuan.
INCOME_2023 = UrbanIncomePublished(year=2023, annual_income_fen=5_182_100,
                                   effective_from=date(2024, 1, 17), source="国家统计局")
INCOME_2024 = UrbanIncomePublished(year=2024, annual_income_fen=5_418_800,
                                   effective_from=date(2025, 1, 17), source="国家统计局")
REFS = f.refs(incomes=(INCOME_2023, INCOME_2024))


@pytest.mark.parametrize(("grade", "expected"), [
    (1, 16_200_000), (2, 15_000_000), (3, 13_800_000), (4, 12_600_000),  # NR-35: 27…21
    (5, 10_800_000), (6, 9_600_000),  # NR-36: 18, 16 months
    (7, 7_800_000), (8, 6_600_000), (9, 5_400_000), (10, 4_200_000),  # NR-37: 13…7 months
])
def test_nr_35_36_37_one_time_disability_subsidy_months_of_wage(grade: int, expected: int
                                                                ) -> None:
    # wage base 600,000 × months
    assert disability_subsidy_fen(grade, 600_000, NATIONAL_2011) == expected
    got = disability_subsidy(f.facts(f.assessed(date(2024, 6, 20), grade)), REFS)
    assert got is not None and got.amount_fen == expected
    assert got.benefit is OneTimeBenefit.DISABILITY_SUBSIDY and got.on == date(2024, 6, 20)


def test_nr_35_the_subsidy_is_on_the_first_assessment_not_a_reassessment() -> None:
    facts = f.facts(f.assessed(date(2024, 6, 20), 3),
                    f.assessed(date(2025, 6, 20), 1, reassessment=True, assessment_id="A2"))
    got = disability_subsidy(facts, REFS)
    assert got is not None and got.amount_fen == 23 * 600_000 and got.rules == ("NR-35",)
    assert disability_subsidy(f.facts(), REFS) is None


def test_xm_21_one_time_benefits_go_by_bank_transfer_to_the_employer() -> None:
    from contracts.settlement import Payee, PaymentChannel

    got = [*death_benefits(f.facts(f.died(date(2024, 6, 10))), REFS),
           disability_subsidy(f.facts(f.assessed(date(2024, 6, 20), 9)), REFS)]
    assert {(g.payee, g.channel) for g in got if g is not None} == {
        (Payee.EMPLOYER, PaymentChannel.BANK_TRANSFER)}


def test_nr_39_funeral_subsidy_six_months_of_the_city_average() -> None:
    assert funeral_subsidy_fen(800_000, NATIONAL_2011) == 4_800_000


def test_nr_39_death_subsidy_20_times_the_previous_years_urban_income() -> None:
    # 20 × 51,821 yuan = 1,036,420 yuan
    assert death_subsidy_fen(5_182_100, NATIONAL_2011) == 103_642_000


def test_nr_39_death_at_work_funeral_and_death_subsidy() -> None:
    got = death_benefits(f.facts(f.died(date(2024, 6, 10))), REFS)
    assert [(g.benefit, g.amount_fen, g.on) for g in got] == [
        (OneTimeBenefit.FUNERAL_SUBSIDY, 4_800_000, date(2024, 6, 10)),
        (OneTimeBenefit.DEATH_SUBSIDY, 103_642_000, date(2024, 6, 10)),  # the 2023 income
    ]


def test_nr_39_grade_1_to_4_death_not_at_work_gives_the_funeral_subsidy_only() -> None:
    facts = f.facts(f.assessed(date(2024, 6, 20), 2), f.died(date(2025, 3, 1), work_related=False))
    assert [(g.benefit, g.amount_fen) for g in death_benefits(facts, REFS)] == [
        (OneTimeBenefit.FUNERAL_SUBSIDY, 4_800_000)]
    grade_7 = f.facts(f.assessed(date(2024, 6, 20), 7), f.died(date(2025, 3, 1), False))
    assert death_benefits(grade_7, REFS) == ()


def test_xm_14_nr_41_half_the_death_subsidy_may_be_advanced_to_a_missing_workers_family(
        ) -> None:
    facts = f.facts(f.missing(date(2024, 3, 15), date(2024, 3, 16)),
                    f.dependant("SPOUSE", Relation.SPOUSE, date(1985, 2, 1)))
    advance = missing_advance(facts, REFS, date(2024, 9, 1))
    # 50% × 20 × 51,821 yuan = 518,210 yuan
    assert advance.amount_fen == 51_821_000 and advance.rules == ("XM-14", "NR-41")
    assert death_subsidy_advance_fen(103_642_001, NATIONAL_2011) == 51_821_001  # .5 up
    with pytest.raises(Rejected) as err:
        missing_advance(f.facts(), REFS, date(2024, 9, 1))
    assert err.value.code == "not_missing"


def test_xm_25_on_a_declaration_of_death_the_rest_less_what_was_advanced() -> None:
    # declared 2025-03-20: 20 × 54,188 yuan (2024) = 1,083,760 yuan; advanced 518,210 yuan;
    # the rest 565,550 yuan; and the funeral subsidy 6 × 8,000 yuan.
    facts = f.facts(f.missing(date(2024, 3, 15), date(2024, 3, 16)),
                    f.declared(date(2024, 3, 15), date(2025, 3, 20)))
    got = death_benefits(facts, REFS, advanced_fen=51_821_000)
    assert [(g.benefit, g.amount_fen) for g in got] == [
        (OneTimeBenefit.FUNERAL_SUBSIDY, 4_800_000), (OneTimeBenefit.DEATH_SUBSIDY, 56_555_000)]
    assert all(g.rules == ("NR-41", "XM-25") and g.on == date(2025, 4, 1) for g in got)
    assert death_benefits(facts, REFS)[1].amount_fen == 108_376_000  # nothing advanced
    assert rest_after_advance_fen(100, 150) == 0  # never negative
    with pytest.raises(Rejected):
        missing_advance(facts, REFS, date(2025, 4, 1))  # declared: no more advances


def test_nr_39_the_income_year_must_be_published() -> None:
    facts = f.facts(f.died(date(2024, 1, 10)), injured_on=date(2024, 1, 5))
    with pytest.raises(Rejected) as err:
        death_benefits(facts, REFS)  # 2023's income is published from 2024-01-17
    assert err.value.code == "no_urban_income" and "2023" in err.value.reason
