"""The role matrix (issue 16): every agency command × every role × in and out of region,
against the roles the issue names, written out here independently of `PERMITS`."""

from __future__ import annotations

import itertools

import pytest

from contracts import benefits as bf
from contracts import clearing as c
from contracts import registration as r
from contracts import settlement as s
from contracts import wire  # noqa: F401  (imports every message module: the registry is full)
from contracts.actor import Actor, ActorKind, Channel, Role
from contracts.authority import PERMITS, authorize, four_eyes
from contracts.decision import Rejected
from contracts.message import Command, Message, registered

# the issue: "registration clerk (apply, change, cancel, import …), registration reviewer
# (approve, reject), claims reviewer, finance (pay claims, fund prepayments), clearing
# officer (close, confirm, dispute, settle cycles of their own region or province), auditor
# (refuse items after the fact)"; claim intake also at the counter (assumptions.md)
EXPECTED: dict[type[Message], set[Role]] = {
    r.ApplyForRegistration: {Role.REGISTRATION_CLERK},
    r.ChangeRegistration: {Role.REGISTRATION_CLERK},
    r.CancelRegistration: {Role.REGISTRATION_CLERK},
    r.ImportOfflineRegistration: {Role.REGISTRATION_CLERK},
    r.ApproveRegistration: {Role.REGISTRATION_REVIEWER},
    r.RejectRegistration: {Role.REGISTRATION_REVIEWER},
    s.FileClaim: {Role.REGISTRATION_CLERK, Role.CLAIMS_REVIEWER},
    s.SubmitClaimDocuments: {Role.REGISTRATION_CLERK, Role.CLAIMS_REVIEWER},
    s.ReviewClaim: {Role.CLAIMS_REVIEWER},
    s.GrantAdvance: {Role.CLAIMS_REVIEWER},
    s.RecordInjuryNotRecognised: {Role.CLAIMS_REVIEWER},
    s.PayClaim: {Role.FINANCE},
    c.FundPrepayment: {Role.FINANCE},
    c.CloseCycle: {Role.CLEARING_OFFICER},
    c.ConfirmCycle: {Role.CLEARING_OFFICER},
    c.DisputeCycle: {Role.CLEARING_OFFICER},
    c.SettleCycle: {Role.CLEARING_OFFICER},
    c.AbortCycle: {Role.CLEARING_OFFICER},
    c.ConfirmCycleItem: {Role.CLEARING_OFFICER},  # 3261/3262: as the cycle's confirm
    c.DisputeCycleItem: {Role.CLEARING_OFFICER},
    c.RollBackCycleItem: {Role.CLEARING_OFFICER},
    c.RefuseItems: {Role.AUDITOR},
    # issue 19: benefit facts and claims as medical claims; the monthly run by finance
    **{fact: {Role.CLAIMS_REVIEWER} for fact in bf.FACTS},
    bf.FileBenefitClaim: {Role.REGISTRATION_CLERK, Role.CLAIMS_REVIEWER},
    bf.SubmitBenefitClaimDocuments: {Role.REGISTRATION_CLERK, Role.CLAIMS_REVIEWER},
    bf.ReviewBenefitClaim: {Role.CLAIMS_REVIEWER},
    bf.PayBenefitClaim: {Role.FINANCE},
    bf.RunMonthlyPayments: {Role.FINANCE},
}
JINAN, QINGDAO, BEIJING = "370100", "370200", "110100"


def staff(role: Role, *regions: str) -> Actor:
    return Actor(id=f"staff:{role}", kind=ActorKind.STAFF, channel=Channel.HTTP,
                 roles=(role,), regions=regions)


def test_every_agency_command_is_in_the_matrix() -> None:
    """A new command type without a rule would be refused to everyone: caught here."""
    agency_commands = {t for t in registered().values() if issubclass(t, Command)
                       and t.__module__ in {r.__name__, s.__name__, c.__name__, bf.__name__}
                       } | set(bf.FACTS)
    assert agency_commands == set(EXPECTED) == set(PERMITS)


@pytest.mark.parametrize(("command", "role"), list(itertools.product(EXPECTED, Role)),
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_role_and_region_decide_every_command(command: type[Message], role: Role) -> None:
    msg = command.model_construct()
    if role in EXPECTED[command]:
        assert authorize(staff(role, JINAN), msg, [JINAN]).id == f"staff:{role}"
        assert authorize(staff(role, "370000"), msg, [QINGDAO])  # the whole province
        assert authorize(staff(role, JINAN), msg, [BEIJING, JINAN])  # either party
        with pytest.raises(Rejected) as other_region:
            authorize(staff(role, JINAN), msg, [QINGDAO])
        assert other_region.value.code == "forbidden_region"
        assert "370200" in other_region.value.reason and "370100" in other_region.value.reason
    else:
        with pytest.raises(Rejected) as no_role:
            authorize(staff(role, JINAN), msg, [JINAN])
        assert no_role.value.code == "forbidden_role"
        assert all(str(needed) in no_role.value.reason for needed in EXPECTED[command])


def test_no_actor_and_no_staff_are_refused() -> None:
    msg = r.ApproveRegistration.model_construct()
    with pytest.raises(Rejected) as none:
        authorize(None, msg, [JINAN])
    assert none.value.code == "unauthenticated"
    hospital = Actor(id="hospital:H370100001", kind=ActorKind.HOSPITAL, channel=Channel.HTTP,
                     roles=(Role.REGISTRATION_REVIEWER,), regions=(JINAN,))
    with pytest.raises(Rejected) as not_staff:
        authorize(hospital, msg, [JINAN])
    assert not_staff.value.code == "forbidden_role"


def test_four_eyes_refuses_the_same_person_twice() -> None:
    reviewer = staff(Role.REGISTRATION_REVIEWER, JINAN)
    four_eyes(reviewer, ["staff:someone-else"], "approve", "applied for it")
    with pytest.raises(Rejected) as same:
        four_eyes(reviewer, ["staff:someone-else", reviewer.id], "approve", "applied for it")
    assert same.value.code == "four_eyes"
    assert same.value.reason == f"{reviewer.id} applied for it, so another person must approve"
