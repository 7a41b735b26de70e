"""The shared runner (issue 15), without a broker: what it guarantees to every service.

Outputs are delivered before any state or input position is stored; a delivery that fails
(the process dies there) leaves both as they were, so the redelivered record is decided as
the first time. The Kafka key must be the envelope's; a type outside the handler map is
refused and dead-lettered with its reason; a route passes by what it does not decide on."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest

from contracts import envelope, topics, wire
from contracts.decision import Decision, KeyedBy, Outgoing
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.replies import MessageAccepted, MessageRejected
from contracts.runtime.batching import BatchedState, DeferredSends, InputPositions
from contracts.runtime.rejection import RawRecord, Rejector
from contracts.runtime.runner import Route, Runner, passing_by_all_but
from contracts.topics import Writer
from tests.support.runner import StandInApp, event

NOW = datetime(2024, 5, 1, 9, tzinfo=UTC)
TOPIC = "t.hospital-messages"


class Broker:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.down = False

    async def send(self, name: str, key: bytes | None, value: bytes) -> None:
        if self.down:
            raise ConnectionError("no acknowledgement")
        self.sent.append((name, key, value))

    def on(self, suffix: str) -> list[Envelope[Message]]:
        return [wire.decode(v) for n, _, v in self.sent if n.endswith(suffix)]


def count(state: int, env: Envelope[Message], _ctx: None) -> Decision[int]:
    [out] = envelope.derive(env, [MessageAccepted(ref_event_id=env.event_id, ref_type="n")],
                            key=env.key, source="test")
    return Decision(events=[Outgoing(topics.ENCOUNTER_EVENTS, out)], state=state + 1)


def make(broker: Broker, table: dict[bytes, bytes]) -> tuple[Runner[int], Route[int, None]]:
    app = StandInApp(broker.send)
    deferred = DeferredSends(app)  # type: ignore[arg-type]
    states = BatchedState(table, lambda raw: int(raw), lambda n: str(n).encode(), lambda: 0)
    runner = Runner(app, states, InputPositions(app, table), deferred)  # type: ignore[arg-type]
    route: Route[int, None] = Route(
        "test", {MessageAccepted: count},
        Rejector(Writer.ENCOUNTER, topics.HOSPITAL_REPLIES, "t.", deferred.send),
        lambda _record: None,
        passes_by=passing_by_all_but({MessageAccepted.message_type}))
    return runner, route


def record(payload: Message, offset: int, key: str = "w1", kafka_key: bytes | None = b"w1"
           ) -> RawRecord:
    env = envelope.new(payload, key=key, occurred_at=NOW, recorded_at=NOW,
                       source="hospital:H1", event_id=uuid.UUID(int=offset + 1))
    return RawRecord(TOPIC, 0, offset, kafka_key, wire.encode(env),
                     int(NOW.timestamp() * 1000))


def accepted(i: int) -> MessageAccepted:
    return MessageAccepted(ref_event_id=uuid.UUID(int=100 + i), ref_type="x")


async def test_state_and_position_are_stored_only_after_the_outputs_are_delivered() -> None:
    broker, table = Broker(), {}
    runner, route = make(broker, table)
    broker.down = True
    with pytest.raises(ConnectionError):
        await runner.run([event(record(accepted(0), 0))], route)
    assert table == {}  # nothing stored: a restart decides it again
    broker.down = False
    runner, route = make(broker, table)  # the restart
    await runner.run([event(record(accepted(0), 0)), event(record(accepted(1), 1))], route)
    assert table[b"w1"] == b"2" and len(broker.on("encounter-events")) == 2
    await runner.run([event(record(accepted(0), 0))], route)  # redelivered: passed by
    assert table[b"w1"] == b"2" and len(broker.on("encounter-events")) == 2


async def test_a_kafka_key_other_than_the_envelope_key_is_refused_and_answered() -> None:
    broker, table = Broker(), {}
    runner, route = make(broker, table)
    await runner.run([event(record(accepted(0), 0, kafka_key=b"w2"))], route)
    [reply] = broker.on("hospital-replies")
    assert isinstance(reply.payload, MessageRejected)
    assert reply.payload.reason_code == "key_mismatch"
    [letter] = broker.on("encounter-deadletters")
    assert letter.payload.reason_code == "key_mismatch"  # type: ignore[attr-defined]
    assert b"w1" not in table and b"w2" not in table


async def test_an_envelope_key_other_than_what_the_payload_is_keyed_by_is_refused() -> None:
    """`Route.keyed_by`: the partition, hence the state, follows the key, so a message keyed
    by another worker than its own would be decided against the wrong state."""
    broker, table = Broker(), {}
    runner, route = make(broker, table)
    keyed = dataclasses.replace(route, keyed_by=KeyedBy("the ref type", lambda m: m.ref_type))
    await runner.run([event(record(accepted(0), 0))], keyed)  # key w1, ref_type "x"
    [reply] = broker.on("hospital-replies")
    assert isinstance(reply.payload, MessageRejected)
    assert reply.payload.reason_code == "key_mismatch"
    assert reply.payload.reason == "message key 'w1' is not the ref type 'x'"
    assert broker.on("encounter-events") == [] and b"w1" not in table
    await runner.run([event(record(accepted(1), 1, key="x", kafka_key=b"x"))], keyed)
    assert len(broker.on("encounter-events")) == 1 and table[b"x"] == b"1"


async def test_a_type_outside_the_handler_map_is_refused_and_a_passed_type_skipped() -> None:
    broker, table = Broker(), {}
    runner, route = make(broker, table)
    passed = MessageRejected(ref_event_id=uuid.uuid4(), ref_type="x", reason_code="c",
                             reason="r")
    await runner.run([event(record(passed, 0))], route)
    assert broker.sent == []  # passed by before decoding: no answer, no dead letter
    assert table[b"\x00position/" + TOPIC.encode() + b"/0"] == b"1"
    stray = record(passed, 1)
    route_without_pass = Route(route.stage, route.handlers, route.rejector, route.context)
    await runner.run([event(stray)], route_without_pass)
    [letter] = broker.on("encounter-deadletters")
    assert letter.payload.reason_code == "unexpected_type"  # type: ignore[attr-defined]


async def test_issue_14_finding_6_a_tombstone_is_refused_and_erases_nothing() -> None:
    """No input topic here is compacted by deletion: a tombstone (a coverage snapshot
    "deleted") is dead-lettered `unexpected_tombstone` and the state stays as it was."""
    broker, table = Broker(), {b"w1": b"5"}
    runner, route = make(broker, table)
    await runner.run([event(RawRecord(TOPIC, 0, 0, b"w1", None, None))], route)
    [letter] = broker.on("encounter-deadletters")
    assert letter.payload.reason_code == "unexpected_tombstone"  # type: ignore[attr-defined]
    assert table[b"w1"] == b"5"
