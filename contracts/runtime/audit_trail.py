"""The audit read model: one `audit_trail` row per event on a service's event and
dead-letter topics, rebuilt from the log like every read model (`wic replay`, `wic verify`).

Rows hold the actor the ingress stamped (`Envelope.actor`, kept by `envelope.derive`), the
causation and correlation ids, the subject ids (`subjects`, a pure function per service)
and the Kafka position, which is why this projection is handed positions
(`LoggedProjection.apply_logged`). A refusal is an act too: a dead letter's row takes its
subjects, and its actor, from the refused message when that can be read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from contracts import wire
from contracts.actor import Actor
from contracts.audit import Subjects
from contracts.deadletter import MessageDeadLettered
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.runtime.projection import Logged
from contracts.topics import Topic

TABLE = "audit_trail"
COLUMNS = ["event_id", "event_type", "occurred_at", "recorded_at", "topic", "partition",
           "log_offset", "actor_id", "actor_kind", "actor_channel", "actor_name",
           "actor_roles", "actor_regions", "actor_institution", "causation_id",
           "correlation_id", "refused_type", "reason_code", "worker_id", "registration_id",
           "encounter_id", "claim_id", "settlement_id", "cycle_id", "institution_id"]
_APPLIED = f"SELECT event_id FROM {TABLE} WHERE event_id = ANY($1::uuid[])"

SubjectsOf = Callable[[Envelope[Message]], Subjects]


def _actor_columns(actor: Actor | None) -> tuple[Any, ...]:
    if actor is None:
        return (None,) * 7
    return (actor.id, actor.kind.value, actor.channel.value, actor.name,
            [r.value for r in actor.roles], list(actor.regions), actor.institution)


def _refused(letter: MessageDeadLettered) -> tuple[Envelope[Message] | None, str | None]:
    """The refused message, if it decodes, and its type (peeked when it does not)."""
    raw = letter.original_value()
    try:
        original = wire.decode(raw)
    except wire.WireError:
        kind = wire.peek_type(raw)
        return None, kind[:100] if kind else None
    return original, original.type


def row(topic: str, partition: int, offset: int, event: Envelope[Message],
        subjects: SubjectsOf) -> tuple[Any, ...]:
    """The `audit_trail` row of one event (pure: the same event gives the same row)."""
    actor, refused_type, reason = event.actor, None, None
    if not isinstance(event.payload, MessageDeadLettered):
        about = subjects(event)
    else:  # a dead letter's own key is its stage: it is about what it refused, or nothing
        original, refused_type = _refused(event.payload)
        reason, about = event.payload.reason_code, Subjects()
        if original is not None:
            about = subjects(original)
            # Only records read from the log were stamped by an authenticating ingress; a
            # body refused at an HTTP door may carry any "actor" its sender wrote.
            if actor is None and not event.payload.topic.startswith("http:"):
                actor = original.actor
    return (event.event_id, event.type, event.occurred_at, event.recorded_at, topic,
            partition, offset, *_actor_columns(actor), event.causation_id,
            event.correlation_id, refused_type, reason, *about.values())


@dataclass
class AuditTrail:
    """One service's audit read model (a `LoggedProjection`)."""

    name: str  # `<service>_audit`: unique, so `wic replay <service>_audit` finds it
    topics: Sequence[Topic]
    subjects: SubjectsOf
    tables: Sequence[str] = (TABLE,)

    def base_name(self, physical: str) -> str:
        """The registry name of a topic read under a prefix (what `wic` prints and takes)."""
        return next((t.base for t in self.topics if physical.endswith(t.base)), physical)

    async def apply(self, conn: asyncpg.Connection, event: Envelope[Message]) -> None:
        raise TypeError("the audit trail records log positions: it is applied through "
                        "apply_logged (contracts.runtime.projection.apply_records)")

    async def apply_logged(self, conn: asyncpg.Connection, events: list[Logged]) -> None:
        """Events with their positions (a fetch's, every partition): new event ids in by
        COPY, in one statement; an id seen before (a redelivery, a re-emitted derived event)
        keeps its first position."""
        firsts: dict[Any, Logged] = {}
        for logged in events:
            firsts.setdefault(logged[3].event_id, logged)
        done = {r["event_id"] for r in await conn.fetch(_APPLIED, list(firsts))}
        names = {topic: self.base_name(topic) for topic, *_ in firsts.values()}
        rows = [row(names[topic], partition, offset, event, self.subjects)
                for event_id, (topic, partition, offset, event) in firsts.items()
                if event_id not in done]
        if rows:
            await conn.copy_records_to_table(TABLE, records=rows, columns=COLUMNS)
