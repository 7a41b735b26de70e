"""The handler map of registration-commands: command -> `Decision` (events, coverage
snapshot, reply, next state). Pure: the shared runner (`contracts.runtime.runner`) sends the
records and stores the state after they were delivered.

A command id already handled is answered again with the same (deterministic)
`MessageAccepted` and records nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from contracts import envelope, topics
from contracts.decision import Decision, Outgoing, acknowledge
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.registration import REGISTRATION_COMMANDS
from services.registration import SERVICE
from services.registration.domain.authorization import PREPARING, authorized
from services.registration.domain.coverage import coverage_of
from services.registration.domain.decide import decide
from services.registration.domain.state import WorkerState, evolve


def answer_command(state: WorkerState, env: Envelope[Message], _context: object = None
                   ) -> Decision[WorkerState]:
    """SD-REG-1…7 through `decide`; every accepted command also refreshes the worker's
    coverage snapshot (what encounter and the gateway check admissions and claims against)."""
    command = env.payload
    assert isinstance(command, REGISTRATION_COMMANDS)  # the runner routes only these here
    if env.event_id in state.commands:
        return Decision(replies=[acknowledge(env, [], topics.REGISTRATION_REPLIES, SERVICE,
                                             "duplicate command: already handled")])
    actor = authorized(state, env)
    events = decide(state, command, env.occurred_at, reviewer=actor.id)
    for event in events:
        state = evolve(state, event)
    if events and isinstance(command, PREPARING):
        state = state.prepared(command.registration_id, actor.id)
    state = state.with_command(env.event_id)
    out = [Outgoing(topics.REGISTRATION_EVENTS, e)
           for e in envelope.derive(env, list(events), key=env.key, source=SERVICE)]
    if out:
        snapshot = coverage_of(state, out[-1].envelope.event_id)
        [snap] = envelope.derive(env, [snapshot], key=env.key, source=SERVICE, salt="coverage")
        out.append(Outgoing(topics.REGISTRATION_COVERAGE, snap))
    detail = ", ".join(e.type for e in (o.envelope for o in out)) or "nothing new (duplicate)"
    recorded = [o for o in out if o.topic is topics.REGISTRATION_EVENTS]  # not the snapshot
    return Decision(events=out, replies=[acknowledge(env, recorded, topics.REGISTRATION_REPLIES,
                                                     SERVICE, detail)], state=state)


Handler = Callable[[WorkerState, Envelope[Message], object], Decision[WorkerState]]
HANDLERS: dict[type[Message], Handler] = {c: answer_command for c in REGISTRATION_COMMANDS}
"""Another type on registration-commands is refused `unsupported_command` by the runner."""
