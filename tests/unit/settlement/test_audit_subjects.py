"""Settlement's audit subjects: claims, settlements, encounters, institutions, workers."""

from __future__ import annotations

from datetime import date

from contracts.audit import Subjects
from contracts.encounter import EncounterDischarged
from contracts.settlement import ClaimPaid, EmployerReceivableRaised, Payee, PaymentChannel
from services.settlement.adapters.audit import subjects
from tests.support.audit import REVIEWER, env
from tests.unit.settlement import factories as f


def test_a_paid_claim_names_the_claim_and_the_worker() -> None:
    paid = ClaimPaid(claim_id="C-1", worker_id=f.WORKER, employer_id=None,
                     insured_region=f.JINAN, payee=Payee.WORKER,
                     channel=PaymentChannel.BANK_TRANSFER, amount_fen=100, paid_on=date(2024, 6, 1))
    assert subjects(env(paid, f.WORKER, actor=REVIEWER)) == Subjects(worker_id=f.WORKER,
                                                                     claim_id="C-1")


def test_a_receivable_for_one_settlement_names_it_and_for_several_none() -> None:
    def raised(*ids: str) -> EmployerReceivableRaised:
        return EmployerReceivableRaised(receivable_id="R-1", employer_id="E-1",
                                        worker_id=f.WORKER, insured_region=f.JINAN,
                                        amount_fen=5, settlement_ids=ids,
                                        raised_on=date(2024, 6, 1), reason="third party")
    assert subjects(env(raised("S-1"), f.WORKER)).settlement_id == "S-1"
    assert subjects(env(raised("S-1", "S-2"), f.WORKER)).settlement_id is None


def test_a_refused_discharge_is_read_from_its_encounter_record() -> None:
    record = f.encounter([f.line(1, 100)])
    got = subjects(env(EncounterDischarged(encounter=record), f.WORKER))
    assert (got.encounter_id, got.institution_id, got.registration_id) == (
        record.encounter_id, f.HOSPITAL, "R1")
