"""One worker's decisions: the handler maps, and the fold that rebuilds state.

`ENCOUNTER_EVENT_HANDLERS` (discharges) and `CLAIM_COMMAND_HANDLERS` map a message type to a
pure handler `(state, envelope, catalogs) -> Decision` that the shared runner calls
(`contracts.runtime.runner`); `handle` deduplicates by event id, dispatches to the rule
functions, and returns the events and the next state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts import topics
from contracts.business_time import business_date
from contracts.decision import Decision, KeyedBy, Outgoing, acknowledge
from contracts.encounter import DischargedEncounterCorrected, EncounterDischarged
from contracts.envelope import Envelope, derive
from contracts.message import Event, Message
from contracts.settlement import (
    FileClaim,
    GrantAdvance,
    PayClaim,
    RecordInjuryNotRecognised,
    ReviewClaim,
    SubmitClaimDocuments,
)
from services.settlement.domain import claims
from services.settlement.domain.adjudication import Catalogs
from services.settlement.domain.authorization import authorized, recorded
from services.settlement.domain.encounters import decide_correction, decide_discharge
from services.settlement.domain.references import References, references
from services.settlement.domain.state import WorkerState, evolve
from services.settlement.domain.workdays import WorkCalendar

SOURCE = topics.Writer.SETTLEMENT.value

CLAIM_HANDLERS: dict[type[Message], Callable[[WorkerState, Any], list[Event]]] = {
    FileClaim: claims.decide_file,
    SubmitClaimDocuments: claims.decide_documents,
    ReviewClaim: claims.decide_review,
    PayClaim: claims.decide_pay,
    GrantAdvance: claims.decide_advance,
    RecordInjuryNotRecognised: claims.decide_clawback,
}


COUNTING: dict[type[Message], Callable[[WorkerState, Any, WorkCalendar | None], list[Event]]] = {
    FileClaim: claims.decide_file,
    SubmitClaimDocuments: claims.decide_documents,
    ReviewClaim: claims.decide_review,
}
"""The claim commands that start an XM-17 clock: they count on the calendar."""


DISCHARGES = (EncounterDischarged, DischargedEncounterCorrected)
_DECIDED: tuple[type[Message], ...] = (*DISCHARGES, *CLAIM_HANDLERS)
DECIDED_ON = frozenset(m.message_type for m in _DECIDED)
"""The message types settlement decides on; every other encounter event passes it by."""


def decide(state: WorkerState, env: Envelope[Message], context: Catalogs | References
           ) -> list[Event]:
    """The events one input leads to (raises `Rejected` for a refusal)."""
    refs = references(context)
    msg = env.payload
    if isinstance(msg, DISCHARGES):
        enc = msg.encounter
        if isinstance(msg, EncounterDischarged):
            on = business_date(enc.discharged_at or env.occurred_at)
            return decide_discharge(state, enc, refs.catalogs, on, refs.calendar)
        return decide_correction(state, enc, refs.catalogs, business_date(env.occurred_at),
                                 refs.calendar)
    counting = COUNTING.get(type(msg))
    if counting is not None:
        return counting(state, msg, refs.calendar)
    handler = CLAIM_HANDLERS.get(type(msg))
    if handler is None:
        return []  # other encounter events: not ours to decide on
    return handler(state, msg)


def handle(state: WorkerState, env: Envelope[Message], catalogs: Catalogs | References
           ) -> tuple[list[Event], WorkerState]:
    """Idempotent: an input already decided yields nothing and leaves the state alone; so
    does an input settlement does not decide on (admissions, charge lines: not remembered)."""
    if env.event_id in state.seen or env.payload.message_type not in DECIDED_ON:
        return [], state
    events = decide(state, env, catalogs)
    return events, fold(state.model_copy(update={"seen": state.seen.plus(env.event_id)}), events)


def fold(state: WorkerState, events: list[Event]) -> WorkerState:
    for event in events:
        state = evolve(state, event)
    return state


def _recorded(env: Envelope[Message], events: list[Event]) -> list[Outgoing]:
    return [Outgoing(topics.SETTLEMENT_EVENTS, e)
            for e in derive(env, list(events), key=env.key, source=SOURCE)]


def settle(state: WorkerState, env: Envelope[Message], catalogs: Catalogs | References
           ) -> Decision[WorkerState]:
    """A discharge or a post-discharge correction from encounter-events: settled, recorded
    reimbursable, or reversed and settled again (SD 1(6), XM-18)."""
    events, after = handle(state, env, catalogs)
    return Decision(events=_recorded(env, events), state=None if after is state else after)


def answer_claim_command(state: WorkerState, env: Envelope[Message],
                         catalogs: Catalogs | References) -> Decision[WorkerState]:
    """A claim command (XM-10…20) from staff who may send it (issue 16): its events, and
    the sender told what they were."""
    actor = authorized(state, env) if env.event_id not in state.seen else None
    events, after = handle(state, env, catalogs)
    if actor is not None:
        after = recorded(state, after, env.payload, actor)
    out = _recorded(env, events)
    return Decision(events=out, replies=[acknowledge(env, out, topics.CLAIM_REPLIES, SOURCE)],
                    state=None if after is state else after)


Handler = Callable[[WorkerState, Envelope[Message], Any], Decision[WorkerState]]
ENCOUNTER_EVENT_HANDLERS: dict[type[Message], Handler] = {m: settle for m in DISCHARGES}
CLAIM_COMMAND_HANDLERS: dict[type[Message], Handler] = {
    m: answer_claim_command for m in CLAIM_HANDLERS}
DISCHARGES_KEYED_BY = KeyedBy("the encounter's worker id",
                              lambda discharge: discharge.encounter.worker_id)
"""encounter-events are keyed by the worker (claim commands: `BY_WORKER`)."""
