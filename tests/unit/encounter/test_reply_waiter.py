"""The HTTP ingress's reply waiter: the awaited reply is handed over, everything else on
`hospital-replies` (one reply per hospital message) is passed by on its causation id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from contracts import envelope, wire
from contracts.replies import MessageAccepted
from contracts.settings import load
from services.encounter.adapters.feeds import ReplyWaiter

T = datetime(2024, 6, 25, 10, tzinfo=UTC)


def reply_to(message_id: uuid.UUID) -> bytes:
    ack = MessageAccepted(ref_event_id=message_id, ref_type="RecordAdmission", detail="ok")
    return wire.encode(envelope.new(ack, key="hospital:H370100001", occurred_at=T,
                                    source="encounter", causation_id=message_id))


async def test_the_awaited_reply_is_delivered_and_others_are_passed_by() -> None:
    waiter = ReplyWaiter(load())
    mine, other = uuid.uuid4(), uuid.uuid4()
    fut = waiter.expect(mine)
    waiter._deliver(reply_to(other))
    waiter._deliver(b"not json")
    waiter._deliver(b'{"causation_id": "not a uuid"}')
    assert not fut.done()
    waiter._deliver(reply_to(mine))
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
    waiter = ReplyWaiter(load())
    waiter._deliver(reply_to(uuid.uuid4()))  # nobody waits at all
    mine = uuid.uuid4()
    waiter.expect(mine)
    for _ in range(3):
        waiter._deliver(reply_to(uuid.uuid4()))
    waiter._deliver(reply_to(mine))
    assert len(decoded) == 1
