"""`wic reference load`: file validation and deterministic event ids (no broker needed)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from contracts.reference import CatalogKind, PilotConfigured
from ops.reference import ReferenceFileError, files_under, read_envelopes
from tests.unit.encounter.samples import SAMPLE, sample_book


def test_sample_data_is_valid_and_ids_are_deterministic() -> None:
    first = read_envelopes(files_under(SAMPLE))
    again = read_envelopes(files_under(SAMPLE))
    assert [e.event_id for e in first] == [e.event_id for e in again]
    assert len({e.event_id for e in first}) == len(first)
    assert {e.key for e in first} >= {"pilot:cross-provincial", "institution:H370100001",
                                       "catalog:medical_item:370100", "credential:H370100001"}


def test_sd_pilot_is_configuration_six_cities_one_year() -> None:
    [pilot] = [e.payload for e in read_envelopes([SAMPLE / "pilot.yaml"])]
    assert isinstance(pilot, PilotConfigured)
    assert sorted(pilot.cities) == ["370100", "370200", "370300", "370500", "370600", "371400"]
    assert (pilot.effective_from, pilot.effective_until) == (date(2024, 4, 1), date(2025, 3, 31))


def test_catalog_version_in_force_by_date() -> None:
    book = sample_book()
    june = book.catalog(CatalogKind.MEDICAL_ITEM, "370100", date(2024, 6, 30))
    july = book.catalog(CatalogKind.MEDICAL_ITEM, "370100", date(2024, 7, 1))
    assert june is not None and july is not None
    assert june.effective_from == date(2024, 1, 1) and july.effective_from == date(2024, 7, 1)
    assert book.catalog(CatalogKind.MEDICAL_ITEM, "370100", date(2023, 12, 31)) is None


def test_one_bad_record_refuses_the_whole_load(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("type: PilotConfigured\nrecords:\n"
                                     "  - {scheme: x, cities: ['999999'], "
                                     "effective_from: 2024-01-01, effective_until: 2024-12-31}\n")
    (tmp_path / "b.yaml").write_text("type: EncounterAdmitted\nrecords: []\n")
    with pytest.raises(ReferenceFileError) as err:
        read_envelopes(files_under(tmp_path))
    assert "a.yaml record 0" in str(err.value) and "not reference data" in str(err.value)


def test_duplicate_load_adds_nothing_to_the_book() -> None:
    book = sample_book()
    before = len(book)
    for env in read_envelopes(files_under(SAMPLE)):
        assert not book.add(env.event_id, env.payload)
    assert len(book) == before
