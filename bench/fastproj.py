"""Prototype fix for the replay limit: registration's read model written per batch.

The shipped projection (`services/registration/adapters/projection.py`) makes five to six
PostgreSQL round trips per event; the replay profile shows them as ~80% of replay time.
This writes the same rows per *batch*: one query each to find already-applied events, the
workers' stored states and their last history seq; the fold in memory with the domain's
own `evolve`; then one `executemany` per table. Same rows, same transaction per batch with
the checkpoint (the replay compares its digest with the live read model's).

It lives in bench/ only to measure the fix; the owners of the projection and of
`contracts.runtime.projection` would adopt it (see docs/performance.md).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import TopicPartition

from contracts import wire
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.registration import REGISTRATION_EVENTS
from contracts.runtime.projection import ProjectionRunner


@dataclass
class _Worker:
    state: Any
    seq: int
    last_event: Any = None
    regs: dict[str, Envelope[Message]] = field(default_factory=dict)  # reg id -> last event


async def apply_registration_batch(conn: asyncpg.Connection, name: str, topic: str,
                                   partition: int, records: Sequence[Any]) -> tuple[int, int]:
    from services.registration.domain import WorkerState, evolve, windows_of

    applied = skipped = 0
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT next_offset FROM checkpoints WHERE projection=$1 AND topic=$2 AND partition=$3"
            " FOR UPDATE", name, topic, partition)
        start = row["next_offset"] if row else 0
        events: list[Envelope[Message]] = []
        last = start - 1
        for rec in records:
            if rec.offset < start:
                skipped += 1
                continue
            last = rec.offset
            try:
                env = wire.decode(rec.value)
            except wire.WireError:
                skipped += 1
                continue
            applied += 1
            if isinstance(env.payload, REGISTRATION_EVENTS):
                events.append(env)
        if events:
            await _write(conn, events, WorkerState, evolve, windows_of)
        if last >= start:
            await conn.execute(
                "INSERT INTO checkpoints (projection, topic, partition, next_offset)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (projection, topic, partition)"
                " DO UPDATE SET next_offset = EXCLUDED.next_offset",
                name, topic, partition, last + 1)
    return applied, skipped


async def _write(conn: asyncpg.Connection, events: list[Envelope[Message]], state_type: Any,
                 evolve: Any, windows_of: Any) -> None:
    ids = [e.event_id for e in events]
    done = {r["event_id"] for r in await conn.fetch(
        "SELECT event_id FROM registration_history WHERE event_id = ANY($1::uuid[])", ids)}
    names = sorted({e.payload.worker_id for e in events})  # type: ignore[attr-defined]
    states = {r["worker_id"]: r["state"] for r in await conn.fetch(
        "SELECT worker_id, state FROM worker_states WHERE worker_id = ANY($1::text[])", names)}
    seqs = {r["worker_id"]: r["s"] for r in await conn.fetch(
        "SELECT worker_id, MAX(seq) AS s FROM registration_history"
        " WHERE worker_id = ANY($1::text[]) GROUP BY worker_id", names)}
    workers: dict[str, _Worker] = {}
    history = []
    for env in events:
        if env.event_id in done:
            continue
        done.add(env.event_id)
        p: Any = env.payload
        w = workers.get(p.worker_id)
        if w is None:
            raw = states.get(p.worker_id)
            w = workers[p.worker_id] = _Worker(
                state_type() if raw is None else state_type.model_validate_json(raw),
                seqs.get(p.worker_id) or 0)
        w.seq += 1
        history.append((env.event_id, p.worker_id, w.seq, p.registration_id, env.type,
                        env.occurred_at, env.causation_id, p.model_dump_json()))
        w.state = evolve(w.state, p)
        w.last_event = env
        w.regs[p.registration_id] = env
    if not history:
        return
    await conn.executemany(
        "INSERT INTO registration_history (event_id, worker_id, seq, registration_id,"
        " event_type, occurred_at, causation_id, payload) VALUES ($1,$2,$3,$4,$5,$6,$7,$8::jsonb)"
        " ON CONFLICT (event_id) DO NOTHING", history)
    await conn.executemany(
        "INSERT INTO worker_states (worker_id, social_security_card, state, last_event_id)"
        " VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT (worker_id) DO UPDATE SET"
        " social_security_card = EXCLUDED.social_security_card, state = EXCLUDED.state,"
        " last_event_id = EXCLUDED.last_event_id",
        [(wid, w.state.social_security_card, w.state.model_dump_json(), w.last_event.event_id)
         for wid, w in workers.items()])
    regs, keys, windows = [], [], []
    for wid, w in workers.items():
        for reg_id, env in w.regs.items():
            reg = w.state.registrations[reg_id]
            regs.append((wid, reg_id, reg.registration_type.value, reg.status.value, reg.origin,
                         reg.insured_region, reg.treatment_region, reg.places[-1].institution_id,
                         reg.registered_on, reg.approved_on, reg.valid_from, reg.valid_until,
                         reg.cancelled_on, reg.rejected_reason, env.event_id, env.occurred_at))
            keys.append((wid, reg_id))
            windows += [(wid, reg_id, i, win.registration_type.value, win.insured_region,
                         win.treatment_region, win.valid_from, win.valid_until)
                        for i, win in enumerate(windows_of(reg))]
    await conn.executemany(
        "INSERT INTO registrations VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,"
        "$15,$16) ON CONFLICT (worker_id, registration_id) DO UPDATE SET"
        " status=EXCLUDED.status, treatment_region=EXCLUDED.treatment_region,"
        " institution_id=EXCLUDED.institution_id, approved_on=EXCLUDED.approved_on,"
        " cancelled_on=EXCLUDED.cancelled_on, rejected_reason=EXCLUDED.rejected_reason,"
        " last_event_id=EXCLUDED.last_event_id, updated_at=EXCLUDED.updated_at", regs)
    await conn.execute(
        "DELETE FROM coverage_windows c USING unnest($1::text[], $2::text[]) AS k(w, r)"
        " WHERE c.worker_id = k.w AND c.registration_id = k.r",
        [k[0] for k in keys], [k[1] for k in keys])
    if windows:
        await conn.executemany(
            "INSERT INTO coverage_windows VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", windows)


class BatchedRunner(ProjectionRunner):
    """`ProjectionRunner` whose batches are applied by `apply_registration_batch`."""

    async def _apply(self, batches: dict[TopicPartition, list[Any]],
                     until: dict[tuple[str, int], int] | None) -> None:
        assert self._conn is not None and self._consumer is not None
        for tp, records in batches.items():
            if until is not None:
                end = until.get((tp.topic, tp.partition), 0)
                records = [r for r in records if r.offset < end]
            if not records:
                continue
            applied, skipped = await apply_registration_batch(
                self._conn, self.projection.name, tp.topic, tp.partition, records)
            self.progress.applied += applied
            self.progress.skipped += skipped
            self.progress.positions[(tp.topic, tp.partition)] = records[-1].offset + 1
            await self._consumer.commit({tp: records[-1].offset + 1})


@contextlib.contextmanager
def cached_birth_places() -> Iterator[None]:
    """Prototype fix for decoding: memoize stdnum's birth-place lookup (in this process).

    `stdnum.cn.ric.is_valid` spends ~37 of its ~58 µs looking the district code up in its
    database; the answer depends only on the code (digits 1-6) and the birth year (7-10),
    so caching on those is exact. `contracts.types._resident_id` is the place to adopt it.
    """
    from stdnum.cn import ric

    original = ric.get_birth_place

    @functools.lru_cache(maxsize=65536)
    def lookup(code: str, year: str) -> dict[str, str]:
        return original(f"{code}{year}0101" + "0000")

    def cached(number: str) -> dict[str, str]:
        number = ric.compact(number)
        return dict(lookup(number[:6], number[6:10]))

    ric.get_birth_place = cached
    try:
        yield
    finally:
        ric.get_birth_place = original
