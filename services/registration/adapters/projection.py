"""The PostgreSQL read model: registrations, coverage windows, history, per-worker state.

Each event is folded with the domain's own `evolve` into the worker's stored state, and the
worker's rows are rewritten from it, so the read model can never disagree with the decisions.
An event already in `registration_history` (by event_id) is skipped: redelivery is harmless.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import faust

from contracts import topics
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.registration import REGISTRATION_EVENTS
from contracts.runtime.projection import ProjectionRunner
from contracts.settings import Settings
from contracts.topics import Topic
from services.registration import SERVICE
from services.registration.domain import WorkerState, evolve, windows_of

log = logging.getLogger(__name__)

SCHEMA = SERVICE
TABLES = ["registrations", "coverage_windows", "registration_history", "worker_states"]
_ORDER = {
    "registrations": "worker_id, registration_id",
    "coverage_windows": "worker_id, registration_id, seq",
    "registration_history": "event_id",
    "worker_states": "worker_id",
}


@dataclass
class RegistrationReadModel:
    name: str = "registration_read_model"
    topics: Sequence[Topic] = (topics.REGISTRATION_EVENTS,)

    async def apply(self, conn: asyncpg.Connection, event: Envelope[Message]) -> None:
        payload = event.payload
        if not isinstance(payload, REGISTRATION_EVENTS):
            return
        worker, reg_id = payload.worker_id, payload.registration_id
        inserted = await conn.fetchval(
            "INSERT INTO registration_history (event_id, worker_id, seq, registration_id,"
            " event_type, occurred_at, causation_id, payload) SELECT $1, $2,"
            " COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, $7::jsonb FROM registration_history"
            " WHERE worker_id = $2 ON CONFLICT (event_id) DO NOTHING RETURNING seq",
            event.event_id, worker, reg_id, event.type, event.occurred_at,
            event.causation_id, payload.model_dump_json(),
        )
        if inserted is None:
            return  # already applied
        raw = await conn.fetchval("SELECT state FROM worker_states WHERE worker_id = $1", worker)
        state = WorkerState() if raw is None else WorkerState.model_validate_json(raw)
        state = evolve(state, payload)
        await conn.execute(
            "INSERT INTO worker_states (worker_id, social_security_card, state, last_event_id)"
            " VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT (worker_id) DO UPDATE SET"
            " social_security_card = EXCLUDED.social_security_card, state = EXCLUDED.state,"
            " last_event_id = EXCLUDED.last_event_id",
            worker, state.social_security_card, state.model_dump_json(), event.event_id,
        )
        reg = state.registrations[reg_id]
        await conn.execute(
            "INSERT INTO registrations VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,"
            "$15,$16) ON CONFLICT (worker_id, registration_id) DO UPDATE SET"
            " status=EXCLUDED.status, treatment_region=EXCLUDED.treatment_region,"
            " institution_id=EXCLUDED.institution_id, approved_on=EXCLUDED.approved_on,"
            " cancelled_on=EXCLUDED.cancelled_on, rejected_reason=EXCLUDED.rejected_reason,"
            " last_event_id=EXCLUDED.last_event_id, updated_at=EXCLUDED.updated_at",
            worker, reg_id, reg.registration_type.value, reg.status.value, reg.origin,
            reg.insured_region, reg.treatment_region, reg.places[-1].institution_id,
            reg.registered_on, reg.approved_on, reg.valid_from, reg.valid_until,
            reg.cancelled_on, reg.rejected_reason, event.event_id, event.occurred_at,
        )
        await conn.execute("DELETE FROM coverage_windows WHERE worker_id=$1 AND registration_id=$2",
                           worker, reg_id)
        await conn.executemany(
            "INSERT INTO coverage_windows VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [(worker, reg_id, i, w.registration_type.value, w.insured_region, w.treatment_region,
              w.valid_from, w.valid_until) for i, w in enumerate(windows_of(reg))],
        )


PROJECTIONS = [RegistrationReadModel()]


async def digest(conn: asyncpg.Connection) -> str:
    """sha256 over every read-model row, table by table, in primary-key order."""
    h = hashlib.sha256()
    for table in TABLES:
        rows = await conn.fetch(f"SELECT t::text AS r FROM {table} t ORDER BY {_ORDER[table]}")
        h.update(table.encode())
        for row in rows:
            h.update(row["r"].encode() + b"\n")
    return h.hexdigest()


def wire(app: faust.App, settings: Settings) -> None:
    stop = asyncio.Event()

    async def keep_running(proj: RegistrationReadModel) -> None:
        # A lost database connection must not end the read model: restart from checkpoints.
        while not stop.is_set():
            runner = ProjectionRunner(proj, settings.bootstrap, settings.database_url, SCHEMA,
                                      prefix=settings.topic_prefix)
            try:
                await runner.run(stop)
            except Exception:
                log.exception("projection %s failed; restarting in 2 s", proj.name)
                await asyncio.sleep(2)

    @app.task
    async def project_registrations() -> None:
        await asyncio.gather(*(keep_running(p) for p in PROJECTIONS))

    @app.on_before_shutdown.connect
    async def _stop_projection(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        stop.set()
