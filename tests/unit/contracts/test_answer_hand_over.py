"""Issue 21 target 2: the encounter agent hands its delivered replies to the HTTP ingress's
waiter in the same process (`DeferredSends.hand_over` -> `Answers.handed_over`), without the
hop back through hospital-replies. The answer is still the recorded one: handed over only
once the broker acknowledged the batch; the log's copy still resolves a waiter (answers
decided by another worker, issue 17); whichever comes first resolves it, once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from contracts import envelope, topics, wire
from contracts.decision import Decision, Outgoing
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.replies import MessageAccepted
from contracts.runtime.answers import Answers
from contracts.runtime.batching import BatchedState, DeferredSends, InputPositions
from contracts.runtime.rejection import RawRecord, Rejector
from contracts.runtime.runner import Route, Runner
from contracts.settings import load
from contracts.topics import Writer
from tests.support.runner import StandInApp, event

NOW = datetime(2024, 5, 1, 9, tzinfo=UTC)
PREFIX = "t."
REPLIES = topics.HOSPITAL_REPLIES.name(PREFIX)


class Broker:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.down = False

    async def send(self, name: str, key: bytes | None, value: bytes) -> None:
        if self.down:
            raise ConnectionError("no acknowledgement")
        self.sent.append((name, value))

    def replies(self) -> list[bytes]:
        return [v for n, v in self.sent if n == REPLIES]


def answer(state: int, env: Envelope[Message], _ctx: None) -> Decision[int]:
    """Records an event and answers the sender, as the admission handler does."""
    ack = MessageAccepted(ref_event_id=env.event_id, ref_type="RecordAdmission")
    [out, reply] = envelope.derive(env, [ack, ack], key=env.key, source="test")
    return Decision(events=[Outgoing(topics.ENCOUNTER_EVENTS, out)],
                    replies=[Outgoing(topics.HOSPITAL_REPLIES, reply)], state=state + 1)


def make(broker: Broker, waiter: Answers) -> tuple[Runner[int], Route[int, None]]:
    app = StandInApp(broker.send)
    deferred = DeferredSends(app, {REPLIES: waiter.handed_over})  # type: ignore[arg-type]
    table: dict[bytes, bytes] = {}
    states = BatchedState(table, lambda raw: int(raw), lambda n: str(n).encode(), lambda: 0)
    runner = Runner(app, states, InputPositions(app, table), deferred)  # type: ignore[arg-type]
    route: Route[int, None] = Route(
        "test", {MessageAccepted: answer},
        Rejector(Writer.ENCOUNTER, topics.HOSPITAL_REPLIES, PREFIX, deferred.send),
        lambda _record: None)
    return runner, route


def admission(offset: int) -> tuple[uuid.UUID, RawRecord]:
    eid = uuid.UUID(int=offset + 1)
    msg = MessageAccepted(ref_event_id=uuid.UUID(int=100 + offset), ref_type="x")
    env = envelope.new(msg, key="w1", occurred_at=NOW, recorded_at=NOW,
                       source="hospital:H1", event_id=eid)
    return eid, RawRecord(PREFIX + "hospital-messages", 0, offset, b"w1", wire.encode(env),
                          int(NOW.timestamp() * 1000))


async def test_issue_21_a_delivered_reply_resolves_the_waiter_without_the_consumer() -> None:
    broker, waiter = Broker(), Answers(load(), [topics.HOSPITAL_REPLIES])
    runner, route = make(broker, waiter)
    eid, rec = admission(0)
    fut = waiter.expect(eid)
    await runner.run([event(rec)], route)  # no consumer was started
    assert fut.done()
    assert fut.result().causation_id == eid
    assert wire.encode(fut.result()) == broker.replies()[0]  # the recorded answer itself


async def test_issue_21_a_reply_whose_delivery_failed_is_never_handed_over() -> None:
    broker, waiter = Broker(), Answers(load(), [topics.HOSPITAL_REPLIES])
    runner, route = make(broker, waiter)
    eid, rec = admission(0)
    fut = waiter.expect(eid)
    broker.down = True
    with pytest.raises(ConnectionError):
        await runner.run([event(rec)], route)
    assert not fut.done()
    broker.down = False
    await runner.run([event(admission(1)[1])], route)  # the next batch: not the old reply
    assert not fut.done()


async def test_issue_21_the_logs_copy_still_resolves_and_an_answer_resolves_once() -> None:
    """Decided by another worker: only the log has it. Both copies: the first one wins and
    the second is passed by without a decode."""
    broker, waiter = Broker(), Answers(load(), [topics.HOSPITAL_REPLIES])
    runner, route = make(broker, waiter)
    eid, rec = admission(0)
    fut = waiter.expect(eid)
    await runner.run([event(rec)], route)
    first = fut.result()
    waiter.deliver(broker.replies()[0])  # the consumer's copy, later
    assert fut.result() is first

    other = Answers(load(), [topics.HOSPITAL_REPLIES])  # another worker's ingress
    fut2 = other.expect(eid)
    other.deliver(broker.replies()[0])
    assert fut2.result().causation_id == eid
    other.handed_over(broker.replies()[0])  # arrives second: changes nothing
    assert fut2.result() is not first and fut2.result().causation_id == eid


async def test_issue_21_a_hand_over_is_not_counted_by_the_every_hook() -> None:
    """The chaos run counts every answer from the log (a doubled one is a finding)."""
    seen: list[uuid.UUID | None] = []
    waiter = Answers(load(), [topics.HOSPITAL_REPLIES], every=lambda a: seen.append(
        a.causation_id))
    broker = Broker()
    runner, route = make(broker, waiter)
    eid, rec = admission(0)
    fut = waiter.expect(eid)
    await runner.run([event(rec)], route)
    assert fut.done() and seen == []
    waiter.deliver(broker.replies()[0])
    assert seen == [eid]


class _Acks:
    """A producer whose acknowledgements the test gives, one record at a time."""

    def __init__(self) -> None:
        self.acks: list[asyncio.Future[None]] = []

    async def send(self, *_args: object) -> asyncio.Future[None]:
        self.acks.append(asyncio.get_running_loop().create_future())
        return self.acks[-1]


async def test_issue_21_each_reply_is_handed_over_once_its_own_ack_came() -> None:
    """Only the named topic; a reply not before its acknowledgement, not after a failed
    one, and not twice."""
    producer, got = _Acks(), []
    app = type("App", (), {"producer": producer})()
    deferred = DeferredSends(app, {REPLIES: got.append})  # type: ignore[arg-type]
    await deferred.send(PREFIX + "encounter-events", b"k", b"event")
    await deferred.send(REPLIES, b"k", b"first")
    await deferred.send(REPLIES, b"k", b"failed")
    await asyncio.sleep(0)
    assert got == []  # nothing acknowledged yet
    producer.acks[1].set_result(None)
    await asyncio.sleep(0)
    assert got == [b"first"]  # before the batch's other acks
    producer.acks[0].set_result(None)
    producer.acks[2].set_exception(ConnectionError("no acknowledgement"))
    with pytest.raises(ConnectionError):
        await deferred.delivered()
    await asyncio.sleep(0)
    assert got == [b"first"]
