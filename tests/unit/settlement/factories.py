"""Builders for settlement tests (unit and integration): encounters, catalogs, claims."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from contracts.encounter import CareType, ChargeLine, EncounterRecord
from contracts.reference import CatalogItem, CatalogKind, CatalogPublished
from contracts.settlement import (
    Claimant,
    ClaimCost,
    ClaimCostKind,
    ClaimSituation,
    DocumentKind,
    FileClaim,
    InjuryFacts,
)
from services.settlement.domain.adjudication import Catalogs
from services.settlement.domain.documents import required_documents

WORKER = "11010519491231002X"
WORKER_2 = "110105194912310037"
JINAN, QINGDAO, SHANDONG = "370100", "370200", "370000"
BEIJING, HEBEI_SJZ, HEBEI = "110100", "130100", "130000"
HOSPITAL = "H37010200001"


def line(no: int, amount: int, *, code: str = "BED",
         kind: CatalogKind = CatalogKind.SERVICE_STANDARD, qty: str = "1",
         on: date = date(2024, 5, 10), **kw: Any) -> ChargeLine:
    q = Decimal(qty)
    return ChargeLine(line_no=no, catalog_kind=kind, item_code=code, quantity=q,
                      unit_price_fen=min(int(amount / q), 10**13), amount_fen=amount,
                      service_date=on, **kw)


def encounter(lines: list[ChargeLine], *, enc_no: str = "E1", worker: str = WORKER,
              insured: str = QINGDAO, treatment: str = "370102", direct: bool = True,
              care: CareType = CareType.INPATIENT, revision: int = 0,
              third_party: bool = False, on_account: bool = True,
              discharged: datetime = datetime(2024, 5, 12, 2, tzinfo=UTC)) -> EncounterRecord:
    cross = insured[:2] != treatment[:2]
    return EncounterRecord(
        encounter_id=f"{HOSPITAL}:{enc_no}", institution_id=HOSPITAL, worker_id=worker,
        social_security_card="SSC123456789", care_type=care, insured_region=insured,
        treatment_region=treatment, cross_provincial=cross, direct_settlement=direct,
        not_direct_reasons=() if direct else ("institution_not_enabled",),  # type: ignore[arg-type]
        registration_id="R1" if direct else None,
        admitted_at=datetime(2024, 5, 8, 1, tzinfo=UTC), discharged_at=discharged,
        third_party_liability=third_party, settlement_notice_before_discharge=on_account,
        lines=tuple(lines), revision=revision)


def catalog(kind: CatalogKind, region: str, items: list[tuple[str, int | None, int]],
            effective: date = date(2024, 1, 1)) -> CatalogPublished:
    return CatalogPublished(
        kind=kind, region=region, effective_from=effective, source="test",
        items=tuple(CatalogItem(code=c, name=c, max_unit_price_fen=cap, self_pay_percent=pct)
                    for c, cap, pct in items))


def standard_catalogs() -> list[CatalogPublished]:
    """Jinan (treatment city): bed-day cap 100 yuan, drug D1 with 10% self-pay, item X1.
    Qingdao has its own (different) bed cap; Shandong province: rehab R1, device DV1."""
    return [
        catalog(CatalogKind.SERVICE_STANDARD, JINAN, [("BED", 10000, 0)]),
        catalog(CatalogKind.DRUG, JINAN, [("D1", None, 10)]),
        catalog(CatalogKind.MEDICAL_ITEM, JINAN, [("X1", None, 0)]),
        catalog(CatalogKind.SERVICE_STANDARD, QINGDAO, [("BED", 5000, 0)]),
        catalog(CatalogKind.REHAB_ITEM, SHANDONG, [("R1", 20000, 0)]),
        catalog(CatalogKind.DEVICE, SHANDONG, [("DV1", 300000, 20)]),
    ]


def index(cats: list[CatalogPublished]) -> Catalogs:
    out: dict[tuple[CatalogKind, str], list[CatalogPublished]] = defaultdict(list)
    for c in cats:
        out[(c.kind, c.region)].append(c)
    return out


def file_claim(claim_id: str = "C1", *, amount: int = 100_000,
               situations: tuple[ClaimSituation, ...] = (ClaimSituation.NON_ENABLED_INSTITUTION,),
               claimant: Claimant = Claimant.EMPLOYER, all_docs: bool = True,
               recognised: bool = True, insured: bool = True, worker: str = WORKER,
               filed_on: date = date(2024, 2, 5), encounter_id: str | None = None,
               kind: ClaimCostKind = ClaimCostKind.MEDICAL) -> FileClaim:
    docs = tuple(d for d in DocumentKind if d in required_documents(situations)) if all_docs else (
        DocumentKind.BENEFIT_REVIEW_FORM,)
    return FileClaim(
        worker_id=worker, claim_id=claim_id, claimant=claimant,
        employer_id="EMP1" if claimant is Claimant.EMPLOYER else None, insured_region=QINGDAO,
        situations=situations,
        injury=InjuryFacts(injury_date=date(2024, 1, 3), recognised=recognised,
                           insured_on_injury_date=insured),
        costs=(ClaimCost(kind=kind, amount_fen=amount, encounter_id=encounter_id),),
        documents=docs, filed_on=filed_on)
