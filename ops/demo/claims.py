"""Phase 3: reimbursement claims (报销) for what was not settled directly.

- stationed: cross-provincial outpatient (SD-ENC-3), employer claim under 2,000 yuan: the
  employer may be paid in cash (XM-19);
- expiring: treated after the registration expired (SD-REG-4), employer claim above 2,000
  yuan: bank transfer (XM-19), filed with documents missing, completed later (XM-10/17);
- not_enabled: a hospital not enabled for direct settlement (SD-ENC-7), a long stay over
  50,000 yuan: the employer borrows an advance, offset at final settlement (XM-20).
"""

from __future__ import annotations

from datetime import date

from contracts import settlement as st
from contracts.topics import CLAIM_COMMANDS
from ops.demo import world as w
from ops.demo.registrations import Registered
from ops.demo.staff import actor_for
from ops.demo.story import Step

D = st.DocumentKind
BASE_DOCS = (D.BENEFIT_REVIEW_FORM, D.INJURY_DETERMINATION, D.LABOUR_CAPACITY_ASSESSMENT,
             D.ID_COPY, D.INVOICES_AND_ITEMISED_BILL, D.MEDICAL_RECORDS, D.SOCIAL_SECURITY_CARD)
STAGED_DOCS = (D.EMPLOYER_APPLICATION, D.TRANSFER_APPROVAL, D.CONSULTATION_RECORD)


def _step(who: Registered, payload: st.Command, day: date, says: str,
          expect: str = "accepted") -> Step:
    source = f"agency:{who.worker.insured_region}-benefits"
    return Step(CLAIM_COMMANDS, payload, who.worker.worker_id, w.at(day, 11), source, says,
                expect, actor_for(payload, who.worker.insured_region))


def _file(who: Registered, claim_id: str, situations: tuple[st.ClaimSituation, ...],
          costs: tuple[st.ClaimCost, ...], docs: tuple[st.DocumentKind, ...], day: date
          ) -> st.FileClaim:
    return st.FileClaim(
        worker_id=who.worker.worker_id, claim_id=claim_id, claimant=st.Claimant.EMPLOYER,
        employer_id=who.worker.employer_id, insured_region=who.worker.insured_region,
        situations=situations,
        injury=st.InjuryFacts(injury_date=date(2024, 2, 1), recognised=True,
                              insured_on_injury_date=True),
        costs=costs, documents=docs, filed_on=day)


def build(people: dict[str, Registered], encounter_ids: dict[str, str]) -> list[Step]:
    S, C = st.ClaimSituation, st.ClaimCostKind
    small, big, long_stay = people["stationed"], people["expiring"], people["not_enabled"]
    wid = {name: p.worker.worker_id for name, p in people.items()}
    june = date(2024, 6, 3)
    steps = [
        _step(small, _file(small, "CL-2024-0001", (S.CROSS_PROVINCIAL_OUTPATIENT,),
                           (st.ClaimCost(kind=C.MEDICAL, amount_fen=23_500,
                                         encounter_id=encounter_ids["stationed"]),),
                           BASE_DOCS, june),
              june, "stationed: employer claims 235.00 (cross-provincial outpatient)"),
        _step(small, st.ReviewClaim(worker_id=wid["stationed"], claim_id="CL-2024-0001",
                                    approved_fen=23_500, reviewed_on=date(2024, 6, 12),
                                    requested_channel=st.PaymentChannel.CASH),
              date(2024, 6, 12), "stationed: reviewed 235.00, cash requested (<= 2,000: XM-19)"),
        _step(big, _file(big, "CL-2024-0002", (S.NO_NOTICE_BEFORE_DISCHARGE,),
                         (st.ClaimCost(kind=C.MEDICAL, amount_fen=90_000,
                                       encounter_id=encounter_ids["expiring"]),
                          st.ClaimCost(kind=C.MEAL_ALLOWANCE, amount_fen=16_000,
                                       description="inpatient meal allowance (SD-ENC-8)")),
                         BASE_DOCS[:-2], june),
              june, "expiring: employer claims 1,060.00, two documents missing (XM-10)"),
        _step(big, st.ReviewClaim(worker_id=wid["expiring"], claim_id="CL-2024-0002",
                                  approved_fen=106_000, reviewed_on=date(2024, 6, 4)),
              date(2024, 6, 4), "expiring: review before documents are complete is refused",
              expect="documents_incomplete"),
        _step(big, st.SubmitClaimDocuments(worker_id=wid["expiring"], claim_id="CL-2024-0002",
                                           documents=BASE_DOCS[-2:],
                                           submitted_on=date(2024, 6, 5)),
              date(2024, 6, 5), "expiring: documents completed: XM-17 clock starts"),
        _step(big, st.ReviewClaim(worker_id=wid["expiring"], claim_id="CL-2024-0002",
                                  approved_fen=106_000, reviewed_on=date(2024, 6, 14)),
              date(2024, 6, 14), "expiring: reviewed 1,060.00"),
        _step(long_stay, _file(long_stay, "CL-2024-0003",
                               (S.NON_ENABLED_INSTITUTION, S.STAGED_REIMBURSEMENT),
                               (st.ClaimCost(kind=C.MEDICAL, amount_fen=5_538_000,
                                             encounter_id=encounter_ids["not_enabled"]),),
                               BASE_DOCS + STAGED_DOCS, date(2024, 5, 20)),
              date(2024, 5, 20), "not_enabled: employer claims 55,380.00 (over 50,000)"),
        _step(long_stay, st.GrantAdvance(worker_id=wid["not_enabled"], advance_id="ADV-2024-01",
                                         claim_id="CL-2024-0003", amount_fen=3_000_000,
                                         granted_on=date(2024, 5, 21)),
              date(2024, 5, 21), "not_enabled: advance of 30,000.00 to the employer (XM-20)"),
        _step(long_stay, st.ReviewClaim(worker_id=wid["not_enabled"], claim_id="CL-2024-0003",
                                        approved_fen=5_400_000, reviewed_on=date(2024, 6, 10)),
              date(2024, 6, 10), "not_enabled: reviewed 54,000.00: advance offset, remainder paid"),
    ]
    for name, claim, day in (("stationed", "CL-2024-0001", date(2024, 6, 17)),
                             ("expiring", "CL-2024-0002", date(2024, 6, 21)),
                             ("not_enabled", "CL-2024-0003", date(2024, 6, 20))):
        steps.append(_step(people[name], st.PayClaim(worker_id=wid[name], claim_id=claim,
                                                     paid_on=day),
                           day, f"{name}: finance pays {claim}"))
    return steps
