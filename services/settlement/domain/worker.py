"""One worker's decisions: the handler map, and the fold that rebuilds state.

`handle(state, envelope, catalogs)` is what an agent calls for every input: it deduplicates
by event id, dispatches to the rule functions, and returns the events and the next state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.business_time import business_date
from contracts.encounter import DischargedEncounterCorrected, EncounterDischarged
from contracts.envelope import Envelope
from contracts.message import Event, Message
from contracts.runtime.rejection import Rejected
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
from services.settlement.domain.encounters import decide_correction, decide_discharge
from services.settlement.domain.state import WorkerState, evolve

CLAIM_HANDLERS: dict[type[Message], Callable[[WorkerState, Any], list[Event]]] = {
    FileClaim: claims.decide_file,
    SubmitClaimDocuments: claims.decide_documents,
    ReviewClaim: claims.decide_review,
    PayClaim: claims.decide_pay,
    GrantAdvance: claims.decide_advance,
    RecordInjuryNotRecognised: claims.decide_clawback,
}


DISCHARGES = (EncounterDischarged, DischargedEncounterCorrected)
_DECIDED: tuple[type[Message], ...] = (*DISCHARGES, *CLAIM_HANDLERS)
DECIDED_ON = frozenset(m.message_type for m in _DECIDED)
"""The message types settlement decides on; every other encounter event passes it by."""


def decide(state: WorkerState, env: Envelope[Message], catalogs: Catalogs) -> list[Event]:
    """The events one input leads to (raises `Rejected` for a refusal)."""
    msg = env.payload
    if isinstance(msg, DISCHARGES):
        enc = msg.encounter
        if enc.worker_id != env.key:
            raise Rejected("key_mismatch", f"key {env.key} is not worker {enc.worker_id}")
        if isinstance(msg, EncounterDischarged):
            on = business_date(enc.discharged_at or env.occurred_at)
            return decide_discharge(state, enc, catalogs, on)
        return decide_correction(state, enc, catalogs, business_date(env.occurred_at))
    handler = CLAIM_HANDLERS.get(type(msg))
    if handler is None:
        return []  # other encounter events: not ours to decide on
    if getattr(msg, "worker_id", None) != env.key:
        raise Rejected("key_mismatch", f"key {env.key} is not the command's worker id")
    return handler(state, msg)


def handle(state: WorkerState, env: Envelope[Message], catalogs: Catalogs
           ) -> tuple[list[Event], WorkerState]:
    """Idempotent: an input already decided yields nothing and leaves the state alone; so
    does an input settlement does not decide on (admissions, charge lines: not remembered)."""
    eid = str(env.event_id)
    if eid in state.seen or env.payload.message_type not in DECIDED_ON:
        return [], state
    events = decide(state, env, catalogs)
    return events, fold(state.model_copy(update={"seen": (*state.seen, eid)}), events)


def fold(state: WorkerState, events: list[Event]) -> WorkerState:
    for event in events:
        state = evolve(state, event)
    return state
