"""The ledger's handler maps run without Kafka (issue 15): a settlement posted once onto
clearing-events (SD-FUND-2), an agency command answered to its sender, and the same input
again leaving the ledger as it was."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from contracts import clearing as c
from contracts import topics
from contracts.actor import Actor
from contracts.envelope import Envelope, new
from contracts.message import Message
from contracts.replies import MessageAccepted
from contracts.settlement import EncounterSettled
from services.clearing.domain.handlers import (
    COMMAND_HANDLERS,
    MONEY_EVENT_HANDLERS,
    LedgerContext,
)
from services.clearing.domain.state import ClearingState
from tests.support.actors import acting_for
from tests.unit.clearing.factories import POLICY, settled

CTX = LedgerContext(POLICY, signing_key=None, key_id="test")
AT = datetime(2024, 5, 10, 2, tzinfo=UTC)


def env(payload: Message, source: str, actor: Actor | None = None) -> Envelope[Message]:
    """`actor`: by default staff with the role a command needs (tests.support.actors)."""
    return new(payload, key="k", occurred_at=AT, source=source, event_id=uuid.uuid4(),
               recorded_at=AT, actor=actor or acting_for(payload))


def test_sd_fund_2_a_settlement_is_posted_once_and_its_redelivery_changes_nothing() -> None:
    e = env(settled(12_300), "settlement")
    first = MONEY_EVENT_HANDLERS[EncounterSettled](ClearingState(), e, CTX)
    [posted] = first.events
    assert posted.topic == topics.CLEARING_EVENTS and posted.envelope.key == c.LEDGER_KEY
    assert first.state is not None and first.replies == ()
    again = MONEY_EVENT_HANDLERS[EncounterSettled](first.state, e, CTX)
    assert list(again.events) == [] and again.state is None


def test_sd_fund_1_a_prepayment_command_is_answered_with_the_event_it_recorded() -> None:
    cmd = c.FundPrepayment(prepayment_id="P1", insured_province="110000",
                           treatment_province="370000", amount_fen=10_000,
                           funded_on=date(2024, 5, 1))
    e = env(cmd, "agency:finance")
    decision = COMMAND_HANDLERS[c.FundPrepayment](ClearingState(), e, CTX)
    [recorded] = decision.events
    [reply] = decision.replies
    assert reply.topic == topics.CLEARING_REPLIES and reply.envelope.key == "agency:finance"
    assert isinstance(reply.envelope.payload, MessageAccepted)
    assert reply.envelope.payload.detail == recorded.envelope.type
    # the answer names what was recorded, so the HTTP ingress answers 201 with it
    assert [(r.event_id, r.type, r.payload["cause_type"])
            for r in reply.envelope.payload.events] == [
        (recorded.envelope.event_id, "LedgerPosted", "FundPrepayment")]
    assert decision.state is not None
    repeat = COMMAND_HANDLERS[c.FundPrepayment](decision.state, e, CTX)
    assert repeat.events == [] and repeat.state is None
    again = repeat.replies[0].envelope.payload
    assert isinstance(again, MessageAccepted)
    assert (again.detail, again.events) == ("no change (already done)", ())  # 200: a resend
    assert repeat.replies[0].envelope.event_id == reply.envelope.event_id
