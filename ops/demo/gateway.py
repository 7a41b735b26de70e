"""Phase 4: Beijing's gateway sends two cross-provincial claims for our insured workers.

The first is for the worker registered to live in Beijing (accepted: drawn on Shandong's
prepayment held in Beijing); the second names a worker with no registration (refused with
reason codes). Both are signed with Beijing's generated dev key (`infra.gateway_keys`).
"""

from __future__ import annotations

import base64
from datetime import date

from contracts import gateway as gw
from contracts.topics import GATEWAY_INBOUND
from infra.gateway_keys import dev_keys
from ops.demo import world as w
from ops.demo.registrations import Registered
from ops.demo.story import Step

BEIJING = "110000"


def sign(signed: gw.SignedClaim, province: str) -> gw.GatewayClaimSubmitted:
    keys = dev_keys()
    signature = base64.b64encode(keys.private_key(province).sign(gw.canonical_bytes(signed)))
    return gw.GatewayClaimSubmitted(signed=signed, key_id=keys.key_id(province),
                                    signature=signature.decode())


def claim(message_id: str, who: w.Worker, amount_fen: int, day: date) -> gw.SignedClaim:
    return gw.SignedClaim(
        message_id=message_id, origin_province=BEIJING, destination_province=w.SHANDONG,
        sent_at=w.at(day, 14),
        claim=gw.CrossProvincialClaim(
            settlement_id=f"BJ-{message_id}", worker_id=who.worker_id,
            insured_region=who.insured_region, treatment_region="110105",
            institution_id="H110105001", encounter_kind=gw.EncounterKind.INPATIENT,
            treatment_date=date(2024, 5, 13), settled_on=date(2024, 5, 22),
            fund_fen=amount_fen))


def build(people: dict[str, Registered], stranger: w.Worker) -> list[Step]:
    day = date(2024, 5, 23)
    ok = sign(claim("BJGW-20240523-0001", people["beijing"].worker, 2_345_600, day), BEIJING)
    refused = sign(claim("BJGW-20240523-0002", stranger, 880_000, day), BEIJING)
    return [
        Step(GATEWAY_INBOUND, ok, BEIJING, w.at(day, 14), "gateway:110000",
             "Beijing gateway: claim 23,456.00 for our Jinan worker living in Beijing"),
        Step(GATEWAY_INBOUND, refused, BEIJING, w.at(day, 14, 5), "gateway:110000",
             "Beijing gateway: claim 8,800.00 for a worker with no registration",
             expect="refused"),
    ]
