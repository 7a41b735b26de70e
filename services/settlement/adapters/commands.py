"""Settlement's `POST /commands`: claim commands (the shared ingress,
`contracts.runtime.ingress`). A new claim names its insured region; for the others the
claim's recorded region decides (the domain checks it)."""

from __future__ import annotations

from contracts import topics
from contracts.decision import BY_WORKER
from contracts.runtime.ingress import CommandDesk
from contracts.settlement import FileClaim
from contracts.topics import Writer
from services.settlement.domain.worker import CLAIM_HANDLERS

COMMAND_DESK = CommandDesk(
    Writer.SETTLEMENT, topics.CLAIM_COMMANDS, topics.CLAIM_REPLIES, tuple(CLAIM_HANDLERS),
    BY_WORKER,
    regions_of=lambda cmd: [cmd.insured_region] if isinstance(cmd, FileClaim) else None)
