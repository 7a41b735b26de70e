"""Answers to senders: accepted, or rejected with a stable reason code and a sentence.

Kafka senders read them on the reply topic of the service they wrote to (keyed by the
sender's `source`); HTTP senders get the same body with a 4xx status.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict

from contracts.message import Reply
from contracts.types import Code, Text


class RecordedEvent(BaseModel):
    """One event an accepted message led to, as recorded on the service's event topic: an
    HTTP sender learns what was decided (the registration's validity, say) from the answer
    itself (issue 18 item 6)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    type: str
    payload: dict[str, Any]


class MessageAccepted(Reply):
    ref_event_id: uuid.UUID
    ref_type: str
    detail: Text = ""
    events: tuple[RecordedEvent, ...] = ()  # what was recorded; empty: nothing new


class MessageRejected(Reply):
    ref_event_id: uuid.UUID | None
    ref_type: str | None
    reason_code: Code
    reason: Text
