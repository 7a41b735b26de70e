"""Kafka request/reply for clients (`contracts.runtime.answers`): the awaited answer is handed
over, everything else on a reply topic (on `hospital-replies`, one reply per hospital
message) is passed by on its causation id."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from contracts import envelope, topics, wire
from contracts.replies import MessageAccepted
from contracts.runtime.answers import Answers
from contracts.settings import load

T = datetime(2024, 6, 25, 10, tzinfo=UTC)


def reply_to(message_id: uuid.UUID) -> bytes:
    ack = MessageAccepted(ref_event_id=message_id, ref_type="RecordAdmission", detail="ok")
    return wire.encode(envelope.new(ack, key="hospital:H370100001", occurred_at=T,
                                    source="encounter", causation_id=message_id))


async def test_the_awaited_reply_is_delivered_and_others_are_passed_by() -> None:
    waiter = Answers(load(), [topics.HOSPITAL_REPLIES])
    mine, other = uuid.uuid4(), uuid.uuid4()
    fut = waiter.expect(mine)
    waiter.deliver(reply_to(other))
    waiter.deliver(b"not json")
    waiter.deliver(b'{"causation_id": "not a uuid"}')
    assert not fut.done()
    waiter.deliver(reply_to(mine))
    assert fut.done()
    assert fut.result().causation_id == mine
    assert isinstance(fut.result().payload, MessageAccepted)


async def test_only_awaited_replies_are_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Performance: a pydantic decode per hospital message was 2% of encounter's CPU."""
    decoded: list[bytes] = []
    real = wire.decode

    def counting(raw: bytes) -> object:
        decoded.append(raw)
        return real(raw)

    monkeypatch.setattr(wire, "decode", counting)
    waiter = Answers(load(), [topics.HOSPITAL_REPLIES])
    waiter.deliver(reply_to(uuid.uuid4()))  # nobody waits at all
    mine = uuid.uuid4()
    waiter.expect(mine)
    for _ in range(3):
        waiter.deliver(reply_to(uuid.uuid4()))
    waiter.deliver(reply_to(mine))
    assert len(decoded) == 1


async def test_an_answer_that_came_before_it_was_gathered_is_kept() -> None:
    """The demo sends a batch, then gathers the answers: one that arrived meanwhile is not
    lost; once gathered, it is forgotten."""
    waiter = Answers(load(), [topics.HOSPITAL_REPLIES])
    early, late = uuid.uuid4(), uuid.uuid4()
    waiter.expect(early)
    waiter.expect(late)
    waiter.deliver(reply_to(early))
    gathering = asyncio.ensure_future(waiter.gather([early, late], timeout=5))
    await asyncio.sleep(0)
    waiter.deliver(reply_to(late))
    answers = await gathering
    assert [a.causation_id for a in answers] == [early, late]
    assert waiter._waiting == {}
    waiter.expect(early)
    with pytest.raises(TimeoutError, match="1 of 1 messages got no answer"):
        await waiter.gather([early], timeout=0.01)


async def test_every_answer_is_seen_by_the_hook_awaited_or_not() -> None:
    """The chaos run counts every answer (a doubled one is a finding)."""
    seen: list[uuid.UUID | None] = []
    waiter = Answers(load(), [topics.HOSPITAL_REPLIES], every=lambda a: seen.append(
        a.causation_id))
    one = uuid.uuid4()
    waiter.deliver(reply_to(one))
    waiter.deliver(reply_to(one))
    waiter.deliver(b"garbage")
    assert seen == [one, one]


async def test_an_ingress_publishes_only_once_the_reader_has_fixed_its_start() -> None:
    """A reply produced before the reader's start positions are fixed is never seen: until
    `start` has fixed them, `ready` says no (the ingress answers 503 `not_ready`, and
    publishes nothing) instead of letting the sender wait out the answer timeout."""
    waiter = Answers(load(), [topics.HOSPITAL_REPLIES])
    assert not await waiter.ready(0.05)
    waiter.started.set()  # what `start` does once its positions are resolved
    assert await waiter.ready(0.05)
