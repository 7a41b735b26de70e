"""The admission check (入院核验): is this stay directly settleable, and if not, why?

One rule per function, each returning the reason it finds (or None). `answer_admission`
collects them in a fixed order, so the same inputs always give the same reasons.
"""

from __future__ import annotations

from datetime import date

from contracts.business_time import business_date
from contracts.decision import Rejected
from contracts.encounter import (
    CareType,
    EncounterAdmitted,
    NotDirectReason,
    RecordAdmission,
    encounter_id,
)
from contracts.reference import InstitutionPublished, PilotConfigured
from contracts.registration import CoverageWindow, WorkerCoverage, not_covered
from contracts.types import city_of, province_of
from services.encounter.domain.reference_book import CROSS_PROVINCIAL_SCHEME, ReferenceBook

CROSS_PROVINCIAL_CARE = frozenset(
    {CareType.INPATIENT, CareType.REHABILITATION_INPATIENT, CareType.ASSISTIVE_DEVICE}
)


def institution_in_directory(book: ReferenceBook, institution_id: str, day: date
                             ) -> InstitutionPublished:
    """SD-ENC-7: the institution must be in the directory on the admission date (else refused)."""
    found = book.institution(institution_id, day)
    if found is None:
        raise Rejected("unknown_institution",
                       f"institution {institution_id} is not in the directory on {day}")
    return found


def card_matches(coverage: WorkerCoverage | None, card: str) -> None:
    """SD-REG-7: the social security card presented must be the one on file (else refused)."""
    on_file = coverage.social_security_card if coverage else None
    if on_file is not None and on_file != card:
        raise Rejected("card_mismatch",
                       "the social security card does not match the worker's card on file; "
                       "check the worker's identity and resend")


def registration_window(coverage: WorkerCoverage | None, place: str, day: date
                        ) -> CoverageWindow | None:
    """SD-ENC-1: an approved registration valid on `day` whose treatment place covers `place`."""
    return coverage.covering(place, day) if coverage else None


def treated_at_insured_place(insured: str, treatment: str) -> NotDirectReason | None:
    """SD-REG-8: treatment in the insured city is reimbursed there, not settled as off-site."""
    if city_of(insured) == city_of(treatment):
        return NotDirectReason.TREATED_AT_INSURED_PLACE
    return None


def institution_enabled(inst: InstitutionPublished, day: date) -> NotDirectReason | None:
    """SD-ENC-7: only institutions enabled for direct settlement on that date settle directly."""
    return None if inst.direct_settlement_on(day) else NotDirectReason.INSTITUTION_NOT_ENABLED


def cross_provincial_scope(care: CareType) -> NotDirectReason | None:
    """SD-ENC-3: across provinces only inpatient, inpatient rehabilitation and devices."""
    return None if care in CROSS_PROVINCIAL_CARE else NotDirectReason.CROSS_PROVINCIAL_OUTPATIENT


def insured_city_in_pilot(pilot: PilotConfigured | None, insured: str, day: date
                          ) -> NotDirectReason | None:
    """SD-PILOT: the insured city takes part in the cross-provincial pilot on that date."""
    if pilot is not None and pilot.includes(city_of(insured), day):
        return None
    return NotDirectReason.NOT_IN_PILOT


def institution_cross_provincial(inst: InstitutionPublished) -> NotDirectReason | None:
    """SD-ENC-3 / SD-PILOT: the institution is a cross-provincial direct-settlement one."""
    return None if inst.cross_provincial else NotDirectReason.INSTITUTION_NOT_CROSS_PROVINCIAL


def third_party_liability(flag: bool) -> NotDirectReason | None:
    """SD-ENC-4: costs with a liable third party are never settled directly."""
    return NotDirectReason.THIRD_PARTY_LIABILITY if flag else None


def answer_admission(cmd: RecordAdmission, coverage: WorkerCoverage | None,
                     book: ReferenceBook) -> EncounterAdmitted:
    """SD-ENC-1/2/3/4/7, SD-REG-7/8, SD-PILOT: the admission decision."""
    day = business_date(cmd.admitted_at)
    inst = institution_in_directory(book, cmd.institution_id, day)
    card_matches(coverage, cmd.social_security_card)
    treatment = inst.region
    window = registration_window(coverage, treatment, day)
    insured = window.insured_region if window else cmd.insured_region
    cross = province_of(insured) != province_of(treatment)
    checks = [
        None if window else NotDirectReason(
            not_covered(coverage.windows if coverage else (), treatment, day).value),
        treated_at_insured_place(insured, treatment),
        institution_enabled(inst, day),
    ]
    if cross:  # SD-ENC-2 inside the province covers every care type; SD-ENC-3 across
        checks += [
            cross_provincial_scope(cmd.care_type),
            insured_city_in_pilot(book.pilot(CROSS_PROVINCIAL_SCHEME, day), insured, day),
            institution_cross_provincial(inst),
        ]
    checks.append(third_party_liability(cmd.third_party_liability))
    reasons = tuple(r for r in checks if r is not None)
    return EncounterAdmitted(
        encounter_id=encounter_id(cmd.institution_id, cmd.encounter_no),
        institution_id=cmd.institution_id,
        worker_id=cmd.worker_id,
        social_security_card=cmd.social_security_card,
        care_type=cmd.care_type,
        insured_region=insured,
        treatment_region=treatment,
        cross_provincial=cross,
        direct_settlement=not reasons,
        not_direct_reasons=reasons,
        registration_id=window.registration_id if window else None,
        admitted_at=cmd.admitted_at,
        diagnosis_code=cmd.diagnosis_code,
        third_party_liability=cmd.third_party_liability,
    )
