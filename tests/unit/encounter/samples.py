"""Builders for encounter tests: valid ids, the sample reference data, messages."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from stdnum.cn import ric

from contracts.encounter import (
    CareType,
    ChargeLine,
    RecordAdmission,
    RecordChargeLine,
    RecordDischarge,
)
from contracts.reference import CatalogKind
from contracts.registration import CoverageWindow, RegistrationType, WorkerCoverage
from ops.reference import files_under, read_envelopes
from services.encounter.domain.reference_book import ReferenceBook

SAMPLE = Path(__file__).resolve().parents[3] / "reference" / "sample"
CST = timezone(timedelta(hours=8))


def worker_id(n: int) -> str:
    """A valid 18-char resident id (check digit computed), distinct per n."""
    year, month, day = 90 + n // 10000 % 10, 1 + n // 1000 % 9, 10 + n // 1000 % 18
    body = f"37010219{year}{month:02d}{day}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def sample_book() -> ReferenceBook:
    book = ReferenceBook()
    for env in read_envelopes(files_under(SAMPLE)):
        book.add(env.event_id, env.payload)
    return book


def coverage(worker: str, treatment: str, insured: str = "370700", card: str = "SSC000000001",
             start: date = date(2024, 1, 1), until: date = date(2025, 12, 31)) -> WorkerCoverage:
    window = CoverageWindow(registration_id=f"REG-{worker[-6:]}-{treatment}",
                            registration_type=RegistrationType.LONG_TERM_RESIDENCE,
                            insured_region=insured, treatment_region=treatment,
                            valid_from=start, valid_until=until)
    return WorkerCoverage(worker_id=worker, social_security_card=card, windows=(window,),
                          last_event_id=uuid.uuid4())


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CST)


def admission(worker: str, institution: str, no: str, day: date, *, insured: str = "370700",
              care: CareType = CareType.INPATIENT, card: str = "SSC000000001",
              third_party: bool = False, message_id: str | None = None) -> RecordAdmission:
    return RecordAdmission(message_id=message_id or f"adm-{no}", institution_id=institution,
                           encounter_no=no, worker_id=worker, social_security_card=card,
                           insured_region=insured, care_type=care, admitted_at=at(day),
                           diagnosis_code="S82.201", third_party_liability=third_party)


def line(line_no: int, day: date, code: str = "MI-001", *, kind: CatalogKind =
         CatalogKind.MEDICAL_ITEM, qty: str = "1", price: int = 2500,
         amount: int | None = None) -> ChargeLine:
    q = Decimal(qty)
    from services.encounter.domain.charges import expected_amount
    return ChargeLine(line_no=line_no, catalog_kind=kind, item_code=code, quantity=q,
                      unit_price_fen=price, service_date=day,
                      amount_fen=expected_amount(q, price) if amount is None else amount)


def charge(worker: str, institution: str, no: str, ln: ChargeLine, *,
           message_id: str | None = None, post: bool = False) -> RecordChargeLine:
    return RecordChargeLine(message_id=message_id or f"chg-{no}-{ln.line_no}",
                            institution_id=institution, encounter_no=no, worker_id=worker,
                            line=ln, post_discharge_correction=post)


def discharge(worker: str, institution: str, no: str, day: date) -> RecordDischarge:
    return RecordDischarge(message_id=f"dis-{no}", institution_id=institution, encounter_no=no,
                           worker_id=worker, discharged_at=at(day, 16))
