"""Who may send a registration command (issue 16), decided on the registration's own region.

The role matrix is `contracts.authority`; the region is the worker's insured place: the
command's for a new registration, the recorded registration's otherwise. Four-eyes: the
person who applied for a registration, or changed it, does not approve it.
"""

from __future__ import annotations

from contracts.actor import Actor
from contracts.authority import authorize, four_eyes
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.registration import (
    ApplyForRegistration,
    ApproveRegistration,
    ChangeRegistration,
    ImportOfflineRegistration,
    RegistrationDetails,
)
from services.registration.domain import rules
from services.registration.domain.state import WorkerState

PREPARING = (ApplyForRegistration, ImportOfflineRegistration, ChangeRegistration)
"""Commands whose sender may not approve the registration afterwards."""


def authorized(state: WorkerState, env: Envelope[Message]) -> Actor:
    """The actor of `env`, if they may send its command; else `Rejected`."""
    command = env.payload
    if isinstance(command, RegistrationDetails):
        region = command.insured_region
    else:
        region = rules.require_known(state, command.registration_id).insured_region  # type: ignore[attr-defined]
    actor = authorize(env.actor, command, [region])
    if isinstance(command, ApproveRegistration):
        four_eyes(actor, state.prepared_by.get(command.registration_id, ()),
                  "approve it", "applied for or changed this registration")
    return actor
