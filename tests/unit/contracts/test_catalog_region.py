"""SD-ENC-6, written once (contracts.encounter.EncounterRecord.catalog_region) for encounter's
catalog check and settlement's pricing: the treatment city's catalog judges medical items,
drugs and service standards; the insured province's judges rehabilitation items and
assistive devices."""

from __future__ import annotations

from contracts.reference import CatalogKind
from tests.unit.settlement.factories import encounter


def test_sd_enc_6_whose_catalog_judges_each_kind_of_item() -> None:
    enc = encounter([], insured="320102", treatment="370102")  # insured Nanjing, treated Jinan
    assert {k: enc.catalog_region(k) for k in CatalogKind} == {
        CatalogKind.MEDICAL_ITEM: "370100", CatalogKind.DRUG: "370100",
        CatalogKind.SERVICE_STANDARD: "370100",
        CatalogKind.REHAB_ITEM: "320000", CatalogKind.DEVICE: "320000"}
