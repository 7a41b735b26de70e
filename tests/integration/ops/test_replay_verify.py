"""Replay and verify on the real broker and database, with a test-only projection.

The projection (accepted replies per ref_type, and one row per accepted reply) stands in
for a service's read model, so the generic machinery is tested without any service.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from contracts import envelope
from contracts import topics as registry
from contracts.envelope import Envelope
from contracts.message import Message
from contracts.replies import MessageAccepted
from contracts.settings import Settings
from ops import digest, schemas
from ops.projections import ReadModel
from ops.rebuild import end_offsets, rebuild
from ops.replay import replay
from ops.verify import verify

pytestmark = pytest.mark.integration

LIVE = "opstest"
DDL = """
CREATE TABLE accepted (event_id uuid PRIMARY KEY, ref_type text NOT NULL, detail text NOT NULL);
CREATE TABLE accepted_counts (ref_type text PRIMARY KEY, n int NOT NULL);
"""


class CountAccepted:
    name = "accepted_counts"
    topics: Sequence[registry.Topic] = (registry.REGISTRATION_REPLIES,)

    async def apply(self, conn: asyncpg.Connection, event: Envelope[Message]) -> None:
        if not isinstance(event.payload, MessageAccepted):
            return
        done = await conn.fetchval(
            "INSERT INTO accepted VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true",
            event.event_id, event.payload.ref_type, event.payload.detail)
        if done:
            await conn.execute(
                "INSERT INTO accepted_counts VALUES ($1, 1) ON CONFLICT (ref_type) "
                "DO UPDATE SET n = accepted_counts.n + 1", event.payload.ref_type)


def accepted(ref_type: str, key: str) -> Envelope[MessageAccepted]:
    return envelope.new(MessageAccepted(ref_event_id=uuid.uuid4(), ref_type=ref_type),
                        key=key, occurred_at=datetime.now(UTC), source="ops-test")


@pytest.fixture(scope="module")
def settings(bootstrap: str, prefix: str, database_url: str) -> Settings:
    return Settings(bootstrap=bootstrap, database_url=database_url, topic_prefix=prefix)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> ReadModel:
    sql = Path(tmp_path_factory.mktemp("opsql")) / "001_accepted.sql"
    sql.write_text(DDL)
    return ReadModel(LIVE, [CountAccepted()], ["accepted", "accepted_counts"], [sql])


@pytest.fixture(scope="module")
async def history(bus, settings: Settings, model: ReadModel) -> dict[str, object]:
    """Two batches with an instant between them; the live schema built to the end."""
    first = [accepted(t, f"w{i}") for i, t in enumerate("AABBBCAAB" * 2)]
    second = [accepted(t, f"v{i}") for i, t in enumerate("CCDA" * 3)]
    for env in first:
        await bus.send(registry.REGISTRATION_REPLIES, env)
    await asyncio.sleep(0.3)
    instant = datetime.now(UTC)
    await asyncio.sleep(0.3)
    for env in second:
        await bus.send(registry.REGISTRATION_REPLIES, env)
    await schemas.create_schema(settings.database_url, LIVE, model.sql_files)
    until = await end_offsets(settings, CountAccepted.topics)
    await rebuild(settings, model.projections, LIVE, until)
    return {"first": first, "second": second, "instant": instant}


async def digests(settings: Settings, schema: str) -> list[digest.TableDigest]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        return await digest.digest_schema(conn, schema, ["accepted", "accepted_counts"])
    finally:
        await conn.close()


async def test_live_projection_holds_every_event(settings: Settings, history: dict) -> None:
    live = {d.table: d.rows for d in await digests(settings, LIVE)}
    assert live == {"accepted": 30, "accepted_counts": 4}


async def test_replay_from_zero_equals_live(settings: Settings, model: ReadModel,
                                            history: dict) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert await replay(settings, LIVE, models=[model], out=out, err=err) == 0
    assert "opstest_rebuild_1" in out.getvalue()
    assert await digests(settings, "opstest_rebuild_1") == await digests(settings, LIVE)
    assert "done in" in err.getvalue()  # the progress report finished


async def test_replay_as_of_equals_state_at_that_instant(settings: Settings, model: ReadModel,
                                                         history: dict) -> None:
    out = io.StringIO()
    code = await replay(settings, "accepted_counts", as_of=history["instant"],
                        into="opstest_asof", models=[model], out=out, err=io.StringIO())
    assert code == 0
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch("SELECT ref_type, n FROM opstest_asof.accepted_counts")
        rebuilt = await conn.fetch("SELECT event_id FROM opstest_asof.accepted")
    finally:
        await conn.close()
    expected = Counter(e.payload.ref_type for e in history["first"])
    assert {r["ref_type"]: r["n"] for r in rows} == expected
    assert {r["event_id"] for r in rebuilt} == {e.event_id for e in history["first"]}


async def test_verify_passes_then_names_a_corrupted_row(settings: Settings, model: ReadModel,
                                                        history: dict) -> None:
    out = io.StringIO()
    assert await verify(settings, LIVE, models=[model], out=out, err=io.StringIO()) == 0, \
        out.getvalue()
    assert "verify: OK" in out.getvalue()
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute("UPDATE opstest.accepted_counts SET n = n + 100 WHERE ref_type = 'B'")
        out = io.StringIO()
        code = await verify(settings, "all", models=[model], out=out, err=io.StringIO())
        report = out.getvalue()
        print(report)
        assert code == 1, report
        assert "accepted_counts" in report and "DIFFERS" in report
        assert "[ref_type=B]" in report
        assert "accepted                          " in report and " OK " in report
        left = await conn.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'opstest\\_verify\\_%'")
        assert left == 0  # temporary schemas dropped
    finally:
        await conn.execute("UPDATE opstest.accepted_counts SET n = n - 100 WHERE ref_type = 'B'")
        await conn.close()


async def test_verify_runs_the_service_checks(settings: Settings, model: ReadModel,
                                              history: dict) -> None:
    async def counts_match_rows(conn: asyncpg.Connection) -> list[str]:
        bad = await conn.fetch(
            "SELECT c.ref_type FROM accepted_counts c WHERE c.n <> "
            "(SELECT count(*) FROM accepted a WHERE a.ref_type = c.ref_type)")
        return [f"count of {r['ref_type']} disagrees with its rows" for r in bad]

    checked = ReadModel(model.service, model.projections, model.tables, model.sql_files,
                        [counts_match_rows])
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute("DELETE FROM opstest.accepted WHERE event_id = $1",
                           history["first"][0].event_id)
        out = io.StringIO()
        assert await verify(settings, LIVE, models=[checked], out=out, err=io.StringIO()) == 1
        assert "check counts_match_rows: count of A disagrees with its rows" in out.getvalue()
        assert "(absent)" in out.getvalue()  # the deleted row, shown by its key
    finally:
        first = history["first"][0]
        await conn.execute("INSERT INTO opstest.accepted VALUES ($1, $2, '')",
                           first.event_id, first.payload.ref_type)
        await conn.close()


async def test_swap_puts_the_rebuild_live(settings: Settings, model: ReadModel,
                                          history: dict) -> None:
    before = await digests(settings, LIVE)
    out = io.StringIO()
    assert await replay(settings, LIVE, into="opstest_swapin", swap=True, models=[model],
                        out=out, err=io.StringIO()) == 0
    assert "swapped" in out.getvalue()
    assert await digests(settings, LIVE) == before
    conn = await asyncpg.connect(settings.database_url)
    try:
        olds = await conn.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'opstest\\_old\\_%'")
        assert olds == 1
        assert not await schemas.schema_exists(conn, "opstest_swapin")
    finally:
        await conn.close()


async def test_lag_counts_unconsumed_records(settings: Settings, bus, history: dict) -> None:
    """Runs last: it appends a record the live projection has not consumed."""
    from ops.lag import consumer_lag, lag

    assert await consumer_lag(settings) == []  # only replay groups exist: hidden by default
    def totals(rows: list) -> dict[str, int]:
        sums = dict.fromkeys((r.group for r in rows), 0)
        for r in rows:
            sums[r.group] += r.lag
        return sums

    before = totals(await consumer_lag(settings, include_replays=True))
    assert 0 in before.values() and 12 in before.values()  # a full replay; the --as-of one
    await bus.send(registry.REGISTRATION_REPLIES, accepted("E", "w0"))
    after = totals(await consumer_lag(settings, include_replays=True))
    assert {g: after[g] - before[g] for g in before} == {g: 1 for g in before}
    out = io.StringIO()
    assert await lag(settings, include_replays=True, out=out) == 0
    assert "total lag" in out.getvalue()
