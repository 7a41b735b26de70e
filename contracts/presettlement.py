"""Pre-settlement (预结算, national 2303/2206): what the fund would pay for an open encounter
if it were discharged now. Nothing is recorded: no encounter or settlement event, no entry.

The hospital sends `RequestPreSettlement` (contracts.encounter) on `hospital-messages`;
encounter checks it against the open encounter and asks settlement with the encounter as it
stands (`PreSettleEncounter` on `pre-settlement-requests`); settlement adjudicates it with the
final settlement's own code and answers `PreSettlementAnswered` on `pre-settlement-answers`;
encounter hands that answer to the hospital on `hospital-replies`, its causation the
hospital's own message (`ref_event_id`), like every other answer to a hospital message.
Where the final settlement would refuse the encounter (`amount_overflow`), settlement answers
`PreSettlementRefused` instead, and encounter hands the hospital a `MessageRejected` with
that reason: a refused pre-settlement is answered too, never only dead-lettered.
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import AwareDatetime, model_validator

from contracts.encounter import EncounterRecord, MessageId, NotDirectReason
from contracts.message import Command, Reply
from contracts.settlement import AdjudicatedLine
from contracts.types import Code, InstitutionId, NonNegativeFen, ResidentId, Text


class PreSettleEncounter(Command):
    """Encounter asks settlement: adjudicate `encounter` (open, as it stands) as if it were
    discharged at `as_of`."""

    encounter: EncounterRecord
    ref_event_id: uuid.UUID  # the hospital's RequestPreSettlement envelope
    message_id: MessageId
    as_of: AwareDatetime


class PreSettlementAnswered(Reply):
    """The pre-settlement (2303/2206): per line fund / self / employer, and the totals the
    final settlement would record on `settled_on` if nothing changes before discharge."""

    ref_event_id: uuid.UUID  # the hospital's RequestPreSettlement envelope
    message_id: MessageId
    encounter_id: str
    institution_id: InstitutionId
    worker_id: ResidentId
    revision: int
    settled_on: date
    direct_settlement: bool
    not_direct_reasons: tuple[NotDirectReason, ...]
    settlement_id: str | None  # the id the direct settlement would get; None: reimbursable
    lines: tuple[AdjudicatedLine, ...]
    submitted_fen: NonNegativeFen
    fund_fen: NonNegativeFen
    self_fen: NonNegativeFen
    employer_fen: NonNegativeFen

    @model_validator(mode="after")
    def _totals_are_the_lines(self) -> PreSettlementAnswered:
        for name in ("submitted_fen", "fund_fen", "self_fen", "employer_fen"):
            if getattr(self, name) != sum(getattr(ln, name) for ln in self.lines):
                raise ValueError(f"{name} is not the sum of the lines")
        return self


class PreSettlementRefused(Reply):
    """The pre-settlement (2303/2206) the final settlement would refuse: its reason, for the
    hospital that asked (handed on as `MessageRejected` to its request)."""

    ref_event_id: uuid.UUID  # the hospital's RequestPreSettlement envelope
    message_id: MessageId
    encounter_id: str
    institution_id: InstitutionId
    worker_id: ResidentId
    reason_code: Code
    reason: Text
