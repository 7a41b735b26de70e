"""The ledger lease: clearing runs one active worker and any number of standbys.

The ledger is one totally ordered log (`clearing-events`, one partition) written by one
in-memory state (docs/architecture.md, "Many workers"). Its inputs are not all
one-partition topics: `settlement-events` and the gateway topics have the worker topics'
partition count, and faust spreads a consumer group's partitions over its members by
partition count — two clearing workers in one group would both post to the ledger, each
from a state missing the other's postings. So a clearing worker joins the group only while
it holds this lease: a PostgreSQL session-level advisory lock, per topic prefix. A standby
asks for it every `POLL` seconds and meanwhile answers `GET /health` with 503
`"status": "standby"` on its web port. The lock is released the moment the holder's
database session ends — a SIGKILLed worker's socket is closed by the kernel — and the
standby then starts faust: it joins the group, recovers the tables and rebuilds the ledger
(docs/performance.md, "Ledger failover").

The holder checks its session every `POLL` seconds. A lost session (database restarting)
is not a lost lease while nobody else can take it: the holder asks again, and exits only if
another worker has it by then — so a database restart does not stop clearing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import asyncpg

log = logging.getLogger(__name__)

POLL = float(os.environ.get("WIC_LEASE_POLL", "0.2"))  # seconds
CHECK_TIMEOUT = 5.0


def lock_key(prefix: str) -> int:
    """The advisory lock's bigint: one lease per deployment (topic prefix)."""
    digest = hashlib.sha256(f"wic-clearing-ledger:{prefix}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def _take(conn: asyncpg.Connection, key: int) -> bool:
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", key))


async def _hold(database_url: str, key: int, acquired: threading.Event) -> None:
    conn: asyncpg.Connection | None = None
    while True:
        try:
            if conn is None or conn.is_closed():
                conn = await asyncpg.connect(database_url, timeout=CHECK_TIMEOUT)
                if not await _take(conn, key):
                    if acquired.is_set():  # another worker took it while we were away
                        _lost()
                    await conn.close()
                    conn = None
                    await asyncio.sleep(POLL)
                    continue
                if not acquired.is_set():
                    log.warning("clearing: holding the ledger lease; starting")
                acquired.set()
            await asyncio.wait_for(conn.fetchval("SELECT 1"), CHECK_TIMEOUT)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            log.warning("ledger lease: database unreachable (%s); asking again", exc)
            if conn is not None:
                conn.terminate()
            conn = None
        await asyncio.sleep(POLL)


def _lost() -> None:
    sys.stderr.write("clearing: another worker holds the ledger lease now; exiting (a "
                     "restart stands by)\n")
    sys.stderr.flush()
    os._exit(1)


class _Standby(BaseHTTPRequestHandler):
    service = "clearing"

    def do_GET(self) -> None:
        body = json.dumps({"service": self.service, "ready": False, "status": "standby",
                           "detail": "another clearing worker holds the ledger lease"})
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


def hold(database_url: str, prefix: str, host: str, port: int) -> None:
    """Return once this process holds the lease (kept by a daemon thread from then on);
    until then answer `/health` as a standby on `host:port`."""
    acquired = threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(
        _hold(database_url, lock_key(prefix), acquired)), name="ledger-lease", daemon=True)
    thread.start()
    if acquired.wait(2.0):
        return
    log.warning("clearing: standing by (another worker holds the ledger lease)")
    server = ThreadingHTTPServer((host, port), _Standby)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    acquired.wait()
    server.shutdown()
    server.server_close()
