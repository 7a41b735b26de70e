"""Clearing's `POST /commands`: prepayments, cycles and refusals (the shared ingress,
`contracts.runtime.ingress`), checked for the regions they name before publishing."""

from __future__ import annotations

from contracts import topics
from contracts.runtime.ingress import CommandDesk
from contracts.topics import Writer
from services.clearing.domain.authorization import named_regions
from services.clearing.domain.decide import COMMANDS

COMMAND_DESK = CommandDesk(Writer.CLEARING, topics.CLEARING_COMMANDS, topics.CLEARING_REPLIES,
                           COMMANDS, None, regions_of=named_regions)
