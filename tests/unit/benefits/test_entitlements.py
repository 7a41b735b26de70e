"""Monthly entitlements with worked amounts (XM-2, XM-21…26, NR-34, NR-35, NR-39, NR-41).

The worker (factories.py): injured 2024-03-15 in Jinan, wage base 600,000 fen, city average
800,000 fen. Expected amounts are worked out by hand in each test.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts.benefits import CareLevel, MinimumWagePublished, Relation
from contracts.reference import WageAveragePublished
from services.benefits.domain.entitlements import (
    Benefit,
    amount,
    monthly_entitlements,
)
from services.benefits.domain.facts import WorkerFacts
from services.benefits.domain.levels import NATIONAL_2011
from services.benefits.domain.months import Month
from tests.unit.benefits import factories as f

W = f.WORKER
ALLOWANCE, TOP_UP = Benefit.DISABILITY_ALLOWANCE, Benefit.RETIREMENT_TOP_UP
CARE, PENSION = Benefit.LIVING_CARE_FEE, Benefit.DEPENDANT_PENSION
REFS = f.refs()


def test_xm_2_the_fund_pays_these_periodic_benefits_monthly() -> None:
    """XM-2: monthly disability allowance, living-care fee, dependants' pension (and XM-24's
    top-up); XM-21: each to the person's own account, so every entitlement names its person."""
    assert {b.value for b in Benefit} == {"disability_allowance", "living_care_fee",
                                          "dependant_pension", "retirement_top_up"}


def test_nr_35_grade_1_to_4_allowance_percent_of_the_wage_base() -> None:
    # 600,000 × 90% / 85% / 80% / 75%
    for grade, expected in [(1, 540_000), (2, 510_000), (3, 480_000), (4, 450_000)]:
        facts = f.facts(f.assessed(date(2024, 6, 20), grade))
        assert amount(facts, REFS, Month(2024, 7), W, ALLOWANCE) == expected


def test_nr_36_nr_37_grades_5_to_10_get_no_monthly_allowance_from_the_fund() -> None:
    for grade in range(5, 11):
        facts = f.facts(f.assessed(date(2024, 6, 20), grade))
        assert monthly_entitlements(facts, REFS, Month(2024, 7)) == ()


def test_nr_35_allowance_topped_up_to_the_local_minimum_wage() -> None:
    # city average 300,000: floor 180,000; wages 150,000 -> base 180,000; grade 4: 75% =
    # 135,000 < minimum wage 220,000 -> 220,000. Grade 1: 162,000 -> also 220,000.
    low = f.city_average(300_000)
    minimum = MinimumWagePublished(region="370000", monthly_minimum_wage_fen=220_000,
                                   effective_from=date(2023, 10, 1))
    refs = f.refs(city_averages=(low,), minimum_wages=(minimum,))
    facts = f.facts(f.assessed(date(2024, 6, 20), 4), wage_fen=150_000)
    assert amount(facts, refs, Month(2024, 7), W, ALLOWANCE) == 220_000
    assert amount(facts, f.refs(city_averages=(low,)), Month(2024, 7), W, ALLOWANCE) == 135_000


def test_nr_34_care_fee_percent_of_the_city_average_in_force_that_month() -> None:
    # 800,000 × 50% / 40% / 30%; a new average 900,000 from 2025-07-01: 50% = 450,000
    for care, expected in [(CareLevel.FULL, 400_000), (CareLevel.MOST, 320_000),
                           (CareLevel.PARTIAL, 240_000)]:
        facts = f.facts(f.assessed(date(2024, 6, 20), 7, care))
        assert amount(facts, REFS, Month(2024, 7), W, CARE) == expected
        assert amount(facts, REFS, Month(2024, 7), W, ALLOWANCE) == 0  # grade 7: none
    newer = WageAveragePublished(region=f.JINAN, year=2024, average_monthly_wage_fen=900_000,
                                 effective_from=date(2025, 7, 1))
    refs = f.refs(city_averages=(f.city_average(), newer))
    facts = f.facts(f.assessed(date(2024, 6, 20), 2, CareLevel.FULL))
    assert amount(facts, refs, Month(2025, 6), W, CARE) == 400_000
    assert amount(facts, refs, Month(2025, 7), W, CARE) == 450_000


def test_xm_23_4_benefits_start_the_month_after_the_assessment() -> None:
    facts = f.facts(f.assessed(date(2024, 6, 30), 3, CareLevel.PARTIAL))
    assert monthly_entitlements(facts, REFS, Month(2024, 6)) == ()
    assert amount(facts, REFS, Month(2024, 7), W, ALLOWANCE) == 480_000
    assert amount(facts, REFS, Month(2024, 7), W, CARE) == 240_000


def test_xm_26_an_occupational_disease_assessed_later_is_paid_from_the_month_after() -> None:
    """XM-26 (and XM-7): an occupational disease assessed years after the exposure — the
    care fee (and for grades 1–4 the allowance) from the month after the conclusion."""
    disease = f.injury(date(2020, 1, 10)).model_copy(update={"occupational_disease": True})
    from services.benefits.domain.facts import fold
    facts = fold(W, [*f.wages_up_to(date(2020, 1, 10)), disease,
                     f.assessed(date(2025, 8, 31), 6, CareLevel.MOST,
                                injured_on=date(2020, 1, 10))])
    assert monthly_entitlements(facts, REFS, Month(2025, 8)) == ()
    got = monthly_entitlements(facts, REFS, Month(2025, 9))
    assert [(e.benefit, e.amount_fen) for e in got] == [(CARE, 320_000)]  # 800,000 × 40%


def test_xm_21_monthly_benefits_are_each_the_persons_own() -> None:
    """XM-21(3): a monthly benefit goes to the person's own account: every entitlement names
    the worker or the dependant it belongs to."""
    facts = _widow_and_children()
    people = {e.person_id for e in monthly_entitlements(facts, REFS, Month(2024, 7))}
    assert people == {"SPOUSE", "CHILD"}


def test_xm_23_4_a_reassessed_grade_and_care_level_apply_from_the_month_after() -> None:
    # grade 3 (480,000) partial care (240,000); re-assessed 2024-10-31 grade 2 (510,000),
    # full care (400,000): October still the old, November the new.
    facts = f.facts(f.assessed(date(2024, 6, 20), 3, CareLevel.PARTIAL),
                    f.assessed(date(2024, 10, 31), 2, CareLevel.FULL, reassessment=True,
                               assessment_id="A2"))
    assert amount(facts, REFS, Month(2024, 10), W, ALLOWANCE) == 480_000
    assert amount(facts, REFS, Month(2024, 10), W, CARE) == 240_000
    assert amount(facts, REFS, Month(2024, 11), W, ALLOWANCE) == 510_000
    assert amount(facts, REFS, Month(2024, 11), W, CARE) == 400_000


def test_xm_23_4_a_reassessment_to_grade_5_moves_the_allowance_off_the_fund() -> None:
    facts = f.facts(f.assessed(date(2024, 6, 20), 4),
                    f.assessed(date(2025, 1, 10), 5, reassessment=True, assessment_id="A2"))
    assert amount(facts, REFS, Month(2025, 1), W, ALLOWANCE) == 450_000
    assert amount(facts, REFS, Month(2025, 2), W, ALLOWANCE) == 0


def test_xm_23_5_suspended_the_month_after_imprisonment_resumed_after_release() -> None:
    # imprisoned 2025-01-01: January paid; February … April (release 2025-04-30) nothing;
    # May resumes at 480,000, not more (no back pay).
    facts = f.facts(f.assessed(date(2024, 6, 20), 3, CareLevel.PARTIAL),
                    f.imprisoned(date(2025, 1, 1)),
                    f.released(date(2025, 1, 1), date(2025, 4, 30)))
    assert amount(facts, REFS, Month(2025, 1), W, ALLOWANCE) == 480_000
    for month in (Month(2025, 2), Month(2025, 3), Month(2025, 4)):
        assert monthly_entitlements(facts, REFS, month) == ()
    assert amount(facts, REFS, Month(2025, 5), W, ALLOWANCE) == 480_000
    assert amount(facts, REFS, Month(2025, 5), W, CARE) == 240_000


def test_xm_23_5_still_imprisoned_stays_suspended() -> None:
    facts = f.facts(f.assessed(date(2024, 6, 20), 3), f.imprisoned(date(2025, 1, 31)))
    assert amount(facts, REFS, Month(2025, 1), W, ALLOWANCE) == 480_000
    assert amount(facts, REFS, Month(2030, 1), W, ALLOWANCE) == 0


def test_xm_24_grades_1_to_4_retired_fund_tops_up_the_pension_care_fee_goes_on() -> None:
    # grade 3: 480,000; retired 2026-03-05 with pension 300,000: March still the allowance,
    # from April the top-up 480,000 − 300,000 = 180,000, and the care fee 400,000.
    facts = f.facts(f.assessed(date(2024, 6, 20), 3, CareLevel.FULL),
                    f.retired(date(2026, 3, 5), 300_000))
    assert amount(facts, REFS, Month(2026, 3), W, ALLOWANCE) == 480_000
    assert amount(facts, REFS, Month(2026, 3), W, TOP_UP) == 0
    assert amount(facts, REFS, Month(2026, 4), W, ALLOWANCE) == 0
    assert amount(facts, REFS, Month(2026, 4), W, TOP_UP) == 180_000
    assert amount(facts, REFS, Month(2026, 4), W, CARE) == 400_000


def test_xm_24_a_pension_above_the_allowance_needs_no_top_up() -> None:
    facts = f.facts(f.assessed(date(2024, 6, 20), 3, CareLevel.MOST),
                    f.retired(date(2026, 3, 5), 500_000))
    assert [(e.benefit, e.amount_fen) for e in monthly_entitlements(facts, REFS,
                                                                   Month(2026, 4))] == [
        (CARE, 320_000)]


def test_xm_23_3_the_workers_own_benefits_end_with_the_month_of_death() -> None:
    facts = f.facts(f.assessed(date(2024, 6, 20), 1, CareLevel.FULL), f.died(date(2025, 5, 31)))
    assert amount(facts, REFS, Month(2025, 5), W, ALLOWANCE) == 540_000
    assert amount(facts, REFS, Month(2025, 6), W, ALLOWANCE) == 0
    assert amount(facts, REFS, Month(2025, 6), W, CARE) == 0


def _widow_and_children(*events: Any) -> WorkerFacts:
    return f.facts(
        f.died(date(2024, 6, 10)),
        f.dependant("SPOUSE", Relation.SPOUSE, date(1985, 2, 1)),
        f.dependant("CHILD", Relation.CHILD, date(2010, 5, 31)),
        *events)


def test_nr_39_dependants_pension_spouse_40_other_30_from_the_month_after_death() -> None:
    """XM-22: where the Regulations fix a periodic benefit, they apply: NR-39's pension,
    from the month after the death (XM-23(3): the death month is the worker's own)."""
    # 600,000 × 40% = 240,000; × 30% = 180,000; together 420,000 <= 600,000
    facts = _widow_and_children()
    assert monthly_entitlements(facts, REFS, Month(2024, 6)) == ()
    got = {(e.person_id, e.benefit): e.amount_fen
           for e in monthly_entitlements(facts, REFS, Month(2024, 7))}
    assert got == {("SPOUSE", PENSION): 240_000, ("CHILD", PENSION): 180_000}


def test_nr_39_an_orphan_or_lone_elderly_dependant_gets_10_percent_more() -> None:
    facts = f.facts(f.died(date(2024, 6, 10)),
                    f.dependant("ORPHAN", Relation.CHILD, date(2015, 1, 1), alone=True))
    assert amount(facts, REFS, Month(2024, 7), "ORPHAN", PENSION) == 240_000  # 40%


def test_nr_39_all_dependants_together_at_most_the_workers_wage() -> None:
    # spouse 240,000 + child 180,000 + lone elderly parent 240,000 = 660,000 > 600,000:
    # shared in proportion 600,000 × 240/660 = 218,181.8…, × 180/660 = 163,636.3…: floors
    # 218,181 + 163,636 + 218,181 = 599,998, the 2 fen left to the largest remainders (the
    # spouse's and the parent's .8…): 218,182 + 163,636 + 218,182 = 600,000.
    facts = f.facts(f.died(date(2024, 6, 10)),
                    f.dependant("SPOUSE", Relation.SPOUSE, date(1985, 2, 1)),
                    f.dependant("CHILD", Relation.CHILD, date(2010, 5, 31)),
                    f.dependant("PARENT", Relation.PARENT, date(1950, 1, 1), alone=True))
    got = {e.person_id: e.amount_fen for e in monthly_entitlements(facts, REFS, Month(2024, 7))}
    assert got == {"SPOUSE": 218_182, "CHILD": 163_636, "PARENT": 218_182}
    # the child turns 18 in May 2028: from June 2028 the other two are under the cap again
    got = {e.person_id: e.amount_fen for e in monthly_entitlements(facts, REFS, Month(2028, 6))}
    assert got == {"SPOUSE": 240_000, "PARENT": 240_000}


def test_xm_23_2_a_child_is_paid_to_the_month_of_turning_18() -> None:
    facts = _widow_and_children()
    assert amount(facts, REFS, Month(2028, 5), "CHILD", PENSION) == 180_000
    assert amount(facts, REFS, Month(2028, 6), "CHILD", PENSION) == 0
    assert amount(facts, REFS, Month(2028, 6), "SPOUSE", PENSION) == 240_000


def test_xm_23_2_a_child_unable_to_work_is_not_stopped_at_18() -> None:
    facts = f.facts(f.died(date(2024, 6, 10)),
                    f.dependant("CHILD", Relation.CHILD, date(2010, 5, 31), unable_to_work=True))
    assert amount(facts, REFS, Month(2040, 1), "CHILD", PENSION) == 180_000


def test_xm_23_1_a_posthumous_child_from_the_month_after_birth() -> None:
    facts = f.facts(f.died(date(2024, 6, 10)),
                    f.dependant("BABY", Relation.CHILD, date(2024, 9, 30), posthumous=True,
                                registered_on=date(2024, 10, 8)))
    assert amount(facts, REFS, Month(2024, 9), "BABY", PENSION) == 0
    assert amount(facts, REFS, Month(2024, 10), "BABY", PENSION) == 180_000


def test_xm_23_3_a_dependants_pension_ends_with_the_month_of_their_death() -> None:
    facts = _widow_and_children(f.dependant_died("SPOUSE", date(2025, 2, 1)))
    assert amount(facts, REFS, Month(2025, 2), "SPOUSE", PENSION) == 240_000
    assert amount(facts, REFS, Month(2025, 3), "SPOUSE", PENSION) == 0
    assert amount(facts, REFS, Month(2025, 3), "CHILD", PENSION) == 180_000


def test_xm_23_5_an_imprisoned_dependant_is_suspended_alone() -> None:
    facts = _widow_and_children(f.imprisoned(date(2025, 1, 15), "SPOUSE"),
                                f.released(date(2025, 1, 15), date(2025, 3, 2), "SPOUSE"))
    assert amount(facts, REFS, Month(2025, 2), "SPOUSE", PENSION) == 0
    assert amount(facts, REFS, Month(2025, 2), "CHILD", PENSION) == 180_000
    assert amount(facts, REFS, Month(2025, 4), "SPOUSE", PENSION) == 240_000


def test_nr_39_grade_1_to_4_death_not_at_work_still_gives_the_pension() -> None:
    other = f.facts(f.assessed(date(2024, 6, 20), 4), f.died(date(2025, 1, 5), work_related=False),
                    f.dependant("SPOUSE", Relation.SPOUSE, date(1985, 2, 1)))
    assert amount(other, REFS, Month(2025, 2), "SPOUSE", PENSION) == 240_000
    grade_5 = f.facts(f.assessed(date(2024, 6, 20), 5),
                      f.died(date(2025, 1, 5), work_related=False),
                      f.dependant("SPOUSE", Relation.SPOUSE, date(1985, 2, 1)))
    assert amount(grade_5, REFS, Month(2025, 2), "SPOUSE", PENSION) == 0


def test_xm_25_nr_41_a_missing_workers_dependants_from_the_fourth_month() -> None:
    # accident 2024-03-15: March, April, May are wage months (the employer's); June is the
    # 4th month counting March as the 1st.
    facts = f.facts(f.missing(date(2024, 3, 15), date(2024, 3, 16)),
                    f.dependant("SPOUSE", Relation.SPOUSE, date(1985, 2, 1)))
    assert amount(facts, REFS, Month(2024, 5), "SPOUSE", PENSION) == 0
    assert amount(facts, REFS, Month(2024, 6), "SPOUSE", PENSION) == 240_000
    assert monthly_entitlements(facts, REFS, Month(2024, 6))[0].rules == ("NR-39", "NR-41")


def test_xm_25_accident_day_unknown_counts_from_the_month_found_missing() -> None:
    facts = f.facts(f.missing(None, date(2024, 4, 30)),
                    f.dependant("SPOUSE", Relation.SPOUSE, date(1985, 2, 1)))
    assert amount(facts, REFS, Month(2024, 6), "SPOUSE", PENSION) == 0
    assert amount(facts, REFS, Month(2024, 7), "SPOUSE", PENSION) == 240_000


def test_nr_41_a_missing_workers_own_allowance_ends_when_the_dependants_start() -> None:
    facts = f.facts(f.assessed(date(2024, 3, 20), 3), f.missing(date(2024, 6, 1), date(2024, 6, 1)),
                    f.dependant("SPOUSE", Relation.SPOUSE, date(1985, 2, 1)))
    assert amount(facts, REFS, Month(2024, 8), W, ALLOWANCE) == 480_000
    assert amount(facts, REFS, Month(2024, 9), W, ALLOWANCE) == 0
    assert amount(facts, REFS, Month(2024, 9), "SPOUSE", PENSION) == 240_000


def test_nr_40_a_new_level_changes_amounts_from_its_effective_month_only() -> None:
    # Shandong raises the spouse's pension to 45% from 2025-01-01: 270,000
    raised = NATIONAL_2011.death.model_copy(update={"spouse_percent": 45})
    shandong = NATIONAL_2011.model_copy(update={"region": "370000", "death": raised,
                                                "effective_from": date(2025, 1, 1)})
    refs = f.refs(levels=(NATIONAL_2011, shandong))
    facts = _widow_and_children()
    assert amount(facts, refs, Month(2024, 12), "SPOUSE", PENSION) == 240_000
    assert amount(facts, refs, Month(2025, 1), "SPOUSE", PENSION) == 270_000


def test_nothing_is_owed_before_the_injury_month_or_without_an_injury() -> None:
    facts = f.facts(f.assessed(date(2024, 6, 20), 1))
    assert monthly_entitlements(facts, REFS, Month(2024, 2)) == ()
    assert monthly_entitlements(WorkerFacts(W), REFS, Month(2024, 7)) == ()
