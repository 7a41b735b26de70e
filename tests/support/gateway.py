"""Signed gateway messages for tests, with the generated dev keys (`infra.gateway_keys`,
the ones the clearing service under test is given): claims other provinces send us, and
their answers to our claims."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.gateway import (
    CrossProvincialClaim,
    EncounterKind,
    GatewayClaimAnswered,
    GatewayClaimSubmitted,
    SignedClaim,
    answer_signed_bytes,
    canonical_bytes,
)
from infra.gateway_keys import dev_keys

DEV = dev_keys()
PUBLIC_KEYS: dict[str, dict[str, bytes]] = DEV.public_keys()
KEY_IDS = {p: DEV.key_id(p) for p in PUBLIC_KEYS}  # province -> its one dev key id
T0 = datetime(2024, 5, 31, 8, 0, tzinfo=UTC)


def private_key(province: str) -> Ed25519PrivateKey:
    return DEV.private_key(province)


def signed_claim(*, worker: str, fund_fen: int, origin: str = "110000",
                 treatment: str = "110105", insured: str = "370100",
                 signer: str | None = None, treatment_date: date = date(2024, 5, 3),
                 sent_at: datetime = T0, kind: EncounterKind = EncounterKind.INPATIENT
                 ) -> GatewayClaimSubmitted:
    """A claim from `origin` for one of our insured workers, signed by `signer` (default:
    origin; another province's key makes it a forgery)."""
    signed = SignedClaim(
        message_id=uuid.uuid4().hex, origin_province=origin, destination_province="370000",
        sent_at=sent_at,
        claim=CrossProvincialClaim(
            settlement_id=f"BJ-{uuid.uuid4().hex[:8]}", worker_id=worker, insured_region=insured,
            treatment_region=treatment, institution_id="H11010500001", encounter_kind=kind,
            treatment_date=treatment_date, settled_on=date(2024, 5, 20), fund_fen=fund_fen))
    signature = base64.b64encode(private_key(signer or origin).sign(canonical_bytes(signed)))
    return GatewayClaimSubmitted(signed=signed, key_id=KEY_IDS[origin],
                                 signature=signature.decode())


def signed_answer(claim: GatewayClaimSubmitted, *, accepted: bool,
                  reason_codes: tuple[str, ...] = (), signer: str | None = None,
                  answered_at: datetime = T0, message_id: str | None = None
                  ) -> GatewayClaimAnswered:
    """The insured province's answer to OUR claim, signed by `signer` (default: it)."""
    origin = claim.signed.destination_province
    answer = GatewayClaimAnswered(
        message_id=message_id or f"ans-{uuid.uuid4().hex}", in_reply_to=claim.signed.message_id,
        origin_province=origin, destination_province=claim.signed.origin_province,
        accepted=accepted, reason_codes=reason_codes,
        reason="accepted" if accepted else "refused: " + ", ".join(reason_codes),
        claim=claim.signed.claim if accepted else None, answered_at=answered_at,
        key_id=KEY_IDS[origin])
    signature = private_key(signer or origin).sign(answer_signed_bytes(answer))
    return answer.model_copy(update={"signature": base64.b64encode(signature).decode()})
