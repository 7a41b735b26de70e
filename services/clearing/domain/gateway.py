"""Cross-provincial gateway checks (跨省异地就医结算), pure: authenticity, replay, coverage.

- Authenticity: Ed25519 over `contracts.gateway.canonical_bytes(signed)`; the key must be one
  of the ORIGIN province's keys (a message signed by another province's key is forged).
- Replay: a message id is accepted once; and a message whose own `sent_at` is more than
  `window` older than the last accepted message from that province is refused as stale. Time
  is the sender's, never our wall clock, so a replay of the log decides identically.
- Validation (SD-ENC-1, SD-ENC-3): the worker is ours, covered at the treatment place on the
  treatment date, and the encounter kind is directly settleable across provinces.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from contracts.gateway import EncounterKind, GatewayClaimSubmitted, canonical_bytes
from contracts.registration import WorkerCoverage

Keys = dict[str, dict[str, bytes]]  # province -> key id -> raw 32-byte Ed25519 public key


@dataclass(frozen=True)
class ProvinceReplayState:
    last_sent_at: datetime | None = None
    seen: dict[str, datetime] = field(default_factory=dict)  # message id -> its sent_at


def authenticity(msg: GatewayClaimSubmitted, keys: Keys) -> list[str]:
    origin = msg.signed.origin_province
    if origin not in keys:
        return ["unknown_origin"]
    public = keys[origin].get(msg.key_id)
    if public is None:
        return ["unknown_key"]
    try:
        signature = base64.b64decode(msg.signature, validate=True)
        Ed25519PublicKey.from_public_bytes(public).verify(signature, canonical_bytes(msg.signed))
    except (InvalidSignature, binascii.Error, ValueError):
        return ["bad_signature"]
    return []


def replay(msg: GatewayClaimSubmitted, state: ProvinceReplayState,
           window: timedelta) -> list[str]:
    signed = msg.signed
    if signed.message_id in state.seen:
        return ["replayed"]
    if state.last_sent_at is not None and signed.sent_at < state.last_sent_at - window:
        return ["stale_message"]
    return []


def remember(state: ProvinceReplayState, msg: GatewayClaimSubmitted,
             window: timedelta) -> ProvinceReplayState:
    """After acceptance: keep ids still inside the window (older ones are refused as stale)."""
    sent = msg.signed.sent_at
    last = sent if state.last_sent_at is None else max(state.last_sent_at, sent)
    seen = {k: v for k, v in state.seen.items() if v >= last - window}
    seen[msg.signed.message_id] = sent
    return ProvinceReplayState(last_sent_at=last, seen=seen)


def validity(msg: GatewayClaimSubmitted, coverage: WorkerCoverage | None,
             home_province: str) -> list[str]:
    """SD-ENC-1 / SD-ENC-3 on the treatment date, against our registrations."""
    signed, claim = msg.signed, msg.signed.claim
    codes: list[str] = []
    if signed.destination_province != home_province:
        codes.append("wrong_destination")
    if claim.insured_region[:2] != home_province[:2]:
        codes.append("not_our_insured")
    if claim.treatment_region[:2] != signed.origin_province[:2]:
        codes.append("treatment_outside_origin")
    if claim.encounter_kind is EncounterKind.OUTPATIENT:
        codes.append("outside_cross_provincial_scope")
    if coverage is None:
        codes.append("unknown_worker")
    else:
        window = coverage.covering(claim.treatment_region, claim.treatment_date)
        if window is None:
            codes.append("not_covered_on_treatment_date")
        elif window.insured_region[:4] != claim.insured_region[:4]:
            codes.append("insured_region_mismatch")
    return codes
