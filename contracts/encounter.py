"""Encounter (就医) messages: what hospitals send, and what the encounter service records.

Hospital messages travel on `hospital-messages`, keyed by worker id (co-partitioned with the
registration coverage snapshot). Each carries the hospital's own `message_id`: a resend with
the same id and the same content is acknowledged and changes nothing; the same id with other
content is refused as a modified request.

The encounter id is `<institution_id>:<encounter_no>` (the hospital's visit number).
`EncounterDischarged` and `DischargedEncounterCorrected` carry the whole encounter
(`EncounterRecord`), so settlement needs no other encounter event to settle it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from contracts.message import Command, Event, Reply
from contracts.reference import CatalogKind
from contracts.types import (
    Code,
    InstitutionId,
    NonNegativeFen,
    RegionCode,
    ResidentId,
    SocialSecurityCard,
    Text,
    city_of,
    province_of,
)

MessageId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
EncounterNo = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{1,40}$")]
Quantity = Annotated[Decimal, Field(gt=0, le=Decimal(100000), decimal_places=4)]


class CareType(StrEnum):
    INPATIENT = "inpatient"
    OUTPATIENT = "outpatient"
    REHABILITATION_INPATIENT = "rehabilitation_inpatient"
    REHABILITATION_OUTPATIENT = "rehabilitation_outpatient"
    ASSISTIVE_DEVICE = "assistive_device"


class NotDirectReason(StrEnum):
    """Why an encounter is not directly settleable (reimbursed at the insured place instead)."""

    NO_VALID_REGISTRATION = "no_valid_registration"  # SD-ENC-1, SD-REG-3: none at all
    # the precise ones (issue 18 item 6.3), `contracts.registration.NotCovered`:
    REGISTERED_FOR_OTHER_PLACE = "registered_for_other_place"  # SD-ENC-1, SD 2(4)
    REGISTRATION_EXPIRED = "registration_expired"  # SD-ENC-1, SD-REG-4
    REGISTRATION_NOT_YET_VALID = "registration_not_yet_valid"  # SD-ENC-1, SD-REG-3
    REGISTRATION_CANCELLED = "registration_cancelled"  # SD-ENC-1, SD-REG-5
    TREATED_AT_INSURED_PLACE = "treated_at_insured_place"  # SD-REG-8
    INSTITUTION_NOT_ENABLED = "institution_not_enabled"  # SD-ENC-7
    CROSS_PROVINCIAL_OUTPATIENT = "cross_provincial_outpatient"  # SD-ENC-3
    NOT_IN_PILOT = "not_in_pilot"  # SD-PILOT
    THIRD_PARTY_LIABILITY = "third_party_liability"  # SD-ENC-4
    CARD_MISMATCH = "card_mismatch"  # SD-REG-7
    INSTITUTION_NOT_CROSS_PROVINCIAL = "institution_not_cross_provincial"  # SD-ENC-3, SD-PILOT


def hospital_source(institution_id: str) -> str:
    """The envelope `source` of a hospital's messages: `hospital:<institution_id>`."""
    return f"hospital:{institution_id}"


def encounter_id(institution_id: str, encounter_no: str) -> str:
    return f"{institution_id}:{encounter_no}"


class _HospitalMessage(Command):
    message_id: MessageId
    institution_id: InstitutionId
    encounter_no: EncounterNo
    worker_id: ResidentId


class RecordAdmission(_HospitalMessage):
    social_security_card: SocialSecurityCard
    insured_region: RegionCode
    care_type: CareType
    admitted_at: AwareDatetime
    diagnosis_code: Code
    third_party_liability: bool = False


class ChargeLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line_no: int = Field(ge=1, le=100000)
    catalog_kind: CatalogKind
    item_code: Code
    quantity: Quantity
    unit_price_fen: NonNegativeFen
    amount_fen: NonNegativeFen  # what the hospital bills: quantity x unit price, rounded half-up
    service_date: date
    injury_related: bool = True  # SD-ENC-5
    third_party: bool = False  # SD-ENC-4
    # The institution's own code as it sent it, when its code mapping (目录对照, 3301/3302)
    # turned it into `item_code`, the catalog code everything judges; encounter fills it in
    # (a hospital sends its code as `item_code` and leaves this out).
    local_code: Code | None = None


class RecordChargeLine(_HospitalMessage):
    line: ChargeLine
    post_discharge_correction: bool = False


class CorrectChargeLine(_HospitalMessage):
    line: ChargeLine  # replaces the line with the same line_no
    post_discharge_correction: bool = False


class ReverseChargeLine(_HospitalMessage):
    line_no: int = Field(ge=1)
    reason: Text
    post_discharge_correction: bool = False


class RecordDischarge(_HospitalMessage):
    discharged_at: AwareDatetime
    settlement_notice_before_discharge: bool = True  # XM-18: on account (记帐) when notified


class CancelEncounter(_HospitalMessage):
    reason: Text


class RequestPreSettlement(_HospitalMessage):
    """Pre-settlement (预结算, national 2303/2206) of an open encounter: what the fund would
    pay if the worker were discharged now (`occurred_at`), line by line. Answered on
    `hospital-replies` with `contracts.presettlement.PreSettlementAnswered`; records nothing.
    """


class EncounterRecord(BaseModel):
    """The whole encounter as the encounter service knows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    encounter_id: str
    institution_id: InstitutionId
    worker_id: ResidentId
    social_security_card: SocialSecurityCard
    care_type: CareType
    insured_region: RegionCode
    treatment_region: RegionCode
    cross_provincial: bool
    direct_settlement: bool
    not_direct_reasons: tuple[NotDirectReason, ...]
    registration_id: str | None
    admitted_at: datetime
    discharged_at: datetime | None
    third_party_liability: bool
    settlement_notice_before_discharge: bool
    lines: tuple[ChargeLine, ...]
    revision: int = Field(ge=0)  # 0 at discharge, +1 per post-discharge correction

    @property
    def submitted_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    def catalog_region(self, kind: CatalogKind) -> str:
        """SD-ENC-6: whose catalog judges an item — the treatment CITY's for medical items,
        drugs and service standards; the insured PROVINCE's for rehabilitation service
        items and assistive devices (one rule for encounter's check and settlement's price)."""
        if kind.judged_by_insured_province:
            return province_of(self.insured_region)
        return city_of(self.treatment_region)


class EncounterAdmitted(Event):
    """The admission check's answer (SD-ENC-1/2/3/7): directly settleable or not, and why."""

    encounter_id: str
    institution_id: InstitutionId
    worker_id: ResidentId
    social_security_card: SocialSecurityCard
    care_type: CareType
    insured_region: RegionCode
    treatment_region: RegionCode
    cross_provincial: bool
    direct_settlement: bool
    not_direct_reasons: tuple[NotDirectReason, ...]
    registration_id: str | None
    admitted_at: AwareDatetime
    diagnosis_code: Code
    third_party_liability: bool


class ChargeLineRecorded(Event):
    encounter_id: str
    line: ChargeLine


class ChargeLineCorrected(Event):
    encounter_id: str
    line: ChargeLine


class ChargeLineReversed(Event):
    encounter_id: str
    line_no: int
    reason: Text


class EncounterDischarged(Event):
    encounter: EncounterRecord


class DischargedEncounterCorrected(Event):
    """A post-discharge correction: the whole encounter at its new revision."""

    encounter: EncounterRecord


class EncounterCancelled(Event):
    encounter_id: str
    reason: Text


class AdmissionAnswered(Reply):
    """Reply to the hospital on `hospital-replies`: can this stay be settled directly?"""

    encounter_id: str
    message_id: MessageId
    direct_settlement: bool
    not_direct_reasons: tuple[NotDirectReason, ...]
