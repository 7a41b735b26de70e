"""Envelopes with actors, and dead letters of them, for the audit trail's tests (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from contracts import envelope, wire
from contracts.actor import Actor, ActorKind, Channel, Role
from contracts.deadletter import MessageDeadLettered, b64
from contracts.envelope import Envelope
from contracts.message import Message

WHEN = datetime(2024, 6, 3, 2, tzinfo=UTC)
CLERK = Actor(id="staff:zhang.wei", kind=ActorKind.STAFF, channel=Channel.HTTP, name="张伟",
              roles=(Role.REGISTRATION_CLERK,), regions=("370100",))
REVIEWER = Actor(id="staff:li.na", kind=ActorKind.STAFF, channel=Channel.HTTP, name="李娜",
                 roles=(Role.REGISTRATION_REVIEWER, Role.CLAIMS_REVIEWER), regions=("370000",))
HOSPITAL = Actor(id="hospital:H37020200001", kind=ActorKind.HOSPITAL, channel=Channel.HTTP,
                 institution="H37020200001")


def env(payload: Message, key: str, when: datetime = WHEN, actor: Actor | None = None,
        ) -> Envelope[Message]:
    return envelope.new(payload, key=key, occurred_at=when, recorded_at=when, source="test",
                        actor=actor)


def dead_letter(original: Envelope[Message] | bytes, topic: str, code: str = "change_locked",
                when: datetime = WHEN) -> Envelope[Message]:
    """`original` refused from `topic` ("http:POST /commands" for a body refused at an HTTP
    door), as a service's Rejector writes it."""
    raw = original if isinstance(original, bytes) else wire.encode(original)
    letter = MessageDeadLettered(stage="decide", reason_code=code, reason="refused in a test",
                                 topic=topic, partition=0, offset=7, key_b64=None,
                                 value_b64=b64(raw) or "", failed_at=when)
    return envelope.new(letter, key="decide", occurred_at=when, recorded_at=when,
                        source="test", event_id=uuid.uuid4())
