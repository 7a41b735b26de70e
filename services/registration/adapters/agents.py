"""The `decide_registrations` agent: command -> domain -> events + coverage snapshot + reply.

The worker's state lives in the faust table `worker_state` (keyed like the command topic, so
it sits on the partition that processes the worker). A command id already handled is
answered again with the same (deterministic) `MessageAccepted` and emits nothing.
The new state is stored only after the outgoing records were handed to the producer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import faust

from contracts import envelope, topics
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.registration import REGISTRATION_COMMANDS
from contracts.replies import MessageAccepted
from contracts.runtime import faust_app
from contracts.runtime.batching import InputPositions
from contracts.runtime.intake import Outgoing, process
from contracts.runtime.rejection import RawRecord, Rejected, Rejector, raw_record
from contracts.topics import Writer
from services.registration import SERVICE
from services.registration.domain import WorkerState, coverage_of, decide, evolve

STAGE = "decide"


def decide_command(state: WorkerState, env: Envelope[Message]
                   ) -> tuple[WorkerState, list[Outgoing]]:
    """Pure core of the agent (unit-testable): new state and what to send."""
    command = env.payload
    if not isinstance(command, REGISTRATION_COMMANDS):
        raise Rejected("unsupported_command",
                       f"{env.type} is not accepted on registration-commands")
    if env.key != command.worker_id:
        raise Rejected("key_mismatch",
                       f"message key {env.key!r} is not the worker id {command.worker_id!r}")
    if str(env.event_id) in state.commands:
        return state, [_reply(env, "duplicate command: already handled")]
    events = decide(state, command, env.occurred_at)
    for event in events:
        state = evolve(state, event)
    state = state.with_command(str(env.event_id))
    out = [Outgoing(topics.REGISTRATION_EVENTS, e)
           for e in envelope.derive(env, list(events), key=env.key, source=SERVICE)]
    if out:
        snapshot = coverage_of(state, out[-1].envelope.event_id)
        [snap] = envelope.derive(env, [snapshot], key=env.key, source=SERVICE, salt="coverage")
        out.append(Outgoing(topics.REGISTRATION_COVERAGE, snap))
    detail = ", ".join(e.type for e in (o.envelope for o in out)) or "nothing new (duplicate)"
    return state, [*out, _reply(env, detail)]


def _reply(env: Envelope[Message], detail: str) -> Outgoing:
    accepted = MessageAccepted(ref_event_id=env.event_id, ref_type=env.type, detail=detail)
    [reply] = envelope.derive(env, [accepted], key=env.source, source=SERVICE, salt="reply")
    return Outgoing(topics.REGISTRATION_REPLIES, reply)


def load_state(raw: bytes | None) -> WorkerState:
    return WorkerState() if raw is None else WorkerState.model_validate_json(raw)


def wire(app: faust.App, commands: faust.TopicT, table: Any, prefix: str) -> None:
    send = faust_app.sender(app)
    rejector = Rejector(Writer.REGISTRATION, topics.REGISTRATION_REPLIES, prefix, send)
    positions = InputPositions(app, table).attach(app, commands.get_topic_name())

    @app.agent(commands, concurrency=1, name="decide_registrations")
    async def decide_registrations(stream: faust.StreamT[bytes]) -> None:
        await faust_app.changelogs_ready(app, [table])
        async for event in stream.events():
            for admitted in await positions.admit([event]):
                await handle_record(raw_record(admitted), table, rejector)
            positions.store()  # after the record's outputs and state


async def handle_record(record: RawRecord, table: Any, rejector: Rejector) -> None:
    decided: list[WorkerState] = []

    async def handler(env: Envelope[Message]) -> Sequence[Outgoing]:
        key = env.key.encode()
        if record.key != key:  # the Kafka key decides the partition, hence the state
            raise Rejected("key_mismatch",
                           f"Kafka key {record.key!r} differs from envelope key {env.key!r}")
        new_state, out = decide_command(load_state(table.get(key)), env)
        decided.append(new_state)
        return out

    if await process(record, handler, rejector, STAGE) and decided:
        table[record.key] = decided[0].model_dump_json().encode()
