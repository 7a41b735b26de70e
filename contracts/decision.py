"""What a domain handler returns (issue 15): pure data, no Kafka, no I/O.

A handler is `(state, envelope, context) -> Decision`; the shared runner
(`contracts.runtime.runner`) sends the decision's records, then stores its state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

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
