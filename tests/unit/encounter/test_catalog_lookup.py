"""Catalog queries of an institution (national 1301…, issue 18 item 5), pure: what an item
code is worth on a date at an institution, by the catalog in force then (SD-ENC-6)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.decision import Rejected
from contracts.reference import CatalogKind
from contracts.settlement import LineReason
from services.encounter.domain.catalog_lookup import asker, look_up, search
from tests.unit.encounter.samples import sample_book

BOOK = sample_book()
JN, QD = "H370100001", "H370200001"
JUNE, JULY = date(2024, 6, 25), date(2024, 7, 1)


def worth(code: str, day: date = JUNE, institution: str = JN, **kw: object) -> object:
    return look_up(BOOK, asker(BOOK, institution, day, kw.pop("insured", None)),  # type: ignore[arg-type]
                   code, **kw)  # type: ignore[arg-type]


def test_1301_item_worth_on_a_date_is_the_version_in_force_then() -> None:
    """SD-ENC-6: Jinan's CT cap is 450 yuan to 2024-06-30, 480 from 2024-07-01 (v2)."""
    june, july = worth("MI-004"), worth("MI-004", JULY)
    assert (june.max_unit_price_fen, june.catalog_version) == (  # type: ignore[attr-defined]
        45000, "medical_item:370100@2024-01-01")
    assert (july.max_unit_price_fen, july.catalog_version) == (  # type: ignore[attr-defined]
        48000, "medical_item:370100@2024-07-01")
    assert july.category == "诊疗项目" and july.judged_by == "treatment_city"  # type: ignore[attr-defined]
    assert "SD-ENC-6" in july.rules  # type: ignore[attr-defined]


def test_1301_at_my_institution_the_treatment_citys_catalog() -> None:
    """SD-ENC-6: the bed-day cap is Jinan's 60 yuan at Jinan No.1, Qingdao's 50 at Qingdao."""
    assert worth("SS-BED").max_unit_price_fen == 6000  # type: ignore[attr-defined]
    assert worth("SS-BED", institution=QD).max_unit_price_fen == 5000  # type: ignore[attr-defined]


def test_1301_a_withdrawn_or_unknown_code_is_unknown_catalog_code() -> None:
    for code, day in (("MI-002", JULY), ("MI-006", JUNE), ("NOPE", JUNE)):
        with pytest.raises(Rejected) as err:
            worth(code, day)
        assert err.value.code == "unknown_catalog_code"


def test_1301_3301_a_local_code_answers_as_the_catalog_code_its_mapping_names() -> None:
    got = worth("JN1-CT01")
    assert (got.item_code, got.local_code, got.max_unit_price_fen) == (  # type: ignore[attr-defined]
        "MI-004", "JN1-CT01", 45000)
    assert got.mapping_effective_from == date(2024, 1, 1)  # type: ignore[attr-defined]
    with pytest.raises(Rejected):
        worth("JN1-CT01", institution=QD)  # Jinan No.1's code, not Qingdao's
    with pytest.raises(Rejected):
        worth("JN1-XR01", JULY)  # its mapping ended on 2024-06-30


def test_1301_self_pay_part_and_the_line_reasons_that_apply() -> None:
    """SD-ENC-6: DR-003 has a 20% self-pay part: the fund pays 80% of the eligible amount."""
    got = worth("DR-003")
    assert (got.self_pay_percent, got.fund_percent) == (20, 80)  # type: ignore[attr-defined]
    assert LineReason.SELF_PAY_PART in got.line_reasons  # type: ignore[attr-defined]
    assert LineReason.SELF_PAY_PART not in worth("DR-001").line_reasons  # type: ignore[attr-defined]


def test_1301_rehab_and_devices_follow_the_insured_province() -> None:
    """SD-ENC-6: default the institution's province; a Jiangsu worker's by insured_region."""
    assert worth("DV-003").region == "370000"  # type: ignore[attr-defined]
    got = worth("DV-003", insured="320100")
    assert (got.region, got.judged_by) == ("320000", "insured_province")  # type: ignore[attr-defined]


def test_1301_download_is_paged_and_searched_by_code_prefix_or_name() -> None:
    who = asker(BOOK, JN, JUNE)
    everything = search(BOOK, who, page_size=200)
    assert everything.total == 5 + 3 + 2 + 3 + 3  # items, drugs, standards, rehab, devices
    first, second = search(BOOK, who, page=1, page_size=4), search(BOOK, who, page=2,
                                                                    page_size=4)
    assert [e.item_code for e in first.items] == ["MI-001", "MI-002", "MI-003", "MI-004"]
    assert next(e.item_code for e in second.items) == "MI-005" and second.total == 16
    assert [e.item_code for e in search(BOOK, who, prefix="DR-").items] == [
        "DR-001", "DR-002", "DR-003"]
    assert [e.item_code for e in search(BOOK, who, text="ct scan").items] == ["MI-004"]
    assert [e.item_code for e in search(BOOK, who, text="平扫").items] == ["MI-004"]
    july = search(BOOK, asker(BOOK, JN, JULY), kind=CatalogKind.MEDICAL_ITEM)
    assert [e.item_code for e in july.items] == ["MI-001", "MI-003", "MI-004", "MI-005",
                                                 "MI-006"]


def test_1301_an_institution_not_in_the_directory_is_refused() -> None:
    with pytest.raises(Rejected) as err:
        asker(BOOK, "H999999999", JUNE)
    assert err.value.code == "unknown_institution"
