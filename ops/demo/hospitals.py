"""Phase 2: hospital traffic for May 2024 — admissions, charge lines, discharges.

Most hospitals publish on Kafka; the referral's Jinan hospital uses the HTTP ingress (as a
hospital without Kafka would) and gets its admission answer in the response. Lines include
amounts over the standard (bed-day cap), self-pay drugs, a line not related to the injury,
a code that is not in the catalog (refused, dead-lettered, resent corrected) and a
correction after discharge (settlement reversed and issued again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from contracts import encounter as enc
from contracts.reference import CatalogKind
from contracts.topics import HOSPITAL_MESSAGES
from ops.demo import world as w
from ops.demo.registrations import Registered
from ops.demo.story import Step

K = CatalogKind


@dataclass
class Stay:
    """One encounter as the hospital knows it, turned into messages."""

    person: str
    who: Registered
    institution: str
    care: enc.CareType
    admitted: date
    discharged: date
    lines: list[tuple[CatalogKind, str, str, int, bool]]  # kind, code, qty, unit fen, injury
    third_party: bool = False
    http: bool = False
    presettle: bool = False  # ask for a pre-settlement (2303/2206) just before discharge
    steps: list[Step] = field(default_factory=list)
    count: int = 0

    @property
    def encounter_no(self) -> str:
        # the whole name (up to EncounterNo's 40 characters): cut at 10, generic_1990 and
        # generic_199 admitted the same day shared a visit number (the 10,000-encounter chaos run)
        return f"ZY{self.admitted:%Y%m%d}{self.person.upper().replace('_', '')[:30]}"

    @property
    def encounter_id(self) -> str:
        return enc.encounter_id(self.institution, self.encounter_no)

    def _message(self, kind: type[Any], day: date, says: str, expect: str = "accepted",
                 **fields: object) -> None:
        self.count += 1
        payload = kind(message_id=f"{self.encounter_no}-{self.count:03d}",
                       institution_id=self.institution, encounter_no=self.encounter_no,
                       worker_id=self.who.worker.worker_id, **fields)
        self.steps.append(Step(HOSPITAL_MESSAGES, payload, self.who.worker.worker_id,
                               w.at(day, 10, self.count % 60), f"hospital:{self.institution}",
                               f"{self.person}: {says}", expect))

    def admit(self) -> None:
        self._message(enc.RecordAdmission, self.admitted,
                      f"admission at {self.institution} ({self.care.value})",
                      social_security_card=self.who.worker.card,
                      insured_region=self.who.worker.insured_region, care_type=self.care,
                      admitted_at=w.at(self.admitted, 8), diagnosis_code="S82.201",
                      third_party_liability=self.third_party)

    def charge(self, n: int, kind: CatalogKind, code: str, qty: str, unit: int, injury: bool,
               day: date, expect: str = "accepted", correction: bool = False,
               says: str = "", sent: date | None = None) -> None:
        amount = int((Decimal(qty) * unit).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        line = enc.ChargeLine(line_no=n, catalog_kind=kind, item_code=code,
                              quantity=Decimal(qty), unit_price_fen=unit, amount_fen=amount,
                              service_date=day, injury_related=injury)
        message = enc.CorrectChargeLine if correction else enc.RecordChargeLine
        self._message(message, sent or day, says or f"line {n} {code} x{qty} @ {unit / 100:.2f}",
                      expect, line=line, post_discharge_correction=correction)

    def pre_settle(self) -> None:
        """What the fund would pay if discharged now (预结算): asked on discharge day."""
        self._message(enc.RequestPreSettlement, self.discharged,
                      "pre-settlement before discharge (2303/2206)", expect="pre-settled")

    def discharge(self) -> None:
        self._message(enc.RecordDischarge, self.discharged, "discharge",
                      discharged_at=w.at(self.discharged, 16))

    def build(self) -> list[Step]:
        self.admit()
        for n, (kind, code, qty, unit, injury) in enumerate(self.lines, start=1):
            self.charge(n, kind, code, qty, unit, injury,
                        min(self.admitted + timedelta(days=n % 3), self.discharged))
        if self.presettle:
            self.pre_settle()
        self.discharge()
        return self.steps


BED = (K.SERVICE_STANDARD, "SS-BED")


def stays(people: dict[str, Registered], generic: int) -> list[Stay]:
    def stay(person: str, institution: str, care: enc.CareType, days: tuple[int, int],
             lines: list[tuple[CatalogKind, str, str, int, bool]], **extra: Any) -> Stay:
        return Stay(person, people[person], institution, care, date(2024, 5, days[0]),
                    date(2024, 5, days[1]), lines, **extra)

    inpatient, outpatient = enc.CareType.INPATIENT, enc.CareType.OUTPATIENT
    out = [
        stay("referral", w.HOSPITAL[w.JINAN], inpatient, (6, 15), [
            (*BED, "9", 8000, True),  # bed-day 80 yuan, Jinan's cap 60: over standard
            (K.MEDICAL_ITEM, "MI-002", "1", 12000, True),
            (K.DRUG, "DR-003", "10", 5000, True),  # 20% self-pay drug
            (K.MEDICAL_ITEM, "MI-001", "2", 2500, False),  # not injury-related (SD-ENC-5)
        ], http=True),
        stay("residence", w.HOSPITAL[w.NANJING], inpatient, (8, 18), [
            (*BED, "10", 5500, True), (K.MEDICAL_ITEM, "MI-003", "1", 35000, True),
            (K.DRUG, "DR-001", "20", 2000, True)], presettle=True),
        stay("stationed", w.HOSPITAL[w.NANJING], outpatient, (10, 10), [
            (K.MEDICAL_ITEM, "MI-001", "1", 2500, True), (K.DRUG, "DR-002", "30", 700, True)]),
        stay("changed", w.REHAB_JINAN, enc.CareType.REHABILITATION_INPATIENT, (2, 25), [
            (K.REHAB_ITEM, "RH-001", "15", 8000, True),
            (K.REHAB_ITEM, "RH-002", "10", 7000, True)]),  # 70 yuan over the 60 fee limit
        stay("expiring", w.HOSPITAL[w.QINGDAO], inpatient, (20, 28), [
            (*BED, "8", 6000, True), (K.MEDICAL_ITEM, "MI-004", "1", 42000, True)]),
        stay("third_party", w.HOSPITAL[w.ZIBO], inpatient, (12, 16), [
            (*BED, "4", 6000, True), (K.MEDICAL_ITEM, "MI-002", "2", 15000, True)],
            third_party=True),
        stay("device", w.DEVICES_JINAN, enc.CareType.ASSISTIVE_DEVICE, (14, 14), [
            (K.DEVICE, "DV-002", "1", 120000, True)]),
        stay("imported", w.HOSPITAL[w.QINGDAO], inpatient, (3, 9), [
            (*BED, "6", 6000, True), (K.DRUG, "DR-001", "12", 2400, True)]),
        stay("not_enabled", w.NOT_ENABLED_WEIFANG, inpatient, (5, 28), [
            (*BED, "23", 6000, True), (K.MEDICAL_ITEM, "MI-005", "9", 600000, True)]),
    ]
    for i in range(generic):
        person = f"generic_{i}"
        treatment = people[person].treatment_region
        start = 1 + (i * 3) % 24
        out.append(stay(person, w.HOSPITAL[treatment], inpatient, (start, start + 2 + i % 4), [
            (*BED, str(2 + i % 4), 5000 + 500 * (i % 4), True),
            (K.MEDICAL_ITEM, f"MI-00{1 + i % 4}", "1", 2000 + 1000 * (i % 5), True),
            (K.DRUG, f"DR-00{1 + i % 3}", str(5 + i % 10), 600 + 100 * (i % 6), i % 9 != 4)]))
    return out


def out_of_catalog(referral: Stay) -> list[Step]:
    """A line with a code not in Jinan's catalog (refused), then the corrected resend."""
    day = referral.admitted + timedelta(days=2)
    referral.steps = []
    referral.charge(5, K.MEDICAL_ITEM, "MI-999", "1", 9900, True, day,
                    expect="unknown_catalog_code", says="line 5 MI-999 (not in the catalog)")
    referral.charge(5, K.MEDICAL_ITEM, "MI-004", "1", 9900, True, day,
                    says="line 5 resent as MI-004 (corrected)")
    return referral.steps


def correction_after_discharge(referral: Stay) -> list[Step]:
    """Post-discharge correction of line 2: the settlement is reversed and issued again."""
    referral.steps = []
    referral.charge(2, K.MEDICAL_ITEM, "MI-002", "1", 9000, True, referral.admitted,
                    correction=True, says="line 2 corrected after discharge to 90.00",
                    sent=referral.discharged + timedelta(days=5))
    return referral.steps
