"""Decision state per worker (the Kafka key of `hospital-messages`): encounters and the
hospital message ids already applied, with the hash of their content."""

from __future__ import annotations

import hashlib
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from contracts import wire
from contracts.encounter import EncounterRecord
from contracts.idempotency import DecidedIds
from contracts.types import Code


class EncounterStatus(StrEnum):
    OPEN = "open"
    DISCHARGED = "discharged"
    CANCELLED = "cancelled"


class EncounterState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    record: EncounterRecord
    status: EncounterStatus = EncounterStatus.OPEN
    diagnosis_code: Code
    retired_line_nos: tuple[int, ...] = ()  # reversed lines: their numbers are never reused

    def line_nos(self) -> set[int]:
        return {line.line_no for line in self.record.lines}


class WorkerState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    encounters: dict[str, EncounterState] = {}
    messages: dict[str, str] = {}  # "<institution>/<message_id>" -> sha256 of the payload
    # envelopes decided: the same envelope handed over again after a crash was answered
    # already (issue 14 chaos run); a hospital's resend comes in a new one (`messages`)
    decided: DecidedIds = DecidedIds()

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> WorkerState:
        return cls() if not raw else cls.model_validate_json(raw)


def content_hash(payload: object) -> str:
    """SHA-256 of the payload's canonical JSON (sorted keys): equal content, equal hash."""
    return hashlib.sha256(wire.encode_payload(payload)).hexdigest()  # type: ignore[arg-type]
