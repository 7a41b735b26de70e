"""The replay's fast way (issue 21, target 3) leaves the rows of the validated way.

Registration's own projections (the read model and its audit trail) are rebuilt from a
log of the registration service's records (`bench.gen`: byte-identical to what the
service writes, SD-REG-1..4 apply/approve), plus a record another party wrote and one that
does not decode: once the old way (every record through `wire.decode`, one consumer per
projection) and once the fast way (`contracts.trusted`, one consumer and one decoding for
both projections), the second stopped half-way and resumed from its checkpoints.
Real broker and database, no mocks.
"""

from __future__ import annotations

import asyncpg
import orjson
import pytest

from bench.gen import Generator
from contracts import topics
from contracts.settings import Settings
from ops import digest, projections, schemas
from ops.rebuild import end_offsets, rebuild

pytestmark = pytest.mark.integration

WORKERS = 60
SCHEMAS = ("reg_validated", "reg_fast", "reg_mixed")


@pytest.fixture(scope="module")
def settings(bootstrap: str, prefix: str, database_url: str) -> Settings:
    return Settings(bootstrap=bootstrap, database_url=database_url, topic_prefix=prefix)


@pytest.fixture(scope="module")
async def log(bus, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    events = list(Generator().events(WORKERS))
    for key, value in events[: len(events) // 2]:
        await bus.send_raw(topics.REGISTRATION_EVENTS, value, key)
    # a record in the writer's shape that another party claims to have written: validated
    key, value = events[0]
    other = orjson.loads(value)
    other["source"] = "someone-else"
    await bus.send_raw(topics.REGISTRATION_EVENTS, orjson.dumps(other), key)
    await bus.send_raw(topics.REGISTRATION_EVENTS, b"{not json", key)  # skipped by both
    for key, value in events[len(events) // 2:]:
        await bus.send_raw(topics.REGISTRATION_EVENTS, value, key)
    await bus.producer.flush()


async def _digests(url: str, schema: str, tables: list[str]) -> list[tuple[str, int, str]]:
    conn = await asyncpg.connect(url)
    try:
        return [(d.table, d.rows, d.sha256) for d in await digest.digest_schema(conn, schema,
                                                                              tables)]
    finally:
        await conn.close()


async def test_the_fast_rebuild_writes_the_rows_of_the_validated_one(
        settings: Settings, log: None) -> None:
    """Same digests for every registration table (history, states, registrations, coverage
    windows, audit trail); the fast rebuild resumed half-way applies nothing twice, and one
    resumed with its projections' checkpoints apart misses nothing."""
    model = projections.load("registration")
    until = await end_offsets(settings, [t for p in model.projections for t in p.topics])
    half = {k: v // 2 for k, v in until.items()}
    for schema in SCHEMAS:
        await schemas.drop_schema(settings.database_url, schema)
        await schemas.create_schema(settings.database_url, schema, model.sql_files)
    applied_old = await rebuild(settings, model.projections, "reg_validated", until,
                                trusted=False, shared=False)
    first = await rebuild(settings, model.projections, "reg_fast", half)
    rest = await rebuild(settings, model.projections, "reg_fast", until)
    tables = list(model.tables)
    old = await _digests(settings.database_url, "reg_validated", tables)
    fast = await _digests(settings.database_url, "reg_fast", tables)
    assert fast == old
    counts = {table: rows for table, rows, _ in old}
    assert counts["registration_history"] == 2 * WORKERS  # the duplicate by event id: once
    assert counts["worker_states"] == WORKERS
    assert first + rest == applied_old  # each record applied once per projection
    # Checkpoints apart: the read model rebuilt to the end alone, the audit trail to half
    # way; fed together, the consumer starts where the one behind needs it.
    read_model, audit = model.projections
    await rebuild(settings, [read_model], "reg_mixed", until)
    await rebuild(settings, [audit], "reg_mixed", half)
    await rebuild(settings, model.projections, "reg_mixed", until)
    assert await _digests(settings.database_url, "reg_mixed", tables) == old
    for schema in SCHEMAS:
        await schemas.drop_schema(settings.database_url, schema)


async def test_issue_21_a_rebuild_split_over_processes_writes_the_same_rows(
        settings: Settings, log: None) -> None:
    """`processes` (docs/performance.md "Fifth round, second pass"): the partitions split
    over this process and a spawned one, each from its own checkpoints, stopped half-way
    and resumed (also resumed by one process, and one resumed by two): the rows of the
    one-process validated rebuild."""
    from ops.rebuild import _split

    model = projections.load("registration")
    until = await end_offsets(settings, [t for p in model.projections for t in p.topics])
    half = {k: v // 2 for k, v in until.items()}
    parts = _split(until, 2)
    assert len(parts) == 2 and sorted(k for p in parts for k in p) == sorted(until)
    assert all(any(v > 0 for v in p.values()) for p in parts)
    names = ("reg_one", "reg_split", "reg_split_then_one", "reg_one_then_split")
    for schema in names:
        await schemas.drop_schema(settings.database_url, schema)
        await schemas.create_schema(settings.database_url, schema, model.sql_files)
    applied = await rebuild(settings, model.projections, "reg_one", until,
                            trusted=False, shared=False, processes=1)
    tables = list(model.tables)
    one = await _digests(settings.database_url, "reg_one", tables)
    for schema, first_n, rest_n in (("reg_split", 2, 2), ("reg_split_then_one", 2, 1),
                                    ("reg_one_then_split", 1, 2)):
        first = await rebuild(settings, model.projections, schema, half, processes=first_n)
        rest = await rebuild(settings, model.projections, schema, until, processes=rest_n)
        assert await _digests(settings.database_url, schema, tables) == one, schema
        assert first + rest == applied, schema
    for schema in names:
        await schemas.drop_schema(settings.database_url, schema)
