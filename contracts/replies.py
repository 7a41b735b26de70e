"""Answers to senders: accepted, or rejected with a stable reason code and a sentence.

Kafka senders read them on the reply topic of the service they wrote to (keyed by the
sender's `source`); HTTP senders get the same body with a 4xx status.
"""

from __future__ import annotations

import uuid

from contracts.message import Reply
from contracts.types import Code, Text


class MessageAccepted(Reply):
    ref_event_id: uuid.UUID
    ref_type: str
    detail: Text = ""


class MessageRejected(Reply):
    ref_event_id: uuid.UUID | None
    ref_type: str | None
    reason_code: Code
    reason: Text
