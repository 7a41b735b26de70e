"""Admission check rules, pure (SD-ENC-1/2/3/4/7, SD-REG-7/8, SD-PILOT)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.business_time import business_date
from contracts.decision import Rejected
from contracts.encounter import CareType, NotDirectReason
from services.encounter.domain.admission import answer_admission
from tests.unit.encounter.samples import admission, coverage, sample_book, worker_id

BOOK = sample_book()
W = worker_id(1)
JUNE = date(2024, 6, 10)


def test_sd_enc_1_valid_registration_for_place_and_date_is_direct() -> None:
    cov = coverage(W, "370100", insured="370700")
    ans = answer_admission(admission(W, "H370100001", "E1", JUNE), cov, BOOK)
    assert ans.direct_settlement and ans.not_direct_reasons == ()
    assert ans.registration_id == cov.windows[0].registration_id
    assert ans.treatment_region == "370102" and not ans.cross_provincial


def test_sd_enc_1_no_registration_is_not_direct() -> None:
    ans = answer_admission(admission(W, "H370100001", "E1", JUNE), None, BOOK)
    assert ans.not_direct_reasons == (NotDirectReason.NO_VALID_REGISTRATION,)


def test_sd_enc_1_registration_for_another_place_is_not_direct() -> None:
    """Issue 18 item 6.3: the precise reason, not `no_valid_registration`."""
    cov = coverage(W, "370200")
    ans = answer_admission(admission(W, "H370100001", "E1", JUNE), cov, BOOK)
    assert ans.not_direct_reasons[0] is NotDirectReason.REGISTERED_FOR_OTHER_PLACE
    assert NotDirectReason.NO_VALID_REGISTRATION not in ans.not_direct_reasons


def test_sd_enc_1_sd_reg_4_registration_expired_on_admission_date_is_not_direct() -> None:
    cov = coverage(W, "370100", until=date(2024, 6, 9))
    ans = answer_admission(admission(W, "H370100001", "E1", JUNE), cov, BOOK)
    assert ans.not_direct_reasons == (NotDirectReason.REGISTRATION_EXPIRED,)


def test_sd_enc_1_sd_reg_3_registration_approved_after_admission_is_not_yet_valid() -> None:
    cov = coverage(W, "370100", start=date(2024, 6, 11))
    ans = answer_admission(admission(W, "H370100001", "E1", JUNE), cov, BOOK)
    assert ans.not_direct_reasons == (NotDirectReason.REGISTRATION_NOT_YET_VALID,)


def test_sd_enc_1_sd_reg_5_registration_cancelled_before_admission_is_not_direct() -> None:
    base = coverage(W, "370100", until=date(2024, 5, 31))
    cov = base.model_copy(update={"windows": (base.windows[0].model_copy(
        update={"cancelled": True}),)})
    ans = answer_admission(admission(W, "H370100001", "E1", JUNE), cov, BOOK)
    assert ans.not_direct_reasons == (NotDirectReason.REGISTRATION_CANCELLED,)


def test_sd_reg_7_card_mismatch_is_refused() -> None:
    cov = coverage(W, "370100", card="SSC000000001")
    with pytest.raises(Rejected) as err:
        answer_admission(admission(W, "H370100001", "E1", JUNE, card="SSC999999999"), cov, BOOK)
    assert err.value.code == "card_mismatch"


def test_sd_reg_8_treated_in_insured_city_is_not_direct() -> None:
    cov = coverage(W, "370000", insured="370100")  # whole-province window
    ans = answer_admission(admission(W, "H370100001", "E1", JUNE, insured="370100"), cov, BOOK)
    assert ans.not_direct_reasons == (NotDirectReason.TREATED_AT_INSURED_PLACE,)


def test_sd_enc_7_institution_not_enabled_is_not_direct() -> None:
    cov = coverage(W, "370700", insured="370100")
    ans = answer_admission(admission(W, "H370700002", "E1", JUNE, insured="370100"), cov, BOOK)
    assert ans.not_direct_reasons == (NotDirectReason.INSTITUTION_NOT_ENABLED,)


def test_sd_enc_7_unknown_institution_is_refused() -> None:
    with pytest.raises(Rejected) as err:
        answer_admission(admission(W, "H999900001", "E1", JUNE), None, BOOK)
    assert err.value.code == "unknown_institution"


@pytest.mark.parametrize("care", list(CareType))
def test_sd_enc_2_every_care_type_is_direct_inside_the_province(care: CareType) -> None:
    cov = coverage(W, "370100", insured="370700")
    ans = answer_admission(admission(W, "H370100001", "E1", JUNE, care=care), cov, BOOK)
    assert ans.direct_settlement


@pytest.mark.parametrize("care", [CareType.OUTPATIENT, CareType.REHABILITATION_OUTPATIENT])
def test_sd_enc_3_cross_provincial_outpatient_is_not_direct(care: CareType) -> None:
    cov = coverage(W, "320100", insured="370100")
    ans = answer_admission(admission(W, "H320100001", "E1", JUNE, insured="370100", care=care),
                           cov, BOOK)
    assert ans.cross_provincial
    assert ans.not_direct_reasons == (NotDirectReason.CROSS_PROVINCIAL_OUTPATIENT,)


@pytest.mark.parametrize("care", [CareType.INPATIENT, CareType.REHABILITATION_INPATIENT,
                                  CareType.ASSISTIVE_DEVICE])
def test_sd_enc_3_cross_provincial_inpatient_rehab_device_is_direct(care: CareType) -> None:
    cov = coverage(W, "320100", insured="370100")
    ans = answer_admission(admission(W, "H320100001", "E1", JUNE, insured="370100", care=care),
                           cov, BOOK)
    assert ans.direct_settlement


def test_sd_enc_3_institution_not_cross_provincial_is_not_direct() -> None:
    cov = coverage(W, "320100", insured="370100")
    ans = answer_admission(admission(W, "H320100002", "E1", JUNE, insured="370100"), cov, BOOK)
    assert ans.not_direct_reasons == (NotDirectReason.INSTITUTION_NOT_CROSS_PROVINCIAL,)


@pytest.mark.parametrize(("day", "direct"), [
    (date(2024, 3, 31), False), (date(2024, 4, 1), True),
    (date(2025, 3, 31), True), (date(2025, 4, 1), False),
])
def test_sd_pilot_boundaries(day: date, direct: bool) -> None:
    cov = coverage(W, "320100", insured="370100", start=date(2024, 1, 1))
    ans = answer_admission(admission(W, "H320100001", "E1", day, insured="370100"), cov, BOOK)
    assert ans.direct_settlement is direct
    if not direct:
        assert ans.not_direct_reasons == (NotDirectReason.NOT_IN_PILOT,)


def test_sd_pilot_city_outside_pilot_is_not_direct() -> None:
    cov = coverage(W, "320100", insured="370700")  # Weifang is not a pilot city
    ans = answer_admission(admission(W, "H320100001", "E1", JUNE, insured="370700"), cov, BOOK)
    assert NotDirectReason.NOT_IN_PILOT in ans.not_direct_reasons


def test_sd_enc_4_third_party_liability_is_not_direct() -> None:
    cov = coverage(W, "370100")
    ans = answer_admission(admission(W, "H370100001", "E1", JUNE, third_party=True), cov, BOOK)
    assert ans.not_direct_reasons == (NotDirectReason.THIRD_PARTY_LIABILITY,)


def test_business_day_is_the_china_date() -> None:
    assert business_date(datetime(2024, 3, 31, 16, 30, tzinfo=UTC)) == date(2024, 4, 1)
