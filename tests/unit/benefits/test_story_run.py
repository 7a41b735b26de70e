"""The issue's story through the monthly payment run, month by month (XM-21, XM-23(2)–(5),
XM-24, NR-34, NR-35, NR-39): injured 2024-03-15; assessed grade 3 with partial care, paid
July–September; re-assessed grade 2 with most care on 2024-07-31 but known only in October
(August and September reversed and paid again: arrears); imprisoned 2024-12-10, released
2025-02-14 but known only in April (March paid in arrears, January and February never);
retired 2025-06-03 on a 350,000 pension; died 2026-01-20 not at work; the son turns 18 in
February 2026. Amounts: wage base 600,000, Jinan's average 800,000 (factories.py)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import benefits as b
from contracts.benefits import BenefitClaimKind, CareLevel, Relation
from contracts.decision import Rejected
from contracts.message import Event
from services.benefits.domain import checklists
from services.benefits.domain.months import Month, months_from
from services.benefits.domain.payment_run import history_of
from tests.unit.benefits import factories as f
from tests.unit.benefits.claim_helpers import file, pay, review
from tests.unit.benefits.claim_helpers import run as claim_run
from tests.unit.benefits.run_helpers import Known, known_facts, live, moves, run

W = f.WORKER
A, C, T, P = "disability_allowance", "living_care_fee", "retirement_top_up", "dependant_pension"
TIMELINE = [
    Known(f.assessed(date(2024, 6, 20), 3, CareLevel.PARTIAL), Month(2024, 6)),
    Known(f.assessed(date(2024, 7, 31), 2, CareLevel.MOST, reassessment=True,
                     assessment_id="A2"), Month(2024, 10)),  # late: dated two months back
    Known(f.imprisoned(date(2024, 12, 10)), Month(2024, 12)),
    Known(f.released(date(2024, 12, 10), date(2025, 2, 14)), Month(2025, 4)),  # late
    Known(f.retired(date(2025, 6, 3), 350_000), Month(2025, 6)),
    Known(f.died(date(2026, 1, 20), work_related=False), Month(2026, 2)),
    Known(f.dependant("SPOUSE", Relation.SPOUSE, date(1980, 4, 1),
                      registered_on=date(2026, 1, 25)), Month(2026, 2)),
    Known(f.dependant("SON", Relation.CHILD, date(2008, 2, 10),
                      registered_on=date(2026, 1, 25)), Month(2026, 2)),
]
GRADE_3 = {(A, 480_000), (C, 240_000)}  # NR-35 80% of 600,000; NR-34 30% of 800,000
GRADE_2 = {(A, 510_000), (C, 320_000)}  # NR-35 85%; NR-34 40%
RETIRED = {(T, 510_000 - 350_000), (C, 320_000)}  # XM-24: the top-up; the care fee goes on


def pays(month: Month, amounts: set[tuple[str, int]], person: str = W
         ) -> set[tuple[str, str, str, str, int]]:
    return {("pay", person, benefit, str(month), fen) for benefit, fen in amounts}


def expected(run: Month) -> set[tuple[str, str, str, str, int]]:
    """What the run of `run` emits."""
    if run <= Month(2024, 6):
        return set()
    if run <= Month(2024, 9):
        return pays(run, GRADE_3)
    if run == Month(2024, 10):  # XM-23(4) from August: reverse and pay August, September
        corrected = {("rev", W, benefit, str(m), fen) for m in (Month(2024, 8), Month(2024, 9))
                     for benefit, fen in GRADE_3}
        return corrected | pays(Month(2024, 8), GRADE_2) | pays(Month(2024, 9), GRADE_2) \
            | pays(run, GRADE_2)
    if run <= Month(2024, 12):  # December: the month of imprisonment is still paid
        return pays(run, GRADE_2)
    if run <= Month(2025, 3):  # XM-23(5): suspended; the release is not known yet in March
        return set()
    if run == Month(2025, 4):  # March in arrears; January and February never
        return pays(Month(2025, 3), GRADE_2) | pays(run, GRADE_2)
    if run <= Month(2025, 6):  # June, the retirement month, still the allowance
        return pays(run, GRADE_2)
    if run <= Month(2026, 1):  # January 2026, his last month, paid before the death is known
        return pays(run, RETIRED)
    if run == Month(2026, 2):  # NR-39 ¶3 grade 2; the son turns 18 this month (XM-23(2))
        return pays(run, {(P, 240_000)}, "SPOUSE") | pays(run, {(P, 180_000)}, "SON")
    return pays(run, {(P, 240_000)}, "SPOUSE")


def test_the_story_month_by_month_through_the_payment_run() -> None:
    refs = f.refs()
    log: list[Event] = []
    for month in months_from(Month(2024, 4), Month(2026, 6)):
        facts = known_facts(TIMELINE, month)
        events = run([facts], refs, month, log)
        assert moves(events) == expected(month), month
        assert run([facts], refs, month, log, fresh=False) == [], month
    net = {(p, b_, m): fen for (p, b_, m), fen in live(history_of(log)).items()}
    assert not [k for k in net if k[2] in (Month(2025, 1), Month(2025, 2))]
    # 3 × 720,000 (Jul–Sep at grade 3) − 2 × 720,000 reversed + 2 × 830,000 (Aug, Sep)
    # + 3 × 830,000 (Oct–Dec) + 4 × 830,000 (Mar–Jun 2025) + 7 × 480,000 (Jul 2025–Jan 2026)
    # + 420,000 (Feb 2026) + 4 × 240,000 (Mar–Jun 2026)
    assert sum(net.values()) == (1_660_000 + 2_490_000 + 3_320_000 + 3_360_000 + 420_000
                                 + 960_000 + 720_000)
    fund = sum(e.amount_fen for ev in log if isinstance(ev, b.MonthlyBenefitPaid
                                                       | b.MonthlyBenefitReversed)
               for e in ev.entries if e.account == "fund:370100")
    assert fund == sum(net.values())  # the fund's cost = what is paid and not reversed


def test_the_story_one_time_benefits_claimed_and_paid_to_the_employer() -> None:
    """NR-35 grade 3 (the first assessment): 23 × 600,000; NR-39 ¶3: the funeral subsidy
    6 × 800,000, no death subsidy (not at work)."""
    facts = known_facts(TIMELINE, Month(2026, 2))
    refs = f.refs(incomes=(f.income(),))
    _, events = claim_run(facts, refs, file(BenefitClaimKind.DISABILITY_SUBSIDY,
                                            date(2024, 7, 8)),
                          review(date(2024, 7, 15)), pay(date(2024, 7, 19)),
                          file(BenefitClaimKind.FUNERAL_SUBSIDY, date(2026, 2, 2),
                               checklists.DEATH, claim_id="C2"),
                          review(date(2026, 2, 9), "C2"), pay(date(2026, 2, 13), "C2"))
    assert [e.amount_fen for e in events if isinstance(e, b.BenefitClaimPaid)] == [
        13_800_000, 4_800_000]
    with pytest.raises(Rejected) as err:
        claim_run(facts, refs, file(BenefitClaimKind.DEATH_SUBSIDY, date(2026, 2, 2),
                                    checklists.DEATH, claim_id="C3"))
    assert err.value.code == "benefit_not_due"
