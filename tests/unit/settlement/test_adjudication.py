"""Line adjudication (pure): SD-ENC-3/4/5/6, amounts in fen, fund + self + employer = submitted."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.encounter import CareType
from contracts.reference import CatalogKind
from contracts.settlement import LineReason
from services.settlement.domain.adjudication import adjudicate_line, settle, totals
from services.settlement.domain.rules import XIAMEN_2006
from tests.unit.settlement.factories import (
    BEIJING,
    JINAN,
    QINGDAO,
    SHANDONG,
    catalog,
    encounter,
    index,
    line,
    standard_catalogs,
)

CATS = index(standard_catalogs())


def judge(ln, **kw):  # type: ignore[no-untyped-def]
    return adjudicate_line(ln, encounter([ln], **kw), CATS, XIAMEN_2006)


def test_sd_enc_6_bed_day_over_standard_capped_at_treatment_city() -> None:
    # 3 bed-days at 150 yuan; Jinan caps at 100 yuan/day (Qingdao's 50 would be wrong place).
    out = judge(line(1, 45000, qty="3"))
    assert (out.eligible_fen, out.fund_fen, out.self_fen) == (30000, 30000, 15000)
    assert out.reasons == (LineReason.OVER_STANDARD,)
    assert out.catalog_version == f"service_standard:{JINAN}@2024-01-01"


def test_sd_enc_6_cap_times_fractional_quantity_rounds_half_up() -> None:
    # Qingdao caps a bed-day at 5000 fen: 5000 x 0.0003 = 1.5 -> 2 fen.
    out = judge(line(1, 99999, qty="0.0003"), treatment="370202")
    assert (out.eligible_fen, out.fund_fen, out.self_fen) == (2, 2, 99997)


def test_sd_enc_6_self_pay_percent_is_worker_share() -> None:
    out = judge(line(1, 1005, code="D1", kind=CatalogKind.DRUG))  # 10% of 1005 = 100.5 -> 101
    assert (out.fund_fen, out.self_fen, out.reasons) == (904, 101, (LineReason.SELF_PAY_PART,))


def test_sd_enc_6_not_in_catalog_paid_nothing() -> None:
    out = judge(line(1, 5000, code="NOPE", kind=CatalogKind.MEDICAL_ITEM))
    assert (out.fund_fen, out.self_fen, out.reasons) == (0, 5000, (LineReason.NOT_IN_CATALOG,))


def test_sd_enc_6_rehab_and_device_judged_by_insured_province() -> None:
    # Treated in Beijing, insured in Qingdao: device limits follow Shandong's catalog.
    dev = judge(line(1, 400000, code="DV1", kind=CatalogKind.DEVICE), treatment=BEIJING,
                care=CareType.ASSISTIVE_DEVICE)
    assert dev.catalog_version == f"device:{SHANDONG}@2024-01-01"
    assert (dev.eligible_fen, dev.fund_fen, dev.self_fen) == (300000, 240000, 160000)
    assert dev.reasons == (LineReason.OVER_STANDARD, LineReason.SELF_PAY_PART)


def test_sd_enc_6_medical_items_not_judged_by_insured_place() -> None:
    # A drug in Beijing is judged by Beijing's catalog, which is not published: not in catalog.
    out = judge(line(1, 1000, code="D1", kind=CatalogKind.DRUG), treatment=BEIJING)
    assert out.reasons == (LineReason.NOT_IN_CATALOG,)


def test_sd_enc_6_catalog_change_on_the_day_of_a_line() -> None:
    cats = index([*standard_catalogs(),
                  catalog(CatalogKind.SERVICE_STANDARD, JINAN, [("BED", 12000, 0)],
                          effective=date(2024, 5, 10))])
    before = line(1, 15000, on=date(2024, 5, 9))
    on_day = line(2, 15000, on=date(2024, 5, 10))
    lines = settle(encounter([before, on_day]), cats, XIAMEN_2006)
    assert [ln.fund_fen for ln in lines] == [10000, 12000]
    assert lines[1].catalog_version == f"service_standard:{JINAN}@2024-05-10"


def test_sd_enc_5_not_injury_related_paid_nothing_even_if_in_catalog() -> None:
    out = judge(line(1, 5000, injury_related=False))
    assert (out.fund_fen, out.self_fen, out.reasons) == (0, 5000, (LineReason.NOT_INJURY_RELATED,))


def test_sd_enc_4_third_party_line_or_encounter_paid_nothing() -> None:
    assert judge(line(1, 5000, third_party=True)).reasons == (LineReason.THIRD_PARTY_LIABILITY,)
    out = judge(line(1, 5000), third_party=True)
    assert (out.fund_fen, out.reasons) == (0, (LineReason.THIRD_PARTY_LIABILITY,))


def test_sd_enc_3_cross_provincial_outpatient_outside_scope() -> None:
    out = judge(line(1, 5000), insured="130100", care=CareType.OUTPATIENT)
    assert out.reasons == (LineReason.OUTSIDE_CROSS_PROVINCIAL_SCOPE,)
    inpatient = judge(line(1, 5000), insured="130100", care=CareType.INPATIENT)
    assert inpatient.fund_fen == 5000


def test_sd_enc_5_judged_before_third_party_and_catalog() -> None:
    out = judge(line(1, 5000, code="NOPE", injury_related=False, third_party=True))
    assert out.reasons == (LineReason.NOT_INJURY_RELATED,)


def test_encounter_totals_sum_lines() -> None:
    lines = settle(encounter([line(1, 45000, qty="3"), line(2, 1005, code="D1",
                                                           kind=CatalogKind.DRUG)]),
                   CATS, XIAMEN_2006)
    t = totals(lines)
    assert (t.submitted_fen, t.fund_fen, t.self_fen) == (46005, 30904, 15101)


_kinds = st.sampled_from(list(CatalogKind))
_codes = st.sampled_from(["BED", "D1", "X1", "R1", "DV1", "NOPE"])


@st.composite
def _encounters(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(1, 12))
    lines = [line(i + 1, draw(st.integers(0, 10**12)), code=draw(_codes), kind=draw(_kinds),
                  qty=str(draw(st.decimals(min_value="0.0001", max_value="999", places=4))),
                  on=draw(st.dates(date(2023, 6, 1), date(2025, 6, 1))),
                  injury_related=draw(st.booleans()), third_party=draw(st.integers(0, 9)) == 0)
             for i in range(n)]
    return encounter(lines, insured=draw(st.sampled_from([QINGDAO, "130100"])),
                     treatment=draw(st.sampled_from(["370102", BEIJING])),
                     care=draw(st.sampled_from(list(CareType))),
                     third_party=draw(st.integers(0, 9)) == 0, direct=draw(st.booleans()))


@settings(max_examples=300, deadline=None)
@given(_encounters())
def test_invariant_fund_plus_self_plus_employer_equals_submitted(enc) -> None:  # type: ignore[no-untyped-def]
    """For every line and every encounter: fund + self + employer == submitted; all >= 0."""
    lines = settle(enc, CATS, XIAMEN_2006)
    for ln in lines:
        assert ln.fund_fen + ln.self_fen + ln.employer_fen == ln.submitted_fen
        assert 0 <= ln.fund_fen <= ln.eligible_fen <= ln.submitted_fen
        assert ln.self_fen == 0 or ln.reasons  # every unpaid fen has a reason
    t = totals(lines)
    assert t.fund_fen + t.self_fen + t.employer_fen == t.submitted_fen == enc.submitted_fen


def test_3301_mapped_line_is_judged_as_the_catalog_code_and_keeps_the_local_code() -> None:
    """Issue 18 item 5 (目录对照 3301): encounter records a line billed with the
    institution's code JN1-BED as the catalog code BED (its mapping on the service date);
    settlement judges BED's cap (SD-ENC-6) and carries the local code onto the line."""
    mapped = line(1, 45000, qty="3").model_copy(update={"local_code": "JN1-BED"})
    out = judge(mapped)
    assert (out.item_code, out.local_code) == ("BED", "JN1-BED")
    assert (out.eligible_fen, out.fund_fen, out.reasons) == (30000, 30000,
                                                             (LineReason.OVER_STANDARD,))
    assert judge(line(1, 45000, qty="3")).local_code is None
