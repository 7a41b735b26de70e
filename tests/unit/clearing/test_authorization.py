"""Issue 16 in clearing's domain (SD-FUND-1…3): clearing officers act for their own side
of a cycle, finance funds prepayments for its insured province, an auditor refuses items of
its insured side, and a cycle confirmed by a region's officer is settled by someone else —
also after the ledger was rebuilt from the log."""

from __future__ import annotations

from datetime import date

import pytest

from contracts import clearing as c
from contracts.actor import Actor, Role
from contracts.decision import Rejected
from contracts.message import Message
from services.clearing.domain.handlers import COMMAND_HANDLERS, MONEY_EVENT_HANDLERS
from services.clearing.domain.ledger import evolve
from services.clearing.domain.state import ClearingState
from tests.support.actors import staff
from tests.unit.clearing.factories import settled
from tests.unit.clearing.test_handler_map import CTX, env

JINAN, QINGDAO = "370100", "370200"
CYCLE = c.cycle_id("2024-05", JINAN, QINGDAO)
JINAN_OFFICER = staff(Role.CLEARING_OFFICER, "jinan.officer", regions=(JINAN,))
QINGDAO_OFFICER = staff(Role.CLEARING_OFFICER, "qingdao.officer", regions=(QINGDAO,))
PROVINCE_OFFICER = staff(Role.CLEARING_OFFICER, "province.officer", regions=("370000",))


def answer(state: ClearingState, cmd: Message, actor: Actor) -> ClearingState:
    decision = COMMAND_HANDLERS[type(cmd)](state, env(cmd, "agency", actor), CTX)
    assert decision.state is not None, decision
    return decision.state


def refused(state: ClearingState, cmd: Message, actor: Actor) -> Rejected:
    with pytest.raises(Rejected) as refusal:
        COMMAND_HANDLERS[type(cmd)](state, env(cmd, "agency", actor), CTX)
    return refusal.value


def confirmed_by_both() -> ClearingState:
    posted = MONEY_EVENT_HANDLERS[type(settled(10_000))](
        ClearingState(), env(settled(10_000, sid="S-1"), "settlement"), CTX).state
    assert posted is not None
    closed = answer(posted, c.CloseCycle(cycle_id=CYCLE, closed_on=date(2024, 6, 1)),
                    PROVINCE_OFFICER)
    for region, officer in ((JINAN, JINAN_OFFICER), (QINGDAO, QINGDAO_OFFICER)):
        closed = answer(closed, c.ConfirmCycle(cycle_id=CYCLE, region=region,
                                               confirmed_on=date(2024, 6, 2)), officer)
    return closed


SETTLE = c.SettleCycle(cycle_id=CYCLE, settled_on=date(2024, 6, 3))


def test_sd_fund_2_each_side_confirms_and_a_third_person_settles() -> None:
    state = confirmed_by_both()
    assert state.cycles[CYCLE].confirmers == {JINAN: JINAN_OFFICER.id,
                                              QINGDAO: QINGDAO_OFFICER.id}
    answer(state, SETTLE, PROVINCE_OFFICER)


def test_four_eyes_a_confirming_officer_does_not_settle_even_after_a_rebuild() -> None:
    state = confirmed_by_both()
    refusal = refused(state, SETTLE, JINAN_OFFICER)
    assert refusal.code == "four_eyes" and JINAN_OFFICER.id in refusal.reason
    # the ledger is a fold of its own log: who confirmed is on the confirmation event
    rebuilt = ClearingState()
    for event in _ledger_events():  # folded as `ledger_agent.rebuild` folds the topic
        rebuilt = evolve(rebuilt, event, None)
    assert rebuilt.cycles[CYCLE].confirmers[JINAN] == JINAN_OFFICER.id


def _ledger_events() -> list[Message]:
    out: list[Message] = []
    state = ClearingState()
    first = MONEY_EVENT_HANDLERS[type(settled(10_000))](
        state, env(settled(10_000, sid="S-1"), "settlement"), CTX)
    out += [o.envelope.payload for o in first.events]
    assert first.state is not None
    state = first.state
    for cmd, actor in ((c.CloseCycle(cycle_id=CYCLE, closed_on=date(2024, 6, 1)),
                        PROVINCE_OFFICER),
                       (c.ConfirmCycle(cycle_id=CYCLE, region=JINAN,
                                       confirmed_on=date(2024, 6, 2)), JINAN_OFFICER)):
        d = COMMAND_HANDLERS[type(cmd)](state, env(cmd, "agency", actor), CTX)
        out += [o.envelope.payload for o in d.events]
        assert d.state is not None
        state = d.state
    return out


def test_officers_act_only_for_their_own_side() -> None:
    posted = MONEY_EVENT_HANDLERS[type(settled(10_000))](
        ClearingState(), env(settled(10_000, sid="S-1"), "settlement"), CTX).state
    assert posted is not None
    beijing = staff(Role.CLEARING_OFFICER, "beijing.officer", regions=("110000",))
    close = c.CloseCycle(cycle_id=CYCLE, closed_on=date(2024, 6, 1))
    assert refused(posted, close, beijing).code == "forbidden_region"
    closed = answer(posted, close, JINAN_OFFICER)  # either party may close
    confirm_for_qingdao = c.ConfirmCycle(cycle_id=CYCLE, region=QINGDAO,
                                         confirmed_on=date(2024, 6, 2))
    assert refused(closed, confirm_for_qingdao, JINAN_OFFICER).code == "forbidden_region"
    finance = staff(Role.FINANCE, "sun.li", regions=("370000",))
    assert refused(closed, confirm_for_qingdao, finance).code == "forbidden_role"


def test_prepayments_by_finance_and_refusals_by_auditors_of_the_insured_side() -> None:
    fund = c.FundPrepayment(prepayment_id="P1", insured_province="370000",
                            treatment_province="110000", amount_fen=10_000,
                            funded_on=date(2024, 5, 1))
    assert refused(ClearingState(), fund, staff(Role.FINANCE, "bj", regions=("110000",))
                   ).code == "forbidden_region"
    answer(ClearingState(), fund, staff(Role.FINANCE, "sd", regions=("370000",)))
    posted = MONEY_EVENT_HANDLERS[type(settled(10_000))](
        ClearingState(), env(settled(10_000, sid="S-1"), "settlement"), CTX).state
    assert posted is not None
    refuse = c.RefuseItems(refusal_id="RF-1", settlement_id="S-1", amount_fen=500,
                           reason_code="not_injury_related", reason="audit",
                           refused_on=date(2024, 5, 20))
    jinan_auditor = staff(Role.AUDITOR, "audit.jn", regions=(JINAN,))  # insured in Jinan
    answer(posted, refuse, jinan_auditor)
    qingdao_auditor = staff(Role.AUDITOR, "audit.qd", regions=(QINGDAO,))
    assert refused(posted, refuse, qingdao_auditor).code == "forbidden_region"
