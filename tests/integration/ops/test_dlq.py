"""Dead letters on the real broker: list, show, re-drive once (with headers), refuse twice."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts import envelope, wire
from contracts import topics as registry
from contracts.deadletter import MessageDeadLettered, b64
from contracts.replies import MessageAccepted
from contracts.settings import Settings, kafka_security
from ops import dlq
from ops.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def settings(bootstrap: str, prefix: str, database_url: str) -> Settings:
    return Settings(bootstrap=bootstrap, database_url=database_url, topic_prefix=prefix)


@pytest.fixture(scope="module")
async def letter(bus, prefix: str) -> tuple[str, bytes]:
    """A dead-lettered, valid claim reply (the original bytes), as encounter would write it."""
    original = envelope.new(MessageAccepted(ref_event_id=uuid.uuid4(), ref_type="SubmitClaim"),
                            key="agency-7", occurred_at=datetime.now(UTC), source="ops-test")
    raw = wire.encode(original)
    dl = MessageDeadLettered(
        stage="decide", reason_code="unknown_institution",
        reason="institution H-999 is not an agreement institution on 2025-03-01",
        topic=registry.CLAIM_REPLIES.name(prefix), partition=2, offset=41,
        key_b64=b64(b"agency-7"), value_b64=b64(raw) or "", failed_at=datetime.now(UTC))
    env = envelope.new(dl, key="decide", occurred_at=dl.failed_at, source="encounter")
    await bus.send(registry.ENCOUNTER_DEADLETTERS, env)
    return str(env.event_id), raw


async def read_target(settings: Settings) -> list:
    """Every record now on the original topic (all partitions, up to their current ends)."""
    name = registry.CLAIM_REPLIES.name(settings.topic_prefix)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, **kafka_security(settings),
                                enable_auto_commit=False)
    await consumer.start()
    seen: list = []
    try:
        tps = [TopicPartition(name, p) for p in range(registry.CLAIM_REPLIES.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=200)).values():
                seen.extend(records)
    finally:
        await consumer.stop()
    return seen


async def test_list_and_show(settings: Settings, letter: tuple[str, bytes]) -> None:
    out = io.StringIO()
    assert await dlq.list_(settings, "encounter", out=out) == 0
    text = out.getvalue()
    assert letter[0] in text and "unknown_institution" in text and "@41" in text
    assert text.rstrip().endswith("1 dead letter(s)")
    out = io.StringIO()
    assert await dlq.show(settings, letter[0], out=out) == 0
    assert '"ref_type": "SubmitClaim"' in out.getvalue()
    assert "redriven:     no" in out.getvalue()


async def test_redrive_once_with_headers_then_refuse(settings: Settings,
                                                     letter: tuple[str, bytes]) -> None:
    dl_id, raw = letter
    out, err = io.StringIO(), io.StringIO()
    assert await dlq.redrive(settings, [dl_id], out=out, err=err) == 0, err.getvalue()
    [record] = await read_target(settings)
    assert record.value == raw and record.key == b"agency-7"
    assert dict(record.headers) == {"wic-redrive-of": dl_id.encode(), "wic-attempt": b"2"}

    err = io.StringIO()
    assert await dlq.redrive(settings, [dl_id], out=io.StringIO(), err=err) == 1
    assert "already re-driven" in err.getvalue()
    # --all skips what was re-driven: still exactly one copy on the original topic
    assert await dlq.redrive(settings, all_=True, service="encounter",
                             out=io.StringIO(), err=io.StringIO()) == 0
    assert len(await read_target(settings)) == 1


async def test_cli_list_shows_redriven(settings: Settings, letter: tuple[str, bytes],
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WIC_TOPIC_PREFIX", settings.topic_prefix)
    monkeypatch.setenv("WIC_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("WIC_KAFKA_BOOTSTRAP", settings.bootstrap)
    # main() runs its own event loop (as `wic` does), so it runs in a thread here
    code = await asyncio.to_thread(main, ["dlq", "list", "--service", "encounter"])
    assert code == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if letter[0] in line)
    assert row.split()[-1] == "yes"
