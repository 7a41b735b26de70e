"""What a domain handler returns (issue 15): pure data, no Kafka, no I/O.

A handler is `(state, envelope, context) -> Decision`; the shared runner
(`contracts.runtime.runner`) sends the decision's records, then stores its state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from contracts.envelope import Envelope, derive
from contracts.message import Message
from contracts.replies import MessageAccepted, RecordedEvent
from contracts.topics import Topic

S = TypeVar("S")


@dataclass(frozen=True)
class Outgoing:
    """One record to send: the topic (logical) and the envelope (its key is the record's)."""

    topic: Topic
    envelope: Envelope[Message]


@dataclass(frozen=True)
class Decision(Generic[S]):
    """What one input leads to: records for event topics, answers to the sender, and the
    next state (None: unchanged, nothing to store)."""

    events: Sequence[Outgoing] = ()
    replies: Sequence[Outgoing] = ()
    state: S | None = None


class Rejected(Exception):
    """A domain refusal: stable `code`, human `reason`. Nothing is recorded; `answers` are
    sent before the dead letter (the gateway's signed refusal to another province)."""

    def __init__(self, code: str, reason: str, answers: Sequence[Outgoing] = ()) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.answers = tuple(answers)



@dataclass(frozen=True)
class KeyedBy:
    """What the envelope key of a route's messages must be, because the partition and so
    the state follow the key: `name` says what it is in a refusal, `of(payload)` gives it.
    A domain declares it next to its handler map; the runner and the HTTP ingress check it.
    """

    name: str
    of: Callable[[Any], str | None]

    def mismatch(self, env: Envelope[Message]) -> str | None:
        """Why `env`'s key is wrong for its payload (`key_mismatch`), or None."""
        expected = self.of(env.payload)
        if env.key == expected:
            return None
        return f"message key {env.key!r} is not {self.name} {expected!r}"


BY_WORKER = KeyedBy("the worker id", lambda payload: getattr(payload, "worker_id", None))
"""Most inputs: a worker's messages share a partition, hence one state."""


def acknowledge(env: Envelope[Message], recorded: Sequence[Outgoing], reply_topic: Topic,
                source: str, detail: str | None = None) -> Outgoing:
    """The answer to an accepted command: `MessageAccepted` naming the events it recorded
    (those on `recorded`), keyed by the sender's source, so the HTTP ingress answers 201
    with them (200: nothing new, a resend). `detail` defaults to the events' types."""
    events = tuple(RecordedEvent(event_id=o.envelope.event_id, type=o.envelope.type,
                                 payload=o.envelope.payload.model_dump(mode="json"))
                   for o in recorded)
    said = detail if detail is not None else (
        ", ".join(e.type for e in events[:10]) or "no change (already done)")
    accepted = MessageAccepted(ref_event_id=env.event_id, ref_type=env.type, detail=said,
                               events=events)
    [reply] = derive(env, [accepted], key=env.source, source=source, salt="reply")
    return Outgoing(reply_topic, reply)
