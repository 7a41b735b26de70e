"""Registration's `POST /commands` (the shared ingress, `contracts.runtime.ingress`)."""

from __future__ import annotations

from contracts import topics
from contracts.decision import BY_WORKER
from contracts.message import Message
from contracts.registration import REGISTRATION_COMMANDS, RegistrationDetails
from contracts.runtime.ingress import CommandDesk
from contracts.topics import Writer
from services.registration.domain.refusals import CONFLICTS, RULE_OF


def _status_path(command: Message) -> str | None:
    """Where a pending command's effect will show: its registration."""
    reg_id = getattr(command, "registration_id", None)
    return None if reg_id is None else f"/registrations/{reg_id}"


COMMAND_DESK = CommandDesk(
    Writer.REGISTRATION, topics.REGISTRATION_COMMANDS, topics.REGISTRATION_REPLIES,
    REGISTRATION_COMMANDS, BY_WORKER,
    regions_of=lambda cmd: [cmd.insured_region] if isinstance(cmd, RegistrationDetails) else None,
    rules=RULE_OF, conflicts=CONFLICTS,
    status_of=_status_path)
"""`POST /commands` (contracts.runtime.ingress): a new registration names its insured place;
for the others the registration's recorded place decides (the domain checks it). Refusals
answer 409 (conflicts with what is recorded) or 422, with the rule id (issue 18 item 6)."""
