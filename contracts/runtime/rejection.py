"""Dead-lettering and rejection replies."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from contracts import envelope, wire
from contracts.actor import Actor
from contracts.deadletter import MessageDeadLettered, b64
from contracts.message import Message
from contracts.replies import MessageRejected
from contracts.runtime import metrics
from contracts.topics import DEADLETTERS, Topic, Writer

Send = Callable[[str, bytes | None, bytes], Awaitable[None]]
"""Produce one record: (physical topic name, key, value)."""


@dataclass(frozen=True)
class RawRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None  # None: a tombstone
    timestamp_ms: int | None = None


class KafkaMessage(Protocol):
    """What is read of a consumed record: a faust message or a `batching.FetchedMessage`."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def timestamp(self) -> float | None: ...  # seconds


class KafkaEvent(Protocol):
    """A faust event or a `batching.FetchedEvent`."""

    @property
    def message(self) -> KafkaMessage: ...


def raw_record(event: KafkaEvent) -> RawRecord:
    """The record behind `event`: its position, its bytes as they are on the log (a tombstone
    keeps value None) and its broker time in ms (None without one: a dead letter then takes
    the wall clock, and `intake` bounds no `recorded_at` by it)."""
    msg = event.message
    stamp = int(msg.timestamp * 1000) if msg.timestamp else None
    return RawRecord(topic=msg.topic, partition=msg.partition, offset=msg.offset, key=msg.key,
                     value=msg.value, timestamp_ms=stamp)


@dataclass(frozen=True)
class Rejector:
    """Sends dead letters and rejection replies for one service."""

    service: Writer
    reply_topic: Topic | None
    prefix: str
    send: Send

    async def reject(
        self,
        record: RawRecord,
        code: str,
        reason: str,
        *,
        stage: str,
        cause: envelope.Envelope[Message] | None = None,
        actor: Actor | None = None,
    ) -> None:
        """`actor`: who sent the refused message, when an ingress authenticated them before
        refusing it (issue 16: the audit trail shows who tried)."""
        metrics.refused(code, stage)
        letter = MessageDeadLettered(
            stage=stage,
            reason_code=code,
            reason=reason,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key_b64=b64(record.key),
            value_b64=b64(record.value) or "",
            failed_at=_record_time(record),
            original_event_id=cause.event_id if cause else None,
        )
        dl_topic = DEADLETTERS[self.service].name(self.prefix)
        dl_id = envelope.derived_id(_record_uuid(record), 0, "deadletter")
        dl = envelope.new(
            letter, key=stage, occurred_at=letter.failed_at, source=self.service.value,
            event_id=dl_id, recorded_at=letter.failed_at, actor=actor,
        )
        await self.send(dl_topic, stage.encode(), wire.encode(dl))
        metrics.dead_lettered(dl_topic)
        if self.reply_topic is not None and cause is not None:
            await self._reply(cause, code, reason)

    async def _reply(self, cause: envelope.Envelope[Message], code: str, reason: str) -> None:
        reply = MessageRejected(
            ref_event_id=cause.event_id, ref_type=cause.type, reason_code=code, reason=reason
        )
        [env] = envelope.derive(cause, [reply], key=cause.source, source=self.service.value,
                                salt="reply")
        assert self.reply_topic is not None
        await self.send(self.reply_topic.name(self.prefix), cause.source.encode(), wire.encode(env))


def _record_uuid(record: RawRecord) -> uuid.UUID:
    """A stable id for a log position, so re-rejecting a redelivered record is idempotent."""
    position = f"kafka:{record.topic}/{record.partition}/{record.offset}"
    return uuid.uuid5(uuid.NAMESPACE_URL, position)


def _record_time(record: RawRecord) -> datetime:
    # Log time of the rejected record, not the wall clock: a redelivery rejects identically.
    if record.timestamp_ms is None:
        return datetime.now(UTC)
    return datetime.fromtimestamp(record.timestamp_ms / 1000, UTC)
