"""A step of the demo: one message sent as a real client would, and what we expect back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.actor import Actor
from contracts.message import Message
from contracts.topics import Topic


@dataclass(frozen=True)
class Step:
    topic: Topic
    payload: Message
    key: str
    when: datetime
    source: str
    says: str  # one readable line for the log
    expect: str = "accepted"  # "accepted" or the reason code of the expected refusal
    actor: Actor | None = None  # who sends it (agency staff; hospitals and gateways: None)
