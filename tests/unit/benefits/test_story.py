"""One worker's benefits month by month, the issue's story in pure form (XM-23(3)–(5),
XM-24, NR-34, NR-35, NR-39): injured, assessed grade 3, paid three months, re-assessed,
imprisoned and released, retired, dies; a dependant turns 18. Every amount by hand."""

from __future__ import annotations

from datetime import date

from contracts.benefits import CareLevel, Relation
from services.benefits.domain.entitlements import Benefit, monthly_entitlements
from services.benefits.domain.months import Month, months_from
from services.benefits.domain.one_time import (
    OneTimeBenefit,
    death_benefits,
    disability_subsidy,
)
from tests.unit.benefits import factories as f

FACTS = f.facts(
    f.assessed(date(2024, 6, 20), 3, CareLevel.PARTIAL),  # from July: 480,000 + 240,000
    f.assessed(date(2024, 9, 30), 2, CareLevel.MOST, reassessment=True,
               assessment_id="A2"),  # from October: 510,000 + 320,000
    f.imprisoned(date(2024, 12, 10)),  # December still paid; January, February not
    f.released(date(2024, 12, 10), date(2025, 2, 14)),  # from March again
    f.retired(date(2025, 6, 3), 350_000),  # from July: top-up 160,000 + care 320,000
    f.died(date(2026, 1, 20), work_related=False),  # grade 2: January is his last month
    f.dependant("SPOUSE", Relation.SPOUSE, date(1980, 4, 1), registered_on=date(2026, 1, 25)),
    f.dependant("SON", Relation.CHILD, date(2008, 2, 10), registered_on=date(2026, 1, 25)),
)
A, T, C, P = (Benefit.DISABILITY_ALLOWANCE, Benefit.RETIREMENT_TOP_UP,
              Benefit.LIVING_CARE_FEE, Benefit.DEPENDANT_PENSION)
W = f.WORKER


def expected(month: Month) -> set[tuple[str, Benefit, int]]:
    if month <= Month(2024, 6):
        return set()
    if month <= Month(2024, 9):
        return {(W, A, 480_000), (W, C, 240_000)}
    if month <= Month(2024, 12) or Month(2025, 3) <= month <= Month(2025, 6):
        return {(W, A, 510_000), (W, C, 320_000)}
    if month <= Month(2025, 2):
        return set()  # XM-23(5): suspended, never paid back
    if month <= Month(2026, 1):
        return {(W, T, 160_000), (W, C, 320_000)}  # XM-24
    if month == Month(2026, 2):  # NR-39 ¶3; the son turns 18 this month (XM-23(2))
        return {("SPOUSE", P, 240_000), ("SON", P, 180_000)}
    return {("SPOUSE", P, 240_000)}


def test_the_story_month_by_month() -> None:
    total = 0
    for month in months_from(Month(2024, 3), Month(2026, 6)):
        got = {(e.person_id, e.benefit, e.amount_fen)
               for e in monthly_entitlements(FACTS, f.refs(), month)}
        assert got == expected(month), month
        total += sum(e.amount_fen for e in monthly_entitlements(FACTS, f.refs(), month))
    # 3 × 720,000 + 3 × 830,000 + 4 × 830,000 + 7 × 480,000 + 420,000 + 4 × 240,000
    assert total == 2_160_000 + 2_490_000 + 3_320_000 + 3_360_000 + 420_000 + 960_000


def test_the_story_one_time_benefits() -> None:
    subsidy = disability_subsidy(FACTS, f.refs())
    assert subsidy is not None and subsidy.amount_fen == 23 * 600_000  # grade 3, NR-35
    assert [(g.benefit, g.amount_fen) for g in death_benefits(FACTS, f.refs())] == [
        (OneTimeBenefit.FUNERAL_SUBSIDY, 6 * 800_000)]  # not at work: no death subsidy
