"""A dead-lettered message: the reason, where it came from, and its original bytes.

Nothing rejected is lost: `wic dlq redrive` republishes `value_b64` to `topic` after a fix,
and marks the new attempt with `redrive_of` so a message that fails again comes back here
with its history instead of vanishing or being applied twice.
"""

from __future__ import annotations

import base64
import uuid
from typing import ClassVar

from pydantic import AwareDatetime

from contracts.message import Kind, Message
from contracts.types import Code, Text


class MessageDeadLettered(Message):
    message_kind: ClassVar[Kind] = "deadletter"

    stage: str
    reason_code: Code
    reason: Text
    topic: str
    partition: int
    offset: int
    key_b64: str | None
    value_b64: str
    failed_at: AwareDatetime
    original_event_id: uuid.UUID | None = None
    attempt: int = 1

    def original_value(self) -> bytes:
        return base64.b64decode(self.value_b64)

    def original_key(self) -> bytes | None:
        return None if self.key_b64 is None else base64.b64decode(self.key_b64)


def b64(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode("ascii")

