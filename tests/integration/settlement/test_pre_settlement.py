"""Pre-settlement (预结算, national 2303/2206) through the real broker and database, with
encounter, settlement and clearing running: a hospital admits and charges, asks over HTTP
and over Kafka, gets the fund / self / employer split per line, nothing is recorded (no
encounter, settlement or ledger record); bad requests are refused with their reason code
and dead-lettered; then the discharge settles to exactly the pre-settlement."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts import envelope, topics
from contracts.encounter import RequestPreSettlement, hospital_source
from contracts.presettlement import PreSettlementAnswered
from contracts.reference import CatalogKind
from contracts.replies import MessageRejected
from contracts.settings import Settings, kafka_security
from contracts.settlement import EncounterSettled
from infra.services import ServiceProcess, start_all, stop_all
from ops.reference import files_under, publish, read_envelopes
from tests.integration.encounter.helpers import body, post, wait_for
from tests.support.kafka import Bus
from tests.unit.encounter.samples import (
    SAMPLE,
    admission,
    at,
    charge,
    coverage,
    discharge,
    line,
    worker_id,
)

pytestmark = pytest.mark.integration

W = worker_id(uuid.uuid4().int % 9000 + 500)
JN, OTHER, D0 = "H370100001", "H370200001", date(2024, 6, 25)  # OTHER: Qingdao
RECORDS = (topics.ENCOUNTER_EVENTS, topics.SETTLEMENT_EVENTS, topics.CLEARING_EVENTS)


@pytest.fixture(scope="module")
async def stack(prefix: str, database_url: str, bootstrap: str, bus: Bus, log_dir: Path
                ) -> AsyncIterator[dict[str, ServiceProcess]]:
    await publish(read_envelopes(files_under(SAMPLE)), Settings(bootstrap, database_url, prefix))
    cov = coverage(W, "370100")  # insured in Weifang, treated in Jinan: settled directly
    await bus.send(topics.REGISTRATION_COVERAGE, envelope.new(
        cov, key=W, occurred_at=at(date(2024, 1, 1)), source="registration"))
    procs = start_all(prefix, database_url, bootstrap, log_dir,
                      names=("encounter", "settlement", "clearing"))
    try:
        url = procs["encounter"].url
        await wait_for(url, "/reference/status", lambda r: r["ready"])
        await wait_for(url, f"/workers/{W}/coverage", lambda _: True)
        yield procs
    finally:
        stop_all(procs)


async def _ends(bootstrap: str, prefix: str) -> dict[str, int]:
    """How many records each recording topic holds (its end offsets, summed)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                **kafka_security())
    await consumer.start()
    try:
        parts = [TopicPartition(t.name(prefix), p) for t in RECORDS for p in range(t.partitions)]
        ends = await consumer.end_offsets(parts)
    finally:
        await consumer.stop()
    return {t.base: sum(ends[TopicPartition(t.name(prefix), p)] for p in range(t.partitions))
            for t in RECORDS}


def _ask(message_id: str, no: str = "E1", institution: str = JN) -> RequestPreSettlement:
    return RequestPreSettlement(message_id=message_id, institution_id=institution,
                                encounter_no=no, worker_id=W)


def _split(answer: dict[str, Any]) -> list[tuple[int, int, int, int]]:
    return [(ln["line_no"], ln["fund_fen"], ln["self_fen"], ln["employer_fen"])
            for ln in answer["lines"]]


async def test_2303_pre_settlement_over_http_and_kafka_records_nothing_and_equals_settlement(
        stack: dict[str, ServiceProcess], bus: Bus, bootstrap: str, prefix: str) -> None:
    url = stack["encounter"].url
    status, got = await post(url, JN, body(admission(W, JN, "E1", D0)))
    assert status == 200 and got["reply"]["direct_settlement"], got
    for ln in (line(1, D0, "MI-001", price=2500),  # consultation under its 30-yuan cap
               line(2, D0, "MI-004", price=50000),  # CT at 500 yuan: capped at 450 (SD-ENC-6)
               line(3, D0, "DR-001", kind=CatalogKind.DRUG, qty="4", price=2000)):
        status, got = await post(url, JN, body(charge(W, JN, "E1", ln)))
        assert status == 200, got
    before = await _ends(bootstrap, prefix)

    # over HTTP: answered in the response
    status, got = await post(url, JN, body(_ask("pre-http")))
    assert status == 200 and got["type"] == "PreSettlementAnswered", got
    answer = got["reply"]
    assert _split(answer) == [(1, 2500, 0, 0), (2, 45000, 5000, 0), (3, 8000, 0, 0)]
    assert (answer["submitted_fen"], answer["fund_fen"], answer["self_fen"]) == (
        60500, 55500, 5000)
    assert answer["direct_settlement"] and answer["settlement_id"] == f"S-{JN}:E1-r0"

    # over Kafka: the same answer on hospital-replies, caused by the hospital's message
    request = _ask("pre-kafka")
    env = envelope.new(request, key=W, occurred_at=at(D0, 12), source=hospital_source(JN))
    await bus.send(topics.HOSPITAL_MESSAGES, env)
    replies = await bus.read(topics.HOSPITAL_REPLIES, lambda seen: any(
        e.causation_id == env.event_id for e in seen))
    [reply] = [e for e in replies if e.causation_id == env.event_id]
    assert isinstance(reply.payload, PreSettlementAnswered) and reply.key == hospital_source(JN)
    assert reply.payload.message_id == "pre-kafka"
    assert _split(reply.payload.model_dump(mode="json")) == _split(answer)

    # refused, with the reason, and dead-lettered like every refused hospital message
    status, got = await post(url, JN, body(_ask("pre-unknown", no="NOPE")))
    assert (status, got["reason_code"]) == (422, "encounter_not_admitted")
    status, got = await post(url, OTHER, body(_ask("pre-other")))  # JN's encounter, as Qingdao
    assert (status, got["reason_code"]) == (403, "wrong_institution")
    status, got = await post(url, OTHER, body(_ask("pre-theirs", institution=OTHER)))
    assert (status, got["reason_code"]) == (422, "encounter_not_admitted")  # not one of its own
    forged = envelope.new(_ask("pre-forged"), key=W, occurred_at=at(D0, 12),
                          source=hospital_source(OTHER))
    await bus.send(topics.HOSPITAL_MESSAGES, forged)
    replies = await bus.read(topics.HOSPITAL_REPLIES, lambda seen: any(
        e.causation_id == forged.event_id for e in seen))
    [refusal] = [e.payload for e in replies if e.causation_id == forged.event_id]
    assert isinstance(refusal, MessageRejected) and refusal.reason_code == "wrong_institution"
    letters = await bus.read(topics.ENCOUNTER_DEADLETTERS, lambda seen: {
        "encounter_not_admitted", "wrong_institution"} <= {
        e.payload.reason_code for e in seen})  # type: ignore[attr-defined]
    assert sum(b"pre-unknown" in e.payload.original_value()  # type: ignore[attr-defined]
               for e in letters) == 1

    await asyncio.sleep(1.0)  # anything recorded would be on the log by now
    assert await _ends(bootstrap, prefix) == before  # no event, no ledger entry

    # the discharge settles to exactly what the pre-settlement said
    status, got = await post(url, JN, body(discharge(W, JN, "E1", D0)))
    assert status == 200, got
    events = await bus.read(topics.SETTLEMENT_EVENTS, lambda seen: any(
        isinstance(e.payload, EncounterSettled) for e in seen))
    [settled] = [e.payload for e in events if isinstance(e.payload, EncounterSettled)]
    assert [ln.model_dump(mode="json") for ln in settled.lines] == answer["lines"]
    assert (settled.settlement_id, settled.submitted_fen, settled.fund_fen, settled.self_fen,
            settled.employer_fen) == (answer["settlement_id"], answer["submitted_fen"],
                                      answer["fund_fen"], answer["self_fen"],
                                      answer["employer_fen"])
    await bus.read(topics.CLEARING_EVENTS, lambda seen: len(seen) > before["clearing-events"])

    # closed now: refused
    status, got = await post(url, JN, body(_ask("pre-closed")))
    assert (status, got["reason_code"]) == (422, "encounter_discharged")
