"""Benefits' `POST /commands`: facts, one-time claims and the monthly run (the shared
ingress, `contracts.runtime.ingress`). A fact that names its insured region (an injury, a
contribution wage) is checked against it at the door; for the others the worker's recorded
insured region decides (the domain checks it)."""

from __future__ import annotations

from contracts import topics
from contracts.runtime.ingress import CommandDesk
from contracts.topics import Writer
from services.benefits.domain.handlers import HANDLERS, KEYED_BY

COMMAND_DESK = CommandDesk(
    Writer.BENEFITS, topics.BENEFIT_COMMANDS, topics.BENEFIT_REPLIES, tuple(HANDLERS),
    KEYED_BY,
    regions_of=lambda cmd: [region] if (region := getattr(cmd, "insured_region", None))
    else None)
