"""Issue 14 finding 6 at encounter: malformed registration-coverage records (schema_version
2, a wrong payload shape, a tombstone) are dead-lettered with their original bytes and leave
the worker's coverage as registration last wrote it (SD-ENC-1 keeps answering covered)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import orjson
import pytest

from contracts import envelope, topics, wire
from contracts.settings import Settings
from ops.reference import files_under, publish, read_envelopes
from tests.integration.encounter.helpers import body, post, wait_for
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess
from tests.unit.encounter.samples import SAMPLE, admission, at, coverage, worker_id

pytestmark = pytest.mark.integration

W = worker_id(uuid.uuid4().int % 9000)
JN, D0 = "H370100001", date(2024, 6, 25)


@pytest.fixture(scope="module")
async def url(prefix: str, database_url: str, bootstrap: str, bus: Bus, log_dir: Path
              ) -> AsyncIterator[str]:
    await publish(read_envelopes(files_under(SAMPLE)), Settings(bootstrap, database_url, prefix))
    cov = coverage(W, "370100", insured="370700")  # a Weifang worker treated in Jinan
    await bus.send(topics.REGISTRATION_COVERAGE, envelope.new(
        cov, key=W, occurred_at=at(date(2024, 1, 1)), source="registration"))
    proc = ServiceProcess("encounter", prefix=prefix, database_url=database_url,
                          bootstrap=bootstrap, log_dir=log_dir).start()
    try:
        await wait_for(proc.url, "/reference/status", lambda r: r["ready"])
        await wait_for(proc.url, f"/workers/{W}/coverage", lambda _: True)
        yield proc.url
    finally:
        proc.stop()


async def test_finding_6_malformed_coverage_is_dead_lettered_and_the_worker_stays_covered(
        url: str, bus: Bus) -> None:
    """Finding 6: three malformed records keyed by a covered worker give three dead letters
    (reason codes `unknown_type`, `invalid_payload`, `unexpected_tombstone`, original bytes
    kept) and the admission that follows is still settled directly (SD-ENC-1)."""
    good = envelope.new(coverage(W, "370100", insured="370700"), key=W,
                        occurred_at=at(date(2024, 2, 1)), source="registration")
    data = orjson.loads(wire.encode(good))
    v2 = orjson.dumps({**data, "schema_version": 2, "event_id": str(uuid.uuid4())})
    shape = orjson.dumps({**data, "event_id": str(uuid.uuid4()),
                          "payload": {"worker_id": W, "windows": "every day"}})
    for value in (v2, shape, None):
        await bus.send_raw(topics.REGISTRATION_COVERAGE, value, key=W.encode())  # type: ignore[arg-type]

    def ours(seen: list) -> list:  # type: ignore[type-arg]
        return [e.payload for e in seen if e.payload.stage == "registration-coverage"
                and e.payload.key_b64 == base64.b64encode(W.encode()).decode()]

    letters = ours(await bus.read(topics.ENCOUNTER_DEADLETTERS, lambda s: len(ours(s)) >= 3))
    assert [d.reason_code for d in letters] == [
        "unknown_type", "invalid_payload", "unexpected_tombstone"]
    assert [d.value_b64 for d in letters] == [
        base64.b64encode(v2).decode(), base64.b64encode(shape).decode(), ""]
    status, got = await post(url, JN, body(admission(W, JN, "CV1", D0, insured="370700")))
    assert status == 200, got
    assert got["reply"]["direct_settlement"] is True, got
    assert got["reply"]["not_direct_reasons"] == []
