"""Cross-provincial gateway checks (跨省异地就医结算), pure: authenticity, replay, coverage.

- Authenticity: Ed25519 over `contracts.gateway.canonical_bytes(signed)`; the key must be one
  of the ORIGIN province's keys (a message signed by another province's key is forged).
- Replay: a message id is accepted once; a message whose own `sent_at` is more than `skew`
  ahead of its Kafka record's timestamp is refused `from_the_future`; and one more than
  `window` older than the last accepted message from that province — never later than this
  record's own time — is refused as stale (issue 14 finding 7: one message dated 2099 must
  not make every genuine message of its province "stale"). Ids are remembered while inside
  the window; the newest `sent_at` among forgotten ids is kept as a floor, and a message not
  newer than it is stale too (it could be a forgotten message replayed). Times are the
  sender's and the log's (the record timestamp is stored with the record), never our wall
  clock, so a replay of the log decides identically.
- Validation (SD-ENC-1, SD-ENC-3): the worker is ours, covered at the treatment place on the
  treatment date, and the encounter kind is directly settleable across provinces.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts.gateway import EncounterKind, GatewayClaimSubmitted, canonical_bytes
from contracts.registration import WorkerCoverage

Keys = dict[str, dict[str, bytes]]  # province -> key id -> raw 32-byte Ed25519 public key


DEFAULT_SKEW = timedelta(minutes=5)  # how far a sender's clock may run ahead of the log's


@dataclass(frozen=True)
class GatewayConfig:
    """Our province, the provinces' public keys, our signing key, the replay window."""

    home_province: str
    keys: Keys
    key_id: str
    private_key: Ed25519PrivateKey | None
    window: timedelta
    skew: timedelta = DEFAULT_SKEW


@dataclass(frozen=True)
class ProvinceReplayState:
    last_sent_at: datetime | None = None
    seen: dict[str, datetime] = field(default_factory=dict)  # message id -> its sent_at
    floor: datetime | None = None  # newest sent_at among ids no longer remembered


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


def replay(msg: GatewayClaimSubmitted, state: ProvinceReplayState, window: timedelta, *,
           record_time: datetime | None = None, skew: timedelta = DEFAULT_SKEW) -> list[str]:
    """Replay and clock checks of an authentic message; `record_time` is the timestamp of the
    Kafka record that carried it (None only for callers without a record: no bound)."""
    signed = msg.signed
    if signed.message_id in state.seen:
        return ["replayed"]
    if record_time is not None and signed.sent_at > record_time + skew:
        return ["from_the_future"]
    reference = _reference(state, record_time)
    if reference is not None and signed.sent_at < reference - window:
        return ["stale_message"]
    if state.floor is not None and signed.sent_at <= state.floor:
        return ["stale_message"]  # not newer than a message we no longer remember
    return []


def remember(state: ProvinceReplayState, msg: GatewayClaimSubmitted, window: timedelta, *,
             record_time: datetime | None = None) -> ProvinceReplayState:
    """After acceptance: keep ids still inside the window; the newest forgotten one sets the
    floor (anything not newer is refused as stale, so a forgotten id cannot come back)."""
    sent = msg.signed.sent_at
    last = sent if state.last_sent_at is None else max(state.last_sent_at, sent)
    cutoff = (last if record_time is None else min(last, record_time)) - window
    seen = {k: v for k, v in state.seen.items() if v >= cutoff}
    forgotten = [v for v in state.seen.values() if v < cutoff]
    floor = max([*forgotten, *([state.floor] if state.floor else [])], default=None)
    seen[msg.signed.message_id] = sent
    return ProvinceReplayState(last_sent_at=last, seen=seen, floor=floor)


def _reference(state: ProvinceReplayState, record_time: datetime | None) -> datetime | None:
    """What staleness is measured against: the province's last accepted `sent_at`, but never
    later than this record's own time (a future date accepted once cannot move it ahead)."""
    last = state.last_sent_at
    if last is None or record_time is None:
        return last
    return min(last, record_time)


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
