"""Re-drive after a reference-data fix, against the real encounter service.

A hospital bills a drug its city's catalog does not list yet: the line is refused
(`unknown_catalog_code`, SD-ENC-6) and dead-lettered with its original bytes. The operator
publishes the corrected catalog version (reference data on the log), re-drives the dead
letter with `wic dlq redrive`, and the very same message is now recorded — once: a second
re-drive is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import pytest

from contracts import envelope, topics
from contracts.deadletter import MessageDeadLettered
from contracts.encounter import hospital_source
from contracts.message import Message
from contracts.reference import CatalogItem, CatalogKind, CatalogPublished, dataset_key
from contracts.settings import Settings
from ops import dlq
from ops.reference import files_under, publish, read_envelopes
from tests.integration.encounter.helpers import wait_for
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess
from tests.unit.encounter.samples import SAMPLE, admission, at, charge, coverage, line, worker_id

pytestmark = pytest.mark.integration

JINAN_HOSPITAL, DAY = "H370100001", date(2024, 6, 25)
WORKER = worker_id(uuid.uuid4().int % 9000)
NEW_DRUG = "DR-777"


@pytest.fixture(scope="module")
async def settings(prefix: str, database_url: str, bootstrap: str) -> Settings:
    return Settings(bootstrap, database_url, prefix)


@pytest.fixture(scope="module")
async def service(settings: Settings, bus: Bus, log_dir: Path) -> AsyncIterator[ServiceProcess]:
    await publish(read_envelopes(files_under(SAMPLE)), settings)
    cov = coverage(WORKER, "370100", insured="370700")
    await bus.send(topics.REGISTRATION_COVERAGE, envelope.new(
        cov, key=WORKER, occurred_at=at(date(2024, 1, 1)), source="registration"))
    proc = ServiceProcess("encounter", prefix=settings.topic_prefix,
                          database_url=settings.database_url, bootstrap=settings.bootstrap,
                          log_dir=log_dir).start()
    try:
        await wait_for(proc.url, f"/workers/{WORKER}/coverage", lambda _: True)
        yield proc
    finally:
        proc.stop()


async def send(bus: Bus, payload: Message) -> envelope.Envelope[Message]:
    env = envelope.new(payload, key=WORKER, occurred_at=at(DAY),
                       source=hospital_source(JINAN_HOSPITAL))
    await bus.send(topics.HOSPITAL_MESSAGES, env)
    return env


async def answers(bus: Bus, cause: envelope.Envelope[Message], n: int = 1) -> list[str]:
    found = await bus.read(topics.HOSPITAL_REPLIES, lambda seen: len(
        [e for e in seen if e.causation_id == cause.event_id]) >= n)
    return [e.type for e in found if e.causation_id == cause.event_id]


async def lines_of(settings: Settings, encounter_id: str) -> list[str]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch("SELECT item_code FROM encounter.charge_lines "
                                "WHERE encounter_id = $1 ORDER BY line_no", encounter_id)
        return [r["item_code"] for r in rows]
    finally:
        await conn.close()


async def test_sd_enc_6_redrive_after_catalog_fix_records_the_line_once(
        service: ServiceProcess, bus: Bus, settings: Settings) -> None:
    no = f"RD{uuid.uuid4().hex[:8]}"
    admitted = await send(bus, admission(WORKER, JINAN_HOSPITAL, no, DAY))
    assert "AdmissionAnswered" in await answers(bus, admitted)

    billed = await send(bus, charge(WORKER, JINAN_HOSPITAL, no,
                                    line(1, DAY, NEW_DRUG, kind=CatalogKind.DRUG, price=3000)))
    assert await answers(bus, billed) == ["MessageRejected"]
    letters = [d for d in await dlq.read_dead_letters(settings, "encounter")
               if d.letter.original_event_id == billed.event_id]
    assert len(letters) == 1
    letter: MessageDeadLettered = letters[0].letter
    assert letter.reason_code == "unknown_catalog_code"

    # The fix: Jinan's drug catalog, re-published from the stay's first day with the drug.
    fixed = CatalogPublished(kind=CatalogKind.DRUG, region="370100", effective_from=DAY,
                             items=(CatalogItem(code=NEW_DRUG, name="new drug",
                                                max_unit_price_fen=3500),
                                    CatalogItem(code="DR-001", name="drug 1",
                                                max_unit_price_fen=2500)),
                             source="catalog correction 2024-06")
    await publish([envelope.new(fixed, key=dataset_key(fixed), source="operator",
                                occurred_at=datetime(2024, 6, 25, tzinfo=UTC))], settings)
    await wait_for(service.url, "/reference/status", lambda r: r["ready"])

    assert await dlq.redrive(settings, [letters[0].id]) == 0
    assert (await answers(bus, billed, n=2))[-1] == "MessageAccepted"
    encounter_id = f"{JINAN_HOSPITAL}:{no}"
    await wait_for(service.url, f"/encounters/{encounter_id}",
                   lambda r: any(x["item_code"] == NEW_DRUG for x in r.get("lines", [])))
    assert await lines_of(settings, encounter_id) == [NEW_DRUG]

    assert await dlq.redrive(settings, [letters[0].id]) == 1  # never twice
