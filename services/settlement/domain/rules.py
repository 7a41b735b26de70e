"""Settlement rule parameters: effective-dated configuration with their source.

They are module constants (not reference data) because the seeds fix them in the text of
the policy; a new policy adds a `RuleSet` with a later `effective_from` instead of editing
one. Pure functions receive the `RuleSet` in force on the business date (`rules_on`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts.encounter import CareType


@dataclass(frozen=True)
class RuleSet:
    effective_from: date
    source: str
    cash_limit_fen: int  # XM-19: above 2,000 yuan bank transfer; at or below cash allowed
    advance_threshold_fen: int  # XM-20: treatment costs above 50,000 yuan may borrow
    review_working_days: int  # XM-17: review within 15 working days of completeness
    payment_working_days: int  # XM-17: payment within 10 working days of review
    institution_answer_working_days: int  # XM-17: institution batch answered in 5
    cross_provincial_scope: frozenset[CareType]  # SD-ENC-3: what crosses provinces


XIAMEN_2006 = RuleSet(
    effective_from=date(2006, 3, 1),
    source="厦劳社〔2006〕25号 第十七、十九、二十条; 鲁人社字〔2024〕22号 一(3)",
    cash_limit_fen=200_000,
    advance_threshold_fen=5_000_000,
    review_working_days=15,
    payment_working_days=10,
    institution_answer_working_days=5,
    cross_provincial_scope=frozenset(
        {CareType.INPATIENT, CareType.REHABILITATION_INPATIENT, CareType.ASSISTIVE_DEVICE}
    ),
)

RULESETS: tuple[RuleSet, ...] = (XIAMEN_2006,)


def rules_on(day: date, rulesets: tuple[RuleSet, ...] = RULESETS) -> RuleSet:
    """The rule set in force on `day` (the earliest one also covers earlier days)."""
    ordered = sorted(rulesets, key=lambda r: r.effective_from)
    best = ordered[0]
    for r in ordered:
        if r.effective_from <= day:
            best = r
    return best
