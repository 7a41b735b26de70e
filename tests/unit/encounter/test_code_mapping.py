"""Code mapping (目录对照, national 3301 upload / 3302 revoke, issue 18 item 5), pure: a
line billed with the institution's own code is recorded as the catalog code its mapping
names on the line's service date (SD-ENC-6), before anything judges it."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from contracts.decision import Rejected
from contracts.encounter import ChargeLineCorrected, ChargeLineRecorded, CorrectChargeLine
from contracts.message import Event
from contracts.reference import (
    CatalogKind,
    CodeMappingPublished,
    reference_event_id,
    written_by,
)
from services.encounter.domain import code_mapping
from services.encounter.domain.code_mapping import MapLocalCode, RevokeCodeMapping
from services.encounter.domain.encounter import decide, evolve, remember
from services.encounter.domain.reference_book import ReferenceBook
from services.encounter.domain.state import WorkerState
from tests.unit.encounter.samples import admission, charge, coverage, line, sample_book, worker_id

W = worker_id(31)
JN, QD = "H370100001", "H370200001"  # Jinan No.1 (sample mappings), Qingdao Municipal
D0 = date(2024, 6, 25)
MED = CatalogKind.MEDICAL_ITEM


def run(book: ReferenceBook, state: WorkerState, cmd: object, treatment: str = "370100"
        ) -> tuple[WorkerState, list[Event]]:
    events = decide(state, cmd, coverage(W, treatment), book)  # type: ignore[arg-type]
    for e in events:
        state = evolve(state, e)
    return remember(state, cmd, uuid.uuid4()), events  # type: ignore[arg-type]


def admitted(book: ReferenceBook, institution: str = JN, treatment: str = "370100"
             ) -> WorkerState:
    state, _ = run(book, WorkerState(), admission(W, institution, "E1", date(2024, 5, 1)),
                   treatment)
    return state


def recorded(book: ReferenceBook, code: str, day: date = D0, institution: str = JN,
             price: int = 50000) -> ChargeLineRecorded:
    treatment = "370100" if institution == JN else "370200"
    _, events = run(book, admitted(book, institution, treatment),
                    charge(W, institution, "E1", line(1, day, code, price=price)), treatment)
    assert isinstance(events[0], ChargeLineRecorded)
    return events[0]


def refused(book: ReferenceBook, code: str, day: date = D0, institution: str = JN) -> str:
    with pytest.raises(Rejected) as err:
        recorded(book, code, day, institution)
    return err.value.code


def publish(book: ReferenceBook, mapping: CodeMappingPublished) -> None:
    book.add(reference_event_id(mapping), mapping)


def test_3301_mapped_local_code_is_recorded_as_the_catalog_code_with_the_local_code_kept() -> None:
    """SD-ENC-6 / 3301: JN1-CT01 of Jinan No.1 is MI-004 (CT) from 2024-01-01."""
    line_ = recorded(sample_book(), "JN1-CT01").line
    assert (line_.item_code, line_.local_code) == ("MI-004", "JN1-CT01")
    plain = recorded(sample_book(), "MI-004").line  # a catalog code needs no mapping
    assert (plain.item_code, plain.local_code) == ("MI-004", None)


def test_3301_unmapped_local_code_stays_unknown_catalog_code() -> None:
    assert refused(sample_book(), "JN1-MRI9") == "unknown_catalog_code"


def test_3301_a_mapping_is_the_institutions_own() -> None:
    """Qingdao billing Jinan No.1's local code: not mapped for Qingdao, refused."""
    assert refused(sample_book(), "JN1-CT01", institution=QD) == "unknown_catalog_code"


def test_3301_mapping_outside_its_validity_does_not_apply() -> None:
    """JN1-XR01 maps to MI-002 until 2024-06-30 (effective_until, inclusive); a mapping
    uploaded from 2024-06-10 does not apply on 2024-06-09."""
    book = sample_book()
    assert recorded(book, "JN1-XR01", date(2024, 6, 30), price=15000).line.item_code == "MI-002"
    assert refused(book, "JN1-XR01", date(2024, 7, 1)) == "unknown_catalog_code"
    publish(book, CodeMappingPublished(institution_id=JN, catalog_kind=MED, local_code="JN1-DEB",
                                       catalog_code="MI-003", effective_from=date(2024, 6, 10)))
    assert refused(book, "JN1-DEB", date(2024, 6, 9)) == "unknown_catalog_code"
    assert recorded(book, "JN1-DEB", date(2024, 6, 10), price=40000).line.item_code == "MI-003"


def test_3301_mapped_code_is_still_checked_against_the_catalog_of_the_service_date() -> None:
    """SD-ENC-6: a mapping to MI-002 open-ended still meets the July catalog without MI-002."""
    book = sample_book()
    publish(book, CodeMappingPublished(institution_id=JN, catalog_kind=MED, local_code="JN1-XR9",
                                       catalog_code="MI-002", effective_from=date(2024, 1, 1)))
    with pytest.raises(Rejected) as err:
        recorded(book, "JN1-XR9", date(2024, 7, 2))
    assert err.value.code == "unknown_catalog_code" and "JN1-XR9" in err.value.reason


def test_3302_revocation_applies_from_its_date_and_a_replay_maps_the_same() -> None:
    """3302 revoke from 2024-07-01: a line of 06-30 is still mapped, one of 07-01 refused.
    Deciding again after the revocation is on the log gives the same events: the line's
    service date (business time) picks the version, never when it is decided."""
    book = sample_book()
    before = recorded(book, "JN1-CT01", date(2024, 6, 30))
    publish(book, code_mapping.revoke(JN, RevokeCodeMapping(
        catalog_kind=MED, local_code="JN1-CT01", effective_from=date(2024, 7, 1)), book))
    assert recorded(book, "JN1-CT01", date(2024, 6, 30)) == before
    assert refused(book, "JN1-CT01", date(2024, 7, 1)) == "unknown_catalog_code"
    again = code_mapping.upload(JN, MapLocalCode(
        catalog_kind=MED, local_code="JN1-CT01", catalog_code="MI-004",
        effective_from=date(2024, 8, 1)), book)
    publish(book, again)
    assert refused(book, "JN1-CT01", date(2024, 7, 31)) == "unknown_catalog_code"
    assert recorded(book, "JN1-CT01", date(2024, 8, 1), price=48000).line.item_code == "MI-004"


def test_3301_a_correction_is_mapped_like_a_new_line() -> None:
    book = sample_book()
    state, _ = run(book, admitted(book), charge(W, JN, "E1", line(1, D0, "MI-001", price=2500)))
    fix = CorrectChargeLine(message_id="fix-1", institution_id=JN, encounter_no="E1",
                            worker_id=W, line=line(1, D0, "JN1-CEF", kind=CatalogKind.DRUG,
                                                   price=2500))
    _, [event] = run(book, state, fix)
    assert isinstance(event, ChargeLineCorrected)
    assert (event.line.item_code, event.line.local_code) == ("DR-001", "JN1-CEF")


def test_3301_a_hospital_may_not_send_local_code_itself() -> None:
    book = sample_book()
    ln = line(1, D0, "MI-004", price=45000).model_copy(update={"local_code": "X"})
    with pytest.raises(Rejected) as err:
        run(book, admitted(book), charge(W, JN, "E1", ln))
    assert err.value.code == "local_code_reserved"


def _upload(**kw: object) -> MapLocalCode:
    fields: dict[str, object] = {"catalog_kind": MED, "local_code": "JN1-NEW",
                                 "catalog_code": "MI-005", "effective_from": date(2024, 6, 1)}
    return MapLocalCode.model_validate({**fields, **kw})


def test_3301_upload_publishes_the_institutions_mapping() -> None:
    got = code_mapping.upload(JN, _upload(local_name="骨折内固定(本院)"), sample_book())
    assert (got.institution_id, got.local_code, got.catalog_code, got.effective_from) == (
        JN, "JN1-NEW", "MI-005", date(2024, 6, 1))
    assert got.source == f"3301 upload by {JN}"


@pytest.mark.parametrize(("institution", "req", "code"), [
    (JN, _upload(institution_id=QD), "wrong_institution"),  # maps only its own codes
    (JN, _upload(catalog_code="MI-999"), "unknown_catalog_code"),  # not in its catalog
    (JN, _upload(catalog_code="MI-006", effective_from=date(2024, 6, 30)),
     "unknown_catalog_code"),  # MI-006 joins Jinan's catalog on 2024-07-01
    (JN, _upload(local_code="MI-001"), "local_code_is_catalog_code"),
    (JN, _upload(effective_until=date(2024, 5, 31)), "invalid_validity"),
    ("H999999999", _upload(), "unknown_institution"),
])
def test_3301_upload_refusals(institution: str, req: MapLocalCode, code: str) -> None:
    with pytest.raises(Rejected) as err:
        code_mapping.upload(institution, req, sample_book())
    assert err.value.code == code


def test_3301_rehab_and_device_codes_map_to_a_provinces_catalog() -> None:
    """SD-ENC-6: devices follow the insured province; any province's catalog will do."""
    got = code_mapping.upload(JN, _upload(catalog_kind=CatalogKind.DEVICE, local_code="JN1-WC",
                                          catalog_code="DV-002"), sample_book())
    assert got.catalog_code == "DV-002"


def test_3302_revoke_needs_a_mapping_in_force_and_is_the_institutions_own() -> None:
    book = sample_book()
    req = RevokeCodeMapping(catalog_kind=MED, local_code="JN1-XR01",
                            effective_from=date(2024, 7, 1))  # expired on 06-30 already
    with pytest.raises(Rejected) as err:
        code_mapping.revoke(JN, req, book)
    assert err.value.code == "no_mapping"
    with pytest.raises(Rejected) as err:
        code_mapping.revoke(QD, req.model_copy(update={"effective_from": date(2024, 6, 1)}),
                            book)
    assert err.value.code == "no_mapping"  # Qingdao has no mapping of Jinan's code
    with pytest.raises(Rejected) as err:
        code_mapping.revoke(JN, req.model_copy(update={"institution_id": QD}), book)
    assert err.value.code == "wrong_institution"


def test_3301_the_same_upload_twice_is_one_record() -> None:
    """The event id is derived from the content: a retried upload is kept once."""
    book = sample_book()
    a = code_mapping.upload(JN, _upload(), book)
    b = code_mapping.upload(JN, _upload(), book)
    assert reference_event_id(a) == reference_event_id(b)
    assert book.add(reference_event_id(a), a) and not book.add(reference_event_id(b), b)


def test_3301_only_the_operator_and_encounter_publish_mappings_and_only_encounter_them() -> None:
    """reference-data's co-writer encounter publishes code mappings, never a catalog."""
    mapping = code_mapping.upload(JN, _upload(), sample_book())
    catalog = sample_book().catalog(MED, "370100", D0)
    assert written_by("operator", mapping) and written_by("encounter", mapping)
    assert written_by("operator", catalog) and not written_by("encounter", catalog)
    assert not written_by("hospital:H370100001", mapping)
