"""Who may send a claim command (issue 16), decided on the worker's insured region.

The role matrix is `contracts.authority`; the region is the claim's insured region (the
command's, when it files one), or for a claw-back the insured regions of the worker's
settlements. Four-eyes: a claim reviewed by one person is paid on another's instruction.
"""

from __future__ import annotations

from contracts.actor import Actor
from contracts.authority import authorize, four_eyes
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.settlement import FileClaim, PayClaim, RecordInjuryNotRecognised, ReviewClaim
from services.settlement.domain.claims import claim_of
from services.settlement.domain.state import WorkerState


def authorized(state: WorkerState, env: Envelope[Message]) -> Actor:
    """The actor of `env`, if they may send its claim command; else `Rejected`."""
    cmd = env.payload
    if isinstance(cmd, FileClaim):
        regions = [cmd.insured_region]
    elif isinstance(cmd, RecordInjuryNotRecognised):
        regions = [e.settled.insured_region for e in state.encounters.values() if e.settled]
    else:
        regions = [claim_of(state, cmd.claim_id).insured_region]  # type: ignore[attr-defined]
    actor = authorize(env.actor, cmd, regions)
    if isinstance(cmd, PayClaim):
        four_eyes(actor, [claim_of(state, cmd.claim_id).reviewed_by or ""], "instruct its payment",
                  "reviewed this claim")
    return actor


def recorded(before: WorkerState, after: WorkerState, cmd: Message, actor: Actor
             ) -> WorkerState:
    """Remember who reviewed a claim (decision state: the four-eyes check of its payment)."""
    if not isinstance(cmd, ReviewClaim) or after is before:
        return after
    entry = after.claims[cmd.claim_id].model_copy(update={"reviewed_by": actor.id})
    return after.model_copy(update={"claims": {**after.claims, cmd.claim_id: entry}})
