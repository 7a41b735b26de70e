"""Cross-provincial gateway messages: signed claims and answers between provinces.

A province's gateway sends `GatewayClaimSubmitted` on `gateway-inbound` (key: its province
code): a claim for one of OUR insured workers treated there, drawn on the prepayment we hold
with it. We answer `GatewayClaimAnswered` on `gateway-outbound` (key: that province's code).
The other direction is symmetric: for their insured workers treated here we send our signed
`GatewayClaimSubmitted` on `gateway-outbound` (key: the insured province), and their signed
`GatewayClaimAnswered` comes back on `gateway-inbound` (key: their province).

Authentication: Ed25519. `signature` is the base64 Ed25519 signature, by the origin
province's key, of `contracts.wire.encode_payload(signed)` (canonical JSON: UTF-8, sorted
keys). Everything that matters — ids, provinces, times, amounts — is inside `signed`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.canonical import canonical_json
from contracts.message import Event
from contracts.types import Code, InstitutionId, NonNegativeFen, RegionCode, ResidentId


class EncounterKind(StrEnum):
    INPATIENT = "inpatient"
    INPATIENT_REHABILITATION = "inpatient_rehabilitation"
    DEVICE = "device"
    OUTPATIENT = "outpatient"  # never directly settled across provinces (SD-ENC-3)


class CrossProvincialClaim(BaseModel):
    """One direct settlement made at the treatment province on the insured province's behalf."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    settlement_id: str = Field(min_length=1, max_length=100)
    worker_id: ResidentId
    insured_region: RegionCode
    treatment_region: RegionCode
    institution_id: InstitutionId
    encounter_kind: EncounterKind
    treatment_date: date  # admission / fitting date: coverage is checked on it
    settled_on: date
    fund_fen: NonNegativeFen


class SignedClaim(BaseModel):
    """The signed part of a gateway message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message_id: str = Field(min_length=8, max_length=100)  # nonce: never accepted twice
    origin_province: RegionCode
    destination_province: RegionCode
    sent_at: AwareDatetime  # the sender's clock; replay window is relative to its last message
    claim: CrossProvincialClaim


def canonical_bytes(model: BaseModel) -> bytes:
    """The bytes that are signed: `wire.encode_payload` (sorted-key UTF-8 JSON) of `model`."""
    return canonical_json(model)


class GatewayClaimSubmitted(Event):
    signed: SignedClaim
    key_id: str = Field(min_length=1, max_length=64)  # which of the origin's keys signed it
    signature: str = Field(min_length=1, max_length=200)  # base64 Ed25519


class GatewayClaimAnswered(Event):
    """Our answer to one claim: accepted, or refused with every reason code that applies."""

    message_id: str
    in_reply_to: str | None  # None when the inbound message was unreadable
    origin_province: RegionCode  # us
    destination_province: RegionCode | None  # the province that sent the claim
    accepted: bool
    reason_codes: tuple[Code, ...] = ()
    reason: str = ""
    claim: CrossProvincialClaim | None = None  # echoed when accepted: what we owe
    answered_at: AwareDatetime
    key_id: str = ""
    signature: str = ""  # the origin's, over `answer_signed_bytes(self)`


def answer_signed_bytes(answer: GatewayClaimAnswered) -> bytes:
    """What an answer's signature covers: its canonical JSON with `signature` empty."""
    return canonical_bytes(answer.model_copy(update={"signature": ""}))
