"""What a domain handler returns (issue 15): pure data, no Kafka, no I/O.

A handler is `(state, envelope, context) -> Decision`; the shared runner
(`contracts.runtime.runner`) sends the decision's records, then stores its state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from contracts.envelope import Envelope
from contracts.message import Message
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
