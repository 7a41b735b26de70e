"""Strict value types: resident ids (check digit), GB/T 2260 regions, places."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from contracts.reference import PilotConfigured, in_force
from contracts.registration import CoverageWindow, RegistrationType
from contracts.types import RegionCode, ResidentId, city_of, province_of

ids = TypeAdapter(ResidentId)
regions = TypeAdapter(RegionCode)


def test_resident_id_check_digit_is_verified() -> None:
    assert ids.validate_python("11010519491231002x") == "11010519491231002X"
    for bad in ("110105194912310021", "1101051949123100", "ABCDEFGHIJKLMNOPQR"):
        with pytest.raises(ValidationError, match="not a valid 18-character id"):
            ids.validate_python(bad)


def test_region_codes_are_six_digits_with_a_province_prefix() -> None:
    assert regions.validate_python("370100") == "370100"
    for bad in ("37010", "3701000", "990100", "abcdef"):
        with pytest.raises(ValidationError):
            regions.validate_python(bad)


def test_province_and_city_of_a_district() -> None:
    assert province_of("370102") == "370000"
    assert city_of("370102") == "370100"


def test_coverage_window_matches_city_or_whole_province() -> None:
    """SD-ENC-1: the registration's treatment place must match the institution's place."""

    city = CoverageWindow(registration_id="R1", registration_type=RegistrationType.REFERRAL,
                          insured_region="370200", treatment_region="370100",
                          valid_from=date(2024, 4, 1), valid_until=date(2024, 6, 29))
    assert city.covers("370102", date(2024, 4, 1))
    assert city.covers("370100", date(2024, 6, 29))
    assert not city.covers("370100", date(2024, 6, 30))
    assert not city.covers("370200", date(2024, 5, 1))
    province = city.model_copy(update={"treatment_region": "320000"})
    assert province.covers("320106", date(2024, 5, 1))
    assert not province.covers("370100", date(2024, 5, 1))


def test_in_force_picks_the_latest_version_on_or_before_the_day() -> None:
    """SD-PILOT is effective-dated configuration: the version in force decides."""

    v1 = PilotConfigured(scheme="cross-provincial", cities=("370100",),
                         effective_from=date(2024, 4, 1), effective_until=date(2025, 3, 31))
    v2 = v1.model_copy(update={"effective_from": date(2024, 7, 1), "cities": ("370100", "370200")})
    assert in_force([v2, v1], date(2024, 3, 31)) is None
    assert in_force([v2, v1], date(2024, 4, 1)) is v1
    assert in_force([v2, v1], date(2024, 7, 1)) is v2
    assert v1.includes("370100", date(2025, 3, 31))
    assert not v1.includes("370100", date(2025, 4, 1))


def test_resident_id_with_a_birth_place_stdnum_cannot_resolve_is_refused_not_crashed() -> None:
    """stdnum raises KeyError for some place codes; a sender must get a validation error."""
    with pytest.raises(ValidationError, match="not a valid 18-character id"):
        ids.validate_python("371404198602010010")


@given(place=st.sampled_from(["370101", "370102", "370202", "371404", "110101", "320106",
                              "999999", "130104"]),
       birth=st.tuples(st.integers(1940, 2015), st.integers(0, 13), st.integers(0, 32)),
       seq=st.integers(0, 999))
def test_memoized_resident_id_check_agrees_with_stdnum(place: str, birth: tuple[int, int, int],
                                                       seq: int) -> None:
    """The cached birth-place look-up and the direct birth-date check (performance) decide
    exactly as stdnum does, impossible dates (month 13, 31 February…) included."""
    from stdnum.cn import ric

    from contracts.types import _resident_id_valid

    year, month, day = birth
    body = f"{place}{year:04d}{month:02d}{day:02d}{seq:03d}"
    number = body + ric.calc_check_digit(body + "0")
    try:
        expected = bool(ric.is_valid(number))
    except KeyError:
        expected = False
    assert _resident_id_valid(number) is expected
