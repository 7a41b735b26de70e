"""The PostgreSQL read model: registrations, coverage windows, history, per-worker state.

Each event is folded with the domain's own `evolve` into the worker's stored state, and the
worker's rows are rewritten from it, so the read model can never disagree with the decisions.
An event already in `registration_history` (by event_id) is skipped: redelivery is harmless.

Events are applied a batch at a time (`apply_many`, called by the projection runner once per
Kafka batch; `apply` is the batch of one): three reads for the whole batch (event ids already
applied, the workers' stored states, their last history seq), the fold in memory, then one
statement per table (COPY for new rows: history, and every row of a worker with no stored
state; upserts from arrays for the others). The rows are those that applying the events
one by one would leave: a worker's history seq still counts up from its stored maximum,
and each registration row and its coverage windows come from that
registration as the last event touching it left it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import faust

from contracts import topics
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.registration import REGISTRATION_EVENTS
from contracts.runtime.audit_trail import TABLE
from contracts.runtime.projection import LiveReadModels, Projection
from contracts.settings import Settings
from contracts.topics import Topic
from services.registration import SERVICE
from services.registration.adapters.audit import AUDIT
from services.registration.domain import Registration, WorkerState, evolve, spans_of

log = logging.getLogger(__name__)

SCHEMA = SERVICE
TABLES = ["registrations", "coverage_windows", "registration_history", "worker_states",
          TABLE]
_ORDER = {
    "registrations": "worker_id, registration_id",
    "coverage_windows": "worker_id, registration_id, seq",
    "registration_history": "event_id",
    "worker_states": "worker_id",
    TABLE: "event_id",
}

_APPLIED = "SELECT event_id FROM registration_history WHERE event_id = ANY($1::uuid[])"
_STATES = "SELECT worker_id, state FROM worker_states WHERE worker_id = ANY($1::text[])"
_LAST_SEQ = ("SELECT worker_id, MAX(seq) AS seq FROM registration_history"
             " WHERE worker_id = ANY($1::text[]) GROUP BY worker_id")
# New rows (history, and windows after their registration's are deleted) go in by COPY;
# rows that may exist are upserted from arrays, one statement per table and batch (each
# key once per batch, as ON CONFLICT DO UPDATE requires).
_HISTORY_COLUMNS = ["event_id", "worker_id", "seq", "registration_id", "event_type",
                    "occurred_at", "causation_id", "payload"]
_STATE_COLUMNS = ["worker_id", "social_security_card", "state", "last_event_id"]
_UPSERT_STATES = (
    "INSERT INTO worker_states (worker_id, social_security_card, state, last_event_id)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::uuid[])"
    " ON CONFLICT (worker_id) DO UPDATE SET"
    " social_security_card = EXCLUDED.social_security_card, state = EXCLUDED.state,"
    " last_event_id = EXCLUDED.last_event_id"
)
# Type, origin, regions of insurance, registered_on and validity are set by the first event
# (applied/imported) and never updated; the rest follows the registration's latest event.
_UPSERT_REGISTRATIONS = (
    "INSERT INTO registrations SELECT * FROM unnest($1::text[], $2::text[], $3::text[],"
    " $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::date[], $10::date[],"
    " $11::date[], $12::date[], $13::date[], $14::text[], $15::uuid[], $16::timestamptz[])"
    " ON CONFLICT (worker_id, registration_id) DO UPDATE SET"
    " status=EXCLUDED.status, treatment_region=EXCLUDED.treatment_region,"
    " institution_id=EXCLUDED.institution_id, approved_on=EXCLUDED.approved_on,"
    " cancelled_on=EXCLUDED.cancelled_on, rejected_reason=EXCLUDED.rejected_reason,"
    " last_event_id=EXCLUDED.last_event_id, updated_at=EXCLUDED.updated_at"
)
_DELETE_WINDOWS = (
    "DELETE FROM coverage_windows c USING unnest($1::text[], $2::text[]) AS k(worker, reg)"
    " WHERE c.worker_id = k.worker AND c.registration_id = k.reg"
)


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows -> one list per column: the arrays that `unnest` turns back into rows."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


@dataclass
class _Worker:
    """One worker's part of a batch: its state folded so far and what the batch changed."""

    state: WorkerState
    seq: int  # last registration_history seq written for the worker
    last_event: Envelope[Message] | None = None
    # registration id -> (the registration as its latest event left it, that event)
    touched: dict[str, tuple[Registration, Envelope[Message]]] = field(default_factory=dict)


@dataclass
class RegistrationReadModel:
    name: str = "registration_read_model"
    topics: Sequence[Topic] = (topics.REGISTRATION_EVENTS,)

    async def apply(self, conn: asyncpg.Connection, event: Envelope[Message]) -> None:
        await self.apply_many(conn, [event])

    async def apply_many(self, conn: asyncpg.Connection,
                         events: list[Envelope[Message]]) -> None:
        """Apply `events` in order (other message types ignored, applied event ids skipped)."""
        mine = [(e, e.payload) for e in events if isinstance(e.payload, REGISTRATION_EVENTS)]
        if not mine:
            return
        names = sorted({p.worker_id for _, p in mine})
        done = {r["event_id"] for r in await conn.fetch(_APPLIED, [e.event_id for e, _ in mine])}
        stored = {r["worker_id"]: r["state"] for r in await conn.fetch(_STATES, names)}
        seqs = {r["worker_id"]: r["seq"] for r in await conn.fetch(_LAST_SEQ, names)}

        workers: dict[str, _Worker] = {}
        history: list[tuple[Any, ...]] = []
        for event, payload in mine:
            if event.event_id in done:
                continue  # already applied (earlier batch, or earlier in this one)
            done.add(event.event_id)
            worker_id, reg_id = payload.worker_id, payload.registration_id
            worker = workers.get(worker_id)
            if worker is None:
                raw = stored.get(worker_id)
                state = WorkerState() if raw is None else WorkerState.model_validate_json(raw)
                worker = workers[worker_id] = _Worker(state, seqs.get(worker_id) or 0)
            worker.seq += 1
            history.append((event.event_id, worker_id, worker.seq, reg_id, event.type,
                            event.occurred_at, event.causation_id, payload.model_dump_json()))
            worker.state = evolve(worker.state, payload)
            worker.last_event = event
            worker.touched[reg_id] = (worker.state.registrations[reg_id], event)
        if not history:
            return

        # A worker with no stored state has no rows in any table yet (every applied event
        # writes its worker's state in the same transaction as its other rows): its rows go
        # in by COPY, and only the others' are upserted and have their windows replaced. In
        # a rebuild that is every worker (the upserts were 12% of a replay: docs/performance.md
        # "Fifth round, second pass").
        states: dict[bool, list[tuple[Any, ...]]] = {True: [], False: []}
        registrations: dict[bool, list[tuple[Any, ...]]] = {True: [], False: []}
        windows: list[tuple[Any, ...]] = []
        for worker_id, worker in workers.items():
            assert worker.last_event is not None
            new = worker_id not in stored
            states[new].append((worker_id, worker.state.social_security_card,
                                worker.state.model_dump_json(), worker.last_event.event_id))
            for reg_id, (reg, event) in worker.touched.items():
                registrations[new].append((
                    worker_id, reg_id, reg.registration_type.value, reg.status.value,
                    reg.origin, reg.insured_region, reg.treatment_region,
                    reg.places[-1].institution_id, reg.registered_on, reg.approved_on,
                    reg.valid_from, reg.valid_until, reg.cancelled_on, reg.rejected_reason,
                    event.event_id, event.occurred_at,
                ))
                kind = reg.registration_type.value  # the windows_of rows, without the models
                windows += [(worker_id, reg_id, i, kind, reg.insured_region,
                             w.place.treatment_region, w.valid_from, w.valid_until)
                            for i, w in enumerate(spans_of(reg))]
        await conn.copy_records_to_table("registration_history", records=history,
                                         columns=_HISTORY_COLUMNS)
        if states[True]:
            await conn.copy_records_to_table("worker_states", records=states[True],
                                             columns=_STATE_COLUMNS)
            await conn.copy_records_to_table("registrations", records=registrations[True])
        if states[False]:
            await conn.execute(_UPSERT_STATES, *_columns(states[False], 4))
            await conn.execute(_UPSERT_REGISTRATIONS, *_columns(registrations[False], 16))
            await conn.execute(_DELETE_WINDOWS, [r[0] for r in registrations[False]],
                               [r[1] for r in registrations[False]])
        if windows:
            await conn.copy_records_to_table("coverage_windows", records=windows)


PROJECTIONS: list[Projection] = [RegistrationReadModel(), AUDIT]


async def digest(conn: asyncpg.Connection) -> str:
    """sha256 over every read-model row, table by table, in primary-key order."""
    h = hashlib.sha256()
    for table in TABLES:
        rows = await conn.fetch(f"SELECT t::text AS r FROM {table} t ORDER BY {_ORDER[table]}")
        h.update(table.encode())
        for row in rows:
            h.update(row["r"].encode() + b"\n")
    return h.hexdigest()


def wire(app: faust.App, settings: Settings) -> LiveReadModels:
    """The read models, kept running through database outages (LiveReadModels)."""
    return LiveReadModels(PROJECTIONS, settings, SCHEMA).attach(app)
