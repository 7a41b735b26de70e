"""Registration's `POST /commands` (the shared ingress, `contracts.runtime.ingress`)."""

from __future__ import annotations

from contracts import topics
from contracts.decision import BY_WORKER
from contracts.registration import REGISTRATION_COMMANDS, RegistrationDetails
from contracts.runtime.ingress import CommandDesk
from contracts.topics import Writer

COMMAND_DESK = CommandDesk(
    Writer.REGISTRATION, topics.REGISTRATION_COMMANDS, topics.REGISTRATION_REPLIES,
    REGISTRATION_COMMANDS, BY_WORKER,
    regions_of=lambda cmd: [cmd.insured_region] if isinstance(cmd, RegistrationDetails) else None)
"""`POST /commands` (contracts.runtime.ingress): a new registration names its insured place;
for the others the registration's recorded place decides (the domain checks it)."""
