"""Batching changes nothing: `apply_many` writes exactly the rows of the per-event path.

The same registration events (several workers: apply, approve, change, reject, cancel,
offline import, expiry; a redelivered event inside a batch and across batches; a message
that is not a registration event) are applied into fresh schemas of one test database:
  - by `per_event_apply` below, the shipped per-event projection before batching (five to
    six round trips per event), kept verbatim as the oracle;
  - by `RegistrationReadModel.apply` (a batch of one), `apply_many` in batches of 3 and in
    one batch (`tests.support.oracle.BatchOracle`), and the projection runner's
    `apply_records` on Kafka-like records (with an undecodable record and a redelivered,
    already checkpointed batch).
Every schema's `ops.digest.digest_schema` must equal the oracle's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg
import pytest

from contracts import wire
from contracts.decision import Rejected
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.registration import REGISTRATION_EVENTS
from contracts.runtime.projection import apply_records, load_checkpoints
from contracts.topics import REGISTRATION_EVENTS as EVENTS_TOPIC
from services.registration.adapters.projection import TABLES, RegistrationReadModel
from services.registration.domain import WorkerState, evolve, windows_of
from services.registration.domain.handlers import answer_command
from tests.support.oracle import BatchOracle
from tests.unit.registration import builders as b

pytestmark = pytest.mark.integration

D0 = date(2024, 1, 15)


async def per_event_apply(conn: asyncpg.Connection, event: Envelope[Message]) -> None:
    """The per-event `RegistrationReadModel.apply` as shipped before `apply_many` (oracle)."""
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


def history() -> list[Envelope[Message]]:
    """What the registration agent emits for four workers' commands, interleaved by day."""
    a, c, d, e = (b.worker_id() for _ in range(4))
    script = [
        (a, b.apply(a, "REG-A1"), D0),
        (c, b.apply(c, "REG-C1", registration_type="referral"), D0),
        (d, b.offline(d, "OFF-D1", b.at(date(2023, 12, 1)), b.at(date(2023, 12, 4))), D0),
        (e, b.apply(e, "REG-E1"), D0),
        (a, b.approve(a, "REG-A1"), D0 + timedelta(days=1)),
        (c, b.approve(c, "REG-C1"), D0 + timedelta(days=1)),
        (e, b.reject(e, "REG-E1"), D0 + timedelta(days=2)),
        (c, b.change(c, b.ZIBO, "REG-C1"), D0 + timedelta(days=5)),
        (e, b.apply(e, "REG-E2", treatment_region=b.ZIBO), D0 + timedelta(days=6)),
        (e, b.cancel(e, "REG-E2"), D0 + timedelta(days=7)),
        (a, b.change(a, b.ZIBO, "REG-A1"), date(2024, 4, 16)),
        (c, b.change(c, b.BEIJING, "REG-C1", institution_id="H1101000001"), date(2024, 3, 1)),
        (a, b.cancel(a, "REG-A1"), date(2024, 6, 1)),
        (d, b.apply(d, "REG-D2"), date(2025, 1, 20)),  # after OFF-D1's year: expiry first
        (d, b.approve(d, "REG-D2"), date(2025, 1, 21)),
    ]
    states: dict[str, WorkerState] = {}
    out: list[Envelope[Message]] = []
    for worker, command, day in script:
        try:
            decision = answer_command(states.get(worker, WorkerState()),
                                      b.env(command, b.at(day)))
        except Rejected as exc:  # the script is meant to be accepted throughout
            raise AssertionError(f"{command!r} refused: {exc}") from exc
        states[worker] = decision.state or states.get(worker, WorkerState())
        out += [o.envelope for o in decision.events if o.topic == EVENTS_TOPIC]
    kinds = {e.type for e in out}
    assert kinds == {"RegistrationApplied", "RegistrationApproved", "RegistrationChanged",
                     "RegistrationCancelled", "RegistrationRejected", "RegistrationImported",
                     "RegistrationExpired"}, kinds
    # Redelivery within a batch and across batches; a message the read model ignores.
    snapshot = next(o.envelope for o in answer_command(WorkerState(), b.env(
        b.apply(a, "REG-X"), b.at(D0))).events if o.topic != EVENTS_TOPIC)
    return [*out[:2], out[1], *out[2:9], snapshot, *out[9:], out[2], out[0]]


@dataclass
class Record:  # what the runner reads of an aiokafka ConsumerRecord
    offset: int
    value: bytes


async def test_apply_many_writes_the_rows_of_the_per_event_path(database_url: str) -> None:
    model = RegistrationReadModel()
    check = BatchOracle(database_url, "registration", TABLES, model, history())
    events = check.events

    async def runner(conn: asyncpg.Connection) -> None:
        await load_checkpoints(conn, model.name)
        records = [Record(i, wire.encode(e)) for i, e in enumerate(events)]
        records.insert(4, Record(4, b"not an envelope"))
        records = [Record(i, r.value) for i, r in enumerate(records)]
        topic = EVENTS_TOPIC.name("")

        async def fetched(part: list[Record]) -> tuple[int, int]:  # one fetch, one transaction
            async with conn.transaction():
                return await apply_records(conn, model, topic, 0, part)

        assert await fetched(records[:5]) == (4, 1)
        assert await fetched(records[:8]) == (3, 5)  # redelivered
        assert await fetched(records[8:]) == (len(records) - 8, 0)

    expected = await check.assert_batching_changes_nothing(per_event_apply, "reg", [3])
    counts = {d.table: d.rows for d in expected}
    assert counts["registration_history"] == len({e.event_id for e in events
                                                  if isinstance(e.payload, REGISTRATION_EVENTS)})
    assert counts["worker_states"] == 4 and counts["coverage_windows"] > counts["registrations"]
    assert await check.build("reg_runner", runner) == expected
