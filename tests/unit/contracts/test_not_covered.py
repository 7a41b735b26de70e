"""Issue 18 item 6.3: `contracts.registration.not_covered` — the precise reason no approved
registration covers treatment at a place on a day (SD-ENC-1, SD-REG-3/4/5), shared by
registration's coverage query and encounter's admission check."""

from __future__ import annotations

from datetime import date

from contracts.registration import CoverageWindow, NotCovered, RegistrationType, not_covered

QINGDAO, ZIBO, JUNE = "370202", "370300", date(2024, 6, 10)


def window(place: str, start: date, end: date, *, cancelled: bool = False,
           reg: str = "REG-1") -> CoverageWindow:
    return CoverageWindow(registration_id=reg,
                          registration_type=RegistrationType.LONG_TERM_RESIDENCE,
                          insured_region="370100", treatment_region=place, valid_from=start,
                          valid_until=end, cancelled=cancelled)


def test_sd_enc_1_no_window_at_all_is_no_valid_registration() -> None:
    assert not_covered([], QINGDAO, JUNE) is NotCovered.NO_VALID_REGISTRATION


def test_sd_enc_1_a_window_on_the_day_elsewhere_is_registered_for_other_place() -> None:
    windows = [window("370200", date(2024, 1, 1), date(2024, 5, 31)),  # Qingdao, expired
               window(ZIBO, date(2024, 6, 1), date(2024, 12, 31))]  # changed to Zibo
    assert not_covered(windows, QINGDAO, JUNE) is NotCovered.REGISTERED_FOR_OTHER_PLACE
    only_elsewhere = [window(ZIBO, date(2023, 1, 1), date(2023, 12, 31))]
    assert not_covered(only_elsewhere, QINGDAO, JUNE) is NotCovered.REGISTERED_FOR_OTHER_PLACE


def test_sd_reg_4_the_place_s_window_ended_before_the_day_is_registration_expired() -> None:
    windows = [window("370200", date(2023, 6, 1), date(2024, 5, 31))]
    assert not_covered(windows, QINGDAO, JUNE) is NotCovered.REGISTRATION_EXPIRED


def test_sd_reg_5_a_window_ended_by_cancellation_is_registration_cancelled() -> None:
    windows = [window("370200", date(2024, 1, 1), date(2024, 4, 30), cancelled=True)]
    assert not_covered(windows, QINGDAO, JUNE) is NotCovered.REGISTRATION_CANCELLED
    later = [*windows, window("370200", date(2024, 5, 1), date(2024, 5, 31), reg="REG-2")]
    assert not_covered(later, QINGDAO, JUNE) is NotCovered.REGISTRATION_EXPIRED  # the latest


def test_sd_reg_3_a_window_starting_after_the_day_is_not_yet_valid() -> None:
    windows = [window("370200", date(2024, 6, 11), date(2025, 6, 10))]
    assert not_covered(windows, QINGDAO, JUNE) is NotCovered.REGISTRATION_NOT_YET_VALID


def test_every_reason_is_a_not_direct_reason_of_the_admission() -> None:
    from contracts.encounter import NotDirectReason
    assert {r.value for r in NotCovered} <= {r.value for r in NotDirectReason}
