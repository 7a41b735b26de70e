"""Encounter under faults (issue 14 findings 2-4): a SIGKILL costs seconds, a database
outage stops only the read model (decisions go on, queries answer 503, the read model
catches up by itself), and `/health` tells agents, broker and read models apart."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from contracts import envelope, topics
from contracts.settings import Settings
from ops.reference import files_under, publish, read_envelopes
from tests.integration.encounter.helpers import body, get, post, wait_for
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess
from tests.unit.encounter.samples import SAMPLE, admission, at, coverage, worker_id

pytestmark = pytest.mark.integration

JN, D0 = "H370100001", date(2024, 6, 25)
W = worker_id(uuid.uuid4().int % 9000 + 20_000)


@pytest.fixture(scope="module")
async def service(prefix: str, database_url: str, bootstrap: str, bus: Bus, log_dir: Path
                  ) -> AsyncIterator[ServiceProcess]:
    await publish(read_envelopes(files_under(SAMPLE)), Settings(bootstrap, database_url, prefix))
    cov = coverage(W, "370100", insured="370700")
    await bus.send(topics.REGISTRATION_COVERAGE, envelope.new(
        cov, key=W, occurred_at=at(date(2024, 1, 1)), source="registration"))
    proc = ServiceProcess("encounter", prefix=prefix, database_url=database_url,
                          bootstrap=bootstrap, log_dir=log_dir).start()
    try:
        await wait_for(proc.url, "/reference/status", lambda r: r["ready"])
        await wait_for(proc.url, f"/workers/{W}/coverage", lambda _: True)
        yield proc
    finally:
        proc.stop()


async def admit(url: str, no: str) -> str:
    status, got = await post(url, JN, body(admission(W, JN, no, D0)))
    assert status == 200, got
    return str(got["reply"]["encounter_id"])


async def test_finding_4_health_names_agents_broker_and_read_models(
        service: ServiceProcess) -> None:
    status, got = await get(service.url, "/health")
    assert status == 200 and got["status"] == "ok", got
    assert got["broker_reachable"] is True
    assert got["agents"] and all(got["agents"].values()), got["agents"]
    assert got["read_models_failing"] == {}


async def test_finding_3_a_database_outage_stops_only_the_read_model(
        service: ServiceProcess, database_url: str) -> None:
    """While the database refuses connections: admissions are still answered, /health says
    "degraded" (200) naming the read model, queries answer 503 database_unavailable. Once it
    is back the read model catches up with no restart of the service."""
    name = database_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(database_url.rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            " WHERE datname = $1 AND pid <> pg_backend_pid()", name)
        encounter_id = await admit(service.url, f"DB{uuid.uuid4().hex[:6]}")
        health = await wait_for_health(service, lambda h: h["status"] == "degraded")
        assert health["read_models_failing"], health
        status, got = await get(service.url, f"/encounters/{encounter_id}")
        assert (status, got["reason_code"]) == (503, "database_unavailable"), got
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
    row = await wait_for(service.url, f"/encounters/{encounter_id}", lambda _: True,
                         timeout=40.0)
    assert row["encounter_id"] == encounter_id
    await wait_for_health(service, lambda h: h["status"] == "ok")


async def test_finding_2_a_sigkilled_service_serves_again_in_seconds(
        service: ServiceProcess) -> None:
    """The consumer group's session timeout was faust's 60 s: the restarted worker waited
    for the dead one's session to expire. Now it serves within 10 s + start-up."""
    service.stop(kill=True)
    started = time.monotonic()
    service.launch()
    service.wait_ready(timeout=60)
    took = time.monotonic() - started
    assert took < 30, f"serving again took {took:.1f} s"
    await admit(service.url, f"K{uuid.uuid4().hex[:6]}")  # and it decides


async def wait_for_health(service: ServiceProcess, ok: object, timeout: float = 30.0
                          ) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    last: dict[str, object] = {}
    while time.monotonic() < deadline:
        _, last = await get(service.url, "/health")
        if ok(last):  # type: ignore[operator]
            return last
        await asyncio.sleep(0.3)
    raise AssertionError(f"/health never satisfied the condition; last: {last}")
