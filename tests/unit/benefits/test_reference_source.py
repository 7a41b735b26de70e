"""Benefit levels and wages (NR-35's minimum wage here) are the operator's reference data:
a record of them from the reference-data co-writer (encounter, which may publish only code
mappings, 3301/3302) is skipped (contracts.reference.written_by)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from contracts import envelope, wire
from contracts.benefits import MinimumWagePublished
from contracts.reference import OPERATOR_SOURCE, dataset_key
from services.benefits.adapters.reference import ReferenceStore

WAGE = MinimumWagePublished(region="370100", monthly_minimum_wage_fen=210_000,
                            effective_from=date(2024, 1, 1))


def _raw(source: str) -> bytes:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    return wire.encode(envelope.new(WAGE, key=dataset_key(WAGE), source=source,
                                    occurred_at=at, recorded_at=at))


def test_nr_35_minimum_wage_from_the_operator_is_kept_from_a_co_writer_skipped() -> None:
    store = ReferenceStore("127.0.0.1:1", "t-")
    store.apply(_raw("encounter"))
    assert store.references().minimum_wages == ()
    store.apply(_raw(OPERATOR_SOURCE))
    assert store.references().minimum_wages == (WAGE,)
