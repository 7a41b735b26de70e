"""Issue 16 in settlement's domain (XM-17/19 claims): role and insured region per claim
command, and four-eyes — a claim reviewed by one person is paid on another's instruction."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.actor import Actor, Role
from contracts.decision import Rejected
from contracts.message import Message
from contracts.settlement import ClaimPaid, PayClaim, ReviewClaim
from services.settlement.domain.state import WorkerState
from services.settlement.domain.worker import CLAIM_COMMAND_HANDLERS
from tests.support.actors import staff
from tests.unit.settlement.factories import WORKER, file_claim
from tests.unit.settlement.test_decisions import CATS, env

QINGDAO_CLERK = staff(Role.REGISTRATION_CLERK, "li.na", regions=("370200",))
REVIEWER = staff(Role.CLAIMS_REVIEWER, "zhao.min", regions=("370000",))
FINANCE = staff(Role.FINANCE, "sun.li", regions=("370200",))


def answer(state: WorkerState, cmd: Message, actor: Actor) -> WorkerState:
    decision = CLAIM_COMMAND_HANDLERS[type(cmd)](state, env(cmd, actor=actor), CATS)
    assert decision.state is not None
    return decision.state


def refused(state: WorkerState, cmd: Message, actor: Actor) -> Rejected:
    with pytest.raises(Rejected) as refusal:
        CLAIM_COMMAND_HANDLERS[type(cmd)](state, env(cmd, actor=actor), CATS)
    return refusal.value


def reviewed(by: Actor = REVIEWER) -> WorkerState:
    state = answer(WorkerState(), file_claim(), QINGDAO_CLERK)  # insured in Qingdao
    return answer(state, ReviewClaim(worker_id=WORKER, claim_id="C1", approved_fen=90_000,
                                     reviewed_on=date(2024, 2, 6)), by)


PAY = PayClaim(worker_id=WORKER, claim_id="C1", paid_on=date(2024, 2, 8))


def test_xm_19_a_reviewed_claim_is_paid_on_another_persons_instruction() -> None:
    decision = CLAIM_COMMAND_HANDLERS[PayClaim](reviewed(), env(PAY, actor=FINANCE), CATS)
    [paid] = [o.envelope for o in decision.events if isinstance(o.envelope.payload, ClaimPaid)]
    assert paid.actor == FINANCE


def test_four_eyes_whoever_reviewed_the_claim_does_not_instruct_its_payment() -> None:
    both = REVIEWER.model_copy(update={"roles": (Role.CLAIMS_REVIEWER, Role.FINANCE)})
    refusal = refused(reviewed(by=both), PAY, both)
    assert refusal.code == "four_eyes" and "staff:zhao.min" in refusal.reason


def test_role_and_the_claims_insured_region_are_checked() -> None:
    jinan_clerk = staff(Role.REGISTRATION_CLERK, "wu.fang", regions=("370100",))
    assert refused(WorkerState(), file_claim(), jinan_clerk).code == "forbidden_region"
    assert refused(reviewed(), PAY, REVIEWER).code == "forbidden_role"
    jinan_finance = staff(Role.FINANCE, "qian.duo", regions=("370100",))
    assert refused(reviewed(), PAY, jinan_finance).code == "forbidden_region"
