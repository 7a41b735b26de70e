"""The clearing gateway through Kafka: a future-dated claim cannot block its province (issue
14 finding 7: the window is bounded by the record's own broker time), and malformed
registration-coverage records are dead-lettered, not kept (issue 14 finding 6)."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from contracts import envelope, wire
from contracts.gateway import GatewayClaimAnswered, GatewayClaimSubmitted
from contracts.registration import CoverageWindow, RegistrationType, WorkerCoverage
from contracts.topics import (
    CLEARING_DEADLETTERS,
    GATEWAY_INBOUND,
    GATEWAY_OUTBOUND,
    REGISTRATION_COVERAGE,
)
from tests.integration.clearing.helpers import T0, signed_claim
from tests.support.kafka import Bus
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.integration

OURS = "370102198503151002"  # insured in Jinan, registered for Beijing
# Hours ahead of the record's (broker) time: inside the envelope's bounds (recorded_at at
# most a day after the record), far outside the gateway's clock skew.
AHEAD = timedelta(hours=12)


@pytest.fixture(scope="module")
def service(prefix: str, database_url: str, bootstrap: str, log_dir: Path
            ) -> Iterator[ServiceProcess]:
    proc = ServiceProcess("clearing", prefix=prefix, database_url=database_url,
                          bootstrap=bootstrap, log_dir=log_dir)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
async def covered(service: ServiceProcess, bus: Bus) -> Any:
    cov = WorkerCoverage(worker_id=OURS, social_security_card="A12345678", windows=(
        CoverageWindow(registration_id="R1", registration_type=RegistrationType.STATIONED_WORK,
                       insured_region="370102", treatment_region="110000",
                       valid_from=date(2024, 4, 1), valid_until=date(2025, 3, 31)),),
        last_event_id=uuid.uuid4())
    env = envelope.new(cov, key=OURS, occurred_at=T0, source="registration")
    await bus.send(REGISTRATION_COVERAGE, env)
    await asyncio.sleep(1.0)  # the coverage snapshot is a table fed by its own agent
    return env


async def _claim(bus: Bus, msg: GatewayClaimSubmitted) -> GatewayClaimAnswered:
    """Send as Beijing's gateway would (its envelope times follow its own clock) and wait
    for our answer to it."""
    sent = msg.signed.sent_at
    env = envelope.new(msg, key="110000", occurred_at=sent, recorded_at=sent,
                       source="gateway-110000")
    await bus.send(GATEWAY_INBOUND, env)

    def mine(seen: list[Any]) -> list[GatewayClaimAnswered]:
        return [e.payload for e in seen if isinstance(e.payload, GatewayClaimAnswered)
                and e.payload.in_reply_to == msg.signed.message_id]

    [answer] = mine(await bus.read(GATEWAY_OUTBOUND, lambda s: bool(mine(s))))
    return answer


async def test_finding_7_a_claim_dated_ahead_is_refused_and_the_next_genuine_one_accepted(
        covered: Any, bus: Bus) -> None:
    """Finding 7: a claim dated 12 hours ahead (validly signed) is refused `from_the_future`
    (its record is stamped now); Beijing's next genuine claim is accepted — it used to be refused
    `stale_message`, the window having moved ahead with it."""
    future = await _claim(bus, signed_claim(worker=OURS, fund_fen=10,
                                            sent_at=datetime.now(UTC) + AHEAD))
    assert (future.accepted, future.reason_codes) == (False, ("from_the_future",))
    genuine = await _claim(bus, signed_claim(worker=OURS, fund_fen=10, sent_at=T0))
    assert (genuine.accepted, genuine.reason_codes) == (True, ())


async def test_finding_6_malformed_coverage_is_dead_lettered_and_the_worker_stays_covered(
        covered: Any, bus: Bus) -> None:
    """Finding 6 at clearing: schema_version 2, a wrong payload shape and a tombstone keyed
    by our worker become three dead letters with the original bytes; the gateway still finds
    the worker covered (a claim for them is accepted, not `unknown_worker`)."""
    data = orjson.loads(wire.encode(covered))
    v2 = orjson.dumps({**data, "schema_version": 2, "event_id": str(uuid.uuid4())})
    shape = orjson.dumps({**data, "event_id": str(uuid.uuid4()),
                          "payload": {"worker_id": OURS, "windows": "every day"}})
    for value in (v2, shape, None):
        await bus.send_raw(REGISTRATION_COVERAGE, value, key=OURS.encode())  # type: ignore[arg-type]

    def ours(seen: list[Any]) -> list[Any]:
        return [e.payload for e in seen if e.payload.stage == "registration-coverage"]

    letters = ours(await bus.read(CLEARING_DEADLETTERS, lambda s: len(ours(s)) >= 3))
    assert [d.reason_code for d in letters] == [
        "unknown_type", "invalid_payload", "unexpected_tombstone"]
    assert [d.value_b64 for d in letters] == [
        base64.b64encode(v2).decode(), base64.b64encode(shape).decode(), ""]
    assert {d.key_b64 for d in letters} == {base64.b64encode(OURS.encode()).decode()}
    answer = await _claim(bus, signed_claim(worker=OURS, fund_fen=10,
                                            sent_at=T0.replace(minute=7)))
    assert (answer.accepted, answer.reason_codes) == (True, ())
