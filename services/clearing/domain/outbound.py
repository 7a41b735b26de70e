"""Our cross-provincial claims (跨省结算申报), pure: what we send, and how answers are applied.

Direction: the treatment side claims. When a worker insured in ANOTHER province is settled at
one of our institutions, we paid the institution out of the prepayment that province holds
here (SD-FUND-1); we send it a signed claim for that settlement. It answers: accepted — the
draw stands (a `claim_accepted` posting, no money moves) — or refused with reasons — the draw
is undone as a refusal (拒付, SD-FUND-3) counted in the next open cycle of the pair.

Everything here is deterministic: the claim's id is derived from the settlement message's id
and its `sent_at` is that message's business time; Ed25519 signatures are deterministic, so a
redelivered settlement produces a byte-identical claim (the receiver deduplicates by id).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import date, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts.business_time import business_date
from contracts.clearing import LedgerPosted, PostingKind
from contracts.decision import Rejected
from contracts.envelope import derived_id
from contracts.gateway import (
    CrossProvincialClaim,
    EncounterKind,
    GatewayClaimAnswered,
    GatewayClaimSubmitted,
    SignedClaim,
    answer_signed_bytes,
    canonical_bytes,
)
from contracts.settlement import EncounterSettled
from contracts.types import province_of
from services.clearing.domain import postings
from services.clearing.domain.state import ClearingState, Policy

CLAIM_SALT = "gateway-claim"

# EncounterSettled does not carry the care type yet; when it does (`care_type`), it is mapped.
_KINDS = {"inpatient": EncounterKind.INPATIENT,
          "rehabilitation_inpatient": EncounterKind.INPATIENT_REHABILITATION,
          "assistive_device": EncounterKind.DEVICE,
          "outpatient": EncounterKind.OUTPATIENT,
          "rehabilitation_outpatient": EncounterKind.OUTPATIENT}


def claim_needed(insured_region: str, treatment_region: str, home_province: str) -> bool:
    """We claim for another province's insured worker treated in our province."""
    return (province_of(treatment_region) == home_province
            and province_of(insured_region) != home_province)


def claim_message_id(settlement_event_id: uuid.UUID) -> str:
    """The id of our claim for the settlement message `settlement_event_id` (deterministic)."""
    return str(derived_id(settlement_event_id, 0, CLAIM_SALT))


def claim_for(ev: EncounterSettled, cause: uuid.UUID, sent_at: datetime,
              home_province: str) -> SignedClaim | None:
    """The claim to send for a settlement, or None when it is not ours to claim."""
    if not claim_needed(ev.insured_region, ev.treatment_region, home_province):
        return None
    care = getattr(ev, "care_type", None)  # not in the contract yet: see docs (Assumptions)
    kind = _KINDS.get(str(care), EncounterKind.INPATIENT)
    admitted = getattr(ev, "admitted_on", None)
    return SignedClaim(
        message_id=claim_message_id(cause), origin_province=home_province,
        destination_province=province_of(ev.insured_region), sent_at=sent_at,
        claim=CrossProvincialClaim(
            settlement_id=ev.settlement_id, worker_id=ev.worker_id,
            insured_region=ev.insured_region, treatment_region=ev.treatment_region,
            institution_id=ev.institution_id, encounter_kind=kind,
            treatment_date=admitted if isinstance(admitted, date) else ev.settled_on,
            settled_on=ev.settled_on, fund_fen=ev.fund_fen))


def sign(signed: SignedClaim, private: Ed25519PrivateKey, key_id: str) -> GatewayClaimSubmitted:
    """Ed25519 over the canonical JSON (sorted keys, UTF-8) of the signed part."""
    signature = base64.b64encode(private.sign(canonical_bytes(signed))).decode()
    return GatewayClaimSubmitted(signed=signed, key_id=key_id, signature=signature)


def answer_authenticity(ans: GatewayClaimAnswered, keys: dict[str, dict[str, bytes]]
                        ) -> list[str]:
    """The answer is signed by one of its origin province's keys, over its canonical JSON."""
    public = keys.get(ans.origin_province)
    if public is None:
        return ["unknown_origin"]
    raw = public.get(ans.key_id)
    if raw is None:
        return ["unknown_key"]
    try:
        signature = base64.b64decode(ans.signature, validate=True)
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, answer_signed_bytes(ans))
    except (InvalidSignature, binascii.Error, ValueError):
        return ["bad_signature"]
    return []


def apply_answer(state: ClearingState, policy: Policy, ans: GatewayClaimAnswered,
                 cause: uuid.UUID) -> LedgerPosted | None:
    """The insured province's answer to our claim: forged, misaddressed or unknown answers
    are refused; the first authentic answer to a claim is applied, later ones change nothing.
    Accepted: the draw on its prepayment stands. Refused: SD-FUND-3, the outstanding amount
    flows back as a refusal in the next open cycle of the pair."""
    codes = answer_authenticity(ans, policy.keys)
    if codes:
        raise Rejected(codes[0], f"answer {ans.message_id} from {ans.origin_province}: "
                       f"{', '.join(codes)}")
    if ans.destination_province != policy.home_province:
        raise Rejected("wrong_destination", f"answer {ans.message_id} is addressed to "
                       f"{ans.destination_province}, not {policy.home_province}")
    sid = state.claims.get(ans.in_reply_to or "")
    ref = state.settlements.get(sid or "")
    if sid is None or ref is None:
        raise Rejected("unknown_claim", f"answer {ans.message_id} replies to "
                       f"{ans.in_reply_to!r}, which is not a claim we sent")
    if province_of(ref.insured_region) != ans.origin_province:
        raise Rejected("not_the_insured_province", f"claim {ans.in_reply_to} was sent to "
                       f"{province_of(ref.insured_region)}, not {ans.origin_province}")
    mid = ans.in_reply_to
    if mid in state.answered:
        return None  # the same answer sent again (or a second answer): applied once
    on = business_date(ans.answered_at)  # the sender's business date, not our clock
    if ans.accepted:
        return LedgerPosted(
            ledger_seq=state.seq, kind=PostingKind.CLAIM_ACCEPTED, reference=sid,
            cause_event_id=cause, cause_type=ans.message_type, business_date=on,
            insured_region=ref.insured_region, treatment_region=ref.treatment_region,
            institution_id=ref.institution_id, settlement_id=sid, claim_message_id=mid,
            detail=f"accepted by {ans.origin_province}")
    ev = postings.settlement_posting(
        state, policy, kind=PostingKind.REFUSAL, cause=cause, cause_type=ans.message_type,
        settlement_id=sid, insured=ref.insured_region, treatment=ref.treatment_region,
        institution_id=ref.institution_id, fund_fen=-ref.outstanding_fen, on=on,
        reference=f"gateway:{ans.message_id}")
    reasons = ", ".join(ans.reason_codes) or "refused"
    return ev.model_copy(update={"claim_message_id": mid,
                                 "detail": f"{reasons}: {ans.reason}"[:500]})
