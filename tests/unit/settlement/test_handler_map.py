"""Settlement's handler maps run without Kafka (issue 15): what the shared runner sends for
a discharge and a claim command, and that the same input again changes nothing."""

from __future__ import annotations

from contracts import topics
from contracts.encounter import EncounterDischarged
from contracts.settlement import EncounterSettled, SettlementNoticeIssued
from services.settlement.domain.state import WorkerState
from services.settlement.domain.worker import CLAIM_COMMAND_HANDLERS, ENCOUNTER_EVENT_HANDLERS
from tests.unit.settlement.factories import WORKER, encounter, file_claim, line
from tests.unit.settlement.test_decisions import CATS, env


def test_sd_1_6_a_discharge_is_settled_onto_settlement_events_keyed_by_worker() -> None:
    e = env(EncounterDischarged(encounter=encounter([line(1, 45000, qty="3")])))
    decision = ENCOUNTER_EVENT_HANDLERS[EncounterDischarged](WorkerState(), e, CATS)
    assert [o.topic for o in decision.events] == [topics.SETTLEMENT_EVENTS] * 2
    assert [type(o.envelope.payload) for o in decision.events] == [EncounterSettled,
                                                                   SettlementNoticeIssued]
    assert all(o.envelope.key == WORKER and o.envelope.causation_id == e.event_id
               for o in decision.events)
    assert decision.replies == () and decision.state is not None
    # the same envelope again (a redelivery): nothing recorded, nothing to store
    again = ENCOUNTER_EVENT_HANDLERS[EncounterDischarged](decision.state, e, CATS)
    assert again.events == [] and again.state is None


def test_xm_10_a_claim_command_is_answered_to_its_sender_with_what_it_recorded() -> None:
    e = env(file_claim())
    decision = CLAIM_COMMAND_HANDLERS[type(e.payload)](WorkerState(), e, CATS)
    [reply] = decision.replies
    assert reply.topic == topics.CLAIM_REPLIES and reply.envelope.key == e.source
    assert reply.envelope.payload.ref_event_id == e.event_id  # type: ignore[attr-defined]
    assert reply.envelope.payload.detail == ", ".join(  # type: ignore[attr-defined]
        o.envelope.type for o in decision.events)
    assert decision.events and decision.state is not None


def test_the_handler_maps_hold_only_what_each_topic_carries() -> None:
    assert not set(ENCOUNTER_EVENT_HANDLERS) & set(CLAIM_COMMAND_HANDLERS)
