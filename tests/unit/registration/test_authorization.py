"""Issue 16 in registration's domain: the role, the region of the worker's insured place,
and four-eyes (the person who applied for a registration does not approve it), decided by
`answer_command` on the actor the ingress stamped. (A change comes only after approval,
SD-REG-3, so its four-eyes rule has nothing to refuse yet.)"""

from __future__ import annotations

from datetime import date

import pytest

from contracts.actor import Role
from contracts.decision import Rejected
from contracts.registration import ApproveRegistration, RegistrationApproved
from services.registration.domain import WorkerState
from services.registration.domain.handlers import answer_command
from tests.support.actors import staff
from tests.unit.registration import builders as b

W = b.worker_id()
D0 = date(2024, 1, 15)
CLERK = staff(Role.REGISTRATION_CLERK, "li.na", regions=("370100",))
REVIEWER = staff(Role.REGISTRATION_REVIEWER, "wang.qiang", regions=("370000",))


def answer(state: WorkerState, command: object, actor: object) -> WorkerState:
    decision = answer_command(state, b.env(command, b.at(D0), actor=actor))  # type: ignore[arg-type]
    assert decision.state is not None
    return decision.state


def refusal(state: WorkerState, command: object, actor: object) -> Rejected:
    with pytest.raises(Rejected) as refused:
        answer_command(state, b.env(command, b.at(D0), actor=actor))  # type: ignore[arg-type]
    return refused.value


def test_a_clerk_applies_and_another_person_approves_recorded_as_the_reviewer() -> None:
    applied = answer(WorkerState(), b.apply(W), CLERK)
    typed = ApproveRegistration(registration_id="REG-0001", worker_id=W,
                                reviewer="someone typed this")
    decision = answer_command(applied, b.env(typed, b.at(D0), actor=REVIEWER))
    [approval] = [o.envelope for o in decision.events
                  if isinstance(o.envelope.payload, RegistrationApproved)]
    assert approval.payload.reviewer == "staff:wang.qiang"  # the actor, never the body
    assert approval.actor == REVIEWER


def test_four_eyes_the_applicant_cannot_approve_even_with_the_reviewer_role() -> None:
    both = CLERK.model_copy(update={"roles": (Role.REGISTRATION_CLERK,
                                              Role.REGISTRATION_REVIEWER)})
    applied = answer(WorkerState(), b.apply(W), both)
    refused = refusal(applied, b.approve(W), both)
    assert refused.code == "four_eyes" and "staff:li.na" in refused.reason


def test_role_and_insured_region_are_checked() -> None:
    assert refusal(WorkerState(), b.apply(W), REVIEWER).code == "forbidden_role"
    qingdao_clerk = staff(Role.REGISTRATION_CLERK, "sun.li", regions=("370200",))
    refused = refusal(WorkerState(), b.apply(W), qingdao_clerk)  # insured in Jinan
    assert refused.code == "forbidden_region" and "370100" in refused.reason
    applied = answer(WorkerState(), b.apply(W), CLERK)
    beijing_reviewer = staff(Role.REGISTRATION_REVIEWER, "zhou.yu", regions=("110000",))
    assert refusal(applied, b.approve(W), beijing_reviewer).code == "forbidden_region"


def test_a_command_without_an_actor_is_refused_unauthenticated() -> None:
    assert refusal(WorkerState(), b.apply(W), None).code == "unauthenticated"
