"""Read models are exactly-once across a crash: rows and offsets commit in one transaction.

A projection process that increments a counter per event is killed with SIGKILL between
batches and restarted; the counter ends at exactly the number of events, and every event
was logged once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime

import asyncpg
import pytest

from contracts import envelope
from contracts.replies import MessageAccepted
from contracts.topics import HOSPITAL_REPLIES
from tests.support.counting_projection import counted, prepare, wait_counted
from tests.support.kafka import Bus
from tests.support.processes import ROOT

pytestmark = pytest.mark.integration
EVENTS = 400
SCHEMA = "crashproof"


def start(bootstrap: str, database_url: str, prefix: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.counting_projection", bootstrap, database_url,
         SCHEMA, prefix],
        cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


async def test_projection_killed_mid_stream_neither_loses_nor_double_applies(
    bus: Bus, bootstrap: str, database_url: str, prefix: str
) -> None:
    when = datetime(2024, 5, 1, tzinfo=UTC)
    for i in range(EVENTS):
        reply = MessageAccepted(ref_event_id=envelope.derived_id(envelope.uuid.UUID(int=i), 0),
                                ref_type="Probe")
        await bus.producer.send(
            HOSPITAL_REPLIES.name(prefix),
            envelope_bytes(reply, key=f"H{i % 7}", when=when),
            key=f"H{i % 7}".encode(),
        )
    await bus.producer.flush()
    await prepare(database_url, SCHEMA)
    conn = await asyncpg.connect(database_url)
    try:
        proc = start(bootstrap, database_url, prefix)
        try:
            await wait_counted(conn, SCHEMA, lambda n: n >= EVENTS // 4, timeout=60)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)  # no chance to finish the batch or clean up
            proc.wait(timeout=10)
        at_kill = await counted(conn, SCHEMA)
        assert 0 < at_kill < EVENTS, "the kill must land mid-stream for this test to mean much"

        proc = start(bootstrap, database_url, prefix)
        try:
            await wait_counted(conn, SCHEMA, lambda n: n >= EVENTS, timeout=90)
            await asyncio.sleep(1.0)  # give a double application time to show itself
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        assert await counted(conn, SCHEMA) == EVENTS
        logged = await conn.fetchval(f'SELECT count(*) FROM "{SCHEMA}".seen_log')
        distinct = await conn.fetchval(f'SELECT count(DISTINCT event_id) FROM "{SCHEMA}".seen_log')
        assert logged == distinct == EVENTS
    finally:
        await conn.close()


def envelope_bytes(reply: MessageAccepted, key: str, when: datetime) -> bytes:
    from contracts import wire

    return wire.encode(envelope.new(reply, key=key, occurred_at=when, source="test"))
