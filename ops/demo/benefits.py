"""Phase 4b: benefits beyond medical costs (issue 19), for one Jinan worker.

Injured 2024-01-15 with a year of contribution wages of 6,000.00 yuan; assessed grade 4
on 2024-03-20 (NR-35: the one-time subsidy of 21 months' wage, paid by bank to the
employer, XM-21(1); the monthly allowance 75% of the wage from April, XM-23(4)); the April
and May runs; a re-assessment to grade 3, dated 2024-04-25 but recorded only in June, so
the June run reverses May and pays it again with the June allowance (arrears, never an
edit); a fact dated before the injury and a second fresh May run, both refused.
"""

from __future__ import annotations

from datetime import date

from contracts import benefits as b
from contracts.benefits import BenefitClaimKind as K
from contracts.message import Message
from contracts.topics import BENEFIT_COMMANDS
from ops.demo import world as w
from ops.demo.staff import actor_for
from ops.demo.story import Step
from services.benefits.domain.checklists import DISABILITY
from services.benefits.domain.months import Month

INJURY = "GS-2024-0115"
INJURED_ON = date(2024, 1, 15)


def _step(worker: w.Worker, payload: Message, day: date, says: str,
          expect: str = "accepted", key: str | None = None) -> Step:
    return Step(BENEFIT_COMMANDS, payload, key or worker.worker_id, w.at(day, 10),
                "agency:370100-benefits", says, expect, actor_for(payload, w.JINAN))


def _facts(worker: w.Worker) -> list[Step]:
    wid, last = worker.worker_id, Month.of(INJURED_ON)
    wages = [b.ContributionWageRecorded(worker_id=wid, injury_id=INJURY, insured_region=w.JINAN,
                                        year=m.year, month=m.month, wage_fen=600_000,
                                        recorded_on=m.last_day)
             for m in (last - i for i in range(11, -1, -1))]
    steps = [_step(worker, wage, INJURED_ON, f"wage {wage.year}-{wage.month:02d}: 6,000.00")
             for wage in wages]
    return [
        *steps,
        _step(worker, b.InjuryRecognised(worker_id=wid, injury_id=INJURY, insured_region=w.JINAN,
                                         injured_on=INJURED_ON, recognised_on=date(2024, 2, 20)),
              date(2024, 2, 20), "injury recognised (XM-9)"),
        _step(worker, b.LabourCapacityAssessed(worker_id=wid, injury_id=INJURY,
                                               assessment_id="JD-1", injured_on=INJURED_ON,
                                               assessed_on=date(2024, 3, 20), grade=4),
              date(2024, 3, 20), "assessed grade 4 (NR-35)"),
        _step(worker, b.RetirementApproved(worker_id=wid, injury_id=INJURY,
                                           approved_on=date(2023, 12, 1),
                                           monthly_pension_fen=300_000),
              date(2024, 3, 21), "a retirement dated before the injury",
              "dated_before_injury")]


def _claim(worker: w.Worker) -> list[Step]:
    wid, cid = worker.worker_id, "DS-2024-0001"
    return [
        _step(worker, b.FileBenefitClaim(worker_id=wid, claim_id=cid, injury_id=INJURY,
                                         kind=K.DISABILITY_SUBSIDY,
                                         employer_id=worker.employer_id,
                                         documents=tuple(sorted(DISABILITY)),
                                         filed_on=date(2024, 3, 25)),
              date(2024, 3, 25), "one-time disability subsidy claimed, documents complete"),
        _step(worker, b.ReviewBenefitClaim(worker_id=wid, claim_id=cid,
                                           reviewed_on=date(2024, 4, 8)),
              date(2024, 4, 8), "reviewed: 21 × 6,000.00 = 126,000.00 to the employer"),
        _step(worker, b.PayBenefitClaim(worker_id=wid, claim_id=cid, paid_on=date(2024, 4, 15)),
              date(2024, 4, 15), "paid by bank to the employer (XM-21(1))")]


def _run(worker: w.Worker, month: str, on: date, says: str, expect: str = "accepted",
         fresh: bool = True) -> Step:
    return _step(worker, b.RunMonthlyPayments(month=month, ran_on=on, fresh=fresh), on, says,
                 expect, key=month)


def build(worker: w.Worker) -> list[Step]:
    wid = worker.worker_id
    return [
        *_facts(worker), *_claim(worker),
        _run(worker, "2024-04", date(2024, 4, 20), "April run: allowance 4,500.00 (75%)"),
        _run(worker, "2024-05", date(2024, 5, 20), "May run: 4,500.00"),
        _run(worker, "2024-05", date(2024, 5, 21), "the May run again", "payment_run_already_done"),
        _step(worker, b.LabourCapacityAssessed(worker_id=wid, injury_id=INJURY,
                                               assessment_id="JD-2", injured_on=INJURED_ON,
                                               assessed_on=date(2024, 4, 25), grade=3,
                                               reassessment=True),
              date(2024, 6, 5), "re-assessed grade 3, dated 2024-04-25, recorded in June"),
        _run(worker, "2024-06", date(2024, 6, 20), "June run: May reversed and paid again at "
             "80% (4,800.00), June 4,800.00"),
    ]
