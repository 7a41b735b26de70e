"""The `decide_registrations` agent: registration-commands through the shared runner
(`contracts.runtime.runner`) to the handler map of `domain/handlers.py`.

The worker's state lives in the faust table `worker_state` (keyed like the command topic, so
it sits on the partition that processes the worker). Commands come a batch at a time; the
new states are stored only after the batch's records were delivered.
"""

from __future__ import annotations

from typing import Any

import faust

from contracts import topics
from contracts.decision import BY_WORKER
from contracts.runtime import faust_app
from contracts.runtime.batching import BatchedState, DeferredSends, InputPositions, batches
from contracts.runtime.rejection import Rejector
from contracts.runtime.runner import Route, Runner
from contracts.topics import Writer
from services.registration.domain import WorkerState
from services.registration.domain.handlers import HANDLERS

STAGE = "decide"


def _encode(state: WorkerState) -> bytes:
    return state.model_dump_json().encode()


def wire(app: faust.App, commands: faust.TopicT, table: Any, prefix: str) -> None:
    deferred = DeferredSends(app)
    runner = Runner(app, BatchedState(table, WorkerState.model_validate_json, _encode,
                                      WorkerState),
                    InputPositions(app, table).attach(app, commands.get_topic_name()),
                    deferred, tables=[table])
    route = Route(STAGE, HANDLERS,
                  Rejector(Writer.REGISTRATION, topics.REGISTRATION_REPLIES, prefix,
                           deferred.send),
                  context=lambda _record: None, unexpected="unsupported_command",
                  keyed_by=BY_WORKER)

    @app.agent(commands, concurrency=1, name="decide_registrations")
    async def decide_registrations(stream: faust.StreamT[bytes]) -> None:
        await faust_app.changelogs_ready(app, [table])
        async for events in batches(stream):
            await runner.run(events, route)
