"""Builders for clearing unit tests: money events and a fold that runs decide + evolve."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from contracts.message import Message
from contracts.settlement import AdjudicatedLine, EncounterSettled
from services.clearing.domain.decide import decide
from services.clearing.domain.ledger import evolve
from services.clearing.domain.state import ClearingState, Policy

WORKER = "11010519491231002X"
POLICY = Policy(warning_percent=30)


def settled(fund: int, *, insured: str = "370100", treatment: str = "370200",
            institution: str = "H37020200001", on: date = date(2024, 5, 10),
            sid: str | None = None, medical: int | None = None) -> EncounterSettled:
    """`medical`: the medical total (submitted), the worker paying what the fund does not."""
    total = fund if medical is None else medical
    return EncounterSettled(
        settlement_id=sid or f"S-{uuid.uuid4().hex[:10]}", encounter_id="E-1", revision=0,
        institution_id=institution, worker_id=WORKER, insured_region=insured,
        treatment_region=treatment, cross_provincial=insured[:2] != treatment[:2],
        settled_on=on, submitted_fen=total, fund_fen=fund, self_fen=total - fund,
        lines=(AdjudicatedLine(line_no=1, item_code="MI-001", submitted_fen=total,
                               eligible_fen=fund, fund_fen=fund, self_fen=total - fund),))


class Book:
    """decide → evolve, like the ledger agent, keeping every event."""

    def __init__(self, policy: Policy = POLICY) -> None:
        self.state = ClearingState()
        self.policy = policy
        self.events: list[Message] = []

    def feed(self, msg: Message, cause: uuid.UUID | None = None) -> Any:
        cause = cause or uuid.uuid4()
        event = decide(self.state, self.policy, msg, cause)
        if event is not None:
            self.state = evolve(self.state, event, cause)
            self.events.append(event)
        return event
