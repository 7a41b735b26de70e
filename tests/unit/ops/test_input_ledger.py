"""The input ledger's matching logic (ops/inputs.py, issue 14): how one input record is
accounted for by the answers (causation ids) and dead letters (positions) on the log."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import orjson

from contracts import envelope, topics, wire
from contracts.deadletter import MessageDeadLettered
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.replies import MessageAccepted
from contracts.settlement import ClaimPaid, SettlementNoticeIssued
from contracts.topics import Writer
from ops import inputs
from ops.inputs import (
    ANSWERED,
    DEAD_LETTERED,
    EXPIRED,
    PASSED,
    UNACCOUNTED,
    Answers,
    tally,
    verdict,
)

NOW = datetime(2024, 5, 1, 9, tzinfo=UTC)
HOSPITAL = next(s for s in inputs.SPECS if s.topic == topics.HOSPITAL_MESSAGES)
MONEY = next(s for s in inputs.SPECS if s.topic == topics.SETTLEMENT_EVENTS)
GATEWAY = next(s for s in inputs.SPECS if s.topic == topics.GATEWAY_INBOUND)
TOPIC = "p.hospital-messages"


def accepted(key: str = "w1") -> Envelope[MessageAccepted]:
    return envelope.new(MessageAccepted(ref_event_id=uuid.uuid4(), ref_type="X"), key=key,
                        occurred_at=NOW, recorded_at=NOW, source="hospital:H1")


def reply_to(cause: Envelope[Message]) -> bytes:
    ack = MessageAccepted(ref_event_id=cause.event_id, ref_type=cause.type)
    [out] = envelope.derive(cause, [ack], key=cause.source, source="encounter", salt="reply")
    return wire.encode(out)


def dead_letter(topic: str, partition: int, offset: int) -> bytes:
    letter = MessageDeadLettered(
        stage="hospital-messages", reason_code="x", reason="refused", topic=topic,
        partition=partition, offset=offset, key_b64=None,
        value_b64=base64.b64encode(b"garbage").decode(), failed_at=NOW)
    return wire.encode(envelope.new(letter, key="hospital-messages", occurred_at=NOW,
                                    recorded_at=NOW, source="encounter"))


def test_an_input_answered_by_causation_id_on_its_service_outputs() -> None:
    cause = accepted()
    answers = Answers()
    answers.add_output(topics.HOSPITAL_REPLIES.base, reply_to(cause))
    assert verdict(HOSPITAL, answers, (TOPIC, 0, 0), wire.encode(cause)) == ANSWERED
    other = accepted()
    assert verdict(HOSPITAL, answers, (TOPIC, 0, 1), wire.encode(other)) == UNACCOUNTED


def test_an_answer_on_another_services_topic_does_not_count() -> None:
    cause = accepted()
    answers = Answers()
    answers.add_output(topics.CLAIM_REPLIES.base, reply_to(cause))
    assert verdict(HOSPITAL, answers, (TOPIC, 0, 0), wire.encode(cause)) == UNACCOUNTED


def test_a_resend_of_an_answered_event_id_is_answered() -> None:
    cause = accepted()
    answers = Answers()
    answers.add_output(topics.ENCOUNTER_EVENTS.base, reply_to(cause))
    records = [((TOPIC, 1, 0), wire.encode(cause)), ((TOPIC, 1, 7), wire.encode(cause))]
    result = tally(HOSPITAL, answers, records)
    assert result.counts[ANSWERED] == 2 and result.unaccounted == 0


def test_unparseable_records_need_a_dead_letter_by_position() -> None:
    answers = Answers()
    answers.add_dead_letter(dead_letter(TOPIC, 2, 5))
    assert verdict(HOSPITAL, answers, (TOPIC, 2, 5), b"\x00not json") == DEAD_LETTERED
    assert verdict(HOSPITAL, answers, (TOPIC, 2, 6), b"\x00not json") == UNACCOUNTED
    assert verdict(HOSPITAL, answers, (TOPIC, 3, 5), b"{}") == UNACCOUNTED  # other partition
    assert verdict(HOSPITAL, answers, (TOPIC, 2, 7), None) == UNACCOUNTED  # a tombstone
    # a dead letter for the same offset of another topic does not count
    assert verdict(HOSPITAL, answers, ("p.claim-commands", 2, 5), b"x") == UNACCOUNTED


def test_a_dead_lettered_valid_envelope_counts_once_as_dead_lettered() -> None:
    cause = accepted()
    answers = Answers()
    answers.add_dead_letter(dead_letter(TOPIC, 0, 3))
    answers.add_output(topics.HOSPITAL_REPLIES.base, reply_to(cause))  # the MessageRejected
    assert verdict(HOSPITAL, answers, (TOPIC, 0, 3), wire.encode(cause)) == DEAD_LETTERED


def test_outputs_nothing_caused_and_other_records_are_ignored() -> None:
    answers = Answers()
    answers.add_output(topics.HOSPITAL_REPLIES.base, wire.encode(accepted()))  # no causation
    answers.add_output(topics.HOSPITAL_REPLIES.base, b"garbage")
    answers.add_dead_letter(wire.encode(accepted()))  # not a MessageDeadLettered
    assert answers.causes == {} and answers.dead == set()


def _raw(message_type: str) -> bytes:
    """An input as the matcher reads it: only its event_id and type matter."""
    return b'{"event_id":"%s","type":"%s"}' % (str(uuid.uuid4()).encode(),
                                                message_type.encode())


def test_clearing_must_answer_only_money_events() -> None:
    answers = Answers()
    at = ("p.settlement-events", 0)
    assert verdict(MONEY, answers, (*at, 0), _raw(ClaimPaid.message_type)) == UNACCOUNTED
    assert verdict(MONEY, answers, (*at, 1), _raw(SettlementNoticeIssued.message_type)) == PASSED
    assert verdict(MONEY, answers, (*at, 2), b"junk") == UNACCOUNTED


def test_answers_to_our_gateway_claims_may_change_nothing() -> None:
    raw, claim = _raw("GatewayClaimAnswered"), _raw("GatewayClaimSubmitted")
    answers = Answers()
    assert verdict(GATEWAY, answers, ("p.gateway-inbound", 0, 0), raw) == PASSED
    assert verdict(GATEWAY, answers, ("p.gateway-inbound", 0, 1), claim) == UNACCOUNTED


def test_an_input_older_than_expired_replies_is_expired_not_unaccounted() -> None:
    cause = accepted()
    answers = Answers(horizon_ms={topics.HOSPITAL_REPLIES.base: 2_000})
    assert verdict(HOSPITAL, answers, (TOPIC, 0, 0), wire.encode(cause), 1_000) == EXPIRED
    assert verdict(HOSPITAL, answers, (TOPIC, 0, 0), wire.encode(cause), 3_000) == UNACCOUNTED
    # garbage cannot have been answered by a reply: expiry never excuses it
    assert verdict(HOSPITAL, answers, (TOPIC, 0, 1), b"junk", 1_000) == UNACCOUNTED


def test_event_ids_compare_as_uuids_not_as_text() -> None:
    cause = accepted()
    upper = wire.encode(cause).replace(str(cause.event_id).encode(),
                                       str(cause.event_id).upper().encode())
    answers = Answers()
    answers.add_output(topics.HOSPITAL_REPLIES.base, reply_to(cause))
    assert verdict(HOSPITAL, answers, (TOPIC, 0, 0), upper) == ANSWERED


def test_the_tally_lists_the_first_unaccounted_positions() -> None:
    answers = Answers()
    records = [((TOPIC, 0, i), b"junk") for i in range(inputs.SHOWN + 3)]
    result = tally(HOSPITAL, answers, records)
    assert result.unaccounted == inputs.SHOWN + 3 and result.checked == inputs.SHOWN + 3
    assert result.first == [(TOPIC, 0, i) for i in range(inputs.SHOWN)]


def test_every_service_group_is_the_faust_app_id() -> None:
    assert inputs.group_id("demo.", Writer.ENCOUNTER) == "demo.encounter"
    assert {s.service for s in inputs.SPECS} == set(topics.DEADLETTERS)
    state_feeds = {topics.REGISTRATION_COVERAGE.base, topics.REFERENCE_DATA.base}
    assert not state_feeds & {s.topic.base for s in inputs.SPECS}


def test_sd_1_6_a_discharge_settlement_said_nothing_about_is_unaccounted() -> None:
    """Issue 14 (the 10,000-encounter chaos run): 11 discharges got no settlement decision
    and `wic verify` said OK. Every `EncounterDischarged` must be answered on
    settlement-events (causation id) or dead-lettered by settlement; its other events pass."""
    from contracts.encounter import ChargeLineRecorded, EncounterDischarged

    spec = next(s for s in inputs.SPECS if s.topic == topics.ENCOUNTER_EVENTS)
    assert spec.service is Writer.SETTLEMENT
    assert spec.must_answer(EncounterDischarged.message_type)
    assert not spec.must_answer(ChargeLineRecorded.message_type)
    discharge = accepted()  # any envelope: what counts is its type as read from the record
    raw = orjson.loads(wire.encode(discharge))
    raw["type"] = EncounterDischarged.message_type
    value = orjson.dumps(raw)
    topic = "p.encounter-events"
    assert verdict(spec, Answers(), (topic, 0, 0), value) == UNACCOUNTED
    answers = Answers()
    answers.add_output(topics.SETTLEMENT_EVENTS.base, reply_to(discharge))
    assert verdict(spec, answers, (topic, 0, 0), value) == ANSWERED
