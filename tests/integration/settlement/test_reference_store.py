"""Settlement's catalogs: every catalog published before a discharge is known when it is
decided (SD-ENC-6 judges a line by the catalog in force), without polling the broker idle.
"""

from __future__ import annotations

from datetime import date

import pytest
from aiokafka import TopicPartition

from contracts import topics
from contracts.reference import CatalogItem, CatalogKind, CatalogPublished
from services.settlement.adapters.reference import ReferenceStore
from tests.integration.settlement.helpers import ref_env
from tests.support.kafka import Bus

pytestmark = pytest.mark.integration


def drugs(on: date, price_fen: int) -> CatalogPublished:
    item = CatalogItem(code="D-001", name="amoxicillin", max_unit_price_fen=price_fen)
    return CatalogPublished(kind=CatalogKind.DRUG, region="370200", effective_from=on,
                            items=(item,))


async def test_sd_enc_6_each_sync_knows_every_catalog_published_before_it(
        bus: Bus, bootstrap: str, prefix: str) -> None:
    """A sync reads reference-data to its end as of that moment (a version published between
    two syncs is known at the second); between syncs the partition is paused, so the store
    sends no fetches of its own while nothing is being decided."""
    store = ReferenceStore(bootstrap, prefix)
    tp = TopicPartition(topics.REFERENCE_DATA.name(prefix), 0)
    try:
        await bus.send(topics.REFERENCE_DATA, ref_env(drugs(date(2024, 1, 1), 1200)))
        await store.sync()
        key = (CatalogKind.DRUG, "370200")
        assert [v.effective_from for v in store.catalogs[key]] == [date(2024, 1, 1)]
        assert store._consumer is not None and store._consumer.paused() == {tp}

        await bus.send(topics.REFERENCE_DATA, ref_env(drugs(date(2024, 7, 1), 1500)))
        await store.sync()
        assert [v.effective_from for v in store.catalogs[key]] == [date(2024, 1, 1),
                                                                    date(2024, 7, 1)]
        assert store._consumer.paused() == {tp}
        await store.sync()  # caught up: nothing to read, nothing changes
        assert len(store.catalogs[key]) == 2
    finally:
        await store.stop()
