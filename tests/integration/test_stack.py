"""The local stack for real: a message through the broker, a row through the database, and
topics created exactly as `contracts.topics` says. No mocks; needs `make up`.

Uses the shared fixtures of tests/conftest.py (`bootstrap`, `prefix`, `database_url`).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from contracts import topics as registry
from contracts.settings import kafka_security
from infra.migrate import SERVICES, migrate
from infra.topics import admin, delete_topics, ensure_topics
from tests.support.kafka import KafkaNotRunning, check_broker

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def broker(bootstrap: str) -> str:
    """Fail at once (within 5 s) with the command to run when the broker is away."""
    try:
        await check_broker(bootstrap, timeout=5.0)
    except KafkaNotRunning:
        pytest.fail(f"Kafka is not running: run `make up` (no answer from {bootstrap} "
                    "within 5 s)", pytrace=False)
    return bootstrap


async def test_a_message_goes_through_the_real_broker(broker: str, prefix: str) -> None:
    topic = registry.REGISTRATION_EVENTS.name(prefix)
    value = f"hello {uuid.uuid4()}".encode()
    producer = AIOKafkaProducer(bootstrap_servers=broker, **kafka_security(), acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, value, key=b"worker-1")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(bootstrap_servers=broker, **kafka_security(),
                                enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, sent.partition)
        consumer.assign([tp])
        consumer.seek(tp, sent.offset)
        record = await asyncio.wait_for(consumer.getone(), 15)
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (b"worker-1", value)


async def test_a_row_goes_through_the_real_database(database_url: str) -> None:
    conn = await asyncpg.connect(database_url, timeout=5)
    try:
        await conn.execute("CREATE TABLE probe (id int PRIMARY KEY, note text NOT NULL)")
        await conn.execute("INSERT INTO probe VALUES ($1, $2)", 1, "工伤 ok")
        assert await conn.fetchval("SELECT note FROM probe WHERE id = 1") == "工伤 ok"
    finally:
        await conn.close()


async def test_migrations_are_recorded_and_idempotent(database_url: str) -> None:
    assert await migrate(database_url) == []  # the fixture already migrated this database
    conn = await asyncpg.connect(database_url, timeout=5)
    try:
        schemas = {r["nspname"] for r in await conn.fetch("SELECT nspname FROM pg_namespace")}
        assert set(SERVICES) <= schemas
        assert await conn.fetchval("SELECT to_regclass('public.schema_migrations') IS NOT NULL")
    finally:
        await conn.close()


async def test_ensure_topics_is_idempotent_and_matches_the_registry(broker: str) -> None:
    prefix = f"t-stack-{uuid.uuid4().hex[:8]}."
    expected = {t.name(prefix) for t in registry.ALL}
    try:
        assert set(await ensure_topics(broker, prefix)) == expected
        assert await ensure_topics(broker, prefix) == []
        configs = await _topic_configs(broker, sorted(expected))
        partitions = await _partition_counts(broker, sorted(expected))
        for topic in registry.ALL:
            name = topic.name(prefix)
            assert partitions[name] == topic.partitions, name
            for key, value in topic.config().items():
                assert configs[name][key] == value, (name, key)
        coverage = configs[registry.REGISTRATION_COVERAGE.name(prefix)]
        assert coverage["cleanup.policy"] == "compact"
        assert configs[registry.REGISTRATION_EVENTS.name(prefix)]["retention.ms"] == "-1"
    finally:
        deleted = await delete_topics(broker, prefix)
    assert set(deleted) == expected


async def test_delete_topics_never_runs_without_a_prefix(broker: str) -> None:
    with pytest.raises(ValueError):
        await delete_topics(broker, "")


async def _topic_configs(bootstrap: str, names: list[str]) -> dict[str, dict[str, str]]:
    async with admin(bootstrap) as client:
        responses = await client.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    out: dict[str, dict[str, str]] = {}
    for response in responses:
        for res in response.to_object()["resources"]:
            assert res["error_code"] == 0, res
            out[res["resource_name"]] = {
                _entry_name(e): e["config_value"] for e in res["config_entries"]}
    return out


async def _partition_counts(bootstrap: str, names: list[str]) -> dict[str, int]:
    async with admin(bootstrap) as client:
        described = await client.describe_topics(names)
    return {t["topic"]: len(t["partitions"]) for t in described}


def _entry_name(entry: dict[str, Any]) -> str:
    return str(entry.get("config_names") or entry.get("config_name"))
